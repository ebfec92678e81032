// Layers that draw random numbers in their pass: gaussianNoise (a denoising autoencoder's corruption,
// Keras' GaussianNoise) and sampling (a variational autoencoder's reparameterization trick).
import { invalid, shapeError, fmtShape } from '../errors.js';
import { exp } from '../ops/activations.js';
import { add, mul, scale } from '../ops/elementwise.js';
import { numberOption } from '../options.js';
import { globalRng } from '../random.js';
import { Tensor } from '../tensor.js';
import { Layer, fmtShapes, type CallContext, type LayerConfig, type WeightSpec } from './layer.js';

/** Options of layers.gaussianNoise(). */
export interface GaussianNoiseConfig extends LayerConfig {
  /** Standard deviation of the noise added in training. */
  stddev: number;
}

/** Adds N(0, stddev²) noise to every input in training (from fit's generator); the identity otherwise. */
export class GaussianNoise extends Layer {
  readonly className = 'GaussianNoise';
  static override readonly options = ['stddev'];
  readonly stddev: number;

  constructor(config: GaussianNoiseConfig) {
    super(config, 'gaussian_noise');
    this.stddev = numberOption(this.name, 'stddev', config.stddev, 'a number >= 0', (v) => v >= 0);
  }

  override passesMask(): boolean {
    return true;
  }

  protected options(): Record<string, unknown> {
    return { stddev: this.stddev };
  }

  build(inputShape: readonly number[]): { outputShape: number[]; weights: WeightSpec[] } {
    return { outputShape: inputShape.slice(), weights: [] };
  }

  call(x: Tensor, context: CallContext): Tensor {
    if (!context.training || this.stddev === 0) return x;
    if (!context.rng) throw invalid(`${this.name}: training needs a random generator`);
    const noise = Tensor.empty(x.shape);
    context.rng.normal(noise, 0, this.stddev);
    return add(x, noise);
  }
}

/**
 * [mean, logVar] → mean + e^(logVar / 2)·ε with ε ~ N(0, 1): a VAE's code drawn so that gradients reach
 * mean and logVar (the reparameterization trick). It samples in training (from fit's generator) and in
 * inference (from the global one, setSeed), as Keras' VAE example does.
 */
export class Sampling extends Layer {
  readonly className = 'Sampling';

  constructor(config: LayerConfig = {}) {
    super(config, 'sampling');
  }

  override get takesList(): boolean {
    return true;
  }

  protected options(): Record<string, unknown> {
    return {};
  }

  build(input: readonly number[] | readonly (readonly number[])[]): { outputShape: number[]; weights: WeightSpec[] } {
    const shapes = input as readonly (readonly number[])[];
    if (shapes.length !== 2 || fmtShape(shapes[0]!) !== fmtShape(shapes[1]!)) {
      throw shapeError(`${this.name}: Sampling takes [mean, logVar] of one shape, got ${fmtShapes(shapes as number[][])}`);
    }
    return { outputShape: shapes[0]!.slice(), weights: [] };
  }

  call(input: Tensor | Tensor[], context: CallContext): Tensor {
    const [mean, logVar] = input as Tensor[];
    const eps = Tensor.empty(mean!.shape);
    (context.rng ?? globalRng()).normal(eps, 0, 1);
    return add(mean!, mul(exp(scale(logVar!, 0.5)), eps));
  }
}
