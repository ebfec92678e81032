// Layers that only move data: reshape, zero padding and nearest-neighbour upsampling of images.
import { fmtShape, invalid, shapeError } from '../errors.js';
import { reshape } from '../ops/conv.js';
import { upSample2d, zeroPad2d } from '../ops/shape.js';
import type { Tensor } from '../tensor.js';
import { Layer, type LayerConfig, type Shapes, type WeightSpec } from './layer.js';

/** Options of layers.reshape(). */
export interface ReshapeConfig extends LayerConfig {
  /** The shape of one output sample (no batch axis); one entry may be -1 (inferred). */
  targetShape: number[];
}

/** Samples to another shape of the same size (layers.reshape). */
export class Reshape extends Layer {
  readonly className = 'Reshape';
  static override readonly options = ['targetShape'];
  readonly targetShape: number[];
  constructor(config: ReshapeConfig) {
    super(config, 'reshape');
    const t = config.targetShape;
    if (!Array.isArray(t) || t.some((d) => !Number.isInteger(d) || (d <= 0 && d !== -1)) || t.filter((d) => d === -1).length > 1) {
      throw invalid(`${this.name}: targetShape must be positive integers with at most one -1, got ${JSON.stringify(t)}`);
    }
    this.targetShape = t.slice();
  }
  build(inputShape: readonly number[]): { outputShape: Shapes; weights: WeightSpec[] } {
    const size = inputShape.reduce((a, b) => a * b, 1);
    const known = this.targetShape.reduce((a, b) => (b === -1 ? a : a * b), 1);
    const out = this.targetShape.map((d) => (d === -1 ? size / known : d));
    if (out.some((d) => !Number.isInteger(d)) || out.reduce((a, b) => a * b, 1) !== size) {
      throw shapeError(`${this.name}: cannot reshape samples of shape ${fmtShape(inputShape)} (${size} values) to ${fmtShape(this.targetShape)}`);
    }
    return { outputShape: out, weights: [] };
  }
  call(x: Tensor): Tensor {
    return reshape(x, [x.shape[0]!, ...(this.built!.output as number[])]);
  }
  protected options(): Record<string, unknown> {
    return { targetShape: this.targetShape.slice() };
  }
}

type Pair = number | [number, number];

function image(layer: string, inputShape: readonly number[]): [number, number, number] {
  if (inputShape.length !== 3) throw shapeError(`${layer}: takes samples of shape [height, width, channels], got ${fmtShape(inputShape)}`);
  return inputShape as [number, number, number];
}

/** Options of layers.upSampling2d(). */
export interface UpSampling2dConfig extends LayerConfig {
  /** Repeats of each pixel: n or [rows, cols] (default 2). */
  size?: Pair;
}

/** Nearest-neighbour upsampling of images (layers.upSampling2d). */
export class UpSampling2D extends Layer {
  readonly className = 'UpSampling2D';
  static override readonly options = ['size'];
  readonly size: [number, number];
  constructor(config: UpSampling2dConfig = {}) {
    super(config, 'up_sampling2d');
    const s = config.size ?? 2;
    const p: [number, number] = typeof s === 'number' ? [s, s] : s;
    if (!Array.isArray(p) || p.length !== 2 || p.some((d) => !Number.isInteger(d) || d <= 0)) {
      throw invalid(`${this.name}: size must be a positive integer or two of them, got ${JSON.stringify(s)}`);
    }
    this.size = [p[0], p[1]];
  }
  build(inputShape: readonly number[]): { outputShape: Shapes; weights: WeightSpec[] } {
    const [h, w, c] = image(this.name, inputShape);
    return { outputShape: [h * this.size[0], w * this.size[1], c], weights: [] };
  }
  call(x: Tensor): Tensor {
    return upSample2d(x, this.size);
  }
  protected options(): Record<string, unknown> {
    return { size: this.size.slice() };
  }
}

/** Options of layers.zeroPadding2d(). */
export interface ZeroPadding2dConfig extends LayerConfig {
  /** n (all sides), [rows, cols] (symmetric), or [[top, bottom], [left, right]] (default 1). */
  padding?: number | [number, number] | [[number, number], [number, number]];
}

/** Zeros around images (layers.zeroPadding2d). */
export class ZeroPadding2D extends Layer {
  readonly className = 'ZeroPadding2D';
  static override readonly options = ['padding'];
  readonly padding: [[number, number], [number, number]];
  constructor(config: ZeroPadding2dConfig = {}) {
    super(config, 'zero_padding2d');
    const p = config.padding ?? 1;
    const full = typeof p === 'number' ? [[p, p], [p, p]]
      : Array.isArray(p) && p.length === 2 && p.every((v) => typeof v === 'number') ? [[p[0], p[0]], [p[1], p[1]]] : p;
    const ok = Array.isArray(full) && full.length === 2 && full.every((v) => Array.isArray(v) && v.length === 2 && v.every((d) => Number.isInteger(d) && d >= 0));
    if (!ok) throw invalid(`${this.name}: padding must be n, [rows, cols] or [[top, bottom], [left, right]] of non-negative integers, got ${JSON.stringify(p)}`);
    this.padding = full as [[number, number], [number, number]];
  }
  build(inputShape: readonly number[]): { outputShape: Shapes; weights: WeightSpec[] } {
    const [h, w, c] = image(this.name, inputShape);
    const [[t, b], [l, r]] = this.padding;
    return { outputShape: [h + t + b, w + l + r, c], weights: [] };
  }
  call(x: Tensor): Tensor {
    return zeroPad2d(x, this.padding);
  }
  protected options(): Record<string, unknown> {
    return { padding: this.padding.map((p) => p.slice()) };
  }
}
