// Layer constructors, by the names Keras and TF.js use.
import {
  AveragePooling2D, Conv2D, Flatten, GlobalAveragePooling2D, MaxPooling2D, type Conv2dConfig, type Pooling2dConfig,
} from './conv.js';
import { Activation, type ActivationConfig } from './activation.js';
import { Dense, type DenseConfig } from './dense.js';
import { Dropout, type DropoutConfig } from './dropout.js';
import type { LayerConfig } from './layer.js';
import {
  BatchNormalization, LayerNormalization, type BatchNormalizationConfig, type LayerNormalizationConfig,
} from './normalization.js';

export { Layer, type LayerConfig, type WeightSpec, type CallContext } from './layer.js';
export { Dense, type DenseConfig } from './dense.js';
export { Activation, type ActivationConfig } from './activation.js';
export { Dropout, type DropoutConfig } from './dropout.js';
export {
  BatchNormalization, LayerNormalization, type BatchNormalizationConfig, type LayerNormalizationConfig,
} from './normalization.js';
export {
  Conv2D, MaxPooling2D, AveragePooling2D, GlobalAveragePooling2D, Flatten, type Conv2dConfig, type Pooling2dConfig,
} from './conv.js';

/** Layer constructors: layers.dense({ units, activation }) and the rest. */
export const layers = {
  /** A fully connected layer: activation(x · kernel + bias). */
  dense: (config: DenseConfig): Dense => new Dense(config),
  /** A 2-D convolution over [height, width, channels] samples. */
  conv2d: (config: Conv2dConfig): Conv2D => new Conv2D(config),
  /** Max over pooling windows. */
  maxPooling2d: (config: Pooling2dConfig = {}): MaxPooling2D => new MaxPooling2D(config),
  /** Mean over pooling windows. */
  averagePooling2d: (config: Pooling2dConfig = {}): AveragePooling2D => new AveragePooling2D(config),
  /** Mean over height and width: [h, w, c] → [c]. */
  globalAveragePooling2d: (config: LayerConfig = {}): GlobalAveragePooling2D => new GlobalAveragePooling2D(config),
  /** Applies an activation function on its own (e.g. after batchNormalization). */
  activation: (config: ActivationConfig): Activation => new Activation(config),
  /** Drops a fraction of inputs during fit (inverted dropout); the identity at inference. */
  dropout: (config: DropoutConfig): Dropout => new Dropout(config),
  /** Normalizes each channel by the batch's statistics in fit, by moving averages of them at inference. */
  batchNormalization: (config: BatchNormalizationConfig = {}): BatchNormalization => new BatchNormalization(config),
  /** Normalizes each sample over its last axis. */
  layerNormalization: (config: LayerNormalizationConfig = {}): LayerNormalization => new LayerNormalization(config),
  /** [h, w, c] → [h·w·c]. */
  flatten: (config: LayerConfig = {}): Flatten => new Flatten(config),
};
