// Convolution and pooling layers, channels-last like Keras: samples are [height, width, channels].
import { fmtShape, invalid, shapeError } from '../errors.js';
import { conv2d, conv2dTranspose, maxPool2d, avgPool2d, reshape, transposeSize, type Padding } from '../ops/conv.js';
import { add } from '../ops/elementwise.js';
import type { Tensor } from '../tensor.js';
import { KernelLayer, Layer, type KernelLayerConfig, type LayerConfig, type WeightSpec } from './layer.js';

type Pair = number | [number, number];

function pair(layer: string, name: string, v: Pair): [number, number] {
  const p: [number, number] = typeof v === 'number' ? [v, v] : v;
  if (!Array.isArray(p) || p.length !== 2 || p.some((d) => !Number.isInteger(d) || d <= 0)) {
    throw invalid(`${layer}: ${name} must be a positive integer or two of them, got ${JSON.stringify(v)}`);
  }
  return p;
}

function image(layer: string, inputShape: readonly number[]): [number, number, number] {
  if (inputShape.length !== 3) {
    throw shapeError(`${layer}: takes samples of shape [height, width, channels], got ${fmtShape(inputShape)}`);
  }
  return inputShape as [number, number, number];
}

// Output length along one axis, as TensorFlow computes it.
function outLength(layer: string, n: number, k: number, s: number, padding: Padding): number {
  const out = padding === 'same' ? Math.ceil(n / s) : Math.floor((n - k) / s) + 1;
  if (out <= 0) throw shapeError(`${layer}: a window of ${k} does not fit an input of ${n} with '${padding}' padding`);
  return out;
}

/** Options of layers.conv2d(). */
export interface Conv2dConfig extends KernelLayerConfig {
  /** Number of output channels. */
  filters: number;
  /** Window size: n or [height, width]. */
  kernelSize: Pair;
  /** Step: n or [y, x] (default 1). */
  strides?: Pair;
  /** 'valid' (default) or 'same'. */
  padding?: Padding;
}

// The options conv2d and conv2dTranspose share: filters, window, strides, padding.
abstract class ConvLayer extends KernelLayer {
  static override readonly options: readonly string[] = ['filters', 'kernelSize', 'strides', 'padding', ...KernelLayer.options];
  readonly filters: number;
  readonly kernelSize: [number, number];
  readonly strides: [number, number];
  readonly padding: Padding;

  constructor(config: Conv2dConfig, prefix: string) {
    super(config, prefix);
    if (!Number.isInteger(config.filters) || config.filters <= 0) {
      throw invalid(`${this.name}: filters must be a positive integer, got ${config.filters}`);
    }
    this.filters = config.filters;
    this.kernelSize = pair(this.name, 'kernelSize', config.kernelSize);
    this.strides = pair(this.name, 'strides', config.strides ?? 1);
    this.padding = config.padding ?? 'valid';
    if (this.padding !== 'valid' && this.padding !== 'same') {
      throw invalid(`${this.name}: padding must be 'valid' or 'same', got ${JSON.stringify(this.padding)}`);
    }
  }

  protected options(): Record<string, unknown> {
    return { filters: this.filters, kernelSize: this.kernelSize.slice(), strides: this.strides.slice(), padding: this.padding, ...this.kernelOptions() };
  }
}

export class Conv2D extends ConvLayer {
  readonly className = 'Conv2D';

  constructor(config: Conv2dConfig) {
    super(config, 'conv2d');
  }

  build(inputShape: readonly number[]): { outputShape: number[]; weights: WeightSpec[] } {
    const [h, w, c] = image(this.name, inputShape);
    const [kh, kw] = this.kernelSize, [sh, sw] = this.strides;
    const outputShape = [outLength(this.name, h, kh, sh, this.padding), outLength(this.name, w, kw, sw, this.padding), this.filters];
    // Keras' fans for a convolution: receptive field × channels in, × filters out.
    return { outputShape, weights: this.kernelAndBias([kh, kw, c, this.filters], kh * kw * c, kh * kw * this.filters, this.filters) };
  }

  call(x: Tensor): Tensor {
    const [kernel, bias] = this.weights;
    const relu = this.activation === 'relu';
    const y = conv2d(x, kernel!, { strides: this.strides, padding: this.padding, bias, relu });
    return relu || this.activation === 'linear' ? y : this.activate(y);
  }
}

/** Options of layers.conv2dTranspose(). */
export type Conv2dTransposeConfig = Conv2dConfig;

/** A transposed 2-D convolution (layers.conv2dTranspose). */
export class Conv2DTranspose extends ConvLayer {
  readonly className = 'Conv2DTranspose';

  constructor(config: Conv2dTransposeConfig) {
    super(config, 'conv2d_transpose');
  }

  build(inputShape: readonly number[]): { outputShape: number[]; weights: WeightSpec[] } {
    const [h, w, c] = image(this.name, inputShape);
    const [kh, kw] = this.kernelSize, [sh, sw] = this.strides;
    const { oh, ow } = transposeSize(this.name, h, w, kh, kw, sh, sw, this.padding);
    // The kernel is [kh, kw, filters, inputs], Keras' layout; its fans follow Keras' rule for that shape.
    return { outputShape: [oh, ow, this.filters], weights: this.kernelAndBias([kh, kw, this.filters, c], kh * kw * this.filters, kh * kw * c, this.filters) };
  }

  call(x: Tensor): Tensor {
    const [kernel, bias] = this.weights;
    const y = conv2dTranspose(x, kernel!, { strides: this.strides, padding: this.padding });
    return this.activate(bias ? add(y, bias) : y);
  }
}

/** Options of layers.maxPooling2d() and layers.averagePooling2d(). */
export interface Pooling2dConfig extends LayerConfig {
  /** Window: n or [height, width] (default 2). */
  poolSize?: Pair;
  /** Step: n or [y, x] (default: the pool size). */
  strides?: Pair;
}

abstract class Pooling2D extends Layer {
  static override readonly options: readonly string[] = ['poolSize', 'strides'];
  readonly poolSize: [number, number];
  readonly strides: [number, number];

  constructor(config: Pooling2dConfig, prefix: string) {
    super(config, prefix);
    this.poolSize = pair(this.name, 'poolSize', config.poolSize ?? 2);
    this.strides = pair(this.name, 'strides', config.strides ?? this.poolSize);
  }

  protected options(): Record<string, unknown> {
    return { poolSize: this.poolSize.slice(), strides: this.strides.slice() };
  }

  build(inputShape: readonly number[]): { outputShape: number[]; weights: WeightSpec[] } {
    const [h, w, c] = image(this.name, inputShape);
    return {
      outputShape: [outLength(this.name, h, this.poolSize[0], this.strides[0], 'valid'), outLength(this.name, w, this.poolSize[1], this.strides[1], 'valid'), c],
      weights: [],
    };
  }
}

export class MaxPooling2D extends Pooling2D {
  readonly className = 'MaxPooling2D';
  constructor(config: Pooling2dConfig) {
    super(config, 'max_pooling2d');
  }
  call(x: Tensor): Tensor {
    return maxPool2d(x, { poolSize: this.poolSize, strides: this.strides });
  }
}

export class AveragePooling2D extends Pooling2D {
  readonly className = 'AveragePooling2D';
  constructor(config: Pooling2dConfig) {
    super(config, 'average_pooling2d');
  }
  call(x: Tensor): Tensor {
    return avgPool2d(x, { poolSize: this.poolSize, strides: this.strides });
  }
}

export class GlobalAveragePooling2D extends Layer {
  readonly className = 'GlobalAveragePooling2D';
  #size: [number, number] = [1, 1];
  constructor(config: LayerConfig = {}) {
    super(config, 'global_average_pooling2d');
  }
  protected options(): Record<string, unknown> {
    return {};
  }
  build(inputShape: readonly number[]): { outputShape: number[]; weights: WeightSpec[] } {
    const [h, w, c] = image(this.name, inputShape);
    this.#size = [h, w];
    return { outputShape: [c], weights: [] };
  }
  call(x: Tensor): Tensor {
    const pooled = avgPool2d(x, { poolSize: this.#size, strides: [1, 1] });
    return reshape(pooled, [x.shape[0]!, x.shape[3]!]);
  }
}

export class Flatten extends Layer {
  readonly className = 'Flatten';
  constructor(config: LayerConfig = {}) {
    super(config, 'flatten');
  }
  protected options(): Record<string, unknown> {
    return {};
  }
  build(inputShape: readonly number[]): { outputShape: number[]; weights: WeightSpec[] } {
    return { outputShape: [inputShape.reduce((a, b) => a * b, 1)], weights: [] };
  }
  call(x: Tensor): Tensor {
    return reshape(x, [x.shape[0]!, x.size / x.shape[0]!]);
  }
}
