// The training engine: fit, evaluate, predict and their one-batch forms, for every model (a sequential
// model is a chain graph). A step: copy the batch into the arena, run the graph, add each output's
// weighted loss and the L1/L2 penalties, zero the trained gradient runs, backward, one optimizer call
// over the model's parameter buffers, all inside tidy() so the arena returns to the same bytes.
import { fmtShape, invalid, shapeError } from '../errors.js';
import { Samples, type DataInput } from '../samples.js';
import type { Metric } from '../metrics.js';
import type { ParamGroup } from '../optimizers.js';
import { booleanOption, checkOptions, describe, numberOption } from '../options.js';
import { Progress } from '../progress.js';
import { Rng, globalRng } from '../random.js';
import { Tensor, collect, noGrad, tidy } from '../tensor.js';
import { traced } from '../trace.js';
import { add, scale } from '../ops/elementwise.js';
import { assertFinite, checkNumericsEnabled } from '../numerics.js';
import { heap, wasm } from '../wasm.js';
import type { Compiled } from './compile.js';
import type { Model } from './model.js';
import { MAX_BYTES, StepPlan, type StepResult } from './plan.js';

/** What fit, evaluate and predict take for x (and y): one input's data, a list in input order, or an object keyed by input name. */
export type ModelData = DataInput | DataInput[] | Record<string, DataInput>;

/** Numbers reported after a batch or an epoch: loss, metrics, and val_ versions of both. */
export type Logs = Record<string, number>;

/** Hooks fit() calls; each may return a Promise, which fit awaits. */
export interface Callbacks {
  onTrainBegin?(logs?: Logs): void | Promise<void>;
  onTrainEnd?(logs?: Logs): void | Promise<void>;
  onEpochBegin?(epoch: number, logs?: Logs): void | Promise<void>;
  onEpochEnd?(epoch: number, logs: Logs): void | Promise<void>;
  onBatchBegin?(batch: number, logs?: Logs): void | Promise<void>;
  onBatchEnd?(batch: number, logs: Logs): void | Promise<void>;
}

/** Options of fit(). */
export interface FitArgs {
  /** Passes over the training data (default 1). */
  epochs?: number;
  /** Samples per gradient step (default 32). */
  batchSize?: number;
  /** Reshuffle the training samples before each epoch (default true). */
  shuffle?: boolean;
  /** Fraction of the samples, taken from the end before shuffling, held out for validation. */
  validationSplit?: number;
  /** Validation samples [x, y], used instead of validationSplit. */
  validationData?: [ModelData, ModelData];
  /** Seeds weight initialization (if the model is not built yet) and shuffling. */
  seed?: number;
  /** On stderr in Node and Deno: 1 a progress bar redrawn while an epoch runs (default), 2 one line per epoch, 0 nothing. */
  verbose?: 0 | 1 | 2;
  /** Hooks called during training: an object of hooks, or a list of them (e.g. callbacks.earlyStopping()). */
  callbacks?: Callbacks | Callbacks[];
  /** Stop at the first NaN or Infinity, naming the layer and pass that made it (default: setCheckNumerics). */
  checkNumerics?: boolean;
}

/** What fit() returns: the logs of every epoch. */
export interface History {
  epoch: number[];
  history: Record<string, number[]>;
}

/** Options of evaluate() and predict(). */
export interface EvaluateArgs {
  /** Samples per forward pass (default 32). */
  batchSize?: number;
}

// How long fit() may run before it lets the event loop turn (so pages and workers stay responsive).
const YIELD_MS = 50;

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype && !('data' in v && 'shape' in v);

// One Samples per input (or output) from a value, a list in order, or an object keyed by name.
function samplesOf(op: string, what: string, value: ModelData, names: readonly string[], made: Tensor[]): Samples[] {
  if (names.length === 1) {
    let v: unknown = value;
    if (isPlainObject(v)) {
      const keys = Object.keys(v);
      if (keys.length !== 1 || keys[0] !== names[0]) throw invalid(`${op}: ${what} is an object keyed by ${keys.join(', ')}, but the model's ${what === 'y' ? 'output' : 'input'} is ${names[0]}`);
      v = (v as Record<string, unknown>)[names[0]!];
    } else if (Array.isArray(v) && v.length === 1 && (v[0] instanceof Tensor || isHostData(v[0]))) {
      v = v[0];
    }
    return [Samples.of(op, what, v as DataInput, made)];
  }
  const kind = what.endsWith('y') ? 'outputs' : 'inputs';
  if (Array.isArray(value) && value.length === names.length && !value.every((v) => typeof v === 'number')) {
    return value.map((v, i) => Samples.of(op, `${what}[${i}] (${names[i]})`, v as DataInput, made));
  }
  if (isPlainObject(value)) {
    for (const k of Object.keys(value)) if (!names.includes(k)) throw invalid(`${op}: ${what} names ${JSON.stringify(k)}, which is not one of the model's ${kind} (${names.join(', ')})`);
    return names.map((n) => {
      if (!(n in value)) throw invalid(`${op}: ${what} has no entry for ${JSON.stringify(n)}; the model's ${kind} are ${names.join(', ')}`);
      return Samples.of(op, `${what}.${n}`, (value as Record<string, unknown>)[n] as DataInput, made);
    });
  }
  throw invalid(`${op}: the model has ${names.length} ${kind} (${names.join(', ')}); give ${what} as a list in that order or an object keyed by those names`);
}

const isHostData = (v: unknown): boolean => v !== null && typeof v === 'object' && 'data' in v && 'shape' in v;

// x as checked samples, one per input, whose shapes match the model's inputs (a sequential model
// without an input shape takes x's).
function inputSamples(model: Model, op: string, x: ModelData, made: Tensor[], what = 'x'): Samples[] {
  const X = samplesOf(op, what, x, model.graph ? model.ioNames.inputs : ['input'], made);
  const g = model.graphFor(op, X.map((s) => s.sampleShape));
  if (X.length !== g.inputs.length) throw invalid(`${op}: the model has ${g.inputs.length} inputs (${model.inputNames.join(', ')}); give ${what} as a list in that order or an object keyed by those names`);
  g.inputs.forEach((t, i) => {
    const want = t.sampleShape, sample = X[i]!.sampleShape;
    if (sample.length !== want.length || sample.some((d, j) => d !== want[j])) {
      const label = g.inputs.length > 1 ? `${what}[${i}] (${t.name})` : what;
      throw shapeError(`${op}: the model takes samples of shape ${fmtShape(want)} (${label} of shape [n, ${want.join(', ')}]), got ${label} of shape ${fmtShape([X[i]!.n, ...sample])}`);
    }
  });
  return X;
}

// A sequential model's graph made from a refused call's x is undone, so that a corrected call can
// bring other shapes.
function undoing<T>(model: Model, fn: () => T): T {
  const lazy = model as unknown as { forgetLazyGraph?(): void; commitLazyGraph?(): void };
  let result: T;
  try {
    result = fn();
  } catch (e) {
    lazy.forgetLazyGraph?.();
    throw e;
  }
  lazy.commitLazyGraph?.();
  return result;
}

// x and y as checked samples; a y of shape [n] is taken as [n, 1] for an output of one value.
function checkData(model: Model, op: string, x: ModelData, y: ModelData, made: Tensor[], prefix = ''): [Samples[], Samples[]] {
  return undoing(model, () => checkDataOnce(model, op, x, y, made, prefix));
}

function checkDataOnce(model: Model, op: string, x: ModelData, y: ModelData, made: Tensor[], prefix = ''): [Samples[], Samples[]] {
  const c = model.compiledOrNull;
  const X = inputSamples(model, op, x, made, `${prefix}x`);
  const g = model.graph!;
  const Y0 = samplesOf(op, `${prefix}y`, y, model.ioNames.outputs, made);
  for (const S of [...X, ...Y0]) {
    if (S.n !== X[0]!.n) {
      const single = X.length === 1 && Y0.length === 1;
      throw shapeError(`${op}: ${prefix}x has ${X[0]!.n} samples but ${prefix}${single ? 'y' : 'another x or y'} has ${S.n}; they must match`);
    }
  }
  const Y = Y0.map((S, i) => {
    const out = g.outputs[i]!.sampleShape;
    const head = c?.heads[i];
    const want = head?.loss.targetShape(out) ?? out.slice();
    let T = S;
    if (T.sampleShape.length === 0 && want.length === 1 && want[0] === 1) T = T.reshaped([1]);
    const ys = T.sampleShape;
    const label = g.outputs.length > 1 ? `${prefix}y[${i}] (${model.outputNames[i]})` : `${prefix}y`;
    if (ys.length !== want.length || ys.some((d, j) => d !== want[j])) {
      const hint = ys.length === 0 && (out[0] ?? 1) > 1 && head?.loss.name === 'categoricalCrossentropy'
        ? ' (for integer class labels use sparseCategoricalCrossentropy, or one-hot encode them with data.oneHot)' : '';
      throw shapeError(`${op}: ${label} must have shape [n, ${want.join(', ')}] to match the model's output for loss '${head?.loss.name}', got ${fmtShape([T.n, ...ys])}${hint}`);
    }
    head?.loss.checkTargets(op, T, out);
    return T;
  });
  return [X, Y];
}

const integerArg = (op: string, name: string, value: unknown, min: number): number =>
  numberOption(op, name, value, `an integer >= ${min}`, (v) => Number.isInteger(v) && v >= min);

const FIT_KEYS = ['epochs', 'batchSize', 'shuffle', 'validationSplit', 'validationData', 'seed', 'verbose', 'callbacks', 'checkNumerics'];
const EVALUATE_KEYS = ['batchSize'];

// Per head, metric accumulators.
const freshAccs = (metrics: Metric[][]) => metrics.map((ms) => ms.map((m) => new Float64Array(m.slots)));

// Logs from loss sums (total first, then per head) over `seen` samples and the metric accumulators.
function logsOf(c: Compiled, sums: number[], seen: number, metrics: Metric[][], accs: Float64Array[][]): Logs {
  const logs: Logs = { loss: sums[0]! / seen };
  const multi = c.heads.length > 1;
  c.heads.forEach((h, i) => {
    if (multi) logs[`${h.name}_loss`] = sums[i + 1]! / seen;
    metrics[i]!.forEach((m, j) => { logs[multi ? `${h.name}_${m.name}` : m.name] = m.result(accs[i]![j]!); });
  });
  return logs;
}

// The total loss (weighted heads + penalties) and each head's loss and prediction for the metrics.
function losses(model: Model, c: Compiled, outs: Tensor[], ys: Tensor[]): { total: Tensor; parts: Tensor[]; preds: Tensor[] } {
  let total: Tensor | null = null;
  const parts: Tensor[] = [], preds: Tensor[] = [];
  c.heads.forEach((h, i) => {
    const { loss, pred } = h.loss.compute(outs[i]!, ys[i]!);
    parts.push(loss);
    preds.push(pred);
    const weighted = h.weight === 1 ? loss : scale(loss, h.weight);
    total = total ? add(total, weighted) : weighted;
  });
  return { total: model.withPenalties(total!), parts, preds };
}

const readLosses = (total: Tensor, parts: Tensor[]) => (parts.length > 1 ? [total.item(), ...parts.map((p) => p.item())] : [total.item()]);

/** What one training step needs, prepared once per fit or trainOnBatch. */
interface Step {
  model: Model;
  c: Compiled;
  groups: ParamGroup[];
  flags: [Tensor, boolean][];
  metrics: Metric[][];
  /** The step traced for replay (plan.ts). */
  plan: StepPlan | null;
  /**
   * Batches of this many samples or more run eagerly, untraced: 0 once a trace was impure (or for a
   * stateful model, or runEagerly), else the smallest batch whose step was too big to keep (MAX_BYTES).
   */
  eagerFrom: number;
}

// The last Step made for each model, reused while its compile() result, parameter stores and graph
// are the same objects (trainOnBatch prepares on every call; a new compile, new weights or a new
// graph makes a new Step, and frees the old one's plan).
const prepared = new WeakMap<Model, { c: Compiled; stores: readonly unknown[]; graph: unknown; step: Step }>();

function prepare(model: Model, op: string, rng: Rng): Step {
  const stores = model.buildWeights(op, rng);
  const c = model.compiled(op);
  model.warnIfTrainableChanged();
  const last = prepared.get(model);
  if (last && last.c === c && last.stores === stores && last.graph === model.graph) return last.step;
  if (last) dropPlan(last.step);
  const stateful = model.leafLayers().some((l) => (l as { stateful?: unknown }).stateful === true);
  const step: Step = { model, c, groups: model.paramGroups(op), flags: model.gradFlags(op), metrics: model.headMetrics(op), plan: null, eagerFrom: stateful || c.runEagerly ? 0 : Infinity };
  prepared.set(model, { c, stores, graph: model.graph, step });
  return step;
}

function dropPlan(s: Step): void {
  if (!s.plan) return;
  s.plan.dispose();
  if (s.model.trainingCache === s.plan) s.model.trainingCache = null;
  s.plan = null;
}

// The forward pass and the losses of one step on a batch already in the arena.
function forwardStep(s: Step, xb: Tensor[], yb: Tensor[], rng: Rng, at?: string): StepResult {
  for (const [t, trains] of s.flags) t.requiresGrad = trains;
  const outs = s.model.run(xb, { training: true, rng, frozen: s.c.frozen, check: at });
  return losses(s.model, s.c, outs, yb);
}

// The rest of a step after its forward pass: backward (the kept one of a plan, or the loss's), one
// optimizer call, the metrics; returns the loss sums' terms.
function finishStep(s: Step, r: StepResult, yb: Tensor[], accs: Float64Array[][], backward: (() => void) | null, at?: string): number[] {
  const { total, parts, preds } = r, c = s.c;
  if (at) assertFinite(total.ptr, 1, `the loss${c.heads.length === 1 ? ` '${c.heads[0]!.loss.name}'` : ''} ${at}`);
  const k = wasm();
  for (const g of s.groups) for (const run of g.runs) k.fill_f32(g.grads + run.offset * 4, run.size, 0);
  if (total.requiresGrad && s.groups.length > 0) {
    if (backward) backward();
    else total.backward();
    c.optimizer.apply(s.groups);
  }
  s.metrics.forEach((ms, i) => ms.forEach((m, j) => m.update(accs[i]![j]!, preds[i]!, yb[i]!)));
  return readLosses(total, parts);
}

// One step on a batch already in the arena (inside the caller's tidy); returns the loss sums' terms.
function trainStep(s: Step, xb: Tensor[], yb: Tensor[], accs: Float64Array[][], rng: Rng, at?: string): number[] {
  return finishStep(s, forwardStep(s, xb, yb, rng, at), yb, accs, null, at);
}

// A step replayed on the batch already copied into the plan's input and target tensors.
function replay(s: Step, plan: StepPlan, accs: Float64Array[][]): number[] {
  return tidy(() => {
    for (const [t, trains] of s.flags) t.requiresGrad = trains;
    plan.forward();
    return finishStep(s, plan.result, plan.ys, accs, plan.backward);
  });
}

// n samples of S in a new tensor, copied by fill.
function take(S: Samples, n: number, fill: (S: Samples, t: Tensor) => void): Tensor {
  const t = Tensor.empty([n, ...S.sampleShape]);
  fill(S, t);
  return t;
}

/**
 * One step on a batch of n samples of X and Y, which `fill` copies into tensors of their shapes
 * (all of them for trainOnBatch, rows of a shuffled order for fit): replayed when the model's plan
 * fits it, else traced and kept as the plan when `keep` and the trace allow it, else eager.
 */
function plannedStep(s: Step, X: Samples[], Y: Samples[], n: number, fill: (S: Samples, t: Tensor) => void, accs: Float64Array[][], rng: Rng, keep = true): number[] {
  const plan = s.plan;
  if (plan?.fits(X, Y, n, rng)) {
    X.forEach((S, i) => fill(S, plan.xs[i]!));
    Y.forEach((S, i) => fill(S, plan.ys[i]!));
    return replay(s, plan, accs);
  }
  // The batch copied into fresh tensors (a plan's inputs must be its own, never views of the caller's).
  const batch = (S: Samples) => take(S, n, fill);
  if (!keep || n >= s.eagerFrom) return tidy(() => trainStep(s, X.map(batch), Y.map(batch), accs, rng));
  // Trace: an eager step whose tensors are kept (made) with its forward kernel calls.
  const draws = rng.draws;
  const { result: traced_, made } = collect(() => {
    const xb = X.map(batch), yb = Y.map(batch);
    return { xb, yb, trace: traced(() => forwardStep(s, xb, yb, rng)) };
  });
  const { xb, yb, trace } = traced_;
  let sums: number[];
  let backward: (() => void) | null = null;
  try {
    sums = tidy(() => {
      if (trace.result.total.requiresGrad && s.groups.length > 0) backward = trace.result.total.backwardPlan();
      return finishStep(s, trace.result, yb, accs, backward);
    });
  } catch (e) {
    for (const t of made) t.dispose();
    throw e;
  }
  if (trace.pure && StepPlan.bytes(made) <= MAX_BYTES) {
    dropPlan(s);
    // A step that drew nothing from rng replays with any generator: a later seeded fit reuses it.
    s.plan = new StepPlan(rng.draws !== draws ? rng : null, xb, yb, trace.result, backward, trace.calls, made);
    s.model.trainingCache = s.plan;
  } else {
    s.eagerFrom = trace.pure ? n : 0; // too big: a larger batch's step is larger still (n < eagerFrom here)
    for (const t of made) t.dispose();
  }
  return sums;
}

// Loss and metrics over samples, in batches, without gradients.
function evaluateSamples(model: Model, X: Samples[], Y: Samples[], batchSize: number): Logs {
  const c = model.compiled('evaluate');
  const metrics = model.headMetrics('evaluate');
  const n = X[0]!.n;
  const sums = new Array<number>(c.heads.length > 1 ? c.heads.length + 1 : 1).fill(0);
  const accs = freshAccs(metrics);
  for (let start = 0; start < n; start += batchSize) {
    const size = Math.min(batchSize, n - start);
    const result = tidy(() => noGrad(() => {
      const xb = X.map((S) => S.batch(start, size)), yb = Y.map((S) => S.batch(start, size));
      const { total, parts, preds } = losses(model, c, model.run(xb, { training: false, rng: null }), yb);
      metrics.forEach((ms, i) => ms.forEach((m, j) => m.update(accs[i]![j]!, preds[i]!, yb[i]!)));
      return readLosses(total, parts);
    }));
    result.forEach((v, i) => { sums[i]! += v * size; });
  }
  return logsOf(c, sums, n, metrics, accs);
}

/**
 * A model with a stateful layer needs batches of one size, the size of the states it carries (or of
 * `expected`: the training batches, for validation data): refused before anything runs. Returns
 * that size (undefined without a stateful layer).
 */
function checkStatefulBatches(model: Model, op: string, n: number, batchSize: number, what = 'samples', expected?: number): number | undefined {
  const layer = model.leafLayers().find((l) => (l as { stateful?: unknown }).stateful === true);
  if (!layer) return undefined;
  const b = Math.min(n, batchSize);
  if (n % b !== 0) {
    throw invalid(`${op}: ${layer.name} is stateful, so every batch must hold the same number of samples, but ${n} ${what} ` +
      `do not split into batches of ${batchSize}; use a batchSize that divides ${n}`);
  }
  const carried = (layer as { carriedBatch?: number | null }).carriedBatch ?? null;
  const want = expected ?? carried;
  if (want !== null && b !== want) {
    throw invalid(`${op}: ${layer.name} is stateful and ${expected !== undefined ? `trains on batches of ${want}` : `carries states for batches of ${want}`}, ` +
      `but the ${what} make batches of ${b}; ${expected !== undefined ? 'give validation data that split into batches of that size' : 'use batches of that size, or call resetStates() first'}`);
  }
  return b;
}

/** Trains the model on x and y. */
export async function fit(model: Model, x: ModelData, y: ModelData, options?: FitArgs): Promise<History> {
  const args = checkOptions('fit', options, FIT_KEYS);
  model.compiled('fit');
  if (model.fitting) throw invalid(`fit: ${model.name} is already training; await the running fit() before starting another`);
  const epochs = integerArg('fit', 'epochs', args.epochs ?? 1, 0);
  const batchSize = integerArg('fit', 'batchSize', args.batchSize ?? 32, 1);
  const split = numberOption('fit', 'validationSplit', args.validationSplit ?? 0, 'in [0, 1)', (v) => v >= 0 && v < 1);
  const verbose = args.verbose ?? 1;
  if (verbose !== 0 && verbose !== 1 && verbose !== 2) throw invalid(`fit: verbose must be 0 (silent), 1 (a progress bar) or 2 (one line per epoch), got ${describe(verbose)}`);
  for (const k of ['shuffle', 'checkNumerics'] as const) booleanOption('fit', k, args[k]);
  const hooks = callbackList(args.callbacks);
  const made: Tensor[] = [];
  let rng: Rng | null = null;
  let idx = 0, idxBytes = 0;
  model.fitting = true;
  try {
    const [X, Y] = checkData(model, 'fit', x, y, made);
    let valX: Samples[] | null = null, valY: Samples[] | null = null;
    let nTrain = X[0]!.n;
    if (args.validationData) {
      if (!Array.isArray(args.validationData) || args.validationData.length !== 2) {
        throw invalid('fit: validationData must be [x, y]');
      }
      [valX, valY] = checkData(model, 'fit', args.validationData[0], args.validationData[1], made, 'validationData ');
    } else if (split > 0) {
      const nVal = Math.floor(nTrain * split);
      if (nVal === 0 || nVal === nTrain) {
        throw invalid(`fit: validationSplit ${split} of ${nTrain} samples leaves ${nVal} for validation and ${nTrain - nVal} for training; both need at least one`);
      }
      nTrain -= nVal;
      valX = X.map((S) => S.rows(nTrain, nVal));
      valY = Y.map((S) => S.rows(nTrain, nVal));
    }
    const statefulBatch = checkStatefulBatches(model, 'fit', nTrain, batchSize);
    if (valX) checkStatefulBatches(model, 'fit', valX[0]!.n, batchSize, 'validation samples', statefulBatch);
    if (args.seed !== undefined) rng = new Rng(args.seed);
    const check = args.checkNumerics ?? checkNumericsEnabled();
    const step = prepare(model, 'fit', rng ?? globalRng());

    idxBytes = nTrain * 4;
    idx = heap().alloc(idxBytes);
    const identity = new Int32Array(nTrain);
    for (let i = 0; i < nTrain; i++) identity[i] = i;
    const steps = Math.ceil(nTrain / batchSize);
    const progress = verbose > 0 ? new Progress(epochs, steps, verbose === 1) : null;
    const callbacks = combine(hooks, model, (line) => progress?.message(line));
    const history: History = { epoch: [], history: {} };
    let lastYield = performance.now();
    model.stopTraining = false;

    await callbacks.onTrainBegin?.();
    for (let epoch = 0; epoch < epochs && !model.stopTraining; epoch++) {
      await callbacks.onEpochBegin?.(epoch);
      progress?.epochBegin(epoch);
      if (args.shuffle ?? true) (rng ?? globalRng()).shuffle(idx, nTrain);
      else new Int32Array(heap().memory.buffer, idx, nTrain).set(identity);
      const sums = new Array<number>(step.c.heads.length > 1 ? step.c.heads.length + 1 : 1).fill(0);
      const accs = freshAccs(step.metrics);
      let seen = 0;
      for (let b = 0; b < steps && !model.stopTraining; b++) {
        const size = Math.min(batchSize, nTrain - b * batchSize);
        if (callbacks.onBatchBegin) await callbacks.onBatchBegin(b, { batch: b, size });
        model.live('fit'); // disposed by a callback, or between two yields
        const rows = idx + b * batchSize * 4, fill = (S: Samples, t: Tensor) => S.gather(t, rows, size);
        // Full batches are replayed from a kept step (a last, smaller one runs eagerly and keeps it);
        // checkNumerics checks each tensor as it is made, so its steps are eager.
        const result = check
          ? tidy(() => trainStep(step, X.map((S) => take(S, size, fill)), Y.map((S) => take(S, size, fill)), accs, rng ?? globalRng(), `(epoch ${epoch + 1}, batch ${b + 1})`))
          : plannedStep(step, X, Y, size, fill, accs, rng ?? globalRng(), size === Math.min(batchSize, nTrain));
        result.forEach((v, i) => { sums[i]! += v * size; });
        seen += size;
        const logs = logsOf(step.c, sums, seen, step.metrics, accs);
        progress?.batchEnd(b, logs);
        if (callbacks.onBatchEnd) await callbacks.onBatchEnd(b, { batch: b, size, ...logs });
        if (performance.now() - lastYield > YIELD_MS) {
          await new Promise((resolve) => setTimeout(resolve, 0));
          lastYield = performance.now();
        }
      }
      const logs = logsOf(step.c, sums, seen, step.metrics, accs);
      if (valX && valY) {
        const val = evaluateSamples(model, valX, valY, batchSize);
        for (const [name, v] of Object.entries(val)) logs[`val_${name}`] = v;
      }
      progress?.epochEnd(logs);
      history.epoch.push(epoch);
      for (const [name, v] of Object.entries(logs)) (history.history[name] ??= []).push(v);
      await callbacks.onEpochEnd?.(epoch, logs);
    }
    await callbacks.onTrainEnd?.();
    return history;
  } finally {
    model.fitting = false;
    if (idxBytes > 0) heap().free(idx, idxBytes);
    // A step kept on this fit's own generator can never replay again: freed now, not at the next trace
    // (one that drew from no generator stays for the next fit).
    const last = prepared.get(model)?.step;
    if (rng && last?.plan?.rng === rng) dropPlan(last);
    rng?.dispose();
    for (const t of made) t.dispose();
  }
}

// trainOnBatch's common case checked without making Samples: a model whose kept step fits one
// input and one output given as { data: Float32Array, shape } of exactly its shapes, every value
// finite, a loss that takes any finite targets. Returns false for anything else (a failed check
// included): the full way then checks again and says what is wrong.
function quickFits(s: Step, x: ModelData, y: ModelData): boolean {
  const plan = s.plan;
  if (plan === null || plan.xs.length !== 1 || plan.ys.length !== 1 || (plan.rng !== null && plan.rng !== globalRng()) || s.c.heads[0]!.loss.labels) return false;
  return quickData(x, plan.xs[0]!) && quickData(y, plan.ys[0]!);
}

function quickData(v: ModelData, t: Tensor): boolean {
  if (v === null || typeof v !== 'object' || Object.getPrototypeOf(v) !== Object.prototype) return false;
  const { data, shape } = v as { data?: unknown; shape?: unknown };
  const want = t.shape;
  if (!(data instanceof Float32Array) || data.length !== t.size || !Array.isArray(shape) || shape.length !== want.length) return false;
  for (let i = 0; i < want.length; i++) if (shape[i] !== want[i]) return false;
  for (let i = 0; i < data.length; i++) if (!Number.isFinite(data[i])) return false;
  return true;
}

/** One step on one batch (all of x); returns the batch's loss and metrics. */
export function trainOnBatch(model: Model, x: ModelData, y: ModelData): Logs {
  model.compiled('trainOnBatch');
  if (model.fitting) throw invalid(`trainOnBatch: ${model.name} is training in fit(); await it first`);
  if (prepared.get(model)?.step.plan) { // weights built and a step kept: nothing below draws or allocates before the checks
    const step = prepare(model, 'trainOnBatch', globalRng());
    if (quickFits(step, x, y)) {
      const plan = step.plan!, accs = freshAccs(step.metrics), buffer = heap().memory.buffer;
      new Float32Array(buffer, plan.xs[0]!.ptr, plan.xs[0]!.size).set((x as { data: Float32Array }).data);
      new Float32Array(buffer, plan.ys[0]!.ptr, plan.ys[0]!.size).set((y as { data: Float32Array }).data);
      return logsOf(step.c, replay(step, plan, accs), 1, step.metrics, accs);
    }
  }
  const made: Tensor[] = [];
  try {
    const [X, Y] = checkData(model, 'trainOnBatch', x, y, made);
    const step = prepare(model, 'trainOnBatch', globalRng());
    const accs = freshAccs(step.metrics);
    const sums = plannedStep(step, X, Y, X[0]!.n, (S, t) => S.copyInto(t, 0), accs, globalRng());
    return logsOf(step.c, sums, 1, step.metrics, accs);
  } finally {
    for (const t of made) t.dispose();
  }
}

/** Loss and metrics on x and y, as plain numbers. */
export function evaluate(model: Model, x: ModelData, y: ModelData, options?: EvaluateArgs): Logs {
  const args = checkOptions('evaluate', options, EVALUATE_KEYS);
  model.compiled('evaluate');
  const batchSize = integerArg('evaluate', 'batchSize', args.batchSize ?? 32, 1);
  const made: Tensor[] = [];
  try {
    const [X, Y] = checkData(model, 'evaluate', x, y, made);
    checkStatefulBatches(model, 'evaluate', X[0]!.n, batchSize);
    model.buildWeights('evaluate');
    return evaluateSamples(model, X, Y, batchSize);
  } finally {
    for (const t of made) t.dispose();
  }
}

/** The model's outputs for x, computed in batches (one tensor per output); the caller disposes them. */
export function predict(model: Model, x: ModelData, options?: EvaluateArgs): Tensor | Tensor[] {
  const args = checkOptions('predict', options, EVALUATE_KEYS);
  model.live('predict');
  const batchSize = integerArg('predict', 'batchSize', args.batchSize ?? 32, 1);
  const made: Tensor[] = [];
  try {
    const X = inputSamples(model, 'predict', x, made);
    const g = model.graph!;
    model.buildWeights('predict');
    const n = X[0]!.n;
    checkStatefulBatches(model, 'predict', n, batchSize);
    const outs = g.outputs.map((t) => Tensor.empty([n, ...t.sampleShape]));
    try {
      for (let start = 0; start < n; start += batchSize) {
        const size = Math.min(batchSize, n - start);
        tidy(() => noGrad(() => {
          const ys = model.run(X.map((S) => S.batch(start, size)), { training: false, rng: null });
          const bytes = new Uint8Array(heap().memory.buffer);
          ys.forEach((y, i) => {
            const cols = outs[i]!.size / n;
            bytes.copyWithin(outs[i]!.ptr + start * cols * 4, y.ptr, y.ptr + size * cols * 4);
          });
        }));
      }
    } catch (e) {
      for (const o of outs) o.dispose();
      throw e;
    }
    return outs.length === 1 ? outs[0]! : outs;
  } finally {
    for (const t of made) t.dispose();
  }
}

const HOOKS = ['onTrainBegin', 'onTrainEnd', 'onEpochBegin', 'onEpochEnd', 'onBatchBegin', 'onBatchEnd'];

// fit's callbacks as a checked list. A key of the on... form that is not a hook is a typo
// (onEpochEnds) that would never be called: refused like an unknown option, before anything runs.
function callbackList(given: Callbacks | Callbacks[] | undefined): Callbacks[] {
  const list = given === undefined ? [] : Array.isArray(given) ? given : [given];
  list.forEach((c, i) => {
    const where = Array.isArray(given) ? `fit: callbacks[${i}]` : 'fit: callbacks';
    if (c === null || typeof c !== 'object') throw invalid(`${where} must be an object of hooks (${HOOKS.join(', ')}), got ${describe(c)}`);
    const typo = Object.keys(c).find((k) => /^on[A-Z]/.test(k) && !HOOKS.includes(k));
    if (typo !== undefined) checkOptions(where, { [typo]: true }, HOOKS, 'a callback');
    for (const k of HOOKS) {
      const f = (c as Record<string, unknown>)[k];
      if (f !== undefined && typeof f !== 'function') throw invalid(`${where}: ${k} must be a function, got ${describe(f)}`);
    }
  });
  return list;
}

// Several hook objects as one; each gets the model (and a printer for fit's progress output) first.
function combine(list: Callbacks[], model: Model, print: (line: string) => void): Callbacks {
  for (const c of list) (c as { setModel?: (m: Model, p: (line: string) => void) => void }).setModel?.(model, print);
  const hook = <K extends keyof Callbacks>(name: K) => {
    const fns = list.map((c) => c[name]).filter((f): f is NonNullable<Callbacks[K]> => typeof f === 'function');
    if (fns.length === 0) return undefined;
    return async (...args: unknown[]) => { for (const f of fns) await (f as (...a: unknown[]) => unknown)(...args); };
  };
  return {
    onTrainBegin: hook('onTrainBegin'), onTrainEnd: hook('onTrainEnd'), onEpochBegin: hook('onEpochBegin'),
    onEpochEnd: hook('onEpochEnd'), onBatchBegin: hook('onBatchBegin'), onBatchEnd: hook('onBatchEnd'),
  } as Callbacks;
}

