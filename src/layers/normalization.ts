// batchNormalization and layerNormalization: normalize over the last axis (channels), then scale
// by gamma and shift by beta. Batch norm keeps moving statistics for inference as non-trainable
// weights (the optimizer never touches them; they are saved with the model).
import { fmtShape, invalid, shapeError } from '../errors.js';
import { batchNorm, layerNorm } from '../ops/normalization.js';
import type { Tensor } from '../tensor.js';
import { Layer, type CallContext, type LayerConfig, type WeightSpec } from './layer.js';

/** Options of layers.batchNormalization(). */
export interface BatchNormalizationConfig extends LayerConfig {
  /** Weight of the old moving statistics in each update, in [0, 1) (default 0.99). */
  momentum?: number;
  /** Added to the variance (default 0.001). */
  epsilon?: number;
}

/** Options of layers.layerNormalization(). */
export interface LayerNormalizationConfig extends LayerConfig {
  /** Added to the variance (default 0.001). */
  epsilon?: number;
}

function epsilonArg(layer: string, value: unknown): number {
  if (!(typeof value === 'number' && value > 0 && Number.isFinite(value))) {
    throw invalid(`${layer}: epsilon must be a finite number > 0, got ${value}`);
  }
  return value;
}

function channelSpecs(layer: string, inputShape: readonly number[], extra: boolean): WeightSpec[] {
  const c = inputShape[inputShape.length - 1];
  if (c === undefined) throw shapeError(`${layer}: needs samples with a channel axis, got ${fmtShape(inputShape)}`);
  const spec = (name: string, initializer: 'ones' | 'zeros', trainable = true): WeightSpec => ({ name, shape: [c], initializer, fanIn: c, fanOut: c, trainable });
  const specs = [spec('gamma', 'ones'), spec('beta', 'zeros')];
  if (extra) specs.push(spec('moving_mean', 'zeros', false), spec('moving_variance', 'ones', false));
  return specs;
}

export class BatchNormalization extends Layer {
  readonly className = 'BatchNormalization';
  static override readonly options = ['momentum', 'epsilon'];
  readonly momentum: number;
  readonly epsilon: number;


  override passesMask(): boolean {
    return true;
  }

  constructor(config: BatchNormalizationConfig = {}) {
    super(config, 'batch_normalization');
    this.momentum = config.momentum ?? 0.99;
    if (!(typeof this.momentum === 'number' && this.momentum >= 0 && this.momentum < 1)) {
      throw invalid(`${this.name}: momentum must be in [0, 1), got ${config.momentum}`);
    }
    this.epsilon = epsilonArg(this.name, config.epsilon ?? 1e-3);
  }

  build(inputShape: readonly number[]): { outputShape: number[]; weights: WeightSpec[] } {
    return { outputShape: inputShape.slice(), weights: channelSpecs(this.name, inputShape, true) };
  }

  protected options(): Record<string, unknown> {
    return { momentum: this.momentum, epsilon: this.epsilon };
  }

  // Frozen (in the running model's compile), it runs in inference mode, as in Keras: fine-tuning
  // keeps the moving statistics it was trained with.
  call(x: Tensor, context: CallContext): Tensor {
    const [gamma, beta, mean, variance] = this.weights as [Tensor, Tensor, Tensor, Tensor];
    const training = context.training && !context.frozen?.has(this);
    return batchNorm(x, gamma, beta, mean, variance, { training, momentum: this.momentum, epsilon: this.epsilon });
  }
}

export class LayerNormalization extends Layer {
  readonly className = 'LayerNormalization';
  static override readonly options = ['epsilon'];
  readonly epsilon: number;


  override passesMask(): boolean {
    return true;
  }

  constructor(config: LayerNormalizationConfig = {}) {
    super(config, 'layer_normalization');
    this.epsilon = epsilonArg(this.name, config.epsilon ?? 1e-3);
  }

  build(inputShape: readonly number[]): { outputShape: number[]; weights: WeightSpec[] } {
    return { outputShape: inputShape.slice(), weights: channelSpecs(this.name, inputShape, false) };
  }

  protected options(): Record<string, unknown> {
    return { epsilon: this.epsilon };
  }

  call(x: Tensor): Tensor {
    const [gamma, beta] = this.weights as [Tensor, Tensor];
    return layerNorm(x, gamma, beta, { epsilon: this.epsilon });
  }
}
