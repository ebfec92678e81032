// L1/L2 weight penalties (kernelRegularizer / biasRegularizer), added to the loss fit minimizes and
// reports, as in Keras.
import { invalid } from './errors.js';
import { checkOptions, describe, numberOption } from './options.js';
import { Tensor } from './tensor.js';
import { wasm } from './wasm.js';

/** A penalty l1·Σ|w| + l2·Σw² on one weight tensor. */
export interface Regularizer {
  l1: number;
  l2: number;
}

const factor = (op: string, name: string, value: unknown): number => numberOption(op, name, value, 'a finite number >= 0', (v) => v >= 0);

// Keras' positional form regularizers.l2(0.01) is taken as the factor.
function make(name: 'l1' | 'l2' | 'l1l2', c: unknown): Regularizer {
  const op = `regularizers.${name}`;
  const keys = name === 'l1l2' ? ['l1', 'l2'] : [name];
  const o = typeof c === 'number' && name !== 'l1l2' ? { [name]: c } : checkOptions(op, c as Record<string, unknown> | undefined, keys);
  return { l1: name === 'l2' ? 0 : factor(op, 'l1', o.l1 ?? 0.01), l2: name === 'l1' ? 0 : factor(op, 'l2', o.l2 ?? 0.01) };
}

/** Regularizer constructors, as Keras' keras.regularizers (defaults 0.01). */
export const regularizers = {
  /** l1·Σ|w|: l1({ l1: 0.01 }) or l1(0.01). */
  l1: (c?: { l1?: number } | number): Regularizer => make('l1', c),
  /** l2·Σw²: l2({ l2: 0.01 }) or l2(0.01). */
  l2: (c?: { l2?: number } | number): Regularizer => make('l2', c),
  /** l1·Σ|w| + l2·Σw² */
  l1l2: (c?: { l1?: number; l2?: number }): Regularizer => make('l1l2', c),
};

/** Checks a regularizer given in a layer's options (or undefined). */
export function checkRegularizer(op: string, r: unknown): Regularizer | undefined {
  if (r === undefined) return undefined;
  if (r === null || typeof r !== 'object' || Array.isArray(r)) {
    throw invalid(`${op}: a regularizer is { l1, l2 } (see regularizers.l1, .l2, .l1l2), got ${describe(r)}`);
  }
  checkOptions(op, r, ['l1', 'l2'], 'a regularizer');
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
