// dropout: during fit, zero each input with probability `rate` and scale the rest by 1/(1 - rate)
// (inverted dropout, Srivastava et al. 2014); at inference, the identity.
import { invalid } from '../errors.js';
import { Rng } from '../random.js';
import { Tensor } from '../tensor.js';
import { wasm } from '../wasm.js';
import { Layer, type CallContext, type LayerConfig, type WeightSpec } from './layer.js';

/** Options of layers.dropout(). */
export interface DropoutConfig extends LayerConfig {
  /** Fraction of inputs to drop, in [0, 1). */
  rate: number;
  /** A seed of the layer's own; by default masks come from fit's generator (fit({ seed }) fixes them). */
  seed?: number;
}

export class Dropout extends Layer {
  readonly className = 'Dropout';
  static override readonly options = ['rate', 'seed'];
  readonly rate: number;
  readonly seed: number | undefined;
  #rng: Rng | null = null;


  override passesMask(): boolean {
    return true;
  }

  constructor(config: DropoutConfig) {
    super(config, 'dropout');
    if (!(typeof config.rate === 'number' && config.rate >= 0 && config.rate < 1)) {
      throw invalid(`${this.name}: rate must be in [0, 1), got ${config.rate}`);
    }
    this.rate = config.rate;
    if (config.seed !== undefined && !Number.isSafeInteger(config.seed)) {
      throw invalid(`${this.name}: seed must be a safe integer, got ${config.seed}`);
    }
    this.seed = config.seed;
  }

  protected options(): Record<string, unknown> {
    return { rate: this.rate, ...(this.seed !== undefined ? { seed: this.seed } : {}) };
  }

  override dispose(): void {
    this.#rng?.dispose();
    this.#rng = null;
    super.dispose();
  }

  build(inputShape: readonly number[]): { outputShape: number[]; weights: WeightSpec[] } {
    return { outputShape: inputShape.slice(), weights: [] };
  }

  call(x: Tensor, context: CallContext): Tensor {
    if (!context.training || this.rate === 0) return x;
    const rng = this.seed !== undefined ? (this.#rng ??= new Rng(this.seed)) : context.rng;
    if (!rng) throw invalid(`${this.name}: training needs a random generator`);
    const out = Tensor.empty(x.shape), mask = Tensor.empty(x.shape);
    rng.dropout(out, mask, x, this.rate);
    const k = wasm();
    return out.recordBackward([x], () => k.mul_backward_f32(x.gradPtr(), out.gradPtr(), mask.ptr, x.size));
  }
}
