// compile(): what a model is trained with, resolved per output. A loss, metrics and a loss weight per
// output ("head"), each given as one value for every output, a list in output order, or an object keyed
// by output name (Keras' forms; lossWeights, which TF.js lacks, weights each head's loss in the total).
// Also the layers compile() saw frozen: freezing takes effect here, as in Keras and TF.js.
import { invalid } from '../errors.js';
import { booleanOption, checkOptions } from '../options.js';
import { getLoss, type Loss, type LossSpec } from '../losses.js';
import { checkMetricName, getMetric, type Metric, type MetricName } from '../metrics.js';
import { getOptimizer, type Optimizer, type OptimizerName } from '../optimizers.js';
import type { AnyLayer } from '../layers/layer.js';

/** Options of compile(). */
export interface CompileArgs {
  /** 'sgd', 'adam', or an optimizer from optimizers.*. */
  optimizer: OptimizerName | Optimizer;
  /** The loss to minimize: a name or losses.*({ fromLogits }); with several outputs, one for all, a list in output order, or { outputName: loss }. */
  loss: LossSpec | LossSpec[] | Record<string, LossSpec>;
  /** Metrics to report besides the loss: names for every output, a list of lists in output order, or { outputName: names }. */
  metrics?: MetricName[] | MetricName[][] | Record<string, MetricName | MetricName[]>;
  /** Weights of each output's loss in the total (default 1 each): a list in output order or { outputName: weight }. */
  lossWeights?: number[] | Record<string, number>;
  /** Run every training step op by op (default false: a step is traced once and replayed, as Keras' tf.function, where its layers allow it; the results are the same). */
  runEagerly?: boolean;
}

/** One output's loss, weight and metrics. */
export interface Head {
  /** The output's name (its layer's name), as logs prefix it. */
  name: string;
  loss: Loss;
  lossSpec: LossSpec;
  weight: number;
  metricNames: MetricName[];
}

/** What compile() resolved. */
export interface Compiled {
  optimizer: Optimizer;
  heads: Head[];
  /** Whether lossWeights was given (saved only then). */
  weighted: boolean;
  /** Leaf layers that were frozen when compile() ran, and every leaf layer's flag then. */
  frozen: Set<AnyLayer>;
  flags: Map<AnyLayer, boolean>;
  /** Each head's metrics, made once the output widths are known. */
  metrics: Metric[][] | null;
  /** compile({ runEagerly }). */
  runEagerly: boolean;
}

const COMPILE_KEYS = ['optimizer', 'loss', 'metrics', 'lossWeights', 'runEagerly'];

const isLossConfig = (v: unknown): boolean => v !== null && typeof v === 'object' && !Array.isArray(v)
  && typeof (v as { name?: unknown }).name === 'string' && Object.keys(v).every((k) => k === 'name' || k === 'fromLogits');

// One value per output from `value`: the same for all, a list in output order, or an object by name
// (outputs it leaves out get `missing`, when given: Keras' partial metrics and lossWeights).
function perOutput<T>(what: string, value: unknown, outputs: readonly string[], single: (v: unknown) => boolean, missing?: T): T[] {
  if (single(value)) return outputs.map(() => value as T);
  if (Array.isArray(value)) {
    if (value.length !== outputs.length) {
      throw invalid(`compile: ${what} has ${value.length} entries but the model has ${outputs.length} outputs (${outputs.join(', ')})`);
    }
    return value as T[];
  }
  if (value !== null && typeof value === 'object') {
    const byName = value as Record<string, unknown>;
    for (const k of Object.keys(byName)) {
      if (!outputs.includes(k)) throw invalid(`compile: ${what} names an output ${JSON.stringify(k)}; the model's outputs are ${outputs.join(', ')}`);
    }
    return outputs.map((o) => {
      if (Object.prototype.hasOwnProperty.call(byName, o)) return byName[o] as T;
      if (missing !== undefined) return missing;
      throw invalid(`compile: ${what} has no entry for output ${JSON.stringify(o)}`);
    });
  }
  throw invalid(`compile: ${what} must be ${outputs.length > 1 ? 'one value, a list in output order or an object keyed by output name' : 'given'}, got ${JSON.stringify(value)}`);
}

/** Resolves compile()'s arguments for a model with these output names and leaf layers. */
export function resolveCompile(args: CompileArgs, outputs: readonly string[], leaves: readonly AnyLayer[]): Compiled {
  if (args === undefined) throw invalid(`compile: expected { ${COMPILE_KEYS.join(', ')} }`);
  checkOptions('compile', args, COMPILE_KEYS);
  const losses = perOutput<LossSpec>('loss', args.loss, outputs, (v) => typeof v === 'string' || isLossConfig(v)).map((spec) => getLoss(spec));
  const metricLists = perOutput<MetricName | MetricName[]>('metrics', args.metrics ?? [], outputs,
    (v) => typeof v === 'string' || (Array.isArray(v) && v.every((m) => typeof m === 'string')), []);
  const weights = args.lossWeights === undefined ? outputs.map(() => 1) : perOutput<number>('lossWeights', args.lossWeights, outputs, () => false, 1);
  weights.forEach((w, i) => {
    if (!(typeof w === 'number' && Number.isFinite(w) && w >= 0)) throw invalid(`compile: lossWeights for output ${outputs[i]} must be a finite number >= 0, got ${JSON.stringify(w)}`);
  });
  const heads = outputs.map((name, i): Head => {
    const list = metricLists[i]!;
    const metricNames = (Array.isArray(list) ? list : [list]) as MetricName[];
    for (const m of metricNames) checkMetricName(m);
    const loss = losses[i]!;
    return { name, loss, lossSpec: loss.fromLogits ? { name: loss.name, fromLogits: true } : loss.name, weight: weights[i]!, metricNames };
  });
  const runEagerly = booleanOption('compile', 'runEagerly', args.runEagerly);
  const optimizer = getOptimizer(args.optimizer);
  const flags = new Map(leaves.map((l) => [l, l.trainable] as const));
  return { optimizer, heads, weighted: args.lossWeights !== undefined, frozen: new Set(leaves.filter((l) => !l.trainable)), flags, metrics: null, runEagerly };
}

/** Each head's metrics for these output sample shapes (the width decides binary or categorical). */
export function makeMetrics(compiled: Compiled, outputShapes: readonly (readonly number[])[]): Metric[][] {
  return compiled.metrics ??= compiled.heads.map((h, i) => {
    const out = outputShapes[i]!;
    return h.metricNames.map((m) => getMetric(m, h.loss.name, out[out.length - 1] ?? 1));
  });
}
