// Feature scaling (scikit-learn's StandardScaler and MinMaxScaler, per feature = last axis) and
// splitting data into training and test sets. Statistics and scaling run in the module; a scaler's
// state is plain JSON, which model.save stores with the model when given (see io/model-io.ts).
import { booleanOption, checkOptions } from './options.js';
import { invalid, shapeError } from './errors.js';
import { Samples, type DataInput } from './samples.js';
import { Rng } from './random.js';
import { Tensor } from './tensor.js';
import { heap, wasm } from './wasm.js';

/** A scaler's learned state: transform is (x - center) / scale per feature. */
export interface ScalerState {
  kind: 'standardScaler' | 'minMaxScaler';
  center: number[];
  scale: number[];
  /** minMaxScaler's target range. */
  featureRange?: [number, number];
}

// The data as one arena tensor of [rows, features] (host data is copied in) and its feature count.
function asMatrix(op: string, x: DataInput, made: Tensor[]): { t: Tensor; features: number } {
  const s = Samples.of(op, 'x', x, made);
  const t = s.batch(0, s.n);
  made.push(t);
  return { t, features: s.sampleShape[s.sampleShape.length - 1] ?? 1 };
}

/** Scales each feature (the last axis) the way fit(x) learned; x·W-style models train better on it. */
export class Scaler {
  #state: ScalerState | null = null;

  constructor(readonly kind: ScalerState['kind'], private readonly featureRange: [number, number] = [0, 1]) {
    const [lo, hi] = Array.isArray(featureRange) && featureRange.length === 2 ? featureRange : [NaN, NaN];
    if (!(Number.isFinite(lo) && Number.isFinite(hi) && lo < hi)) {
      throw invalid(`${kind}: featureRange must be [min, max] with min < max, got ${JSON.stringify(featureRange)}`);
    }
  }

  /** Learns each feature's statistics from x ([n, ..., features]); returns this. */
  fit(x: DataInput): this {
    const made: Tensor[] = [];
    try {
      const { t, features } = asMatrix(`${this.kind}.fit`, x, made);
      const stats = Tensor.empty([2, features]);
      made.push(stats);
      const center = stats.ptr, scale = stats.ptr + features * 4, rows = t.size / features;
      if (this.kind === 'standardScaler') wasm().column_moments_f32(center, scale, t.ptr, rows, features);
      else wasm().column_min_max_f32(center, scale, t.ptr, rows, features, this.featureRange[0], this.featureRange[1]);
      const v = Array.from(stats.toArray());
      this.#state = { kind: this.kind, center: v.slice(0, features), scale: v.slice(features), ...(this.kind === 'minMaxScaler' ? { featureRange: this.featureRange } : {}) };
      return this;
    } finally {
      for (const m of made) m.dispose();
    }
  }

  /** x scaled, as a new tensor of x's shape (the caller disposes it). */
  transform(x: DataInput): Tensor {
    return this.#apply('transform', x, 0);
  }

  /** The inverse of transform(): values back in the original units. */
  inverseTransform(x: DataInput): Tensor {
    return this.#apply('inverseTransform', x, 1);
  }

  /** fit(x), then transform(x). */
  fitTransform(x: DataInput): Tensor {
    return this.fit(x).transform(x);
  }

  /** The learned state as plain JSON (for saving); throws if fit() has not run. */
  getState(): ScalerState {
    const s = this.#need('getState');
    return { ...s, center: s.center.slice(), scale: s.scale.slice() };
  }

  /** Restores a state from getState() (checked). */
  setState(state: ScalerState): this {
    const ok = state !== null && typeof state === 'object' && state.kind === this.kind && Array.isArray(state.center) && Array.isArray(state.scale)
      && state.center.length === state.scale.length && state.center.length > 0
      && state.center.every(Number.isFinite) && state.scale.every((v) => Number.isFinite(v) && v !== 0);
    if (!ok) throw invalid(`${this.kind}.setState: expected { kind: '${this.kind}', center, scale } with as many finite values in each (scale nonzero)`);
    this.#state = { ...state, center: state.center.slice(), scale: state.scale.slice() };
    return this;
  }

  #need(op: string): ScalerState {
    if (!this.#state) throw invalid(`${this.kind}.${op}: call fit(x) first`);
    return this.#state;
  }

  #apply(op: string, x: DataInput, inverse: 0 | 1): Tensor {
    const state = this.#need(op);
    const made: Tensor[] = [];
    try {
      const { t, features } = asMatrix(`${this.kind}.${op}`, x, made);
      if (features !== state.center.length) {
        throw shapeError(`${this.kind}.${op}: x has ${features} features (its last axis), the scaler was fit on ${state.center.length}`);
      }
      const stats = Tensor.empty([2, features]);
      made.push(stats);
      new Float32Array(heap().memory.buffer, stats.ptr, 2 * features).set([...state.center, ...state.scale]);
      const out = Tensor.empty(x instanceof Tensor ? x.shape : t.shape);
      wasm().column_scale_f32(out.ptr, t.ptr, stats.ptr, stats.ptr + features * 4, t.size / features, features, inverse);
      return out;
    } finally {
      for (const m of made) if (m !== x) m.dispose();
    }
  }
}

/** A scaler from a saved state (getState()). */
export function scalerFromState(state: ScalerState): Scaler {
  const kind = state?.kind;
  if (kind !== 'standardScaler' && kind !== 'minMaxScaler') throw invalid(`scaler state: kind must be 'standardScaler' or 'minMaxScaler', got ${JSON.stringify(kind)}`);
  return new Scaler(kind, state.featureRange ?? [0, 1]).setState(state);
}

/** Scalers, as scikit-learn's: fit(x), transform(x), inverseTransform(x), getState(). */
export const preprocessing = {
  /** (x - mean) / std per feature (population std; a constant feature is only centered). */
  standardScaler: (): Scaler => new Scaler('standardScaler'),
  /** Maps each feature's [min, max] onto featureRange (default [0, 1]). */
  minMaxScaler: (options?: { featureRange?: [number, number] }): Scaler =>
    new Scaler('minMaxScaler', checkOptions('preprocessing.minMaxScaler', options, ['featureRange']).featureRange),
  /** A scaler from getState()'s result. */
  fromState: scalerFromState,
};

/** The four parts trainTestSplit returns, as tensors the caller disposes. */
export interface TrainTestSplit {
  xTrain: Tensor;
  xTest: Tensor;
  yTrain: Tensor;
  yTest: Tensor;
}

/**
 * Shuffles the samples (seeded) and splits x and y into training and test sets; testSize is a
 * fraction in (0, 1) (the test set gets ⌈testSize·n⌉ samples, as scikit-learn) or a sample count.
 */
export function trainTestSplit(x: DataInput, y: DataInput, splitOptions?: { testSize?: number; seed?: number; shuffle?: boolean }): TrainTestSplit {
  const options = checkOptions('trainTestSplit', splitOptions, ['testSize', 'seed', 'shuffle']);
  const made: Tensor[] = [];
  let rng: Rng | null = null, idx = 0, idxBytes = 0;
  const parts: Tensor[] = [];
  try {
    const X = Samples.of('trainTestSplit', 'x', x, made), Y = Samples.of('trainTestSplit', 'y', y, made);
    if (X.n !== Y.n) throw shapeError(`trainTestSplit: x has ${X.n} samples but y has ${Y.n}; they must match`);
    const n = X.n, size = options.testSize ?? 0.25;
    const nTest = size > 0 && size < 1 ? Math.ceil(size * n) : size;
    if (!Number.isInteger(nTest) || nTest < 1 || nTest >= n) {
      throw invalid(`trainTestSplit: testSize ${size} of ${n} samples gives ${nTest} test samples; it must leave at least one for each set`);
    }
    idxBytes = n * 4;
    idx = heap().alloc(idxBytes);
    new Int32Array(heap().memory.buffer, idx, n).forEach((_, i, a) => { a[i] = i; });
    if (options.shuffle === undefined || booleanOption('trainTestSplit', 'shuffle', options.shuffle)) {
      rng = new Rng(options.seed ?? 0);
      rng.shuffle(idx, n);
    }
    const take = (s: Samples, first: number, count: number) => {
      const t = Tensor.empty([count, ...s.sampleShape]);
      parts.push(t);
      s.gather(t, idx + first * 4, count);
      return t;
    };
    const nTrain = n - nTest;
    return { xTrain: take(X, 0, nTrain), xTest: take(X, nTrain, nTest), yTrain: take(Y, 0, nTrain), yTest: take(Y, nTrain, nTest) };
  } catch (e) {
    for (const p of parts) p.dispose();
    throw e;
  } finally {
    if (idxBytes > 0) heap().free(idx, idxBytes);
    rng?.dispose();
    for (const m of made) m.dispose();
  }
}
