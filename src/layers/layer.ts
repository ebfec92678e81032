// The layer contract. A layer declares its weights (build) and composes ops (call); it never touches
// floats itself. apply() on symbolic tensors records a node of a graph (engine/symbolic.ts) and on
// Tensors runs the layer at once. The first application fixes the layer's input shape; a layer
// applied again (a shared layer) must get the same shape and uses the same weights. Weights live in
// a parameter store (engine/store.ts): the one of the first model built over the layer, or, when the
// layer runs eagerly first, one of its own.
import { getActivation, type ActivationName } from '../activations.js';
import { WasmgradError, fmtShape, invalid, shapeError } from '../errors.js';
import { getInitializer, type InitializerSpec } from '../initializers.js';
import { booleanOption, checkOptions, describe } from '../options.js';
import { globalRng, type Rng } from '../random.js';
import { checkRegularizer, type Regularizer } from '../regularizers.js';
import { Tensor, tidyForward } from '../tensor.js';
import { ParameterStore } from '../engine/store.js';
import { Node, SymbolicTensor } from '../engine/symbolic.js';

/** A weight a layer needs: its name within the layer, its shape and how to initialize it. */
export interface WeightSpec {
  name: string;
  shape: number[];
  initializer: InitializerSpec;
  /** Fans for variance-scaling initializers. */
  fanIn: number;
  fanOut: number;
  /** An L1/L2 penalty on this weight, added to the loss. */
  regularizer?: Regularizer;
  /** Runs on the weight after its initializer (an LSTM's unitForgetBias sets the forget gate's bias to 1). */
  afterInit?: (w: Tensor) => void;
  /** False for state the optimizer must not touch (batch norm's moving statistics). */
  trainable?: boolean;
}

/** The sample shape (no batch axis) of one input or output, or a list of them. */
export type Shapes = number[] | number[][];

/** Options every layer takes. */
export interface LayerConfig {
  /** Shape of one sample, without the batch dimension; needed on the first layer of a model. */
  inputShape?: number[];
  /** A unique name (default: the layer type and a counter, e.g. dense_1). */
  name?: string;
  /** Whether the layer's weights train (default true); see Layer.trainable. */
  trainable?: boolean;
}

/** What a forward pass knows besides its input: whether it trains, and the generator for dropout. */
export interface CallContext {
  training: boolean;
  rng: Rng | null;
  /** Layers the running model's compile() saw frozen (a frozen batch normalization runs in inference mode). */
  frozen?: ReadonlySet<AnyLayer>;
  /** Check-numerics mode: where in training this pass runs, for messages (see numerics.ts). */
  check?: string;
}

/** Options of layer.apply() on Tensors. */
export interface ApplyOptions {
  /** Run as in training (dropout active, batch statistics); default false. */
  training?: boolean;
}

const counters = new Map<string, number>();

/** A fresh name from a prefix and a per-process counter: dense_1, dense_2, … */
export function uniqueName(prefix: string): string {
  const n = (counters.get(prefix) ?? 0) + 1;
  counters.set(prefix, n);
  return `${prefix}_${n}`;
}

/** The keys a layer type's config may hold: name, inputShape, trainable and its own options. */
export const configKeys = (type: { readonly options: readonly string[] }): string[] => ['name', 'inputShape', 'trainable', ...type.options];

/** Whether shapes is a list of shapes rather than one shape. */
export const isShapeList = (s: Shapes): s is number[][] => Array.isArray(s[0]);

/** Formats one shape or a list of them for messages. */
export const fmtShapes = (s: Shapes): string => (isShapeList(s) ? `[${s.map(fmtShape).join(', ')}]` : fmtShape(s));

const sameShapes = (a: Shapes, b: Shapes): boolean => JSON.stringify(a) === JSON.stringify(b);
const NONE: ReadonlySet<AnyLayer> = new Set();

/** Any layer, whatever its apply() returns (how the engine holds layers). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyLayer = Layer<unknown, unknown>;

/**
 * A layer. S and E are what apply() returns on symbolic tensors and on Tensors: one tensor for every
 * layer but a model with several outputs, whose apply() returns a list.
 */
export abstract class Layer<S = SymbolicTensor, E = Tensor> {
  /** The layer's name, unique in this process unless given. */
  readonly name: string;
  /** Shape of one input sample, if given. */
  readonly inputShape: number[] | null;
  /** The layer's weights in the order of build()'s specs, set when its store is made. */
  weights: Tensor[] = [];
  /** The parameter store holding the weights, once they exist. @internal */
  store: ParameterStore | null = null;
  /** The options this layer type takes besides name, inputShape and trainable; the constructor and loadModel refuse others. */
  static readonly options: readonly string[] = [];
  /** Whether apply() takes a list of inputs (merge layers, models with several inputs). */
  /** Whether the layer also takes a list of inputs (a recurrent layer: [x, ...initial states]). */
  get acceptsList(): boolean {
    return false;
  }

  get takesList(): boolean {
    return false;
  }
  #trainable: boolean;
  #built: { input: Shapes; output: Shapes; specs: WeightSpec[] } | null = null;
  #ownStore: ParameterStore | null = null;

  constructor(config: LayerConfig, prefix: string) {
    if (config === null || typeof config !== 'object' || Array.isArray(config)) throw invalid(`${prefix}: expected an options object, got ${describe(config)}`);
    if (config.name !== undefined && (typeof config.name !== 'string' || config.name.length === 0)) {
      throw invalid(`${prefix}: name must be a non-empty string, got ${JSON.stringify(config.name)}`);
    }
    this.name = config.name ?? uniqueName(prefix);
    // A given name of the counter's own form (dense_7, as a loaded model's layers have) moves the
    // counter past it, so the next dense() is not a second dense_7.
    const own = config.name?.match(/^(.*)_(\d+)$/);
    if (own && own[1] === prefix && own[2]!.length <= 9) counters.set(prefix, Math.max(counters.get(prefix) ?? 0, Number(own[2])));
    // An option we do not implement (a dilationRate, padding on a pooling layer) would otherwise be
    // ignored and the layer would compute something else than asked.
    checkOptions(this.name, config, configKeys(new.target as unknown as typeof Layer), prefix);
    if (config.inputShape !== undefined) {
      if (!Array.isArray(config.inputShape) || config.inputShape.some((d) => !Number.isInteger(d) || d <= 0)) {
        throw invalid(`${this.name}: inputShape must be an array of positive integers, got ${JSON.stringify(config.inputShape)}`);
      }
    }
    if (config.trainable !== undefined && typeof config.trainable !== 'boolean') {
      throw invalid(`${this.name}: trainable must be a boolean, got ${JSON.stringify(config.trainable)}`);
    }
    this.#trainable = config.trainable ?? true;
    this.inputShape = config.inputShape?.slice() ?? null;
  }

  /** The Keras class name, as summary() shows it. */
  abstract readonly className: string;

  /**
   * Whether the layer's weights train. As in Keras and TF.js a change takes effect at the model's next
   * compile() (fit warns once when it sees a change compile has not); a frozen batch normalization
   * runs in inference mode.
   */
  get trainable(): boolean {
    return this.#trainable;
  }

  set trainable(value: boolean) {
    if (typeof value !== 'boolean') throw invalid(`${this.name}: trainable must be a boolean, got ${JSON.stringify(value)}`);
    this.#trainable = value;
  }

  /** The input and output shapes and weight specs fixed by the first application, or null. */
  get built(): { readonly input: Shapes; readonly output: Shapes; readonly specs: readonly WeightSpec[] } | null {
    return this.#built;
  }

  /** The weights the optimizer trains (all but moving statistics), or none while the layer is frozen. */
  get trainableWeights(): Tensor[] {
    if (!this.#trainable || !this.#built) return [];
    return this.weights.filter((_, i) => this.#built!.specs[i]!.trainable !== false);
  }

  /** Output shape(s) and weight specs for an input sample shape (or a list of them); throws if it does not fit. */
  abstract build(inputShape: readonly number[] | readonly (readonly number[])[]): { outputShape: Shapes; weights: WeightSpec[] };

  /**
   * Whether a step mask on the input (a padded sequence's) holds for the output too: true for layers
   * that keep the steps (dropout, activation, dense, normalization, recurrent layers returning sequences).
   */
  passesMask(): boolean {
    return false;
  }

  /** The layer's forward pass on a batch (or a list of batches), composed of ops (so autograd sees every step). */
  abstract call(x: Tensor | Tensor[], context: CallContext): Tensor | Tensor[];

  /** Output shapes and weight specs for this input: the first call fixes them, later ones must agree. */
  buildFor(input: Shapes): { readonly output: Shapes; readonly specs: readonly WeightSpec[] } {
    if (this.#built) {
      if (!sameShapes(this.#built.input, input)) {
        throw shapeError(`${this.name}: was built for inputs of shape ${fmtShapes(this.#built.input)}, so it cannot take ${fmtShapes(input)} (a layer used twice shares its weights and its shapes)`);
      }
      return this.#built;
    }
    const r = this.build(input);
    this.#built = { input: JSON.parse(JSON.stringify(input)) as Shapes, output: r.outputShape, specs: r.weights };
    return this.#built;
  }

  /**
   * On symbolic tensors (from input() or another apply), records this layer in the graph and returns
   * its symbolic output(s); on Tensors, runs the layer now (inference mode unless options.training).
   * Merge layers and models with several inputs take a list.
   */
  apply(inputs: SymbolicTensor | SymbolicTensor[]): S;
  apply(inputs: Tensor | Tensor[], options?: ApplyOptions): E;
  apply(inputs: SymbolicTensor | SymbolicTensor[] | Tensor | Tensor[], applyOptions?: ApplyOptions): S | E {
    const options = checkOptions(`${this.name}.apply`, applyOptions, ['training']);
    this.beforeApply();
    let items: unknown[] = Array.isArray(inputs) ? inputs : [inputs];
    let list = Array.isArray(inputs);
    if (list && items.length === 1 && !this.takesList) list = false;
    if (this.takesList && !list) throw invalid(`${this.name}: ${this.className} takes a list of inputs, got one`);
    if (!this.takesList && !this.acceptsList && items.length !== 1) throw invalid(`${this.name}: ${this.className} takes one input, got a list of ${items.length}`);
    if (items.length === 0) throw invalid(`${this.name}: apply needs at least one input`);
    if (items.every((x) => x instanceof SymbolicTensor)) {
      const symbolic = items as SymbolicTensor[];
      const shapes = symbolic.map((s) => s.sampleShape.slice());
      let output: Shapes;
      try {
        output = this.buildFor(list ? shapes : shapes[0]!).output;
      } catch (e) {
        if (!(e instanceof WasmgradError)) throw e;
        const from = symbolic.map((s) => `${s.name} ${fmtShape(s.sampleShape)}`).join(', ');
        throw new WasmgradError(e.code, `${e.message} (applied to the output of ${from})`);
      }
      const node = new Node(this, symbolic, list, isShapeList(output) ? output : [output]);
      return (isShapeList(output) ? node.outputs : node.outputs[0]!) as S;
    }
    if (items.every((x) => x instanceof Tensor)) {
      const tensors = items as Tensor[];
      const shapes = tensors.map((t) => {
        if (t.shape.length === 0) throw shapeError(`${this.name}: apply takes batches ([batch, ...sample]), got a scalar`);
        return t.shape.slice(1);
      });
      this.buildFor(list ? shapes : shapes[0]!);
      this.allocate(globalRng());
      // The tensors the pass makes on the way are freed, unless autograd needs them (inside variableGrads).
      const frozen = this.frozenNow();
      return tidyForward(() => this.call(list ? tensors : tensors[0]!, { training: booleanOption(`${this.name}.apply`, 'training', options.training), rng: globalRng(), frozen })) as E;
    }
    items = items.map((x) => (x instanceof Tensor ? 'a Tensor' : x instanceof SymbolicTensor ? 'a symbolic tensor' : typeof x));
    throw invalid(`${this.name}: apply takes symbolic tensors (from input() or another layer's apply) or Tensors, not a mix or anything else; got ${items.join(', ')}`);
  }

  /** Forgets the shapes of the first application, if no weights exist yet (a sequential model whose first fit was refused). @internal */
  unbuild(): void {
    if (!this.store) this.#built = null;
  }

  /** Throws if the layer may not be applied (a disposed model). @internal */
  protected beforeApply(): void {}

  /** The layers frozen now, for a pass run eagerly. @internal */
  frozenNow(): ReadonlySet<AnyLayer> {
    return this.#trainable ? NONE : new Set([this as AnyLayer]);
  }

  /** Makes the weights of a layer run eagerly before any model built them: a store of its own. @internal */
  protected allocate(rng: Rng): void {
    if (this.store || !this.#built || this.#built.specs.length === 0) return;
    const store = new ParameterStore([{ layer: this as AnyLayer, specs: this.#built.specs }], rng);
    store.retain();
    this.#ownStore = store;
  }

  /** Starts a stateful layer from zeros again (recurrent layers with stateful: true); a no-op for others. */
  resetStates(): void {}

  /** Frees what the layer holds besides weights a model owns (a store of its own, a generator, carried states). */
  dispose(): void {
    this.#ownStore?.release();
    this.#ownStore = null;
  }

  /** The options that rebuild this layer (what a saved model stores). */
  getConfig(): Record<string, unknown> {
    return {
      name: this.name, ...(this.inputShape ? { inputShape: this.inputShape.slice() } : {}),
      ...(this.#trainable ? {} : { trainable: false }), ...this.options(),
    };
  }

  /** The layer's own options for getConfig(). */
  protected abstract options(): Record<string, unknown>;
}

/** Options of layers with a kernel, an optional bias and an activation (dense, conv2d). */
export interface KernelLayerConfig extends LayerConfig {
  /** Activation applied to the output (default 'linear'). */
  activation?: ActivationName;
  /** Whether to add a bias (default true). */
  useBias?: boolean;
  /** Initializer of the kernel (default 'glorotUniform'). */
  kernelInitializer?: InitializerSpec;
  /** Initializer of the bias (default 'zeros'). */
  biasInitializer?: InitializerSpec;
  /** Penalty on the kernel (regularizers.l1/l2/l1l2). */
  kernelRegularizer?: Regularizer;
  /** Penalty on the bias. */
  biasRegularizer?: Regularizer;
}

/**
 * A layer with a kernel, an optional bias and an activation (dense, conv2d): holds those options,
 * their checks and defaults, and makes the kernel and bias weight specs.
 */
export abstract class KernelLayer extends Layer {
  static override readonly options: readonly string[] = ['activation', 'useBias', 'kernelInitializer', 'biasInitializer', 'kernelRegularizer', 'biasRegularizer'];
  readonly activation: ActivationName;
  readonly useBias: boolean;
  readonly kernelInitializer: InitializerSpec;
  readonly biasInitializer: InitializerSpec;
  readonly kernelRegularizer: Regularizer | undefined;
  readonly biasRegularizer: Regularizer | undefined;
  protected readonly activate: (x: Tensor) => Tensor;

  constructor(config: KernelLayerConfig, prefix: string) {
    super(config, prefix);
    this.activation = config.activation ?? 'linear';
    this.activate = getActivation(this.activation);
    this.useBias = config.useBias ?? true;
    this.kernelInitializer = config.kernelInitializer ?? 'glorotUniform';
    this.biasInitializer = config.biasInitializer ?? 'zeros';
    getInitializer(this.kernelInitializer, `${this.name}: kernelInitializer`);
    getInitializer(this.biasInitializer, `${this.name}: biasInitializer`);
    this.kernelRegularizer = checkRegularizer(`${this.name}: kernelRegularizer`, config.kernelRegularizer);
    this.biasRegularizer = checkRegularizer(`${this.name}: biasRegularizer`, config.biasRegularizer);
  }

  /** The kernel (Keras fans) and, with useBias, a bias of `units`. */
  protected kernelAndBias(shape: number[], fanIn: number, fanOut: number, units: number): WeightSpec[] {
    const weights: WeightSpec[] = [{ name: 'kernel', shape, initializer: this.kernelInitializer, fanIn, fanOut, regularizer: this.kernelRegularizer }];
    if (this.useBias) weights.push({ name: 'bias', shape: [units], initializer: this.biasInitializer, fanIn: units, fanOut: units, regularizer: this.biasRegularizer });
    return weights;
  }

  /** The shared options for getConfig(). */
  protected kernelOptions(): Record<string, unknown> {
    const { activation, useBias, kernelInitializer, biasInitializer, kernelRegularizer, biasRegularizer } = this;
    return { activation, useBias, kernelInitializer, biasInitializer, ...(kernelRegularizer ? { kernelRegularizer } : {}), ...(biasRegularizer ? { biasRegularizer } : {}) };
  }
}
