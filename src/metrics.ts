// Metrics compile() accepts. 'accuracy' is chosen from the loss and output width the way TF.js
// does: sparse for sparse categorical cross-entropy, binary (threshold 0.5) for binary cross-entropy or
// a single output, categorical (argmax) otherwise. Counting runs in the module; the host only divides.
import { lookup } from './errors.js';
import type { LossName } from './losses.js';
import type { Tensor } from './tensor.js';
import { wasm } from './wasm.js';

/** Counts the correct predictions of a batch: (pred, target) → number correct, out of `total`. */
export interface Metric {
  name: string;
  count(pred: Tensor, target: Tensor): number;
  /** How many predictions a batch of `rows` samples of `cols` outputs holds. */
  total(rows: number, cols: number): number;
}

function binaryAccuracy(name: string): Metric {
  return {
    name,
    count: (pred, target) => wasm().binary_match_count_f32(pred.ptr, target.ptr, pred.size, 0.5),
    total: (rows, cols) => rows * cols,
  };
}

function categoricalAccuracy(name: string): Metric {
  return {
    name,
    count: (pred, target) => {
      const cols = pred.shape[pred.shape.length - 1]!;
      return wasm().argmax_match_count_f32(pred.ptr, target.ptr, pred.size / cols, cols);
    },
    total: (rows) => rows,
  };
}

function sparseAccuracy(name: string): Metric {
  return {
    name,
    count: (pred, labels) => {
      const cols = pred.shape[pred.shape.length - 1]!;
      return wasm().sparse_match_count_f32(pred.ptr, labels.ptr, pred.size / cols, cols);
    },
    total: (rows) => rows,
  };
}

const METRICS = {
  accuracy: (loss: LossName, units: number): Metric =>
    loss === 'sparseCategoricalCrossentropy' ? sparseAccuracy('accuracy')
      : loss === 'binaryCrossentropy' || units === 1 ? binaryAccuracy('accuracy') : categoricalAccuracy('accuracy'),
};

/** Names accepted in compile()'s `metrics`. */
export type MetricName = keyof typeof METRICS;

/** The metric called `name` for this loss and output width. */
export function getMetric(name: unknown, loss: LossName, units: number): Metric {
  return lookup('metric', METRICS, name)(loss, units);
}

/** Checks a metric name without building it. */
export function checkMetricName(name: unknown): void {
  lookup('metric', METRICS, name);
}
