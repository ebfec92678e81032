// Turning what users pass to fit/evaluate/predict into tensors, and small data helpers.
import { WasmgradError, fmtShape } from './errors.js';
import { Tensor, tensor, tidy, type NestedArray } from './tensor.js';
import { readIdx } from './idx.js';
import { loadMnist, toUnit } from './mnist.js';
import { trainTestSplit } from './preprocessing.js';
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

// Host data is checked and fed in chunks of at most this many bytes.
const CHUNK_BYTES = 1 << 20;

/**
 * Samples fit, evaluate and predict read: a tensor in the arena, or `{ data, shape }` left in host
 * memory and copied into the arena one batch at a time (so the data may be larger than the arena).
 */
export class Samples {
  private constructor(
    /** Number of samples. */
    readonly n: number,
    /** Shape of one sample. */
    readonly sampleShape: number[],
    private readonly tensor: Tensor | null,
    private readonly host: Float32Array | null,
    private readonly first: number,
  ) {}

  /** Values per sample. */
  get cols(): number {
    return this.sampleShape.reduce((a, b) => a * b, 1);
  }

  /** `value` as checked samples: non-empty and finite. Tensors made from nested arrays go to `made`. */
  static of(op: string, name: string, value: DataInput, made: Tensor[]): Samples {
    if (value !== null && typeof value === 'object' && !(value instanceof Tensor) && !Array.isArray(value) && 'data' in value && 'shape' in value) {
      const shape = Array.isArray(value.shape) ? value.shape.slice() : [];
      const size = shape.reduce((a, b) => a * b, 1);
      if (shape.length === 0 || shape.some((d) => !Number.isInteger(d) || d < 0) || value.data?.length !== size) {
        throw new WasmgradError('SHAPE_MISMATCH', `${op}: ${name}.shape must be non-negative integers whose product is data.length (${value.data?.length}), got ${JSON.stringify(value.shape)}`);
      }
      const data = value.data instanceof Float32Array ? value.data : Float32Array.from(value.data);
      const s = new Samples(shape[0]!, shape.slice(1), null, data, 0);
      s.checkNonEmpty(op, name);
      s.scan((t, row) => {
        const bad = wasm().nonfinite_index_f32(t.ptr, t.size);
        if (bad >= 0) s.nonFinite(op, name, row * s.cols + bad, t.toArray()[bad]!);
      });
      return s;
    }
    const t = toSamples(op, name, value, made);
    return new Samples(t.shape[0]!, t.shape.slice(1), t, null, 0);
  }

  /** The same samples seen with another sample shape of the same size. */
  reshaped(sampleShape: number[]): Samples {
    return new Samples(this.n, sampleShape, this.tensor, this.host, this.first);
  }

  /** Samples [start, start + count), without a copy. */
  rows(start: number, count: number): Samples {
    return new Samples(count, this.sampleShape, this.tensor, this.host, this.first + start);
  }

  /** Copies samples idx[0 .. size) (i32 sample numbers at byte address idx) into dst. */
  gather(dst: Tensor, idx: number, size: number): void {
    const cols = this.cols;
    if (this.tensor) {
      wasm().gather_rows_f32(dst.ptr, this.tensor.ptr + this.first * cols * 4, idx, size, cols);
      return;
    }
    const buffer = heap().memory.buffer;
    const rows = new Int32Array(buffer, idx, size), out = new Float32Array(buffer, dst.ptr, size * cols);
    for (let r = 0; r < size; r++) {
      const at = (this.first + rows[r]!) * cols;
      out.set(this.host!.subarray(at, at + cols), r * cols);
    }
  }

  /** Samples [start, start + size) as a tensor: a view of the arena, or a copy of host data. */
  batch(start: number, size: number): Tensor {
    const shape = [size, ...this.sampleShape], cols = this.cols;
    if (this.tensor) return Tensor.view(this.tensor.ptr + (this.first + start) * cols * 4, shape);
    const t = Tensor.empty(shape);
    const at = (this.first + start) * cols;
    new Float32Array(heap().memory.buffer, t.ptr, size * cols).set(this.host!.subarray(at, at + size * cols));
    return t;
  }

  /** Calls fn on all samples, in chunks in the arena, with the number of each chunk's first sample. */
  scan(fn: (t: Tensor, firstSample: number) => void): void {
    const per = Math.max(1, Math.floor(CHUNK_BYTES / (this.cols * 4)));
    for (let start = 0; start < this.n; start += per) {
      tidy(() => fn(this.batch(start, Math.min(per, this.n - start)), start));
    }
  }

  private checkNonEmpty(op: string, name: string): void {
    if (this.n === 0 || this.cols === 0) throw new WasmgradError('EMPTY_INPUT', `${op}: ${name} has no samples (shape ${fmtShape([this.n, ...this.sampleShape])})`);
  }

  private nonFinite(op: string, name: string, at: number, value: number): never {
    throw new WasmgradError('NON_FINITE', `${op}: ${name} holds ${value} at sample ${Math.floor(at / this.cols)}, element ${at % this.cols}; every value must be finite`);
  }
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

/** Data helpers: one-hot labels, IDX files, MNIST, bytes to [0, 1], train/test split. */
export const data = { oneHot, readIdx, loadMnist, toUnit, trainTestSplit };
