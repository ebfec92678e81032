// L1/L2 weight penalties (kernelRegularizer / biasRegularizer), added to the loss fit minimizes and
// reports, as in Keras.
import { invalid } from './errors.js';
import { Tensor } from './tensor.js';
import { wasm } from './wasm.js';

/** A penalty l1·Σ|w| + l2·Σw² on one weight tensor. */
export interface Regularizer {
  l1: number;
  l2: number;
}

function factor(op: string, name: string, value: unknown): number {
  if (!(typeof value === 'number' && Number.isFinite(value) && value >= 0)) {
    throw invalid(`${op}: ${name} must be a finite number >= 0, got ${value}`);
  }
  return value;
}

/** Regularizer constructors, as Keras' keras.regularizers (defaults 0.01). */
export const regularizers = {
  /** l1·Σ|w| */
  l1: (c: { l1?: number } = {}): Regularizer => ({ l1: factor('regularizers.l1', 'l1', c.l1 ?? 0.01), l2: 0 }),
  /** l2·Σw² */
  l2: (c: { l2?: number } = {}): Regularizer => ({ l1: 0, l2: factor('regularizers.l2', 'l2', c.l2 ?? 0.01) }),
  /** l1·Σ|w| + l2·Σw² */
  l1l2: (c: { l1?: number; l2?: number } = {}): Regularizer =>
    ({ l1: factor('regularizers.l1l2', 'l1', c.l1 ?? 0.01), l2: factor('regularizers.l1l2', 'l2', c.l2 ?? 0.01) }),
};

/** Checks a regularizer given in a layer's options (or undefined). */
export function checkRegularizer(op: string, r: unknown): Regularizer | undefined {
  if (r === undefined) return undefined;
  if (r === null || typeof r !== 'object' || Object.keys(r).some((k) => k !== 'l1' && k !== 'l2')) {
    throw invalid(`${op}: a regularizer is { l1, l2 } (see regularizers.l1, .l2, .l1l2), got ${JSON.stringify(r)}`);
  }
  const { l1 = 0, l2 = 0 } = r as Partial<Regularizer>;
  return { l1: factor(op, 'l1', l1), l2: factor(op, 'l2', l2) };
}

/** The penalty of w as a scalar tensor whose gradient reaches w. */
export function penalty(w: Tensor, r: Regularizer): Tensor {
  const k = wasm();
  const out = Tensor.empty([]);
  k.l1l2_forward_f32(out.ptr, w.ptr, w.size, r.l1, r.l2);
  return out.recordBackward([w], () => k.l1l2_backward_f32(w.gradPtr(), w.ptr, out.gradPtr(), w.size, r.l1, r.l2));
}
