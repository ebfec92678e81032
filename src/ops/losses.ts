// Loss ops: each returns a scalar tensor (mean over the batch, as Keras reduces) whose backward
// reaches the prediction, or the logits for the fused forms. Targets get no gradient.
import { WasmgradError, fmtShape, invalid, shapeError } from '../errors.js';
import { Tensor } from '../tensor.js';
import { compute } from '../trace.js';
import { wasm } from '../wasm.js';

// Keras' backend epsilon: probabilities are clipped to [EPSILON, 1 - EPSILON] before a log.
const EPSILON = 1e-7;

function checkSameShape(op: string, pred: Tensor, target: Tensor): void {
  if (pred.shape.length !== target.shape.length || pred.shape.some((d, i) => d !== target.shape[i])) {
    throw shapeError(`${op}: target shape ${fmtShape(target.shape)} must equal prediction shape ${fmtShape(pred.shape)}`);
  }
}

function rowsCols(pred: Tensor): [number, number] {
  const cols = pred.shape[pred.shape.length - 1] ?? 1;
  return [cols === 0 ? 0 : pred.size / cols, cols];
}

/** mean((pred - target)²) */
export function meanSquaredError(pred: Tensor, target: Tensor): Tensor {
  checkSameShape('meanSquaredError', pred, target);
  const loss = Tensor.empty([]);
  compute(() => wasm().mse_forward_f32(loss.ptr, pred.ptr, target.ptr, pred.size));
  return loss.recordBackward([pred], () =>
    wasm().mse_backward_f32(pred.gradPtr(), pred.ptr, target.ptr, loss.gradPtr(), pred.size));
}

/** mean(|pred - target|) */
export function meanAbsoluteError(pred: Tensor, target: Tensor): Tensor {
  checkSameShape('meanAbsoluteError', pred, target);
  const loss = Tensor.empty([]);
  compute(() => wasm().mae_forward_f32(loss.ptr, pred.ptr, target.ptr, pred.size));
  return loss.recordBackward([pred], () =>
    wasm().mae_backward_f32(pred.gradPtr(), pred.ptr, target.ptr, loss.gradPtr(), pred.size));
}

/** The Huber loss: quadratic within delta of the target (default 1, as Keras), linear beyond. */
export function huber(pred: Tensor, target: Tensor, delta = 1): Tensor {
  checkSameShape('huber', pred, target);
  if (!(delta > 0)) throw invalid(`huber: delta must be > 0, got ${delta}`);
  const loss = Tensor.empty([]);
  compute(() => wasm().huber_forward_f32(loss.ptr, pred.ptr, target.ptr, pred.size, delta));
  return loss.recordBackward([pred], () =>
    wasm().huber_backward_f32(pred.gradPtr(), pred.ptr, target.ptr, loss.gradPtr(), pred.size, delta));
}

/** mean(max(1 - t·pred, 0)) with targets ±1 (0/1 labels are taken as -1/1, as Keras does). */
export function hinge(pred: Tensor, target: Tensor): Tensor {
  checkSameShape('hinge', pred, target);
  const loss = Tensor.empty([]);
  compute(() => wasm().hinge_forward_f32(loss.ptr, pred.ptr, target.ptr, pred.size));
  return loss.recordBackward([pred], () =>
    wasm().hinge_backward_f32(pred.gradPtr(), pred.ptr, target.ptr, loss.gradPtr(), pred.size));
}

/** -Σ target·log(pred) over the last axis, averaged over rows; pred holds probabilities. */
export function categoricalCrossentropy(pred: Tensor, target: Tensor): Tensor {
  checkSameShape('categoricalCrossentropy', pred, target);
  const [rows, cols] = rowsCols(pred);
  const loss = Tensor.empty([]);
  compute(() => wasm().cce_forward_f32(loss.ptr, pred.ptr, target.ptr, rows, cols, EPSILON));
  return loss.recordBackward([pred], () =>
    wasm().cce_backward_f32(pred.gradPtr(), pred.ptr, target.ptr, loss.gradPtr(), rows, cols, EPSILON));
}

/**
 * Categorical cross-entropy from logits, fused with softmax: stable for any logits, and its
 * gradient is the exact softmax(logits) - target. Returns the loss and the probabilities.
 */
export function softmaxCrossEntropy(logits: Tensor, target: Tensor): { loss: Tensor; probs: Tensor } {
  checkSameShape('categoricalCrossentropy', logits, target);
  const [rows, cols] = rowsCols(logits);
  const loss = Tensor.empty([]);
  const probs = Tensor.empty(logits.shape);
  compute(() => wasm().softmax_xent_forward_f32(loss.ptr, probs.ptr, logits.ptr, target.ptr, rows, cols));
  loss.recordBackward([logits], () =>
    wasm().softmax_xent_backward_f32(logits.gradPtr(), probs.ptr, target.ptr, loss.gradPtr(), rows, cols));
  return { loss, probs };
}

/** -mean(target·log(pred) + (1 - target)·log(1 - pred)); pred holds probabilities. */
export function binaryCrossentropy(pred: Tensor, target: Tensor): Tensor {
  checkSameShape('binaryCrossentropy', pred, target);
  const loss = Tensor.empty([]);
  compute(() => wasm().bce_forward_f32(loss.ptr, pred.ptr, target.ptr, pred.size, EPSILON));
  return loss.recordBackward([pred], () =>
    wasm().bce_backward_f32(pred.gradPtr(), pred.ptr, target.ptr, loss.gradPtr(), pred.size, EPSILON));
}

/** Binary cross-entropy from logits, fused with sigmoid. Returns the loss and the probabilities. */
export function sigmoidCrossEntropy(logits: Tensor, target: Tensor): { loss: Tensor; probs: Tensor } {
  checkSameShape('binaryCrossentropy', logits, target);
  const loss = Tensor.empty([]);
  const probs = Tensor.empty(logits.shape);
  compute(() => wasm().sigmoid_bce_forward_f32(loss.ptr, probs.ptr, logits.ptr, target.ptr, logits.size));
  loss.recordBackward([logits], () =>
    wasm().sigmoid_bce_backward_f32(logits.gradPtr(), probs.ptr, target.ptr, loss.gradPtr(), logits.size));
  return { loss, probs };
}

// Labels [rows] or [rows, 1] of class indices for a [rows, classes] prediction.
function checkLabels(op: string, pred: Tensor, labels: Tensor): [number, number] {
  const [rows, cols] = rowsCols(pred);
  if (labels.size !== rows || labels.shape[0] !== pred.shape[0]) {
    throw shapeError(`${op}: labels of shape ${fmtShape(labels.shape)} must hold one class index per row of the prediction ${fmtShape(pred.shape)}`);
  }
  const bad = wasm().label_check_f32(labels.ptr, rows, cols);
  if (bad >= 0) {
    const value = labels.toArray()[bad];
    throw new WasmgradError('INVALID_LABEL', `${op}: label ${bad} is ${value}; expected an integer class index in [0, ${cols})`);
  }
  return [rows, cols];
}

/** -mean(log pred[label]) with integer class labels; pred holds probabilities. */
export function sparseCategoricalCrossentropy(pred: Tensor, labels: Tensor): Tensor {
  const k = wasm();
  const [rows, cols] = checkLabels('sparseCategoricalCrossentropy', pred, labels);
  const loss = Tensor.empty([]);
  k.sparse_cce_forward_f32(loss.ptr, pred.ptr, labels.ptr, rows, cols, EPSILON);
  return loss.recordBackward([pred], () =>
    k.sparse_cce_backward_f32(pred.gradPtr(), pred.ptr, labels.ptr, loss.gradPtr(), rows, cols, EPSILON));
}

/** Sparse categorical cross-entropy from logits, fused with softmax. Returns the loss and the probabilities. */
export function sparseSoftmaxCrossEntropy(logits: Tensor, labels: Tensor): { loss: Tensor; probs: Tensor } {
  const k = wasm();
  const [rows, cols] = checkLabels('sparseCategoricalCrossentropy', logits, labels);
  const loss = Tensor.empty([]);
  const probs = Tensor.empty(logits.shape);
  k.sparse_softmax_xent_forward_f32(loss.ptr, probs.ptr, logits.ptr, labels.ptr, rows, cols);
  loss.recordBackward([logits], () =>
    k.sparse_softmax_xent_backward_f32(logits.gradPtr(), probs.ptr, labels.ptr, loss.gradPtr(), rows, cols));
  return { loss, probs };
}
