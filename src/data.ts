// Small data helpers: one-hot labels, IDX files, MNIST, train/test split (the `data` namespace).
import { invalid } from './errors.js';
import { tensor, type Tensor } from './tensor.js';
import { readIdx } from './idx.js';
import { loadMnist, toUnit } from './mnist.js';
import { trainTestSplit } from './preprocessing.js';
import { drawImageGrid, imageGrid } from './images.js';
export type { DataInput } from './samples.js';

/** One-hot rows: labels (integers in [0, depth)) → a [labels.length, depth] tensor. */
export function oneHot(labels: ArrayLike<number>, depth: number): Tensor {
  if (!Number.isInteger(depth) || depth <= 0) {
    throw invalid(`oneHot: depth must be a positive integer, got ${depth}`);
  }
  const out = new Float32Array(labels.length * depth);
  for (let i = 0; i < labels.length; i++) {
    const label = labels[i]!;
    if (!Number.isInteger(label) || label < 0 || label >= depth) {
      throw invalid(`oneHot: label ${i} is ${label}; expected an integer in [0, ${depth})`);
    }
    out[i * depth + label] = 1;
  }
  return tensor(out, [labels.length, depth]);
}

/** Data helpers: one-hot labels, IDX files, MNIST, bytes to [0, 1], train/test split, image grids (PNG, canvas). */
export const data = { oneHot, readIdx, loadMnist, toUnit, trainTestSplit, imageGrid, drawImageGrid };
