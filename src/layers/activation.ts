// activation: applies an activation function on its own (e.g. after batch normalization).
import { getActivation, type ActivationName } from '../activations.js';
import type { Tensor } from '../tensor.js';
import { Layer, type LayerConfig, type WeightSpec } from './layer.js';

/** Options of layers.activation(). */
export interface ActivationConfig extends LayerConfig {
  /** The function to apply, by name. */
  activation: ActivationName;
}

export class Activation extends Layer {
  readonly className = 'Activation';
  static override readonly options = ['activation'];
  readonly activation: ActivationName;
  readonly #fn: (x: Tensor) => Tensor;


  override passesMask(): boolean {
    return true;
  }

  constructor(config: ActivationConfig) {
    super(config, 'activation');
    this.#fn = getActivation(config.activation);
    this.activation = config.activation;
  }

  build(inputShape: readonly number[]): { outputShape: number[]; weights: WeightSpec[] } {
    return { outputShape: inputShape.slice(), weights: [] };
  }

  protected options(): Record<string, unknown> {
    return { activation: this.activation };
  }

  call(x: Tensor): Tensor {
    return this.#fn(x);
  }
}
