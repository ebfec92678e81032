// Models: a graph of layer applications from inputs to outputs (the functional API), of which a
// sequential model is the chain case (engine/sequential.ts). The data model is tfjs-layers':
//
//   SymbolicTensor ─► Node(layer) ─► SymbolicTensor ─► …      (engine/symbolic.ts)
//   Model { inputs, outputs, nodes in execution order, layers }   (this file)
//
// A Model is a Layer, so models nest (a model applied inside another) and layers are shared by
// applying them twice. This file holds the topology, runs it (forward), owns the references to the
// parameter stores of its layers, and answers what the training loop needs; the loop itself is in
// engine/training.ts, compile() in engine/compile.ts, summary() in engine/summary.ts, saving in io/.
import { WasmgradError, fmtShape, invalid, shapeError } from '../errors.js';
import { Layer, fmtShapes, uniqueName, type AnyLayer, type CallContext, type Shapes, type WeightSpec } from '../layers/layer.js';
import type { Optimizer, ParamGroup } from '../optimizers.js';
import type { Scaler } from '../preprocessing.js';
import { checkOptions, describe } from '../options.js';
import { Rng, globalRng } from '../random.js';
import { penalty } from '../regularizers.js';
import { Tensor, maskOf, withMask } from '../tensor.js';
import { add } from '../ops/elementwise.js';
import { assertFinite, watchGradient } from '../numerics.js';
import { heap } from '../wasm.js';
import { ParameterStore, type StoreEntry } from './store.js';
import { Node, SymbolicTensor } from './symbolic.js';
import { makeMetrics, resolveCompile, type CompileArgs, type Compiled } from './compile.js';
import * as training from './training.js';
import { summary } from './summary.js';
import { modelToArtifacts, saveArtifacts, type ModelArtifacts } from '../io/writer.js';
import type { EvaluateArgs, FitArgs, History, Logs, ModelData } from './training.js';

/** The layer of an input(): it only names the input and fixes its sample shape. */
export class InputLayer extends Layer {
  readonly className = 'InputLayer';
  constructor(config: { name?: string; inputShape: number[] }) {
    super(config, 'input');
  }
  build(inputShape: readonly number[]): { outputShape: Shapes; weights: WeightSpec[] } {
    return { outputShape: inputShape.slice(), weights: [] };
  }
  call(x: Tensor | Tensor[]): Tensor | Tensor[] {
    return x;
  }
  protected options(): Record<string, unknown> {
    return {};
  }
}

/** Options of input(). */
export interface InputConfig {
  /** Shape of one sample, without the batch axis. */
  shape: number[];
  /** A unique name (default input_1, input_2, …). */
  name?: string;
}

/** A symbolic input of a graph model: input({ shape: [784] }), as in Keras and TF.js. */
export function input(config: InputConfig): SymbolicTensor {
  if (config === undefined) throw invalid('input: expected { shape, name? }');
  checkOptions('input', config, ['shape', 'name']);
  const { shape } = config;
  if (!Array.isArray(shape) || shape.some((d) => !Number.isInteger(d) || d <= 0)) {
    throw invalid(`input: shape must be an array of positive integers (one sample, no batch axis), got ${JSON.stringify(shape)}`);
  }
  const layer = new InputLayer({ name: config.name ?? uniqueName('input'), inputShape: shape.slice() });
  layer.buildFor(shape.slice());
  return new Node(layer, [], false, [shape.slice()]).outputs[0]!;
}

/** The symbolic tensor of an existing input layer (for loading a saved graph). @internal */
export function inputOf(layer: InputLayer): SymbolicTensor {
  const shape = layer.inputShape!.slice();
  layer.buildFor(shape);
  return new Node(layer, [], false, [shape]).outputs[0]!;
}

/** A graph: its inputs and outputs, the nodes to run in order, and its layers. */
export interface Graph {
  readonly inputs: readonly SymbolicTensor[];
  readonly outputs: readonly SymbolicTensor[];
  /** Nodes in execution order (input nodes excluded). */
  readonly nodes: readonly Node[];
  /** Each layer once, input layers first, then in execution order. */
  readonly layers: readonly AnyLayer[];
  /** The nodes as run() reads them: each input and output tensor as a slot number (inputs take the first slots). */
  readonly steps: readonly { node: Node; ins: number[]; outs: number[] }[];
  readonly outputSlots: readonly number[];
}

// The nodes between inputs and outputs in execution order, checked: inputs are input() tensors,
// every path from an output ends at one of them, names are unique.
function makeGraph(name: string, inputs: readonly SymbolicTensor[], outputs: readonly SymbolicTensor[]): Graph {
  if (inputs.length === 0 || outputs.length === 0) throw invalid(`${name}: a model needs at least one input and one output`);
  inputs.forEach((t, i) => {
    if (!(t instanceof SymbolicTensor) || !(t.node.layer instanceof InputLayer)) {
      throw invalid(`${name}: inputs[${i}] must be a symbolic tensor made by input(), got ${t instanceof SymbolicTensor ? `the output of ${t.name}` : describe(t)}`);
    }
  });
  if (new Set(inputs).size !== inputs.length) throw invalid(`${name}: an input is listed twice`);
  outputs.forEach((t, i) => {
    if (!(t instanceof SymbolicTensor)) throw invalid(`${name}: outputs[${i}] must be a symbolic tensor (from input() or layer.apply), got ${describe(t)}`);
  });
  const inputSet = new Set(inputs);
  // Post-order depth-first walk back from the outputs, without recursion (deep graphs).
  const order: Node[] = [];
  const done = new Set<Node>();
  for (const out of outputs) {
    const stack: [Node, number][] = [[out.node, 0]];
    const onPath = new Set<Node>([out.node]);
    while (stack.length > 0) {
      const top = stack[stack.length - 1]!;
      const [node] = top;
      if (done.has(node)) { stack.pop(); onPath.delete(node); continue; }
      if (node.inputs.length === 0 && !inputSet.has(node.outputs[0]!)) {
        throw invalid(`${name}: the graph is disconnected: output ${out.name} depends on input ${node.layer.name}, which is not in the model's inputs (${inputs.map((t) => t.name).join(', ')})`);
      }
      if (top[1] < node.inputs.length) {
        const next = node.inputs[top[1]++]!.node;
        if (!done.has(next)) {
          if (onPath.has(next)) throw invalid(`${name}: the graph has a cycle through ${next.layer.name}`);
          onPath.add(next);
          stack.push([next, 0]);
        }
      } else {
        done.add(node);
        order.push(node);
        onPath.delete(node);
        stack.pop();
      }
    }
  }
  const nodes = order.filter((n) => n.inputs.length > 0);
  const layers: AnyLayer[] = [...inputs.map((t) => t.node.layer)];
  for (const n of nodes) if (!layers.includes(n.layer)) layers.push(n.layer);
  const names = new Map<string, AnyLayer>();
  for (const l of deepLayers(layers)) {
    const other = names.get(l.name);
    if (other && other !== l) throw invalid(`${name}: two different layers are named ${JSON.stringify(l.name)}; layer names must be unique in a model (weights are saved by name)`);
    names.set(l.name, l);
  }
  const slot = new Map<SymbolicTensor, number>(inputs.map((t, i) => [t, i]));
  const steps = nodes.map((node) => ({
    node, ins: node.inputs.map((t) => slot.get(t)!), outs: node.outputs.map((t) => slot.set(t, slot.size).get(t)!),
  }));
  return { inputs: inputs.slice(), outputs: outputs.slice(), nodes, layers, steps, outputSlots: outputs.map((t) => slot.get(t)!) };
}

// Layers and the layers of nested models, each once.
function deepLayers(layers: readonly AnyLayer[]): AnyLayer[] {
  const out: AnyLayer[] = [];
  for (const l of layers) {
    for (const x of l instanceof Model ? [l, ...l.deepLayers()] : [l]) if (!out.includes(x)) out.push(x);
  }
  return out;
}

/** Options of model(). */
export interface ModelConfig {
  /** The input() tensors the model is fed, one or a list. */
  inputs: SymbolicTensor | SymbolicTensor[];
  /** The symbolic tensors it returns, one or a list. */
  outputs: SymbolicTensor | SymbolicTensor[];
  /** A unique name (default model_1, …). */
  name?: string;
}

/** A graph model; S and E are what apply() and predict() return: a list when the model has several outputs. */
export class Model<S = SymbolicTensor | SymbolicTensor[], E = Tensor | Tensor[]> extends Layer<S, E> {
  readonly className: string = 'Model';
  /** Set to true (e.g. from a callback) to stop fit() after the current batch. */
  stopTraining = false;
  /** Fitted scalers that go with the model (e.g. scalers.x for its inputs); save() stores them, loadModel restores them. */
  scalers: Record<string, Scaler> = {};
  #graph: Graph | null = null;
  #leaves: AnyLayer[] | null = null;
  #names: { graph: Graph; inputs: readonly string[]; outputs: readonly string[] } | null = null;
  #penalized: { weight: () => Tensor; regularizer: NonNullable<WeightSpec['regularizer']> }[] | null = null;
  #stores: ParameterStore[] | null = null;
  #compiled: Compiled | null = null;
  #disposed = false;
  #warned = false;
  /** What the training engine keeps for this model between steps (a replayed step's tensors), freed by dispose(). @internal */
  trainingCache: { dispose(): void } | null = null;
  /** Nested models made for this one (by loadModel), disposed with it. @internal */
  owned: Model<unknown, unknown>[] = [];
  /** Whether fit() is running (a second fit is refused). @internal */
  fitting = false;
  // The models compiled with each optimizer: a model that leaves one (recompiled with another, or
  // disposed) frees the state it keeps for the buffers none of its other models uses.
  static readonly #users = new WeakMap<Optimizer, Set<Model<unknown, unknown>>>();

  constructor(config: ModelConfig, prefix = 'model') {
    super({ name: (config as { name?: string } | null)?.name }, prefix);
    if (prefix === 'model') {
      if (config === undefined) throw invalid('model: expected { inputs, outputs, name? }');
      checkOptions('model', config, ['inputs', 'outputs', 'name']);
      const list = (v: SymbolicTensor | SymbolicTensor[]) => (Array.isArray(v) ? v : [v]);
      this.setGraph(list(config.inputs), list(config.outputs));
    }
  }

  /** Sets the graph (a sequential model does so once its input shape is known). @internal */
  protected setGraph(inputs: readonly SymbolicTensor[], outputs: readonly SymbolicTensor[]): void {
    this.#graph = makeGraph(this.name, inputs, outputs);
    this.#leaves = null;
    this.#penalized = null;
  }

  /** Drops the graph (a sequential model whose shapes came from a refused first fit). @internal */
  protected clearGraph(): void {
    this.#graph = null;
    this.#leaves = null;
    this.#penalized = null;
  }

  /** Discards compile()'s result (a sequential model that got a layer after compile). @internal */
  protected clearCompiled(): void {
    if (this.#compiled) this.#leave(this.#compiled.optimizer);
    this.#compiled = null;
  }

  /** The graph, or null while a sequential model's input shape is unknown. @internal */
  get graph(): Graph | null {
    return this.#graph;
  }

  /** The graph, made from the samples' shapes if it is not yet (sequential); else it throws. @internal */
  graphFor(op: string, _sampleShapes?: readonly (readonly number[])[]): Graph {
    if (!this.#graph) throw invalid(`${op}: the input shape is unknown; give the first layer an inputShape, or call fit first`);
    return this.#graph;
  }

  /** The layers of the graph (with the input layers of a functional model), in execution order. */
  get layers(): readonly AnyLayer[] {
    return this.#graph?.layers ?? [];
  }

  /** The input() tensors. */
  get inputs(): readonly SymbolicTensor[] {
    return this.graphFor('inputs').inputs;
  }

  /** The output tensors. */
  get outputs(): readonly SymbolicTensor[] {
    return this.graphFor('outputs').outputs;
  }

  /** The output names logs and compile() use: each output's layer name. */
  get outputNames(): string[] {
    return this.#namesOf('outputNames').outputs.slice();
  }

  /** The input names (each input layer's name). */
  get inputNames(): string[] {
    return this.#namesOf('inputNames').inputs.slice();
  }

  // The input and output names, worked out once per graph (a graph never changes once set).
  #namesOf(op: string): { graph: Graph; inputs: readonly string[]; outputs: readonly string[] } {
    const g = this.graphFor(op);
    if (this.#names?.graph === g) return this.#names;
    const outs = g.outputs.map((t) => t.name);
    const outputs = outs.map((n, i) => (outs.indexOf(n) !== i || outs.lastIndexOf(n) !== i ? `${n}_${i + 1}` : n));
    return this.#names = { graph: g, inputs: g.inputs.map((t) => t.node.layer.name), outputs };
  }

  /** The input and output names without a copy, for the training engine's checks. @internal */
  get ioNames(): { readonly inputs: readonly string[]; readonly outputs: readonly string[] } {
    return this.#namesOf('ioNames');
  }

  /** The layer called `name`, searched in this model and its nested models. */
  getLayer(name: string): AnyLayer {
    const found = this.deepLayers().find((l) => l.name === name);
    if (!found) throw invalid(`getLayer: ${this.name} has no layer named ${JSON.stringify(name)}; it has ${this.deepLayers().map((l) => l.name).join(', ')}`);
    return found;
  }

  /** Every layer, nested models' layers included, each once. @internal */
  deepLayers(): AnyLayer[] {
    return deepLayers(this.layers);
  }

  /** The layers that hold weights or compute (no models, no input layers), each once, in execution order. @internal */
  leafLayers(): AnyLayer[] {
    // A graph never changes once set (nested models' graphs neither), so the list is made once.
    return this.#leaves ??= this.deepLayers().filter((l) => !(l instanceof Model) && !(l instanceof InputLayer));
  }

  override get takesList(): boolean {
    return (this.#graph?.inputs.length ?? 1) > 1;
  }

  override get trainable(): boolean {
    return super.trainable;
  }

  /** Freezes or unfreezes every layer of the model, nested ones included (takes effect at the next compile()). */
  override set trainable(value: boolean) {
    super.trainable = value;
    for (const l of this.deepLayers()) l.trainable = value;
  }

  // As a layer inside another model: the inputs must have the shapes of this model's inputs.
  build(inputShape: readonly number[] | readonly (readonly number[])[]): { outputShape: Shapes; weights: WeightSpec[] } {
    const g = this.graphFor(this.name);
    const want: Shapes = g.inputs.length > 1 ? g.inputs.map((t) => t.sampleShape.slice()) : g.inputs[0]!.sampleShape.slice();
    if (JSON.stringify(want) !== JSON.stringify(inputShape)) {
      throw shapeError(`${this.name}: the model takes inputs of shape ${fmtShapes(want)}, got ${fmtShapes(inputShape as Shapes)}`);
    }
    const outs = g.outputs.map((t) => t.sampleShape.slice());
    return { outputShape: outs.length > 1 ? outs : outs[0]!, weights: [] };
  }

  call(x: Tensor | Tensor[], context: CallContext): Tensor | Tensor[] {
    const outs = this.run(Array.isArray(x) ? x : [x], context);
    return outs.length > 1 ? outs : outs[0]!;
  }

  /** Runs the graph on one batch per input; with context.check, scans every node's outputs and gradients. @internal */
  run(inputs: readonly Tensor[], context: CallContext): Tensor[] {
    const g = this.graphFor('run');
    const values: Tensor[] = inputs.slice();
    const check = context.check;
    for (const { node, ins: at, outs: to } of g.steps) {
      const layer = node.layer;
      let ins = at.map((i) => values[i]!);
      const who = `${layer.name} (${layer.className})`;
      if (check) {
        ins = ins.map((input) => withMask(watchGradient(input, (grad) => {
          assertFinite(grad, input.size, `${who} in the backward pass ${check}: the gradient of its input`);
          for (const w of layer.weights) if (w.grad && w.requiresGrad) assertFinite(w.grad.ptr, w.size, `${who} in the backward pass ${check}: the gradient of a weight`);
        }), maskOf(input)));
      }
      const out = layer.call(node.listInput ? ins : ins[0]!, context);
      const outs = Array.isArray(out) ? out : [out];
      // A padded sequence's step mask follows it through the layers that keep its steps.
      const mask = node.listInput ? undefined : maskOf(ins[0]!);
      if (mask && outs.length === 1 && !maskOf(outs[0]!) && layer.passesMask() && outs[0]!.shape[1] === ins[0]!.shape[1]) withMask(outs[0]!, mask);
      if (check) for (const y of outs) assertFinite(y.ptr, y.size, `${who} in the forward pass ${check}`);
      to.forEach((slot, i) => { values[slot] = outs[i]!; });
    }
    return g.outputSlots.map((i) => values[i]!);
  }

  /** Throws DISPOSED once the model was disposed. @internal */
  live(op: string): this {
    if (this.#disposed) throw new WasmgradError('DISPOSED', `${op}: model ${this.name} was disposed and cannot be used`);
    return this;
  }

  protected override beforeApply(): void {
    this.live('apply');
  }

  /** The leaf layers frozen now (eager apply in training mode runs a frozen batch norm in inference mode). @internal */
  override frozenNow(): ReadonlySet<AnyLayer> {
    return new Set(this.leafLayers().filter((l) => !l.trainable));
  }

  // The weights, made on first need: one store for every leaf layer without weights yet, and a
  // reference to each store the model's layers use (nested models' and shared layers' included).
  protected override allocate(rng: Rng): void {
    if (this.#stores) return;
    const leaves = this.leafLayers();
    const fresh = leaves.filter((l) => !l.store && (l.built?.specs.length ?? 0) > 0);
    if (fresh.length > 0) new ParameterStore(fresh.map((l) => ({ layer: l, specs: l.built!.specs })), rng);
    this.#adopt();
    // Nested models hold their weights too, so that disposing this model leaves them usable.
    for (const l of this.deepLayers()) if (l instanceof Model && !l.#stores && !l.#disposed) l.#adopt();
  }

  // A reference to each store this model's layers use.
  #adopt(): void {
    const stores: ParameterStore[] = [];
    for (const l of this.leafLayers()) if (l.store && !stores.includes(l.store)) stores.push(l.store);
    for (const s of stores) s.retain();
    this.#stores = stores;
  }

  /** Whether the weights were allocated. @internal */
  get hasWeights(): boolean {
    return this.#stores !== null;
  }

  /** Allocates the weights if they do not exist yet (from rng, or the global generator). @internal */
  buildWeights(op: string, rng: Rng = globalRng()): ParameterStore[] {
    this.live(op).graphFor(op);
    this.allocate(rng);
    return this.#stores!;
  }

  /** The store entries of this model's weights, in layer order. @internal */
  entries(op: string): StoreEntry[] {
    const stores = this.buildWeights(op);
    const leaves = new Set(this.leafLayers());
    const byLayer = new Map<AnyLayer, StoreEntry[]>();
    for (const s of stores) for (const e of s.entries) if (leaves.has(e.layer)) (byLayer.get(e.layer) ?? byLayer.set(e.layer, []).get(e.layer)!).push(e);
    return this.leafLayers().flatMap((l) => byLayer.get(l) ?? []);
  }

  /** Sets the loss, optimizer and metrics used by fit() and evaluate(); freezing takes effect here. */
  compile(args: CompileArgs): void {
    this.live('compile');
    const outputs = this.#graph ? this.outputNames : ['output'];
    const compiled = resolveCompile(args, outputs, this.#graph ? this.leafLayers() : []);
    // Metrics depend on the output widths: checked now when they are known (else at the first fit).
    if (this.#graph) makeMetrics(compiled, this.#graph.outputs.map((t) => t.sampleShape));
    const old = this.#compiled?.optimizer;
    this.#compiled = compiled;
    this.#warned = false;
    this.trainingCache?.dispose(); // a replayed step of the old compile
    this.trainingCache = null;
    if (old && old !== compiled.optimizer) this.#leave(old);
    const users = Model.#users.get(compiled.optimizer) ?? new Set();
    Model.#users.set(compiled.optimizer, users.add(this as Model<unknown, unknown>));
  }

  #leave(optimizer: Optimizer): void {
    const users = Model.#users.get(optimizer);
    users?.delete(this as Model<unknown, unknown>);
    for (const s of this.#stores ?? []) {
      if (![...(users ?? [])].some((u) => u.leafLayers().some((l) => l.store === s))) optimizer.release(s);
    }
  }

  /** The compile() result, checked against the graph (a sequential model compiled before its shape was known gets its head names now). @internal */
  compiled(op: string): Compiled {
    this.live(op);
    const c = this.#compiled;
    if (!c) throw new WasmgradError('NOT_COMPILED', `${op}: the model is not compiled; call model.compile({ optimizer, loss }) first`);
    const g = this.#graph;
    if (g && c.flags.size === 0 && this.leafLayers().length > 0) {
      // Compiled before the graph existed (a sequential model without inputShape): resolve the frozen set now.
      for (const l of this.leafLayers()) { c.flags.set(l, l.trainable); if (!l.trainable) c.frozen.add(l); }
      if (c.heads.length === 1) c.heads[0]!.name = this.outputNames[0]!;
    }
    if (g && c.heads.length !== g.outputs.length) {
      throw invalid(`${op}: the model was compiled for ${c.heads.length} output(s) but has ${g.outputs.length}; compile it again`);
    }
    return c;
  }

  /** The compile() result or null. @internal */
  get compiledOrNull(): Compiled | null {
    return this.#compiled;
  }

  /** Metrics per head, for the output widths. @internal */
  headMetrics(op: string) {
    const c = this.compiled(op);
    return makeMetrics(c, this.graphFor(op).outputs.map((t) => t.sampleShape));
  }

  /** Warns once if a layer's trainable flag changed after compile() (it takes effect at the next compile). @internal */
  warnIfTrainableChanged(): void {
    const c = this.#compiled;
    if (!c || this.#warned) return;
    let any = false; // checked without allocating: this runs on every trainOnBatch
    for (const [l, was] of c.flags) if (l.trainable !== was) { any = true; break; }
    if (!any) return;
    const changed = [...c.flags].filter(([l, was]) => l.trainable !== was).map(([l]) => l.name);
    this.#warned = true;
    console.warn(`wasmgrad: ${this.name}: trainable changed on ${changed.slice(0, 5).join(', ')}${changed.length > 5 ? ', …' : ''} after compile(); ` +
      'as in Keras, it takes effect at the next compile(), and this model trains with the flags compile() saw');
  }

  /** One optimizer step's view of the model's buffers: the runs of weights that train. @internal */
  paramGroups(op: string): ParamGroup[] {
    const c = this.compiled(op);
    const stores = this.buildWeights(op);
    const leaves = new Set(this.leafLayers());
    return stores.map((s) => s.group((e) => leaves.has(e.layer) && !c.frozen.has(e.layer))).filter((g): g is ParamGroup => g !== null);
  }

  /** Which weights autograd follows in this model's step: the trainable ones of layers compile() saw unfrozen. @internal */
  gradFlags(op: string): [Tensor, boolean][] {
    const c = this.compiled(op);
    return this.entries(op).map((e) => [e.tensor, e.trainable && !c.frozen.has(e.layer)]);
  }

  /** The loss plus every weight's L1/L2 penalty (what fit minimizes and reports, as Keras). @internal */
  withPenalties(loss: Tensor): Tensor {
    this.#penalized ??= this.leafLayers().flatMap((l) => (l.built?.specs ?? []).flatMap((spec, j) =>
      (spec.regularizer ? [{ weight: () => l.weights[j]!, regularizer: spec.regularizer }] : [])));
    let total = loss;
    for (const p of this.#penalized) total = add(total, penalty(p.weight(), p.regularizer));
    return total;
  }

  /** Trains the model on x and y (one per input and output: a value, a list, or an object keyed by name). */
  fit(x: ModelData, y: ModelData, args: FitArgs = {}): Promise<History> {
    return training.fit(this as Model, x, y, args);
  }

  /** Loss and metrics on x and y, as plain numbers. */
  evaluate(x: ModelData, y: ModelData, args: EvaluateArgs = {}): Logs {
    return training.evaluate(this as Model, x, y, args);
  }

  /** The model's outputs for x, computed in batches (a list with several outputs); the caller disposes them. */
  predict(x: ModelData, args: EvaluateArgs = {}): E {
    return training.predict(this as Model, x, args) as E;
  }

  /** One training step on this batch; returns its loss and metrics as plain numbers. */
  trainOnBatch(x: ModelData, y: ModelData): Logs {
    return training.trainOnBatch(this as Model, x, y);
  }

  /** Loss and metrics on this batch, without training. */
  testOnBatch(x: ModelData, y: ModelData): Logs {
    return training.evaluate(this as Model, x, y, { batchSize: Number.MAX_SAFE_INTEGER });
  }

  /** The outputs for one batch, in one pass. */
  predictOnBatch(x: ModelData): E {
    return training.predict(this as Model, x, { batchSize: Number.MAX_SAFE_INTEGER }) as E;
  }

  /** Copies of the weights, in layer order: [kernel (inputs × units), bias, ...]. */
  getWeights(): Float32Array[] {
    return this.entries('getWeights').map((e) => e.tensor.toArray());
  }

  /** Replaces the weights with `arrays`, in the order getWeights() returns them. */
  setWeights(arrays: ReadonlyArray<Float32Array | ArrayLike<number>>): void {
    const entries = this.entries('setWeights');
    if (!Array.isArray(arrays) || arrays.length !== entries.length) {
      throw shapeError(`setWeights: expected ${entries.length} arrays, got ${Array.isArray(arrays) ? arrays.length : typeof arrays}`);
    }
    // Check everything before writing anything, so a bad call changes no weight.
    arrays.forEach((a, i) => {
      const w = entries[i]!.tensor;
      if (a?.length !== w.size) {
        throw shapeError(`setWeights: array ${i} must hold ${w.size} values for shape ${fmtShape(w.shape)}, got ${a?.length}`);
      }
      for (let j = 0; j < a.length; j++) {
        if (!Number.isFinite(a[j])) throw new WasmgradError('NON_FINITE', `setWeights: array ${i} holds ${a[j]} at index ${j}; every value must be finite`);
      }
    });
    arrays.forEach((a, i) => {
      const w = entries[i]!.tensor;
      new Float32Array(heap().memory.buffer, w.ptr, w.size).set(a);
    });
  }

  /** The weights the optimizer trains, as views into the flat parameter buffers (for variableGrads and applyGradients). */
  override get trainableWeights(): Tensor[] {
    this.live('trainableWeights');
    if (!this.#graph) return [];
    return this.entries('trainableWeights').filter((e) => e.trainable && e.layer.trainable).map((e) => e.tensor);
  }

  /** The number of parameters (weights, biases and non-trainable state such as moving statistics) in all layers. */
  countParams(): number {
    this.live('countParams').graphFor('countParams');
    return this.leafLayers().reduce((n, l) => n + (l.built?.specs ?? []).reduce((m, s) => m + size(s.shape), 0), 0);
  }

  /** The number of parameters the optimizer trains. */
  countTrainableParams(): number {
    this.live('countTrainableParams').graphFor('countTrainableParams');
    return this.leafLayers().reduce((n, l) => n + (l.trainable ? (l.built?.specs ?? []).reduce((m, s) => m + (s.trainable === false ? 0 : size(s.shape)), 0) : 0), 0);
  }

  /**
   * Prints a Keras-style table of the layers, their output shapes, parameter counts and (graphs)
   * inbound layers with console.log, or each line with `printFn`, and returns it.
   */
  summary(options?: { printFn?: (line: string) => void }): string {
    const { printFn = (line: string) => console.log(line) } = checkOptions('summary', options, ['printFn']);
    if (typeof printFn !== 'function') throw invalid(`summary: printFn must be a function, got ${describe(printFn)}`);
    this.live('summary').graphFor('summary');
    const table = summary(this as Model);
    for (const line of table.split('\n')) printFn(line);
    return table;
  }

  /** The training setup compile() was given, or null (for saving). */
  trainingConfig(): Compiled | null {
    this.live('trainingConfig');
    return this.#compiled;
  }

  /** Every weight as `layerName/weightName` with its tensor, in layer order (builds the model if needed). */
  namedWeights(): { name: string; tensor: Tensor }[] {
    return this.entries('namedWeights').map((e) => ({ name: e.name, tensor: e.tensor }));
  }

  /** Every weight's name (`layerName/weightName`) and shape, in layer order, without building. */
  weightSpecs(): { name: string; shape: number[] }[] {
    this.live('weightSpecs').graphFor('weightSpecs');
    return this.leafLayers().flatMap((l) => (l.built?.specs ?? []).map((s) => ({ name: `${l.name}/${s.name}`, shape: s.shape.slice() })));
  }

  /** The saved form: topology JSON and safetensors weights (and optimizer state if asked). */
  toArtifacts(options?: { includeOptimizer?: boolean }): ModelArtifacts {
    this.live('toArtifacts');
    return modelToArtifacts(this as Model, checkOptions('toArtifacts', options, ['includeOptimizer']));
  }

  /** Writes dir/model.json and dir/weights.safetensors (Node and Deno). */
  async save(dir: string | URL, options?: { includeOptimizer?: boolean }): Promise<void> {
    this.live('save');
    await saveArtifacts(dir, modelToArtifacts(this as Model, checkOptions('save', options, ['includeOptimizer'])));
  }

  /** Frees the model's hold on its weights (freed once no other model uses them) and its optimizer state; using the model afterwards throws DISPOSED. */
  override dispose(): void {
    if (this.#disposed) return;
    // The optimizer's state for buffers no other model of it uses goes now; the buffers (and any
    // other optimizer's state for them) go when no model uses them.
    if (this.#compiled) this.#leave(this.#compiled.optimizer);
    if (this.#stores) for (const s of this.#stores) s.release();
    this.#stores = null;
    this.trainingCache?.dispose();
    this.trainingCache = null;
    this.#disposed = true;
    for (const m of this.owned) m.dispose();
    for (const l of this.leafLayers()) {
      if (!l.store) l.dispose();
      else l.resetStates(); // a stateful layer's carried states
    }
    super.dispose();
  }

  /** Starts every stateful layer of the model from zeros again (Keras' reset_states). */
  override resetStates(): void {
    this.live('resetStates');
    for (const l of this.leafLayers()) l.resetStates();
  }

  /** Whether dispose() was called. */
  get isDisposed(): boolean {
    return this.#disposed;
  }

  protected options(): Record<string, unknown> {
    return {};
  }
}

function size(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** A model from input() tensors to outputs, as TF.js' tf.model({ inputs, outputs }). */
export function model(config: ModelConfig): Model {
  return new Model(config);
}

