// The module's one export list. Every kernel takes byte addresses into this module's memory, which
// the host owns and allocates from (see src/arena.ts); nothing here allocates.
export { heap_base, relaxed_simd, fill_f32, gather_rows_f32, nonfinite_index_f32 } from "./memory";
export { gemm_workspace_bytes, gemm_tile_f32, gemm_ksplit_f32, gemm_conv_f32, bias_relu_backward_f32 } from "./gemm";
export {
  add_forward_f32, sub_forward_f32, mul_forward_f32, mul_backward_f32, scale_forward_f32, axpy_f32,
  add_rows_forward_f32, colsum_backward_f32, sum_forward_f32, sum_backward_f32, l1l2_forward_f32, l1l2_backward_f32,
  minmax_forward_f32, minmax_backward_f32,
} from "./elementwise";
export {
  concat_forward_f32, concat_backward_f32, pad2d_forward_f32, pad2d_backward_f32, upsample_forward_f32, upsample_backward_f32,
  argmax_axis_f32,
} from "./shape";
export {
  relu_forward_f32, relu_backward_f32, leaky_relu_forward_f32, leaky_relu_backward_f32,
  sigmoid_forward_f32, sigmoid_backward_f32, tanh_forward_f32, tanh_backward_f32,
  softmax_forward_f32, softmax_backward_f32, elu_forward_f32, elu_backward_f32, gelu_forward_f32, gelu_backward_f32,
  swish_forward_f32, swish_backward_f32, softplus_forward_f32, softplus_backward_f32, exp_forward_f32, exp_backward_f32,
} from "./activations";
export {
  mse_forward_f32, mse_backward_f32, softmax_xent_forward_f32, softmax_xent_backward_f32,
  cce_forward_f32, cce_backward_f32, bce_forward_f32, bce_backward_f32,
  sigmoid_bce_forward_f32, sigmoid_bce_backward_f32, argmax_match_count_f32, binary_match_count_f32,
  mae_forward_f32, mae_backward_f32, huber_forward_f32, huber_backward_f32, hinge_forward_f32, hinge_backward_f32,
  label_check_f32, sparse_softmax_xent_forward_f32, sparse_softmax_xent_backward_f32, sparse_cce_forward_f32,
  sparse_cce_backward_f32, sparse_match_count_f32,
} from "./losses";
export {
  im2col_f32, col2im_backward_f32, conv_filter_backward_f32, conv_input_backward_f32, maxpool_forward_f32, maxpool_backward_f32, avgpool_forward_f32, avgpool_backward_f32,
  conv1_workspace_bytes, conv1_forward_f32, conv1_filter_backward_f32,
} from "./conv";
export {
  sgd_update_f32, sgd_momentum_update_f32, adam_update_f32, sgd_nesterov_update_f32, adamw_update_f32, rmsprop_update_f32,
  adagrad_update_f32, sumsq_f32, clip_f32, math_pow, math_cos,
} from "./optimizers";
export { rng_seed, rng_uniform_f32, rng_normal_f32, rng_truncated_normal_f32, rng_shuffle_i32, dropout_forward_f32, rng_bernoulli_f32 } from "./random";
export { rbm_update_f32, rbm_free_energy_f32 } from "./rbm";
export {
  batchnorm_forward_f32, batchnorm_infer_f32, batchnorm_infer_backward_f32, batchnorm_backward_f32, layernorm_forward_f32, layernorm_backward_f32,
} from "./normalization";
export { confusion_add_i32, error_sum_f32 } from "./metrics";
export { column_moments_f32, column_min_max_f32, column_scale_f32, orthonormalize_f32 } from "./preprocessing";
export {
  to_time_major_f32, to_batch_major_f32, rnn_step_forward_f32, rnn_step_backward_f32, lstm_step_forward_f32, lstm_step_backward_f32,
  embedding_forward_f32, embedding_backward_f32, copy_cols_f32, put_cols_f32, gru_gates_forward_f32, gru_output_forward_f32,
  gru_reset_after_forward_f32, gru_output_backward_f32, gru_gates_backward_f32, gru_reset_after_backward_f32, mask_steps_f32,
  mask_step_forward_f32, mask_step_backward_f32, nonzero_mask_f32, masking_forward_f32, masking_backward_f32,
} from "./recurrent";
