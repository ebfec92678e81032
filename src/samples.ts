// Turning what users pass to fit, evaluate and predict (Tensors, nested arrays, { data, shape }) into
// checked samples that are copied into the arena one batch at a time.
import { WasmgradError, fmtShape, invalid, shapeError } from './errors.js';
import { describe } from './options.js';
import { Tensor, isNumericArray, tensor, tidy, type NestedArray, type NumericArray } from './tensor.js';
import { heap, wasm } from './wasm.js';

/** What fit, evaluate and predict accept as x or y: a Tensor, nested arrays, a typed array (one value per sample), or flat data with a shape. */
export type DataInput = Tensor | NestedArray | NumericArray | { data: NumericArray | ArrayLike<number>; shape: readonly number[] };

// Host data is checked and fed in chunks of at most this many bytes.
const CHUNK_BYTES = 1 << 20;
// Host data of at most this many values is checked in place rather than copied into the arena.
const SMALL = 1024;

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
    private readonly host: NumericArray | null,
    private readonly first: number,
  ) {}

  /** Values per sample. */
  get cols(): number {
    return this.sampleShape.reduce((a, b) => a * b, 1);
  }

  /** `value` as checked samples: non-empty and finite. Tensors made from nested arrays go to `made`. */
  static of(op: string, name: string, value: DataInput, made: Tensor[]): Samples {
    let shape: number[], t: Tensor | null = null, host: NumericArray | null = null;
    if (value instanceof Tensor) {
      t = value;
    } else if (Array.isArray(value)) {
      made.push(t = tensor(value as NestedArray));
    } else if (isNumericArray(value)) {
      shape = [value.length];
      host = value; // converted to float32 a batch at a time
    } else if (value !== null && typeof value === 'object' && 'data' in value && 'shape' in value) {
      shape = Array.isArray(value.shape) ? value.shape.slice() : [];
      if (shape.length === 0 || shape.some((d) => !Number.isInteger(d) || d < 0) || value.data?.length !== shape.reduce((a, b) => a * b, 1)) {
        throw shapeError(`${op}: ${name}.shape must be non-negative integers whose product is data.length (${value.data?.length}), got ${JSON.stringify(value.shape)}`);
      }
      host = isNumericArray(value.data) ? value.data : Float32Array.from(value.data);
    } else {
      throw invalid(`${op}: ${name} must be a Tensor, nested arrays, a typed array or { data, shape }, got ${describe(value)}`);
    }
    shape = t ? t.shape.slice() : shape!;
    const s = new Samples(shape[0] ?? 0, shape.slice(1), t, host, 0);
    if (s.n === 0 || s.cols === 0) throw new WasmgradError('EMPTY_INPUT', `${op}: ${name} has no samples (shape ${fmtShape(shape)})`);
    const at = s.#firstNonFinite();
    if (at >= 0) {
      const value = t ? new Float32Array(heap().memory.buffer, t.ptr, t.size)[at] : Math.fround(Number(host![at]));
      throw new WasmgradError('NON_FINITE', `${op}: ${name} holds ${value} at sample ${Math.floor(at / s.cols)}, element ${at % s.cols}; every value must be finite`);
    }
    return s;
  }

  // The flat index of the first value that is not finite as a float32, or -1: in place for a
  // tensor, host data copied into the arena a chunk at a time.
  #firstNonFinite(): number {
    const k = wasm(), cols = this.cols, total = this.n * cols, start = this.first * cols;
    if (this.tensor) return k.nonfinite_index_f32(this.tensor.ptr + start * 4, total);
    if (total <= SMALL) { // a small batch (trainOnBatch's): read where it is
      const host = this.host!;
      for (let i = 0; i < total; i++) if (!Number.isFinite(Math.fround(host[start + i]!))) return i;
      return -1;
    }
    const arena = heap(), chunk = Math.min(total, CHUNK_BYTES / 4), ptr = arena.alloc(chunk * 4);
    try {
      for (let at = 0; at < total; at += chunk) {
        const count = Math.min(chunk, total - at);
        new Float32Array(arena.memory.buffer, ptr, count).set(this.host!.subarray(start + at, start + at + count));
        const bad = k.nonfinite_index_f32(ptr, count);
        if (bad >= 0) return at + bad;
      }
      return -1;
    } finally {
      arena.free(ptr, chunk * 4);
    }
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

  /** Copies samples [start, start + dst.shape[0]) into dst, a tensor of this sample shape. */
  copyInto(dst: Tensor, start: number): void {
    const count = dst.size, at = (this.first + start) * this.cols;
    if (this.tensor) {
      const from = this.tensor.ptr + at * 4;
      new Uint8Array(heap().memory.buffer).copyWithin(dst.ptr, from, from + count * 4);
    } else {
      new Float32Array(heap().memory.buffer, dst.ptr, count).set(this.host!.subarray(at, at + count));
    }
  }

  /** Calls fn on all samples, in chunks in the arena, with the number of each chunk's first sample. */
  scan(fn: (t: Tensor, firstSample: number) => void): void {
    const per = Math.max(1, Math.floor(CHUNK_BYTES / (this.cols * 4)));
    for (let start = 0; start < this.n; start += per) {
      tidy(() => fn(this.batch(start, Math.min(per, this.n - start)), start));
    }
  }
}

