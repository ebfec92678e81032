// add, sub, mul and the full reductions sum and mean.
// add and sub broadcast b over the rows of a when b's shape is a trailing part of a's (a bias
// [units] over [batch, units], or a scalar over anything); mul takes equal shapes.
import { WasmgradError, fmtShape, shapeError } from '../errors.js';
import { Tensor } from '../tensor.js';
import { compute } from '../trace.js';
import { wasm } from '../wasm.js';

/** a + b, elementwise; b may broadcast over the leading dimensions of a. */
export function add(a: Tensor, b: Tensor): Tensor {
  return addScaled('add', a, b, 1);
}

/** a - b, elementwise; b may broadcast over the leading dimensions of a. */
export function sub(a: Tensor, b: Tensor): Tensor {
  return addScaled('sub', a, b, -1);
}

function addScaled(op: string, a: Tensor, b: Tensor, alpha: 1 | -1): Tensor {
  const cols = broadcastCols(op, a, b);
  const out = Tensor.empty(a.shape);
  compute(() => {
    const k = wasm();
    if (cols === a.size) {
      if (alpha === 1) k.add_forward_f32(out.ptr, a.ptr, b.ptr, a.size);
      else k.sub_forward_f32(out.ptr, a.ptr, b.ptr, a.size);
    } else {
      k.add_rows_forward_f32(out.ptr, a.ptr, b.ptr, a.size / cols, cols, alpha);
    }
  });
  return out.recordBackward([a, b], () => {
    const k = wasm();
    if (a.requiresGrad) k.axpy_f32(a.gradPtr(), out.gradPtr(), a.size, 1);
    if (b.requiresGrad) {
      if (cols === a.size) k.axpy_f32(b.gradPtr(), out.gradPtr(), a.size, alpha);
      else k.colsum_backward_f32(b.gradPtr(), out.gradPtr(), a.size / cols, cols, alpha);
    }
  });
}

// How many columns b spans when broadcast over a's rows: b's shape must end a's shape.
function broadcastCols(op: string, a: Tensor, b: Tensor): number {
  const as = a.shape, bs = b.shape;
  const trailing = bs.length <= as.length && bs.every((d, i) => d === as[as.length - bs.length + i]);
  if (!trailing && !(b.size === 1 && bs.every((d) => d === 1))) {
    throw shapeError(`${op}: b's shape ${fmtShape(bs)} must equal a's shape ${fmtShape(as)} or its trailing dimensions`);
  }
  return b.size;
}

/** a * b, elementwise, for equal shapes. */
export function mul(a: Tensor, b: Tensor): Tensor {
  if (a.shape.length !== b.shape.length || a.shape.some((d, i) => d !== b.shape[i])) {
    throw shapeError(`mul: a ${fmtShape(a.shape)} and b ${fmtShape(b.shape)} must have the same shape`);
  }
  const out = Tensor.empty(a.shape);
  compute(() => wasm().mul_forward_f32(out.ptr, a.ptr, b.ptr, a.size));
  return out.recordBackward([a, b], () => {
    const k = wasm();
    if (a.requiresGrad) k.mul_backward_f32(a.gradPtr(), out.gradPtr(), b.ptr, a.size);
    if (b.requiresGrad) k.mul_backward_f32(b.gradPtr(), out.gradPtr(), a.ptr, a.size);
  });
}

/** alpha · x, elementwise, for a number alpha. */
export function scale(x: Tensor, alpha: number): Tensor {
  const out = Tensor.empty(x.shape);
  compute(() => wasm().scale_forward_f32(out.ptr, x.ptr, x.size, alpha));
  return out.recordBackward([x], () => wasm().axpy_f32(x.gradPtr(), out.gradPtr(), x.size, alpha));
}

/** The sum of all elements, as a scalar tensor. */
export function sum(x: Tensor): Tensor {
  return reduce(x, 1);
}

/** The mean of all elements, as a scalar tensor. */
export function mean(x: Tensor): Tensor {
  if (x.size === 0) throw new WasmgradError('EMPTY_INPUT', 'mean: x has no elements');
  return reduce(x, 1 / x.size);
}

function reduce(x: Tensor, alpha: number): Tensor {
  const out = Tensor.empty([]);
  compute(() => {
    const k = wasm();
    k.sum_forward_f32(out.ptr, x.ptr, x.size);
    if (alpha !== 1) k.scale_forward_f32(out.ptr, out.ptr, 1, alpha);
  });
  return out.recordBackward([x], () => wasm().sum_backward_f32(x.gradPtr(), out.gradPtr(), x.size, alpha));
}

/** max(a, b), elementwise, for equal shapes; the gradient goes to a where a >= b, else to b (as TensorFlow). */
export function maximum(a: Tensor, b: Tensor): Tensor {
  return minmax('maximum', a, b, 1);
}

/** min(a, b), elementwise, for equal shapes; the gradient goes to a where a <= b, else to b (as TensorFlow). */
export function minimum(a: Tensor, b: Tensor): Tensor {
  return minmax('minimum', a, b, 0);
}

function minmax(op: string, a: Tensor, b: Tensor, isMax: 0 | 1): Tensor {
  if (a.shape.length !== b.shape.length || a.shape.some((d, i) => d !== b.shape[i])) {
    throw shapeError(`${op}: a ${fmtShape(a.shape)} and b ${fmtShape(b.shape)} must have the same shape`);
  }
  const out = Tensor.empty(a.shape);
  compute(() => wasm().minmax_forward_f32(out.ptr, a.ptr, b.ptr, a.size, isMax));
  return out.recordBackward([a, b], () =>
    wasm().minmax_backward_f32(a.requiresGrad ? a.gradPtr() : 0, b.requiresGrad ? b.gradPtr() : 0, a.ptr, b.ptr, out.gradPtr(), a.size, isMax));
}
