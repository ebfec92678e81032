// Turning what users pass to fit/evaluate/predict into tensors, and small data helpers.
import { WasmgradError, fmtShape } from './errors.js';
import { Tensor, tensor, type NestedArray } from './tensor.js';
import { readIdx } from './idx.js';
import { loadMnist, toUnit } from './mnist.js';
import { heap, wasm } from './wasm.js';

/** What fit, evaluate and predict accept as x or y: a Tensor, nested arrays, or flat data with a shape. */
export type DataInput = Tensor | NestedArray | { data: Float32Array | ArrayLike<number>; shape: readonly number[] };

/**
 * `value` as a tensor of samples (rows), checked to be non-empty and finite. Tensors made here are
 * pushed to `made` so the caller can dispose them; a Tensor passed in is used as it is.
 */
export function toSamples(op: string, name: string, value: DataInput, made: Tensor[]): Tensor {
  let t: Tensor;
  if (value instanceof Tensor) {
    t = value;
  } else if (Array.isArray(value)) {
    t = tensor(value as NestedArray);
    made.push(t);
  } else if (value !== null && typeof value === 'object' && 'data' in value && 'shape' in value) {
    const data = value.data instanceof Float32Array ? value.data : Float32Array.from(value.data);
    t = tensor(data, value.shape);
    made.push(t);
  } else {
    throw new WasmgradError('INVALID_ARGUMENT', `${op}: ${name} must be a Tensor, nested arrays or { data, shape }, got ${value === null ? 'null' : typeof value}`);
  }
  if (t.shape.length === 0 || t.shape[0] === 0 || t.size === 0) {
    throw new WasmgradError('EMPTY_INPUT', `${op}: ${name} has no samples (shape ${fmtShape(t.shape)})`);
  }
  const bad = wasm().nonfinite_index_f32(t.ptr, t.size);
  if (bad >= 0) {
    const cols = t.size / t.shape[0]!;
    const value = new Float32Array(heap().memory.buffer, t.ptr + bad * 4, 1)[0];
    throw new WasmgradError('NON_FINITE', `${op}: ${name} holds ${value} at sample ${Math.floor(bad / cols)}, element ${bad % cols}; every value must be finite`);
  }
  return t;
}

/** One-hot rows: labels (integers in [0, depth)) → a [labels.length, depth] tensor. */
export function oneHot(labels: ArrayLike<number>, depth: number): Tensor {
  if (!Number.isInteger(depth) || depth <= 0) {
    throw new WasmgradError('INVALID_ARGUMENT', `oneHot: depth must be a positive integer, got ${depth}`);
  }
  const out = new Float32Array(labels.length * depth);
  for (let i = 0; i < labels.length; i++) {
    const label = labels[i]!;
    if (!Number.isInteger(label) || label < 0 || label >= depth) {
      throw new WasmgradError('INVALID_ARGUMENT', `oneHot: label ${i} is ${label}; expected an integer in [0, ${depth})`);
    }
    out[i * depth + label] = 1;
  }
  return tensor(out, [labels.length, depth]);
}

/** Data helpers: one-hot labels, IDX files, MNIST, bytes to [0, 1]. */
export const data = { oneHot, readIdx, loadMnist, toUnit };
