// dense: out = activation(x · kernel + bias), kernel [inputs × units], bias [units].
import { fmtShape, invalid, shapeError } from '../errors.js';
import { dense } from '../ops/matmul.js';
import { reshape } from '../ops/conv.js';
import type { Tensor } from '../tensor.js';
import { KernelLayer, type KernelLayerConfig, type WeightSpec } from './layer.js';

/** Options of layers.dense(). */
export interface DenseConfig extends KernelLayerConfig {
  /** Number of outputs. */
  units: number;
}

export class Dense extends KernelLayer {
  readonly className = 'Dense';
  static override readonly options = ['units', ...KernelLayer.options];
  readonly units: number;


  override passesMask(): boolean {
    return true;
  }

  constructor(config: DenseConfig) {
    super(config, 'dense');
    if (!Number.isInteger(config.units) || config.units <= 0) {
      throw invalid(`${this.name}: units must be a positive integer, got ${config.units}`);
    }
    this.units = config.units;
  }

  // On samples of rank > 1 the kernel applies to the last axis, as in Keras.
  build(inputShape: readonly number[]): { outputShape: number[]; weights: WeightSpec[] } {
    if (inputShape.length === 0) {
      throw shapeError(`${this.name}: dense takes samples with a feature axis ([features] or [..., features]), got ${fmtShape(inputShape)}`);
    }
    const inputs = inputShape[inputShape.length - 1]!;
    return { outputShape: [...inputShape.slice(0, -1), this.units], weights: this.kernelAndBias([inputs, this.units], inputs, this.units, this.units) };
  }

  protected options(): Record<string, unknown> {
    return { units: this.units, ...this.kernelOptions() };
  }

  call(x: Tensor): Tensor {
    if (x.shape.length > 2) {
      const inputs = x.shape[x.shape.length - 1]!;
      const y = this.call(reshape(x, [x.size / inputs, inputs]));
      return reshape(y, [...x.shape.slice(0, -1), this.units]);
    }
    const [kernel, bias] = this.weights;
    // Linear and ReLU layers run as one GEMM with the bias and max(·, 0) in its epilogue.
    const fused = this.activation === 'relu' || this.activation === 'linear';
    const y = dense(x, kernel!, bias ?? null, fused && this.activation === 'relu');
    return fused ? y : this.activate(y);
  }
}
