// Recurrent layers (simpleRNN, lstm) and embedding, with Keras' names, defaults and weight layout:
// kernel [features, gates·units], recurrent_kernel [units, gates·units], bias [gates·units] with the
// LSTM's gate blocks i, f, c, o, so setWeights() takes a Keras or TF.js model's weights as they are.
import { invalid, shapeError, fmtShape } from '../errors.js';
import { getInitializer, type InitializerSpec } from '../initializers.js';
import { booleanOption, describe, numberOption } from '../options.js';
import { copyValues, embeddingLookup, gru, lstm, reverseSteps, simpleRnn, sliceCols, type GruOptions, type RecurrentActivation } from '../ops/recurrent.js';
import { add, mul, scale } from '../ops/elementwise.js';
import { concat } from '../ops/shape.js';
import { reshape } from '../ops/conv.js';
import { checkRegularizer, type Regularizer } from '../regularizers.js';
import { Tensor, keep, maskOf, withMask } from '../tensor.js';
import type { SymbolicTensor } from '../engine/symbolic.js';
import { wasm } from '../wasm.js';
import { Layer, fmtShapes, type CallContext, type LayerConfig, type Shapes, type WeightSpec } from './layer.js';

const ACTIVATIONS: RecurrentActivation[] = ['tanh', 'relu', 'linear', 'sigmoid', 'hardSigmoid'];

/** Options of layers.simpleRNN(), layers.lstm(). */
export interface RecurrentLayerConfig extends LayerConfig {
  /** Size of the state and of the output. */
  units: number;
  /** The cell's activation (default 'tanh'). */
  activation?: RecurrentActivation;
  /** Use a bias (default true). */
  useBias?: boolean;
  /** Initializer of the input kernel (default 'glorotUniform'). */
  kernelInitializer?: InitializerSpec;
  /** Initializer of the recurrent kernel (default 'orthogonal'). */
  recurrentInitializer?: InitializerSpec;
  /** Initializer of the bias (default 'zeros'). */
  biasInitializer?: InitializerSpec;
  /** Penalty on the input kernel. */
  kernelRegularizer?: Regularizer;
  /** Penalty on the recurrent kernel. */
  recurrentRegularizer?: Regularizer;
  /** Penalty on the bias. */
  biasRegularizer?: Regularizer;
  /** Output every step ([steps, units] per sample) rather than the last ([units]) (default false). */
  returnSequences?: boolean;
  /** Process the sequence from its last step to its first (default false). */
  goBackwards?: boolean;
  /** Fraction of each sequence's input features dropped in fit, one mask for every step (Keras' dropout; default 0). */
  dropout?: number;
  /** Also output the last state: [output, h] ([output, h, c] for an LSTM), as Keras (default false). */
  returnState?: boolean;
  /** Fraction of the previous state's units dropped in fit, one mask for every step (Keras' recurrentDropout; default 0). */
  recurrentDropout?: number;
  /**
   * Carry each sample's last state into the next batch as its initial state (Keras' stateful): every
   * batch must have the same size; resetStates() starts again from zeros (default false).
   */
  stateful?: boolean;
}

/** Options of layers.lstm(). */
export interface LstmConfig extends RecurrentLayerConfig {
  /** The gates' activation (default 'sigmoid' as Keras; TF.js' default is 'hardSigmoid'). */
  recurrentActivation?: RecurrentActivation;
  /** Start the forget gate's bias at 1 (default true, as Keras). */
  unitForgetBias?: boolean;
}

function activationArg(layer: string, name: string, value: unknown): RecurrentActivation {
  if (!ACTIVATIONS.includes(value as RecurrentActivation)) {
    throw invalid(`${layer}: ${name} must be one of ${ACTIVATIONS.map((a) => `'${a}'`).join(', ')}, got ${describe(value)}`);
  }
  return value as RecurrentActivation;
}

/** What SimpleRNN and LSTM share: the options, the three weights and the sequence's shapes. */
/** With returnState a recurrent layer outputs a list ([output, h] or [output, h, c]), so apply() may return one. */
export abstract class RecurrentLayer extends Layer<SymbolicTensor | SymbolicTensor[], Tensor | Tensor[]> {
  static override readonly options: readonly string[] = ['units', 'activation', 'useBias', 'kernelInitializer', 'recurrentInitializer',
    'biasInitializer', 'kernelRegularizer', 'recurrentRegularizer', 'biasRegularizer', 'returnSequences', 'goBackwards', 'dropout', 'returnState', 'recurrentDropout',
    'stateful'];
  readonly units: number;
  readonly activation: RecurrentActivation;
  readonly useBias: boolean;
  readonly kernelInitializer: InitializerSpec;
  readonly recurrentInitializer: InitializerSpec;
  readonly biasInitializer: InitializerSpec;
  readonly kernelRegularizer: Regularizer | undefined;
  readonly recurrentRegularizer: Regularizer | undefined;
  readonly biasRegularizer: Regularizer | undefined;
  readonly returnSequences: boolean;
  readonly goBackwards: boolean;
  readonly dropout: number;
  readonly returnState: boolean;
  readonly recurrentDropout: number;
  readonly stateful: boolean;
  /** A stateful layer's carried states ([batch, units]: h, and c for an LSTM), or null: zeros. */
  #carried: Tensor[] | null = null;
  /** Gate blocks in the weights: 1 (SimpleRNN) or 4 (LSTM). */
  protected abstract readonly gates: number;

  constructor(config: RecurrentLayerConfig, prefix: string) {
    super(config, prefix);
    this.units = numberOption(this.name, 'units', config.units, 'a positive integer', (v) => Number.isInteger(v) && v > 0);
    this.activation = activationArg(this.name, 'activation', config.activation ?? 'tanh');
    this.useBias = config.useBias === undefined || booleanOption(this.name, 'useBias', config.useBias);
    this.kernelInitializer = config.kernelInitializer ?? 'glorotUniform';
    this.recurrentInitializer = config.recurrentInitializer ?? 'orthogonal';
    this.biasInitializer = config.biasInitializer ?? 'zeros';
    for (const k of ['kernelInitializer', 'recurrentInitializer', 'biasInitializer'] as const) getInitializer(this[k], `${this.name}: ${k}`);
    this.kernelRegularizer = checkRegularizer(`${this.name}: kernelRegularizer`, config.kernelRegularizer);
    this.recurrentRegularizer = checkRegularizer(`${this.name}: recurrentRegularizer`, config.recurrentRegularizer);
    this.biasRegularizer = checkRegularizer(`${this.name}: biasRegularizer`, config.biasRegularizer);
    this.returnSequences = booleanOption(this.name, 'returnSequences', config.returnSequences);
    this.goBackwards = booleanOption(this.name, 'goBackwards', config.goBackwards);
    this.dropout = numberOption(this.name, 'dropout', config.dropout ?? 0, 'in [0, 1)', (v) => v >= 0 && v < 1);
    this.returnState = booleanOption(this.name, 'returnState', config.returnState);
    this.recurrentDropout = numberOption(this.name, 'recurrentDropout', config.recurrentDropout ?? 0, 'in [0, 1)', (v) => v >= 0 && v < 1);
    this.stateful = booleanOption(this.name, 'stateful', config.stateful);
  }

  /** The batch size a stateful layer's carried states have, or null (none carried). @internal */
  get carriedBatch(): number | null {
    return this.#carried?.[0]?.shape[0] ?? null;
  }

  /** A stateful layer's carried states (copies), or null when the next batch starts from zeros. */
  get states(): Float32Array[] | null {
    return this.#carried?.map((t) => t.toArray()) ?? null;
  }

  /** Starts a stateful layer's next batch from zeros again (Keras' reset_states); frees the carried states. */
  override resetStates(): void {
    for (const t of this.#carried ?? []) t.dispose();
    this.#carried = null;
  }

  override dispose(): void {
    this.resetStates();
    super.dispose();
  }

  /** How many states the cell carries: h, and c for an LSTM. */
  get stateCount(): number {
    return this.gates === 4 ? 2 : 1;
  }

  /** apply([x, h0]) (or [x, h0, c0] for an LSTM) starts from those states, as Keras' initial_state. */
  override get acceptsList(): boolean {
    return true;
  }

  build(input: readonly number[] | readonly (readonly number[])[]): { outputShape: Shapes; weights: WeightSpec[] } {
    const list = Array.isArray(input[0]);
    const inputShape = (list ? input[0] : input) as readonly number[];
    if (inputShape.length !== 2) {
      throw shapeError(`${this.name}: ${this.className} takes samples of shape [steps, features], got ${fmtShape(inputShape)}`);
    }
    if (list) {
      const states = (input as readonly (readonly number[])[]).slice(1);
      if (states.length !== this.stateCount || states.some((st) => st.length !== 1 || st[0] !== this.units)) {
        throw shapeError(`${this.name}: ${this.className} takes [x, ${this.stateCount === 2 ? 'h0, c0' : 'h0'}] with states of shape [${this.units}], got ${fmtShapes(input as Shapes)}`);
      }
    }
    const [steps, features] = inputShape as [number, number];
    const u = this.units, w = this.gates * u;
    const weights: WeightSpec[] = [
      { name: 'kernel', shape: [features, w], initializer: this.kernelInitializer, fanIn: features, fanOut: w, regularizer: this.kernelRegularizer },
      { name: 'recurrent_kernel', shape: [u, w], initializer: this.recurrentInitializer, fanIn: u, fanOut: w, regularizer: this.recurrentRegularizer },
    ];
    if (this.useBias) weights.push({ name: 'bias', shape: this.biasShape(w), initializer: this.biasInitializer, fanIn: w, fanOut: w, regularizer: this.biasRegularizer, afterInit: this.biasAfterInit() });
    const out = this.returnSequences ? [steps, u] : [u];
    return { outputShape: this.returnState ? [out, ...new Array<number[]>(this.stateCount).fill([u])] : out, weights };
  }

  /** The bias' shape for `width` = gates·units. */
  protected biasShape(width: number): number[] {
    return [width];
  }

  /** Runs on the bias after its initializer (LSTM's unitForgetBias). */
  protected biasAfterInit(): ((w: Tensor) => void) | undefined {
    return undefined;
  }

  /**
   * The layer's pass over x with these weights, in either direction (Bidirectional runs it twice);
   * with withCellState (an LSTM's returnState), the output's last `units` columns are the last c. @internal
   */
  run(x: Tensor, [kernel, recurrent, bias]: readonly Tensor[], goBackwards: boolean, inputMask?: Tensor, stepMask?: Tensor, initialState?: Tensor[],
    withCellState?: boolean, recurrentMask?: Tensor): Tensor {
    return this.cell(x, kernel!, recurrent!, bias ?? null, {
      activation: this.activation, returnSequences: this.returnSequences, goBackwards, inputMask, stepMask, initialState, recurrentMask,
      ...this.cellOptions(withCellState === true),
    });
  }

  /** The op of this cell (simpleRnn, lstm or gru). */
  protected abstract cell(x: Tensor, kernel: Tensor, recurrent: Tensor, bias: Tensor | null, options: GruOptions): Tensor;

  /** The cell's own options besides the shared ones. */
  protected cellOptions(_withCellState: boolean): GruOptions {
    return {};
  }

  override passesMask(): boolean {
    return this.returnSequences;
  }

  /** In fit with dropout: a mask [batch, features] of 0 and 1/(1 - dropout) from fit's generator, kept for every step. @internal */
  dropoutMask(x: Tensor, context: CallContext): Tensor | undefined {
    return this.#mask(this.dropout, [x.shape[0]!, x.shape[2]!], context);
  }

  /** In fit with recurrentDropout: a mask [batch, units] on the previous state, kept for every step. @internal */
  recurrentDropoutMask(x: Tensor, context: CallContext): Tensor | undefined {
    return this.#mask(this.recurrentDropout, [x.shape[0]!, this.units], context);
  }

  #mask(rate: number, shape: number[], context: CallContext): Tensor | undefined {
    if (!context.training || rate === 0) return undefined;
    if (!context.rng) throw invalid(`${this.name}: training needs a random generator`);
    const ones = Tensor.filled(shape, 1), mask = Tensor.empty(shape), out = Tensor.empty(shape);
    context.rng.dropout(out, mask, ones, rate);
    ones.dispose();
    out.dispose();
    return mask;
  }

  call(input: Tensor | Tensor[], context: CallContext): Tensor | Tensor[] {
    const [x, ...states] = Array.isArray(input) ? input : [input];
    const [batch, steps] = x!.shape as [number, number];
    let initial = states.length > 0 ? states : undefined;
    if (this.stateful) {
      if (initial) throw invalid(`${this.name}: a stateful ${this.className} starts from the states it carries; give it no initial states (resetStates() starts it from zeros)`);
      const carried = this.#carried?.[0]?.shape[0];
      if (carried !== undefined && carried !== batch) {
        throw invalid(`${this.name}: a stateful ${this.className} carries states for batches of ${carried}, got a batch of ${batch}; ` +
          'give every batch the same size (a batchSize that divides the data), or call resetStates() first');
      }
      initial = this.#carried ?? undefined;
    }
    const withC = (this.returnState || this.stateful) && this.gates === 4;
    const y = this.run(x!, this.weights, this.goBackwards, this.dropoutMask(x!, context), maskOf(x!), initial, withC, this.recurrentDropoutMask(x!, context));
    if (!this.returnState && !this.stateful) return y;
    const parts = this.withStates(y, batch, steps);
    if (this.stateful) {
      // The last states become the next batch's initial states: values only, no gradient across batches (as Keras).
      this.#carried ??= parts.slice(1).map((h) => keep(Tensor.empty(h.shape)));
      parts.slice(1).forEach((h, i) => copyValues(this.#carried![i]!, h));
    }
    return this.returnState ? parts : parts[0]!;
  }

  /**
   * [output, h (the last step's output), c] from run()'s output with withCellState for an LSTM:
   * slices of the one output, so one backward pass gets every gradient. @internal
   */
  withStates(y: Tensor, batch: number, steps: number): Tensor[] {
    const withC = this.gates === 4, u = this.units, cols = (this.returnSequences ? steps : 1) * u;
    const flat = this.returnSequences || withC ? y.reshape([batch, withC ? cols + u : cols]) : y;
    const out = withC ? sliceCols(flat, 0, cols) : y;
    const h = sliceCols(flat, cols - u, u);
    return [this.returnSequences && withC ? out.reshape([batch, steps, u]) : out, h, ...(withC ? [sliceCols(flat, cols, u)] : [])];
  }

  protected options(): Record<string, unknown> {
    const { units, activation, useBias, kernelInitializer, recurrentInitializer, biasInitializer, returnSequences, goBackwards } = this;
    return {
      units, activation, useBias, kernelInitializer, recurrentInitializer, biasInitializer,
      ...(this.kernelRegularizer ? { kernelRegularizer: this.kernelRegularizer } : {}),
      ...(this.recurrentRegularizer ? { recurrentRegularizer: this.recurrentRegularizer } : {}),
      ...(this.biasRegularizer ? { biasRegularizer: this.biasRegularizer } : {}),
      returnSequences, goBackwards, ...(this.dropout > 0 ? { dropout: this.dropout } : {}), ...(this.returnState ? { returnState: true } : {}),
      ...(this.recurrentDropout > 0 ? { recurrentDropout: this.recurrentDropout } : {}), ...(this.stateful ? { stateful: true } : {}),
    };
  }
}

/** A fully connected recurrent layer: h_t = activation(x_t·kernel + h_{t-1}·recurrent_kernel + bias). */
export class SimpleRNN extends RecurrentLayer {
  readonly className = 'SimpleRNN';
  protected readonly gates = 1;

  constructor(config: RecurrentLayerConfig) {
    super(config, 'simple_rnn');
  }

  protected cell(x: Tensor, kernel: Tensor, recurrent: Tensor, bias: Tensor | null, options: GruOptions): Tensor {
    return simpleRnn(x, kernel, recurrent, bias, options);
  }
}

/** What LSTM and GRU add: gates with their own activation (recurrentActivation). */
export abstract class GatedLayer extends RecurrentLayer {
  static override readonly options: readonly string[] = [...RecurrentLayer.options, 'recurrentActivation'];
  readonly recurrentActivation: RecurrentActivation;

  constructor(config: LstmConfig | GruConfig, prefix: string) {
    super(config, prefix);
    this.recurrentActivation = activationArg(this.name, 'recurrentActivation', config.recurrentActivation ?? 'sigmoid');
  }

  protected override options(): Record<string, unknown> {
    return { ...super.options(), recurrentActivation: this.recurrentActivation };
  }

  protected override cellOptions(_withCellState: boolean): GruOptions {
    return { recurrentActivation: this.recurrentActivation };
  }
}

/** Long short-term memory (Hochreiter & Schmidhuber, 1997), Keras' formulation and weight layout. */
export class LSTM extends GatedLayer {
  readonly className = 'LSTM';
  static override readonly options = [...GatedLayer.options, 'unitForgetBias'];
  protected readonly gates = 4;
  readonly unitForgetBias: boolean;

  constructor(config: LstmConfig) {
    super(config, 'lstm');
    this.unitForgetBias = config.unitForgetBias === undefined || booleanOption(this.name, 'unitForgetBias', config.unitForgetBias);
  }

  protected override biasAfterInit(): ((w: Tensor) => void) | undefined {
    const u = this.units;
    return this.unitForgetBias ? (w) => wasm().fill_f32(w.ptr + u * 4, u, 1) : undefined;
  }

  protected override options(): Record<string, unknown> {
    return { ...super.options(), unitForgetBias: this.unitForgetBias };
  }

  protected override cellOptions(withCellState: boolean): GruOptions {
    return { ...super.cellOptions(withCellState), withCellState };
  }

  protected cell(x: Tensor, kernel: Tensor, recurrent: Tensor, bias: Tensor | null, options: GruOptions): Tensor {
    return lstm(x, kernel, recurrent, bias, options);
  }
}

/** Options of layers.gru(). */
export interface GruConfig extends RecurrentLayerConfig {
  /** The gates' activation (default 'sigmoid' as Keras; TF.js' default is 'hardSigmoid'). */
  recurrentActivation?: RecurrentActivation;
  /**
   * Apply the reset gate after the recurrent product, with its own recurrent bias (bias [2, 3·units]):
   * Keras' default (true); TF.js' GRU is the other form (false, bias [3·units]).
   */
  resetAfter?: boolean;
}

/** Gated recurrent unit (Cho et al., 2014), Keras' formulation and weight layout (gates z, r, h). */
export class GRU extends GatedLayer {
  readonly className = 'GRU';
  static override readonly options = [...GatedLayer.options, 'resetAfter'];
  protected readonly gates = 3;
  readonly resetAfter: boolean;

  constructor(config: GruConfig) {
    super(config, 'gru');
    this.resetAfter = config.resetAfter === undefined || booleanOption(this.name, 'resetAfter', config.resetAfter);
  }

  protected override biasShape(width: number): number[] {
    return this.resetAfter ? [2, width] : [width];
  }

  protected override options(): Record<string, unknown> {
    return { ...super.options(), resetAfter: this.resetAfter };
  }

  protected override cellOptions(withCellState: boolean): GruOptions {
    return { ...super.cellOptions(withCellState), resetAfter: this.resetAfter };
  }

  protected cell(x: Tensor, kernel: Tensor, recurrent: Tensor, bias: Tensor | null, options: GruOptions): Tensor {
    return gru(x, kernel, recurrent, bias, options);
  }
}

/** Options of layers.embedding(). */
export interface EmbeddingConfig extends LayerConfig {
  /** Number of distinct indices: they must be integers in [0, inputDim). */
  inputDim: number;
  /** Length of each index's vector. */
  outputDim: number;
  /** Initializer of the table (default: uniform in [-0.05, 0.05], as Keras). */
  embeddingsInitializer?: InitializerSpec;
  /** Penalty on the table. */
  embeddingsRegularizer?: Regularizer;
  /** Index 0 is padding: its steps are masked for the recurrent layers after (default false). */
  maskZero?: boolean;
}

/** A table of outputDim-vectors looked up by integer index: samples [steps] → [steps, outputDim]. */
export class Embedding extends Layer {
  readonly className = 'Embedding';
  static override readonly options = ['inputDim', 'outputDim', 'embeddingsInitializer', 'embeddingsRegularizer', 'maskZero'];
  readonly inputDim: number;
  readonly outputDim: number;
  readonly embeddingsInitializer: InitializerSpec;
  readonly embeddingsRegularizer: Regularizer | undefined;
  readonly maskZero: boolean;

  constructor(config: EmbeddingConfig) {
    super(config, 'embedding');
    const positive = (name: 'inputDim' | 'outputDim') => numberOption(this.name, name, config[name], 'a positive integer', (v) => Number.isInteger(v) && v > 0);
    this.inputDim = positive('inputDim');
    this.outputDim = positive('outputDim');
    this.embeddingsInitializer = config.embeddingsInitializer ?? { name: 'randomUniform', minval: -0.05, maxval: 0.05 };
    getInitializer(this.embeddingsInitializer, `${this.name}: embeddingsInitializer`);
    this.embeddingsRegularizer = checkRegularizer(`${this.name}: embeddingsRegularizer`, config.embeddingsRegularizer);
    this.maskZero = booleanOption(this.name, 'maskZero', config.maskZero);
  }

  build(inputShape: readonly number[]): { outputShape: number[]; weights: WeightSpec[] } {
    const { inputDim: n, outputDim: d } = this;
    return {
      outputShape: [...inputShape, d],
      weights: [{ name: 'embeddings', shape: [n, d], initializer: this.embeddingsInitializer, fanIn: n, fanOut: d, regularizer: this.embeddingsRegularizer }],
    };
  }

  protected options(): Record<string, unknown> {
    const { inputDim, outputDim, embeddingsInitializer, embeddingsRegularizer } = this;
    return { inputDim, outputDim, embeddingsInitializer, ...(embeddingsRegularizer ? { embeddingsRegularizer } : {}), ...(this.maskZero ? { maskZero: true } : {}) };
  }

  call(x: Tensor): Tensor {
    const out = embeddingLookup(this.weights[0]!, x);
    if (!this.maskZero || x.shape.length !== 2) return out;
    const mask = maskFor(out, x.shape);
    wasm().nonzero_mask_f32(mask.ptr, x.ptr, x.size);
    return withMask(out, mask);
  }
}

/** How Bidirectional joins the forward and backward outputs. */
export type MergeMode = 'concat' | 'sum' | 'mul' | 'ave';

/** Options of layers.bidirectional(). */
export interface BidirectionalConfig extends LayerConfig {
  /** The recurrent layer to run both ways (its own options; its weights are the wrapper's). */
  layer: RecurrentLayer | { className: string; config: Record<string, unknown> };
  /** How the two outputs are joined (default 'concat', as Keras). */
  mergeMode?: MergeMode;
}

/**
 * A recurrent layer run forwards and backwards over the sequence, the two outputs joined: Keras'
 * Bidirectional. Its weights are the forward layer's then the backward layer's (Keras' and TF.js'
 * order); with returnSequences the backward outputs are put back in time order before joining.
 */
export class Bidirectional extends Layer<SymbolicTensor | SymbolicTensor[], Tensor | Tensor[]> {
  readonly className = 'Bidirectional';
  static override readonly options = ['layer', 'mergeMode'];
  /** The wrapped layer: a template whose options both directions use. */
  readonly layer: RecurrentLayer;
  readonly mergeMode: MergeMode;

  constructor(config: BidirectionalConfig) {
    super(config, 'bidirectional');
    const given = config.layer;
    if (given instanceof RecurrentLayer) {
      if (given.built) throw invalid(`${this.name}: layer ${given.name} has been applied already; give bidirectional a new layer`);
      this.layer = given;
    } else if (given !== null && typeof given === 'object' && !(given instanceof Layer) && typeof (given as { className?: unknown }).className === 'string') {
      const name = (given as { className: string }).className;
      const type = Object.prototype.hasOwnProperty.call(RECURRENT_TYPES, name) ? RECURRENT_TYPES[name] : undefined;
      if (!type) throw invalid(`${this.name}: layer must be a SimpleRNN, LSTM or GRU, got ${JSON.stringify((given as { className: string }).className)}`);
      this.layer = new type((given as unknown as { config: never }).config);
    } else {
      throw invalid(`${this.name}: layer must be a recurrent layer (layers.lstm(), layers.gru(), layers.simpleRNN()), got ${describe(given)}`);
    }
    // Options of the wrapped layer that would be ignored: said so, not dropped.
    if (this.layer.goBackwards) throw invalid(`${this.name}: the wrapped layer runs both ways already; give it no goBackwards`);
    if (!this.layer.trainable) throw invalid(`${this.name}: freeze the bidirectional layer (trainable: false on it), not the layer it wraps`);
    if (this.layer.inputShape) throw invalid(`${this.name}: give inputShape to the bidirectional layer, not to the layer it wraps`);
    if (this.layer.stateful) throw invalid(`${this.name}: a stateful wrapped layer is not supported yet`);
    this.mergeMode = config.mergeMode ?? 'concat';
    if (!['concat', 'sum', 'mul', 'ave'].includes(this.mergeMode)) throw invalid(`${this.name}: mergeMode must be 'concat', 'sum', 'mul' or 'ave', got ${describe(this.mergeMode)}`);
  }

  build(inputShape: readonly number[]): { outputShape: Shapes; weights: WeightSpec[] } {
    const inner = this.layer.build(inputShape);
    const side = (prefix: string) => inner.weights.map((w) => ({ ...w, name: `${prefix}_${w.name}` }));
    const [first, ...states] = (this.layer.returnState ? inner.outputShape : [inner.outputShape]) as number[][];
    const out = first!.slice();
    if (this.mergeMode === 'concat') out[out.length - 1]! *= 2;
    // With returnState: [output, the forward layer's states, the backward layer's states], as Keras.
    return { outputShape: this.layer.returnState ? [out, ...states, ...states] : out, weights: [...side('forward'), ...side('backward')] };
  }

  override passesMask(): boolean {
    return this.layer.returnSequences;
  }

  protected options(): Record<string, unknown> {
    const { name: _name, ...config } = this.layer.getConfig();
    return { layer: { className: this.layer.className, config }, mergeMode: this.mergeMode };
  }

  call(input: Tensor | Tensor[], context: CallContext): Tensor | Tensor[] {
    const x = Array.isArray(input) ? input[0]! : input; // apply() lets a list through only when it holds one input
    // Each direction draws its own dropout mask, as Keras' two copies of the layer do.
    const n = this.weights.length / 2;
    const steps = maskOf(x), wrapped = this.layer, withC = wrapped.returnState && wrapped.stateCount === 2;
    const pass = (weights: Tensor[], goBackwards: boolean): Tensor[] => {
      const y = wrapped.run(x, weights, goBackwards, wrapped.dropoutMask(x, context), steps, undefined, withC, wrapped.recurrentDropoutMask(x, context));
      return wrapped.returnState ? wrapped.withStates(y, x.shape[0]!, x.shape[1]!) : [y];
    };
    const [forward, ...forwardStates] = pass(this.weights.slice(0, n), false);
    let [backward, ...backwardStates] = pass(this.weights.slice(n), true);
    if (wrapped.returnSequences) backward = reverseSteps(backward!);
    const merged = this.mergeMode === 'concat' ? concat([forward!, backward!], -1)
      : this.mergeMode === 'sum' ? add(forward!, backward!)
        : this.mergeMode === 'mul' ? mul(forward!, backward!) : scale(add(forward!, backward!), 0.5);
    return wrapped.returnState ? [merged, ...forwardStates, ...backwardStates] : merged;
  }
}

const RECURRENT_TYPES: Record<string, new (config: never) => RecurrentLayer> = { SimpleRNN, LSTM, GRU };

/** Options of layers.repeatVector(). */
export interface RepeatVectorConfig extends LayerConfig {
  /** How many times the input is repeated. */
  n: number;
}

/** [features] → [n, features]: the input repeated n times (a decoder's input from one code vector). */
export class RepeatVector extends Layer {
  readonly className = 'RepeatVector';
  static override readonly options = ['n'];
  readonly n: number;

  constructor(config: RepeatVectorConfig) {
    super(config, 'repeat_vector');
    this.n = numberOption(this.name, 'n', config.n, 'a positive integer', (v) => Number.isInteger(v) && v > 0);
  }

  build(inputShape: readonly number[]): { outputShape: number[]; weights: WeightSpec[] } {
    if (inputShape.length !== 1) throw shapeError(`${this.name}: RepeatVector takes samples of shape [features], got ${fmtShape(inputShape)}`);
    return { outputShape: [this.n, inputShape[0]!], weights: [] };
  }

  protected options(): Record<string, unknown> {
    return { n: this.n };
  }

  call(x: Tensor): Tensor {
    const row = reshape(x, [x.shape[0]!, 1, x.shape[1]!]);
    return concat(new Array<Tensor>(this.n).fill(row), 1);
  }
}

// A step mask for `out`: it lives as long as out does (not its tidy() scope), so it reaches the
// layers after, also when layers are applied one by one.
function maskFor(out: Tensor, shape: readonly number[]): Tensor {
  const mask = keep(Tensor.empty(shape));
  out.onDispose(() => mask.dispose());
  return mask;
}

/** Options of layers.masking(). */
export interface MaskingConfig extends LayerConfig {
  /** A step whose features all equal this is padding (default 0). */
  maskValue?: number;
}

/** Marks the steps whose features all equal maskValue as padding for the recurrent layers after it (and zeroes them), as Keras' Masking. */
export class Masking extends Layer {
  readonly className = 'Masking';
  static override readonly options = ['maskValue'];
  readonly maskValue: number;

  constructor(config: MaskingConfig = {}) {
    super(config, 'masking');
    this.maskValue = numberOption(this.name, 'maskValue', config.maskValue ?? 0, 'a finite number');
  }

  build(inputShape: readonly number[]): { outputShape: number[]; weights: WeightSpec[] } {
    if (inputShape.length !== 2) throw shapeError(`${this.name}: Masking takes samples of shape [steps, features], got ${fmtShape(inputShape)}`);
    return { outputShape: inputShape.slice(), weights: [] };
  }

  protected options(): Record<string, unknown> {
    return { maskValue: this.maskValue };
  }

  call(x: Tensor): Tensor {
    const [batch, steps, features] = x.shape as [number, number, number];
    const k = wasm(), out = Tensor.empty(x.shape), mask = maskFor(out, [batch, steps]);
    k.masking_forward_f32(out.ptr, mask.ptr, x.ptr, batch * steps, features, this.maskValue);
    return withMask(out.recordBackward([x], () => k.masking_backward_f32(x.gradPtr(), out.gradPtr(), mask.ptr, batch * steps, features)), mask);
  }
}

/** Options of layers.timeDistributed(). */
export interface TimeDistributedConfig extends LayerConfig {
  /** The layer applied to every step (its own options; its weights are the wrapper's, shared by the steps). */
  layer: Layer | { className: string; config: Record<string, unknown> };
}

/** The layers timeDistributed() may wrap (by class name): those whose pass needs nothing but their weights and options. */
export const TIME_DISTRIBUTABLE = ['Dense', 'Conv2D', 'Conv2DTranspose', 'MaxPooling2D', 'AveragePooling2D', 'GlobalAveragePooling2D',
  'Flatten', 'Dropout', 'Activation', 'LayerNormalization', 'UpSampling2D', 'ZeroPadding2D'];

/**
 * One layer applied to every step of a sequence with the same weights, as Keras' TimeDistributed
 * (a CNN over each frame of a clip, before a recurrent layer): [steps, ...sample] → [steps, ...output].
 */
export class TimeDistributed extends Layer {
  readonly className = 'TimeDistributed';
  static override readonly options = ['layer'];
  /** The wrapped layer: a template; the weights are the wrapper's. */
  readonly layer: Layer;

  constructor(config: TimeDistributedConfig) {
    super(config, 'time_distributed');
    const given = config.layer;
    let layer: Layer;
    if (given instanceof Layer) {
      layer = given;
    } else if (given !== null && typeof given === 'object' && typeof (given as { className?: unknown }).className === 'string') {
      const name = (given as { className: string }).className;
      const type = TIME_DISTRIBUTABLE.includes(name) ? timeDistributable(name) : undefined;
      if (!type) throw invalid(`${this.name}: layer must be one of ${TIME_DISTRIBUTABLE.join(', ')}, got ${JSON.stringify(name)}`);
      layer = new type((given as unknown as { config: never }).config);
    } else {
      throw invalid(`${this.name}: layer must be a layer (e.g. layers.dense()), got ${describe(given)}`);
    }
    if (!TIME_DISTRIBUTABLE.includes(layer.className)) throw invalid(`${this.name}: layer must be one of ${TIME_DISTRIBUTABLE.join(', ')}, got a ${layer.className}`);
    if (layer.built) throw invalid(`${this.name}: layer ${layer.name} has been applied already; give timeDistributed a new layer`);
    if (layer.inputShape) throw invalid(`${this.name}: give inputShape to the timeDistributed layer, not to the layer it wraps`);
    if (!layer.trainable) throw invalid(`${this.name}: freeze the timeDistributed layer (trainable: false on it), not the layer it wraps`);
    this.layer = layer;
  }

  build(inputShape: readonly number[]): { outputShape: number[]; weights: WeightSpec[] } {
    if (inputShape.length < 2) throw shapeError(`${this.name}: TimeDistributed takes samples of shape [steps, ...], got ${fmtShape(inputShape)}`);
    const inner = this.layer.build(inputShape.slice(1));
    return { outputShape: [inputShape[0]!, ...(inner.outputShape as number[])], weights: inner.weights };
  }

  override passesMask(): boolean {
    return true;
  }

  protected options(): Record<string, unknown> {
    const { name: _name, ...config } = this.layer.getConfig();
    return { layer: { className: this.layer.className, config } };
  }

  call(x: Tensor, context: CallContext): Tensor {
    const [batch, steps, ...sample] = x.shape as number[];
    // The steps as one batch, through the wrapped layer with this layer's weights.
    this.layer.weights = this.weights;
    try {
      const y = this.layer.call(reshape(x, [batch! * steps!, ...sample]), context) as Tensor;
      return reshape(y, [batch!, steps!, ...y.shape.slice(1)]);
    } finally {
      this.layer.weights = [];
    }
  }
}

// The class of a layer timeDistributed() wraps, from the layer registry (imported lazily: it imports this file).
let registry: Record<string, new (config: never) => Layer> | null = null;
function timeDistributable(name: string): (new (config: never) => Layer) | undefined {
  return registry?.[name];
}

/** Called once by the layer registry (layers/index.ts), which this file cannot import. @internal */
export function registerLayerClasses(classes: Record<string, new (config: never) => Layer>): void {
  registry = classes;
}
