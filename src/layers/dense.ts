// dense: out = activation(x · kernel + bias), kernel [inputs × units], bias [units].
import type { ActivationName } from '../activations.js';
import { WasmgradError, fmtShape } from '../errors.js';
import type { InitializerName } from '../initializers.js';
import type { Regularizer } from '../regularizers.js';
import { add } from '../ops/elementwise.js';
import { matmul } from '../ops/matmul.js';
import type { Tensor } from '../tensor.js';
import { Layer, kernelLayerOptions, type KernelLayerConfig, type WeightSpec } from './layer.js';

/** Options of layers.dense(). */
export interface DenseConfig extends KernelLayerConfig {
  /** Number of outputs. */
  units: number;
}

export class Dense extends Layer {
  readonly className = 'Dense';
  readonly units: number;
  readonly activation: ActivationName;
  readonly useBias: boolean;
  readonly kernelInitializer: InitializerName;
  readonly biasInitializer: InitializerName;
  readonly kernelRegularizer: Regularizer | undefined;
  readonly biasRegularizer: Regularizer | undefined;
  private readonly activate: (x: Tensor) => Tensor;

  constructor(config: DenseConfig) {
    super(config, 'dense');
    if (!Number.isInteger(config.units) || config.units <= 0) {
      throw new WasmgradError('INVALID_ARGUMENT', `${this.name}: units must be a positive integer, got ${config.units}`);
    }
    this.units = config.units;
    ({ activation: this.activation, activate: this.activate, useBias: this.useBias, kernelInitializer: this.kernelInitializer,
      biasInitializer: this.biasInitializer, kernelRegularizer: this.kernelRegularizer, biasRegularizer: this.biasRegularizer } = kernelLayerOptions(config));
  }

  build(inputShape: readonly number[]): { outputShape: number[]; weights: WeightSpec[] } {
    if (inputShape.length !== 1) {
      throw new WasmgradError('SHAPE_MISMATCH', `${this.name}: dense takes samples of shape [features], got ${fmtShape(inputShape)}`);
    }
    const inputs = inputShape[0]!;
    const weights: WeightSpec[] = [
      { name: 'kernel', shape: [inputs, this.units], initializer: this.kernelInitializer, fanIn: inputs, fanOut: this.units, regularizer: this.kernelRegularizer },
    ];
    if (this.useBias) {
      weights.push({ name: 'bias', shape: [this.units], initializer: this.biasInitializer, fanIn: this.units, fanOut: this.units, regularizer: this.biasRegularizer });
    }
    return { outputShape: [this.units], weights };
  }

  protected options(): Record<string, unknown> {
    const { units, activation, useBias, kernelInitializer, biasInitializer, kernelRegularizer, biasRegularizer } = this;
    return { units, activation, useBias, kernelInitializer, biasInitializer, ...(kernelRegularizer ? { kernelRegularizer } : {}), ...(biasRegularizer ? { biasRegularizer } : {}) };
  }

  call(x: Tensor): Tensor {
    const [kernel, bias] = this.weights;
    let y = matmul(x, kernel!);
    if (bias) y = add(y, bias);
    return this.activate(y);
  }
}
