// Sequential models: a stack of layers, compiled with a loss and an optimizer, trained by fit().
//
// Memory: at build time the model allocates ONE flat buffer for every layer's weights and one for
// their gradients (llm.c's layout); layer weights are views into it. A training step zeroes the
// gradient buffer with one fill, runs forward and backward inside tidy(), and the optimizer
// updates all parameters in one pass. Everything a step allocates is freed at its end, so the
// arena reaches a steady state after the first step.
import { WasmgradError, fmtShape, invalid, shapeError } from './errors.js';
import { Samples, type DataInput } from './data.js';
import type { Scaler } from './preprocessing.js';
import { getInitializer } from './initializers.js';
import type { Layer, WeightSpec } from './layers/layer.js';
import { getLoss, type Loss, type LossName, type LossSpec } from './losses.js';
import { checkMetricName, getMetric, type Metric, type MetricName } from './metrics.js';
import { getOptimizer, type Optimizer, type OptimizerName, type Segment } from './optimizers.js';
import { Progress } from './progress.js';
import { Rng, globalRng } from './random.js';
import { Tensor, noGrad, tidy } from './tensor.js';
import { add } from './ops/elementwise.js';
import { penalty } from './regularizers.js';
import { assertFinite, checkNumericsEnabled, watchGradient } from './numerics.js';
import { heap, wasm } from './wasm.js';
import { modelToArtifacts, saveArtifacts, type ModelArtifacts } from './io/model-io.js';

/** Options of compile(). */
export interface CompileArgs {
  /** 'sgd', 'adam', or an optimizer from optimizers.*. */
  optimizer: OptimizerName | Optimizer;
  /** The loss to minimize: a name, or losses.*({ fromLogits }) */
  loss: LossSpec;
  /** Metrics to report besides the loss. */
  metrics?: MetricName[];
}

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
  validationData?: [DataInput, DataInput];
  /** Seeds weight initialization (if the model is not built yet) and shuffling. */
  seed?: number;
  /** 1 prints a progress line per epoch to stderr in Node and Deno; 0 is silent (default 1). */
  verbose?: 0 | 1;
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

interface Compiled {
  lossName: LossName;
  lossSpec: LossSpec;
  loss: Loss;
  optimizer: Optimizer;
  metrics: Metric[];
}

interface Built {
  params: number; // byte address of the flat parameter buffer
  grads: number; // byte address of the flat gradient buffer
  count: number; // trainable parameters, at the start of params
  total: number; // all parameters, trainable or not
  weights: Tensor[]; // views, in layer order
  segments: Segment[]; // each weight's place in the flat buffers, for per-tensor clipping
}

interface Shapes {
  input: number[];
  outputs: number[][]; // one per layer
  specs: WeightSpec[][]; // one list per layer
}

// How long fit() may run before it lets the event loop turn (so pages and workers stay responsive).
const YIELD_MS = 50;

export class Sequential {
  /** The layers, in order. */
  readonly layers: readonly Layer[];
  /** Set to true (e.g. from a callback) to stop fit() after the current batch. */
  stopTraining = false;
  /** Fitted scalers that go with the model (e.g. scalers.x for its inputs); save() stores them, loadModel restores them. */
  scalers: Record<string, Scaler> = {};
  #shapes: Shapes | null = null;
  #built: Built | null = null;
  #compiled: Compiled | null = null;

  constructor(layers: readonly Layer[]) {
    if (!Array.isArray(layers) || layers.length === 0) {
      throw invalid('sequential: expected a non-empty array of layers');
    }
    this.layers = layers.slice();
    const first = this.layers[0]!;
    if (first.inputShape) this.#shapes = this.#inferShapes(first.inputShape);
  }

  /** Sets the loss, optimizer and metrics used by fit() and evaluate(). */
  compile(args: CompileArgs): void {
    if (args === null || typeof args !== 'object') throw invalid('compile: expected { optimizer, loss, metrics? }');
    const loss = getLoss(args.loss);
    const optimizer = getOptimizer(args.optimizer);
    const metricNames = args.metrics ?? [];
    if (!Array.isArray(metricNames)) throw invalid(`compile: metrics must be an array of names, got ${typeof metricNames}`);
    for (const m of metricNames) checkMetricName(m);
    this.#compiled?.optimizer.dispose();
    this.#compiled = {
      lossName: loss.name,
      lossSpec: loss.fromLogits ? { name: loss.name, fromLogits: true } : loss.name,
      loss,
      optimizer,
      metrics: [],
    };
    // Metrics depend on the output width, known once shapes are.
    this.#metricNames = metricNames;
    if (this.#shapes) this.#compiled.metrics = this.#makeMetrics();
  }

  #metricNames: MetricName[] = [];

  #makeMetrics(): Metric[] {
    const out = this.#shapes!.outputs[this.#shapes!.outputs.length - 1]!;
    const units = out[out.length - 1] ?? 1;
    return this.#metricNames.map((m) => getMetric(m, this.#compiled!.lossName, units));
  }

  /** Trains the model on x and y. */
  async fit(x: DataInput, y: DataInput, args: FitArgs = {}): Promise<History> {
    const compiled = this.#requireCompiled('fit');
    const epochs = integerArg('fit', 'epochs', args.epochs ?? 1, 0);
    const batchSize = integerArg('fit', 'batchSize', args.batchSize ?? 32, 1);
    const split = args.validationSplit ?? 0;
    if (!(typeof split === 'number' && split >= 0 && split < 1)) {
      throw invalid(`fit: validationSplit must be in [0, 1), got ${split}`);
    }
    const made: Tensor[] = [];
    let rng: Rng | null = null;
    let idx = 0, idxBytes = 0;
    try {
      const [X, Y] = this.#checkData('fit', x, y, made);
      let valX: Samples | null = null, valY: Samples | null = null;
      let nTrain = X.n;
      if (args.validationData) {
        if (!Array.isArray(args.validationData) || args.validationData.length !== 2) {
          throw invalid('fit: validationData must be [x, y]');
        }
        [valX, valY] = this.#checkData('fit', args.validationData[0], args.validationData[1], made, 'validationData ');
      } else if (split > 0) {
        const nVal = Math.floor(nTrain * split);
        if (nVal === 0 || nVal === nTrain) {
          throw invalid(`fit: validationSplit ${split} of ${nTrain} samples leaves ${nVal} for validation and ${nTrain - nVal} for training; both need at least one`);
        }
        nTrain -= nVal;
        [valX, valY] = [X.rows(nTrain, nVal), Y.rows(nTrain, nVal)];
      }
      if (args.seed !== undefined) rng = new Rng(args.seed);
      const check = args.checkNumerics ?? checkNumericsEnabled();
      const built = this.#build(rng ?? globalRng());

      const k = wasm();
      idxBytes = nTrain * 4;
      idx = heap().alloc(idxBytes);
      const identity = new Int32Array(nTrain).map((_, i) => i);
      const steps = Math.ceil(nTrain / batchSize);
      const callbacks = combine(args.callbacks, this);
      const progress = (args.verbose ?? 1) === 1 ? new Progress(epochs, steps) : null;
      const history: History = { epoch: [], history: {} };
      let lastYield = performance.now();
      this.stopTraining = false;

      await callbacks.onTrainBegin?.();
      for (let epoch = 0; epoch < epochs && !this.stopTraining; epoch++) {
        await callbacks.onEpochBegin?.(epoch);
        progress?.epochBegin(epoch);
        if (args.shuffle ?? true) (rng ?? globalRng()).shuffle(idx, nTrain);
        else new Int32Array(heap().memory.buffer, idx, nTrain).set(identity);
        let lossSum = 0;
        const accs = compiled.metrics.map((m) => new Float64Array(m.slots));
        let seen = 0;
        for (let step = 0; step < steps && !this.stopTraining; step++) {
          const size = Math.min(batchSize, nTrain - step * batchSize);
          if (callbacks.onBatchBegin) await callbacks.onBatchBegin(step, { batch: step, size });
          const result = tidy(() => {
            const xb = Tensor.empty([size, ...X.sampleShape]);
            const yb = Tensor.empty([size, ...Y.sampleShape]);
            const rows = idx + step * batchSize * 4;
            X.gather(xb, rows, size);
            Y.gather(yb, rows, size);
            const at = check ? `(epoch ${epoch + 1}, batch ${step + 1})` : undefined;
            const { loss: dataLoss, pred } = compiled.loss.compute(this.#forward(xb, true, rng ?? globalRng(), at), yb);
            const loss = this.#withPenalties(dataLoss);
            if (at) assertFinite(loss.ptr, 1, `the loss '${compiled.lossName}' ${at}`);
            k.fill_f32(built.grads, built.count, 0);
            loss.backward();
            compiled.optimizer.apply(built.params, built.grads, built.count, built.segments);
            compiled.metrics.forEach((m, i) => m.update(accs[i]!, pred, yb));
            return loss.item();
          });
          lossSum += result * size;
          seen += size;
          const logs = epochLogs(lossSum / seen, compiled.metrics, accs);
          progress?.batchEnd(step, logs);
          if (callbacks.onBatchEnd) await callbacks.onBatchEnd(step, { batch: step, size, ...logs });
          if (performance.now() - lastYield > YIELD_MS) {
            await new Promise((resolve) => setTimeout(resolve, 0));
            lastYield = performance.now();
          }
        }
        const logs = epochLogs(lossSum / seen, compiled.metrics, accs);
        if (valX && valY) {
          const val = this.#evaluateTensors(valX, valY, batchSize);
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
      if (idxBytes > 0) heap().free(idx, idxBytes);
      rng?.dispose();
      for (const t of made) t.dispose();
    }
  }

  /** Loss and metrics on x and y, as plain numbers. */
  evaluate(x: DataInput, y: DataInput, args: EvaluateArgs = {}): Logs {
    this.#requireCompiled('evaluate');
    const batchSize = integerArg('evaluate', 'batchSize', args.batchSize ?? 32, 1);
    const made: Tensor[] = [];
    try {
      const [X, Y] = this.#checkData('evaluate', x, y, made);
      this.#build(globalRng());
      return this.#evaluateTensors(X, Y, batchSize);
    } finally {
      for (const t of made) t.dispose();
    }
  }

  /** The model's outputs for x, computed in batches; the caller disposes the returned tensor. */
  predict(x: DataInput, args: EvaluateArgs = {}): Tensor {
    const batchSize = integerArg('predict', 'batchSize', args.batchSize ?? 32, 1);
    const made: Tensor[] = [];
    try {
      const X = Samples.of('predict', 'x', x, made);
      const shapes = this.#checkInput('predict', X);
      this.#keepShapes(shapes);
      this.#build(globalRng());
      const n = X.n;
      const outShape = shapes.outputs[shapes.outputs.length - 1]!;
      const out = Tensor.empty([n, ...outShape]);
      const outCols = out.size / n;
      try {
        for (let start = 0; start < n; start += batchSize) {
          const size = Math.min(batchSize, n - start);
          tidy(() => noGrad(() => {
            const y = this.#forward(X.batch(start, size), false);
            const bytes = new Uint8Array(heap().memory.buffer);
            bytes.copyWithin(out.ptr + start * outCols * 4, y.ptr, y.ptr + size * outCols * 4);
          }));
        }
      } catch (e) {
        out.dispose();
        throw e;
      }
      return out;
    } finally {
      for (const t of made) t.dispose();
    }
  }

  /** Copies of the weights, in layer order: [kernel (inputs × units), bias, ...]. */
  getWeights(): Float32Array[] {
    const built = this.#build(globalRng());
    return built.weights.map((w) => w.toArray());
  }

  /** Replaces the weights with `arrays`, in the order getWeights() returns them. */
  setWeights(arrays: ReadonlyArray<Float32Array | ArrayLike<number>>): void {
    const built = this.#build(globalRng());
    if (!Array.isArray(arrays) || arrays.length !== built.weights.length) {
      throw shapeError(`setWeights: expected ${built.weights.length} arrays, got ${Array.isArray(arrays) ? arrays.length : typeof arrays}`);
    }
    // Check everything before writing anything, so a bad call changes no weight.
    arrays.forEach((a, i) => {
      const w = built.weights[i]!;
      if (a?.length !== w.size) {
        throw shapeError(`setWeights: array ${i} must hold ${w.size} values for shape ${fmtShape(w.shape)}, got ${a?.length}`);
      }
      for (let j = 0; j < a.length; j++) {
        if (!Number.isFinite(a[j])) throw new WasmgradError('NON_FINITE', `setWeights: array ${i} holds ${a[j]} at index ${j}; every value must be finite`);
      }
    });
    arrays.forEach((a, i) => {
      const w = built.weights[i]!;
      new Float32Array(heap().memory.buffer, w.ptr, w.size).set(a);
    });
  }

  /** The number of parameters (weights, biases and non-trainable state such as moving statistics) in all layers. */
  countParams(): number {
    const shapes = this.#requireShapes('countParams');
    return shapes.specs.flat().reduce((n, s) => n + size(s.shape), 0);
  }

  /** The number of parameters the optimizer trains. */
  countTrainableParams(): number {
    const shapes = this.#requireShapes('countTrainableParams');
    return shapes.specs.flat().reduce((n, s) => n + (s.trainable === false ? 0 : size(s.shape)), 0);
  }

  /** A Keras-style table of the layers, their output shapes and parameter counts. */
  summary(): string {
    const shapes = this.#requireShapes('summary');
    const rows = this.layers.map((layer, i) => [
      `${layer.name} (${layer.className})`,
      `(${['None', ...shapes.outputs[i]!].join(', ')})`,
      String(shapes.specs[i]!.reduce((n, s) => n + size(s.shape), 0)),
    ]);
    const widths = [29, 26, 10];
    const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join(' ').trimEnd();
    const rule = (ch: string) => ch.repeat(widths.reduce((a, b) => a + b + 1, -1));
    const total = this.countParams(), trainable = this.countTrainableParams();
    return [
      'Model: "sequential"',
      rule('_'),
      line(['Layer (type)', 'Output Shape', 'Param #']),
      rule('='),
      ...rows.flatMap((r, i) => (i === 0 ? [line(r)] : [rule('_'), line(r)])),
      rule('='),
      `Total params: ${total}`,
      `Trainable params: ${trainable}`,
      `Non-trainable params: ${total - trainable}`,
      rule('_'),
    ].join('\n');
  }

  /** The training setup compile() was given, or null (for saving). */
  trainingConfig(): { loss: LossSpec; metrics: MetricName[]; optimizer: Optimizer } | null {
    return this.#compiled ? { loss: this.#compiled.lossSpec, metrics: this.#metricNames.slice(), optimizer: this.#compiled.optimizer } : null;
  }

  /** Every weight as `layerName/weightName` with its tensor, in layer order (builds the model if needed). */
  namedWeights(): { name: string; tensor: Tensor }[] {
    this.#build(globalRng());
    return this.layers.flatMap((layer, i) => this.#shapes!.specs[i]!.map((spec, j) => ({ name: `${layer.name}/${spec.name}`, tensor: layer.weights[j]! })));
  }

  /** Every weight's name (`layerName/weightName`) and shape, in layer order, without building. */
  weightSpecs(): { name: string; shape: number[] }[] {
    const shapes = this.#requireShapes('weightSpecs');
    return this.layers.flatMap((layer, i) => shapes.specs[i]!.map((spec) => ({ name: `${layer.name}/${spec.name}`, shape: spec.shape.slice() })));
  }

  /** The flat buffer of trainable parameters: its address and length (for optimizer state). */
  parameterBuffer(): { ptr: number; count: number } {
    const built = this.#build(globalRng());
    return { ptr: built.params, count: built.count };
  }

  /** The saved form: topology JSON and safetensors weights (and optimizer state if asked). */
  toArtifacts(options: { includeOptimizer?: boolean } = {}): ModelArtifacts {
    return modelToArtifacts(this, options);
  }

  /** Writes dir/model.json and dir/weights.safetensors (Node and Deno). */
  async save(dir: string | URL, options: { includeOptimizer?: boolean } = {}): Promise<void> {
    await saveArtifacts(dir, this.toArtifacts(options));
  }

  /** Frees the model's weights, gradients and optimizer state. */
  dispose(): void {
    this.#compiled?.optimizer.dispose();
    if (this.#built) {
      for (const w of this.#built.weights) w.dispose();
      heap().free(this.#built.params, Math.max(1, this.#built.total) * 4);
      heap().free(this.#built.grads, Math.max(1, this.#built.count) * 4);
      this.#built = null;
    }
    for (const layer of this.layers) {
      layer.weights = [];
      layer.dispose();
    }
  }

  // The loss plus every weight's L1/L2 penalty (what fit minimizes and reports, as Keras).
  #withPenalties(loss: Tensor): Tensor {
    let total = loss;
    this.layers.forEach((layer, i) => this.#shapes!.specs[i]!.forEach((spec, j) => {
      if (spec.regularizer) total = add(total, penalty(layer.weights[j]!, spec.regularizer));
    }));
    return total;
  }

  // With `check` (check-numerics mode, see numerics.ts), each layer's output is scanned after its
  // forward pass, and its input gradient and weight gradients after its backward pass.
  #forward(x: Tensor, training: boolean, rng: Rng | null = null, check?: string): Tensor {
    const context = { training, rng };
    let y = x;
    for (const layer of this.layers) {
      const who = `${layer.name} (${layer.className})`;
      if (check) {
        const input = y;
        y = watchGradient(input, (g) => {
          assertFinite(g, input.size, `${who} in the backward pass ${check}: the gradient of its input`);
          for (const w of layer.weights) if (w.grad) assertFinite(w.grad.ptr, w.size, `${who} in the backward pass ${check}: the gradient of a weight`);
        });
      }
      y = layer.call(y, context);
      if (check) assertFinite(y.ptr, y.size, `${who} in the forward pass ${check}`);
    }
    return y;
  }

  #requireCompiled(op: string): Compiled {
    if (!this.#compiled) {
      throw new WasmgradError('NOT_COMPILED', `${op}: the model is not compiled; call model.compile({ optimizer, loss }) first`);
    }
    return this.#compiled;
  }

  #requireShapes(op: string): Shapes {
    if (!this.#shapes) {
      throw invalid(`${op}: the input shape is unknown; give the first layer an inputShape, or call fit first`);
    }
    return this.#shapes;
  }

  #inferShapes(input: readonly number[]): Shapes {
    const outputs: number[][] = [], specs: WeightSpec[][] = [];
    let shape = input.slice();
    for (const layer of this.layers) {
      const r = layer.build(shape);
      outputs.push(r.outputShape);
      specs.push(r.weights);
      shape = r.outputShape;
    }
    return { input: input.slice(), outputs, specs };
  }

  // Shapes for this input: the model's, or inferred from x when the first layer has no inputShape
  // (kept only once all checks pass, see keepShapes).
  #checkInput(op: string, X: Samples): Shapes {
    const shapes = this.#shapes ?? this.#inferShapes(X.sampleShape);
    const sample = X.sampleShape;
    const want = shapes.input;
    if (sample.length !== want.length || sample.some((d, i) => d !== want[i])) {
      throw shapeError(`${op}: the model takes samples of shape ${fmtShape(want)} (x of shape [n, ${want.join(', ')}]), got x of shape ${fmtShape([X.n, ...sample])}`);
    }
    return shapes;
  }

  #keepShapes(shapes: Shapes): void {
    if (this.#shapes) return;
    this.#shapes = shapes;
    if (this.#compiled) this.#compiled.metrics = this.#makeMetrics();
  }

  // x and y as checked tensors of samples; y of shape [n] is taken as [n, 1] for one output.
  #checkData(op: string, x: DataInput, y: DataInput, made: Tensor[], what = ''): [Samples, Samples] {
    const X = Samples.of(op, `${what}x`, x, made);
    let Y = Samples.of(op, `${what}y`, y, made);
    if (X.n !== Y.n) {
      throw shapeError(`${op}: ${what}x has ${X.n} samples but ${what}y has ${Y.n}; they must match`);
    }
    const shapes = this.#checkInput(op, X);
    const out = shapes.outputs[shapes.outputs.length - 1]!;
    const want = this.#compiled?.loss.targetShape(out) ?? out;
    if (Y.sampleShape.length === 0 && want.length === 1 && want[0] === 1) Y = Y.reshaped([1]);
    const ys = Y.sampleShape;
    if (ys.length !== want.length || ys.some((d, i) => d !== want[i])) {
      const hint = ys.length === 0 && (out[0] ?? 1) > 1 && this.#compiled?.lossName === 'categoricalCrossentropy'
        ? ' (for integer class labels use sparseCategoricalCrossentropy, or one-hot encode them with data.oneHot)' : '';
      throw shapeError(`${op}: ${what}y must have shape [n, ${want.join(', ')}] to match the model's output for loss '${this.#compiled?.lossName}', got ${fmtShape([Y.n, ...ys])}${hint}`);
    }
    this.#compiled?.loss.checkTargets(op, Y, out);
    this.#keepShapes(shapes);
    return [X, Y];
  }

  // Allocates and initializes the weights once, in one flat buffer (and one for their gradients).
  // Trainable weights come first, so the optimizer updates [0, count); non-trainable state (batch
  // norm's moving statistics) follows and has no gradient.
  #build(rng: Rng): Built {
    if (this.#built) return this.#built;
    const shapes = this.#requireShapes('build');
    const all = shapes.specs.flat();
    const count = all.reduce((n, s) => n + (s.trainable === false ? 0 : size(s.shape)), 0);
    const total = all.reduce((n, s) => n + size(s.shape), 0);
    const arena = heap();
    const params = arena.alloc(Math.max(1, total) * 4);
    const grads = arena.alloc(Math.max(1, count) * 4);
    wasm().fill_f32(grads, count, 0);
    const weights: Tensor[] = [];
    const segments: Segment[] = [];
    let trainable = 0, fixed = count;
    this.layers.forEach((layer, i) => {
      layer.weights = shapes.specs[i]!.map((spec) => {
        const train = spec.trainable !== false;
        const offset = train ? trainable : fixed;
        const w = Tensor.view(params + offset * 4, spec.shape);
        if (train) {
          w.requiresGrad = true;
          w.setGradView(grads + offset * 4);
          segments.push({ offset, size: w.size });
          trainable += w.size;
        } else {
          fixed += w.size;
        }
        getInitializer(spec.initializer)(w, spec.fanIn, spec.fanOut, rng);
        weights.push(w);
        return w;
      });
    });
    this.#built = { params, grads, count, total, weights, segments };
    return this.#built;
  }

  #evaluateTensors(X: Samples, Y: Samples, batchSize: number): Logs {
    const compiled = this.#requireCompiled('evaluate');
    const n = X.n;
    let lossSum = 0;
    const accs = compiled.metrics.map((m) => new Float64Array(m.slots));
    for (let start = 0; start < n; start += batchSize) {
      const size = Math.min(batchSize, n - start);
      const result = tidy(() => noGrad(() => {
        const xb = X.batch(start, size), yb = Y.batch(start, size);
        const { loss: dataLoss, pred } = compiled.loss.compute(this.#forward(xb, false), yb);
        const loss = this.#withPenalties(dataLoss);
        compiled.metrics.forEach((m, i) => m.update(accs[i]!, pred, yb));
        return loss.item();
      }));
      lossSum += result * size;
    }
    return epochLogs(lossSum / n, compiled.metrics, accs);
  }
}

// Several hook objects as one; those with setModel get the model first.
function combine(given: Callbacks | Callbacks[] | undefined, model: Sequential): Callbacks {
  const list = given === undefined ? [] : Array.isArray(given) ? given : [given];
  for (const c of list) (c as { setModel?: (m: Sequential) => void }).setModel?.(model);
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

function epochLogs(loss: number, metrics: Metric[], accs: Float64Array[]): Logs {
  const logs: Logs = { loss };
  metrics.forEach((m, i) => { logs[m.name] = m.result(accs[i]!); });
  return logs;
}

function integerArg(op: string, name: string, value: number, min: number): number {
  if (!Number.isInteger(value) || value < min) {
    throw invalid(`${op}: ${name} must be an integer >= ${min}, got ${value}`);
  }
  return value;
}

function size(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** A model that runs `layers` one after another. */
export function sequential(layers: readonly Layer[]): Sequential {
  return new Sequential(layers);
}
