// Activation ops: relu, leakyRelu, sigmoid, tanh, exp, … (elementwise) and softmax (over the last axis).
import { shapeError } from '../errors.js';
import { Tensor } from '../tensor.js';
import { compute } from '../trace.js';
import { wasm } from '../wasm.js';

/** max(x, 0), elementwise. */
export function relu(x: Tensor): Tensor {
  const out = Tensor.empty(x.shape);
  compute(() => wasm().relu_forward_f32(out.ptr, x.ptr, x.size));
  return out.recordBackward([x], () => wasm().relu_backward_f32(x.gradPtr(), out.ptr, out.gradPtr(), x.size));
}

/** x for x > 0, alpha·x otherwise (alpha defaults to 0.2, as in TF.js). */
export function leakyRelu(x: Tensor, alpha = 0.2): Tensor {
  const out = Tensor.empty(x.shape);
  compute(() => wasm().leaky_relu_forward_f32(out.ptr, x.ptr, x.size, alpha));
  return out.recordBackward([x], () => wasm().leaky_relu_backward_f32(x.gradPtr(), x.ptr, out.gradPtr(), x.size, alpha));
}

/** 1 / (1 + exp(-x)), elementwise. */
export function sigmoid(x: Tensor): Tensor {
  const out = Tensor.empty(x.shape);
  compute(() => wasm().sigmoid_forward_f32(out.ptr, x.ptr, x.size));
  out.activationOf = { op: 'sigmoid', input: x };
  return out.recordBackward([x], () => wasm().sigmoid_backward_f32(x.gradPtr(), out.ptr, out.gradPtr(), x.size));
}

/** tanh(x), elementwise. */
export function tanh(x: Tensor): Tensor {
  const out = Tensor.empty(x.shape);
  compute(() => wasm().tanh_forward_f32(out.ptr, x.ptr, x.size));
  return out.recordBackward([x], () => wasm().tanh_backward_f32(x.gradPtr(), out.ptr, out.gradPtr(), x.size));
}

/** e^x, elementwise (a VAE's variance from its log-variance, say). */
export function exp(x: Tensor): Tensor {
  const out = Tensor.empty(x.shape);
  compute(() => wasm().exp_forward_f32(out.ptr, x.ptr, x.size));
  return out.recordBackward([x], () => wasm().exp_backward_f32(x.gradPtr(), out.ptr, out.gradPtr(), x.size));
}

/** x for x > 0, alpha·(exp(x) - 1) otherwise (alpha defaults to 1, as in Keras). */
export function elu(x: Tensor, alpha = 1): Tensor {
  const out = Tensor.empty(x.shape);
  compute(() => wasm().elu_forward_f32(out.ptr, x.ptr, x.size, alpha));
  return out.recordBackward([x], () => wasm().elu_backward_f32(x.gradPtr(), x.ptr, out.gradPtr(), x.size, alpha));
}

/** x·Φ(x), the exact Gaussian error linear unit (Keras' default, approximate = false). */
export function gelu(x: Tensor): Tensor {
  return fromInput(x, 'gelu_forward_f32', 'gelu_backward_f32');
}

/** x·sigmoid(x) (also called SiLU). */
export function swish(x: Tensor): Tensor {
  return fromInput(x, 'swish_forward_f32', 'swish_backward_f32');
}

/** log(1 + exp(x)), computed without overflow. */
export function softplus(x: Tensor): Tensor {
  return fromInput(x, 'softplus_forward_f32', 'softplus_backward_f32');
}

// An elementwise activation whose derivative is computed from its input.
function fromInput(x: Tensor, forward: 'gelu_forward_f32' | 'swish_forward_f32' | 'softplus_forward_f32',
                   backward: 'gelu_backward_f32' | 'swish_backward_f32' | 'softplus_backward_f32'): Tensor {
  const out = Tensor.empty(x.shape);
  compute(() => wasm()[forward](out.ptr, x.ptr, x.size));
  return out.recordBackward([x], () => wasm()[backward](x.gradPtr(), x.ptr, out.gradPtr(), x.size));
}

/** exp(x) / Σ exp(x) over the last axis, with the maximum subtracted first. */
export function softmax(x: Tensor): Tensor {
  const cols = x.shape[x.shape.length - 1];
  if (cols === undefined || cols === 0) {
    throw shapeError(`softmax: x needs a non-empty last axis, got shape [${x.shape.join(', ')}]`);
  }
  const rows = x.size / cols;
  const out = Tensor.empty(x.shape);
  compute(() => wasm().softmax_forward_f32(out.ptr, x.ptr, rows, cols));
  out.activationOf = { op: 'softmax', input: x };
  return out.recordBackward([x], () => wasm().softmax_backward_f32(x.gradPtr(), out.ptr, out.gradPtr(), rows, cols));
}
