// The losses compile() accepts, by the names Keras and TF.js use. Like Keras, cross-entropy on the
// output of a softmax or sigmoid works from that op's input (the logits): the fused kernels are
// stable where log(softmax) is not, and their gradient is exact. `fromLogits: true` says the model's
// output already is logits.
import { WasmgradError, lookup, invalid } from './errors.js';
import { checkOptions, describe } from './options.js';
import {
  binaryCrossentropy, categoricalCrossentropy, hinge, huber, meanAbsoluteError, meanSquaredError, sigmoidCrossEntropy,
  softmaxCrossEntropy, sparseCategoricalCrossentropy, sparseSoftmaxCrossEntropy,
} from './ops/losses.js';
import type { Tensor } from './tensor.js';
import type { Samples } from './samples.js';
import { wasm } from './wasm.js';

/** A loss and the probabilities the metrics should read. */
export interface LossResult {
  loss: Tensor;
  pred: Tensor;
}

type Compute = (pred: Tensor, target: Tensor) => LossResult;

// Cross-entropy from logits when asked, or when the prediction came straight out of the matching op.
function logitsOr(op: 'softmax' | 'sigmoid', fused: (logits: Tensor, t: Tensor) => { loss: Tensor; probs: Tensor },
                  plain: (pred: Tensor, t: Tensor) => Tensor): (fromLogits: boolean) => Compute {
  return (fromLogits) => (pred, target) => {
    const logits = fromLogits ? pred : pred.activationOf?.op === op ? pred.activationOf.input : null;
    if (logits) {
      const { loss, probs } = fused(logits, target);
      return { loss, pred: probs };
    }
    return { loss: plain(pred, target), pred };
  };
}

const same = (compute: (pred: Tensor, target: Tensor) => Tensor) => (): Compute => (pred, target) => ({ loss: compute(pred, target), pred });

/** The losses by name: each takes fromLogits and gives the function of (prediction, target). */
export const LOSSES = {
  meanSquaredError: same(meanSquaredError),
  meanAbsoluteError: same(meanAbsoluteError),
  huber: same((p, t) => huber(p, t)),
  hinge: same(hinge),
  categoricalCrossentropy: logitsOr('softmax', softmaxCrossEntropy, categoricalCrossentropy),
  binaryCrossentropy: logitsOr('sigmoid', sigmoidCrossEntropy, binaryCrossentropy),
  sparseCategoricalCrossentropy: logitsOr('softmax', sparseSoftmaxCrossEntropy, sparseCategoricalCrossentropy),
};

/** Names accepted as compile()'s `loss`. */
export type LossName = keyof typeof LOSSES;

/** A loss with options, as losses.categoricalCrossentropy({ fromLogits: true }) makes it. */
export interface LossConfig {
  name: LossName;
  fromLogits?: boolean;
}

/** What compile() accepts as `loss`: a name or a configured loss. */
export type LossSpec = LossName | LossConfig;

const CROSS_ENTROPIES = ['categoricalCrossentropy', 'binaryCrossentropy', 'sparseCategoricalCrossentropy'];

/** Configured losses, as in Keras' keras.losses. */
export const losses = {
  /** Categorical cross-entropy on one-hot targets; fromLogits: the model outputs logits. */
  categoricalCrossentropy: (options?: { fromLogits?: boolean }): LossConfig => configured('categoricalCrossentropy', options),
  /** Binary cross-entropy on 0/1 targets; fromLogits: the model outputs logits. */
  binaryCrossentropy: (options?: { fromLogits?: boolean }): LossConfig => configured('binaryCrossentropy', options),
  /** Categorical cross-entropy on integer class labels; fromLogits: the model outputs logits. */
  sparseCategoricalCrossentropy: (options?: { fromLogits?: boolean }): LossConfig => configured('sparseCategoricalCrossentropy', options),
};

// A cross-entropy's config from its checked options.
function configured(name: LossConfig['name'], options: { fromLogits?: boolean } | undefined): LossConfig {
  const { fromLogits = false } = checkOptions(`losses.${name}`, options, ['fromLogits']);
  if (typeof fromLogits !== 'boolean') throw invalid(`losses.${name}: fromLogits must be a boolean, got ${describe(fromLogits)}`);
  return { name, fromLogits };
}

/** A resolved loss: its name, options, computation and what targets it takes. */
export interface Loss {
  name: LossName;
  fromLogits: boolean;
  compute: Compute;
  /** The shape of one target sample for an output sample shape. */
  targetShape(output: readonly number[]): number[];
  /** Throws if the targets hold values the loss cannot take (out-of-range labels), before training starts. */
  checkTargets(op: string, targets: Samples, output: readonly number[]): void;
  /** Whether targets are class labels that checkTargets checks (false: any finite targets of targetShape will do). */
  labels: boolean;
}

/** The loss a spec names; throws UNKNOWN_NAME or INVALID_ARGUMENT naming what is wrong. */
export function getLoss(spec: unknown): Loss {
  const config: LossConfig = typeof spec === 'string' ? { name: spec as LossName } : (spec as LossConfig);
  if (config === null || typeof config !== 'object') lookup('loss', LOSSES, spec);
  const make = lookup('loss', LOSSES, config.name);
  const fromLogits = config.fromLogits ?? false;
  if (typeof fromLogits !== 'boolean' || (fromLogits && !CROSS_ENTROPIES.includes(config.name))) {
    throw invalid(`loss ${config.name}: fromLogits must be a boolean, and applies to cross-entropies only`);
  }
  const sparse = config.name === 'sparseCategoricalCrossentropy';
  return {
    name: config.name,
    fromLogits,
    compute: make(fromLogits),
    targetShape: (output) => (sparse ? [1] : output.slice()),
    labels: sparse,
    checkTargets: (op, targets, output) => {
      if (!sparse) return;
      const classes = output[output.length - 1] ?? 1;
      targets.scan((t, first) => {
        const bad = wasm().label_check_f32(t.ptr, t.size, classes);
        if (bad >= 0) {
          throw new WasmgradError('INVALID_LABEL', `${op}: y holds ${t.toArray()[bad]} at sample ${first + bad}; sparseCategoricalCrossentropy needs integer class labels in [0, ${classes})`);
        }
      });
    },
  };
}
