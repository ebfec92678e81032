// The layer contract. A layer declares its weights and composes ops in call(); it never touches
// floats itself. The model owns the memory: it allocates every layer's weights in one flat buffer
// and hands them back as `weights`.
import { getActivation, type ActivationName } from '../activations.js';
import { invalid } from '../errors.js';
import { getInitializer, type InitializerSpec } from '../initializers.js';
import type { Rng } from '../random.js';
import { checkRegularizer, type Regularizer } from '../regularizers.js';
import type { Tensor } from '../tensor.js';

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
  /** False for state the optimizer must not touch (batch norm's moving statistics). */
  trainable?: boolean;
}

/** Options every layer takes. */
export interface LayerConfig {
  /** Shape of one sample, without the batch dimension; needed on the first layer of a model. */
  inputShape?: number[];
  /** A unique name (default: the layer type and a counter, e.g. dense_1). */
  name?: string;
}

/** What a forward pass knows besides its input: whether it trains, and the generator for dropout. */
export interface CallContext {
  training: boolean;
  rng: Rng | null;
}

const counters = new Map<string, number>();

/** The keys a layer type's config may hold: name, inputShape and its own options. */
export const configKeys = (type: { readonly options: readonly string[] }): string[] => ['name', 'inputShape', ...type.options];

export abstract class Layer {
  /** The layer's name, unique in this process unless given. */
  readonly name: string;
  /** Shape of one input sample, if given. */
  readonly inputShape: number[] | null;
  /** The layer's weights in the order of build()'s specs, set by the model. */
  weights: Tensor[] = [];
  /** The options this layer type takes besides name and inputShape; the constructor and loadModel refuse others. */
  static readonly options: readonly string[] = [];

  constructor(config: LayerConfig, prefix: string) {
    const n = (counters.get(prefix) ?? 0) + 1;
    counters.set(prefix, n);
    this.name = config.name ?? `${prefix}_${n}`;
    // An option we do not implement (a dilationRate, padding on a pooling layer) would otherwise be
    // ignored and the layer would compute something else than asked.
    const known = configKeys(new.target as unknown as typeof Layer);
    for (const [k, v] of Object.entries(config)) {
      if (v !== undefined && !known.includes(k)) throw invalid(`${this.name}: unknown option ${JSON.stringify(k)}; ${prefix} takes ${known.join(', ')}`);
    }
    if (config.inputShape !== undefined) {
      if (!Array.isArray(config.inputShape) || config.inputShape.some((d) => !Number.isInteger(d) || d <= 0)) {
        throw invalid(`${this.name}: inputShape must be an array of positive integers, got ${JSON.stringify(config.inputShape)}`);
      }
    }
    this.inputShape = config.inputShape?.slice() ?? null;
  }

  /** The Keras class name, as summary() shows it. */
  abstract readonly className: string;

  /** Output shape and weight specs for an input sample shape; throws if the shape does not fit. */
  abstract build(inputShape: readonly number[]): { outputShape: number[]; weights: WeightSpec[] };

  /** The layer's forward pass on a batch, composed of ops (so autograd sees every step). */
  abstract call(x: Tensor, context: CallContext): Tensor;

  /** Frees what the layer holds besides its weights (the model frees those). */
  dispose(): void {}

  /** The options that rebuild this layer (what a saved model stores). */
  getConfig(): Record<string, unknown> {
    return { name: this.name, ...(this.inputShape ? { inputShape: this.inputShape.slice() } : {}), ...this.options() };
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
