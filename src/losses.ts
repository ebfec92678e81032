// The losses compile() accepts, by the names Keras and TF.js use. Like Keras, cross-entropy on the
// output of a softmax or sigmoid works from that op's input (the logits): the fused kernels are
// stable where log(softmax) is not, and their gradient is exact.
import { lookup } from './errors.js';
import {
  binaryCrossentropy, categoricalCrossentropy, hinge, huber, meanAbsoluteError, meanSquaredError, sigmoidCrossEntropy,
  softmaxCrossEntropy,
} from './ops/losses.js';
import type { Tensor } from './tensor.js';

/** A loss and the probabilities the metrics should read. */
export interface LossResult {
  loss: Tensor;
  pred: Tensor;
}

/** The losses by name. */
export const LOSSES = {
  meanSquaredError: (pred: Tensor, target: Tensor): LossResult => ({ loss: meanSquaredError(pred, target), pred }),
  meanAbsoluteError: (pred: Tensor, target: Tensor): LossResult => ({ loss: meanAbsoluteError(pred, target), pred }),
  huber: (pred: Tensor, target: Tensor): LossResult => ({ loss: huber(pred, target), pred }),
  hinge: (pred: Tensor, target: Tensor): LossResult => ({ loss: hinge(pred, target), pred }),
  categoricalCrossentropy: (pred: Tensor, target: Tensor): LossResult => {
    const from = pred.activationOf;
    if (from?.op === 'softmax') {
      const { loss, probs } = softmaxCrossEntropy(from.input, target);
      return { loss, pred: probs };
    }
    return { loss: categoricalCrossentropy(pred, target), pred };
  },
  binaryCrossentropy: (pred: Tensor, target: Tensor): LossResult => {
    const from = pred.activationOf;
    if (from?.op === 'sigmoid') {
      const { loss, probs } = sigmoidCrossEntropy(from.input, target);
      return { loss, pred: probs };
    }
    return { loss: binaryCrossentropy(pred, target), pred };
  },
};

/** Names accepted as compile()'s `loss`. */
export type LossName = keyof typeof LOSSES;

/** The loss called `name`; throws UNKNOWN_NAME listing the known ones. */
export function getLoss(name: unknown): (pred: Tensor, target: Tensor) => LossResult {
  return lookup('loss', LOSSES, name);
}
