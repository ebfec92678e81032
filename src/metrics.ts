// Metrics compile() accepts, and confusionMatrix. Each metric adds a batch's counts to a small
// accumulator (counting runs in the module) and turns the epoch's counts into a number; the host
// only adds and divides. The kind of classification is chosen from the loss and output width the
// way Keras does: sparse for sparse categorical cross-entropy, binary (threshold 0.5) for binary
// cross-entropy or a single output, categorical (argmax) otherwise. precision, recall and f1 are
// of the positive class for binary outputs and macro-averaged over classes otherwise.
import { WasmgradError, fmtShape, lookup, invalid, shapeError } from './errors.js';
import type { LossName } from './losses.js';
import { Tensor, tidy } from './tensor.js';
import { Samples, type DataInput } from './samples.js';
import { describe } from './options.js';
import { heap, wasm } from './wasm.js';

/** A metric: per batch it adds counts to `acc` (`slots` numbers); result() turns them into the value. */
export interface Metric {
  name: string;
  slots: number;
  update(acc: Float64Array, pred: Tensor, target: Tensor): void;
  result(acc: Float64Array): number;
}

type Kind = 'binary' | 'categorical' | 'sparse';
const LABEL = 0, ARGMAX = 1, THRESHOLD = 2;

// Confusion counts [true][predicted] (classes²) of rows of pred and target, each read as labels,
// argmax or threshold (the kinds of assembly/metrics.ts).
function countConfusion(pred: Tensor, predCols: number, predKind: number, target: Tensor, targetCols: number, targetKind: number, rows: number, classes: number): Int32Array {
  const bytes = classes * classes * 4, counts = heap().alloc(bytes);
  try {
    new Int32Array(heap().memory.buffer, counts, classes * classes).fill(0);
    wasm().confusion_add_i32(counts, pred.ptr, predCols, predKind, target.ptr, targetCols, targetKind, rows, classes);
    return new Int32Array(heap().memory.buffer, counts, classes * classes).slice();
  } finally {
    heap().free(counts, bytes);
  }
}

// Adds a batch's confusion counts to acc.
function addConfusion(acc: Float64Array, pred: Tensor, target: Tensor, kind: Kind, classes: number): void {
  const cols = pred.shape[pred.shape.length - 1] ?? 1;
  const counts = kind === 'binary' ? countConfusion(pred, 1, THRESHOLD, target, 1, THRESHOLD, pred.size, 2)
    : countConfusion(pred, cols, ARGMAX, target, kind === 'sparse' ? 1 : cols, kind === 'sparse' ? LABEL : ARGMAX, pred.size / cols, classes);
  counts.forEach((v, i) => { acc[i]! += v; });
}

// Per-class precision, recall and F1 from a [true][predicted] count matrix (0 where undefined, as scikit-learn).
function perClass(acc: Float64Array, classes: number, c: number): { p: number; r: number; f: number } {
  let predicted = 0, actual = 0;
  for (let i = 0; i < classes; i++) {
    predicted += acc[i * classes + c]!;
    actual += acc[c * classes + i]!;
  }
  const tp = acc[c * classes + c]!;
  const p = predicted > 0 ? tp / predicted : 0, r = actual > 0 ? tp / actual : 0;
  return { p, r, f: p + r > 0 ? 2 * p * r / (p + r) : 0 };
}

function classMetric(name: string, pick: 'p' | 'r' | 'f', kind: Kind, units: number): Metric {
  const classes = kind === 'binary' ? 2 : units;
  return {
    name,
    slots: classes * classes,
    update: (acc, pred, target) => addConfusion(acc, pred, target, kind, classes),
    result: (acc) => {
      if (kind === 'binary') return perClass(acc, 2, 1)[pick];
      let s = 0;
      for (let c = 0; c < classes; c++) s += perClass(acc, classes, c)[pick];
      return s / classes;
    },
  };
}

function accuracy(kind: Kind, units: number): Metric {
  const k = wasm();
  return {
    name: 'accuracy',
    slots: 2,
    update: (acc, pred, target) => {
      const cols = pred.shape[pred.shape.length - 1] ?? 1;
      acc[0]! += kind === 'binary' ? k.binary_match_count_f32(pred.ptr, target.ptr, pred.size, 0.5)
        : kind === 'sparse' ? k.sparse_match_count_f32(pred.ptr, target.ptr, pred.size / cols, cols)
          : k.argmax_match_count_f32(pred.ptr, target.ptr, pred.size / cols, cols);
      acc[1]! += kind === 'binary' ? pred.size : pred.size / units;
    },
    result: (acc) => acc[0]! / acc[1]!,
  };
}

function errorMetric(name: string, power: 1 | 2, kind: Kind): Metric {
  if (kind === 'sparse') {
    throw invalid(`metric '${name}' compares outputs with targets of the same shape; sparseCategoricalCrossentropy's targets are labels`);
  }
  return {
    name,
    slots: 2,
    update: (acc, pred, target) => {
      acc[0]! += wasm().error_sum_f32(pred.ptr, target.ptr, pred.size, power);
      acc[1]! += pred.size;
    },
    result: (acc) => acc[0]! / acc[1]!,
  };
}

const METRICS = {
  accuracy: (kind: Kind, units: number) => accuracy(kind, units),
  precision: (kind: Kind, units: number) => classMetric('precision', 'p', kind, units),
  recall: (kind: Kind, units: number) => classMetric('recall', 'r', kind, units),
  f1: (kind: Kind, units: number) => classMetric('f1', 'f', kind, units),
  mae: (kind: Kind) => errorMetric('mae', 1, kind),
  mse: (kind: Kind) => errorMetric('mse', 2, kind),
};

/** Names accepted in compile()'s `metrics`. */
export type MetricName = keyof typeof METRICS;

/** The metric called `name` for this loss and output width. */
export function getMetric(name: unknown, loss: LossName, units: number): Metric {
  const kind: Kind = loss === 'sparseCategoricalCrossentropy' ? 'sparse'
    : loss === 'binaryCrossentropy' || units === 1 ? 'binary' : 'categorical';
  return lookup('metric', METRICS, name)(kind, units);
}

/** Checks a metric name without building it. */
export function checkMetricName(name: unknown): void {
  lookup('metric', METRICS, name);
}

/** The names of the metrics compile() knows. */
export const METRIC_NAMES = Object.keys(METRICS) as MetricName[];

/**
 * The confusion matrix: counts[t][p] of samples whose true class is t and predicted class p. Each of
 * yTrue and yPred is integer labels ([n] or [n, 1]), one probability column ([n] or [n, 1] with
 * values in [0, 1], not all 0 or 1: class 1 at >= 0.5, as the binary metrics) or scores / one-hot
 * rows ([n, classes], argmax taken). `numClasses` defaults to the width of the score rows, or the
 * largest label + 1 (2 with a probability column).
 */
export function confusionMatrix(yTrue: DataInput, yPred: DataInput, numClasses?: number): number[][] {
  return tidy(() => {
    const made: Tensor[] = []; // nested arrays made into tensors: tidy disposes them
    const [t, p] = ([['yTrue', yTrue], ['yPred', yPred]] as const).map(([name, v]) => {
      const s = Samples.of('confusionMatrix', name, v, made);
      return s.batch(0, s.n);
    }) as [Tensor, Tensor];
    if (t.shape[0] !== p.shape[0]) {
      throw shapeError(`confusionMatrix: yTrue has ${t.shape[0]} samples but yPred has ${p.shape[0]}; they must match`);
    }
    const cols = (x: Tensor) => x.size / x.shape[0]!;
    // One column of values in [0, 1] that are not all 0 or 1 is a probability, thresholded at 0.5.
    const isProbability = (x: Tensor) => {
      const v = x.toArray();
      return v.every((e) => e >= 0 && e <= 1) && v.some((e) => e > 0 && e < 1);
    };
    const kind = (x: Tensor) => (cols(x) > 1 ? ARGMAX : isProbability(x) ? THRESHOLD : LABEL);
    const kt = kind(t), kp = kind(p);
    const maxLabel = (x: Tensor, k: number) => (k === THRESHOLD ? 1 : Math.floor(x.toArray().reduce((m, v) => Math.max(m, v), 0)));
    const classes = numClasses ?? Math.max(kt === ARGMAX ? cols(t) : maxLabel(t, kt) + 1, kp === ARGMAX ? cols(p) : maxLabel(p, kp) + 1);
    if (!Number.isInteger(classes) || classes < 1) throw invalid(`confusionMatrix: numClasses must be a positive integer, got ${describe(classes)}`);
    for (const [name, x, k] of [['yTrue', t, kt], ['yPred', p, kp]] as const) {
      if (k === THRESHOLD) {
        if (classes !== 2) throw shapeError(`confusionMatrix: ${name} is one probability column (two classes), but numClasses is ${classes}`);
      } else if (k === LABEL) {
        const bad = wasm().label_check_f32(x.ptr, x.size, classes);
        if (bad >= 0) throw new WasmgradError('INVALID_LABEL', `confusionMatrix: ${name}[${bad}] is ${x.toArray()[bad]}; labels must be integers in [0, ${classes})`);
      } else if (cols(x) !== classes) {
        throw shapeError(`confusionMatrix: ${name} rows must have ${classes} scores (numClasses), got shape ${fmtShape(x.shape)}`);
      }
    }
    const view = countConfusion(p, cols(p), kp, t, cols(t), kt, t.shape[0]!, classes);
    return Array.from({ length: classes }, (_, r) => Array.from(view.subarray(r * classes, (r + 1) * classes)));
  });
}

/** Metric helpers. */
export const metrics = { confusionMatrix };
