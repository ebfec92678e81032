// Layer constructors, by the names Keras and TF.js use.
import {
  AveragePooling2D, Conv2D, Conv2DTranspose, Flatten, GlobalAveragePooling2D, MaxPooling2D, type Conv2dConfig, type Conv2dTransposeConfig,
  type Pooling2dConfig,
} from './conv.js';
import { Add, Average, Concatenate, Maximum, Minimum, Multiply, Subtract, type ConcatenateConfig, type MergeConfig } from './merge.js';
import { Reshape, UpSampling2D, ZeroPadding2D, type ReshapeConfig, type UpSampling2dConfig, type ZeroPadding2dConfig } from './shape.js';
import { Activation, type ActivationConfig } from './activation.js';
import { Dense, type DenseConfig } from './dense.js';
import { Dropout, type DropoutConfig } from './dropout.js';
import { GaussianNoise, Sampling, type GaussianNoiseConfig } from './noise.js';
import type { LayerConfig } from './layer.js';
import {
  Bidirectional, Embedding, GRU, LSTM, Masking, RepeatVector, SimpleRNN, TimeDistributed, registerLayerClasses, type BidirectionalConfig, type EmbeddingConfig,
  type GruConfig, type LstmConfig, type MaskingConfig, type RecurrentLayerConfig, type RepeatVectorConfig, type TimeDistributedConfig,
} from './recurrent.js';
import {
  BatchNormalization, LayerNormalization, type BatchNormalizationConfig, type LayerNormalizationConfig,
} from './normalization.js';

export { Layer, type LayerConfig, type WeightSpec, type CallContext, type ApplyOptions, type Shapes } from './layer.js';
export { Dense, type DenseConfig } from './dense.js';
export { Activation, type ActivationConfig } from './activation.js';
export { Dropout, type DropoutConfig } from './dropout.js';
export { GaussianNoise, Sampling, type GaussianNoiseConfig } from './noise.js';
export {
  BatchNormalization, LayerNormalization, type BatchNormalizationConfig, type LayerNormalizationConfig,
} from './normalization.js';
export {
  Conv2D, Conv2DTranspose, MaxPooling2D, AveragePooling2D, GlobalAveragePooling2D, Flatten, type Conv2dConfig, type Conv2dTransposeConfig,
  type Pooling2dConfig,
} from './conv.js';
export { Add, Subtract, Multiply, Average, Maximum, Minimum, Concatenate, type MergeConfig, type ConcatenateConfig } from './merge.js';
export { Reshape, UpSampling2D, ZeroPadding2D, type ReshapeConfig, type UpSampling2dConfig, type ZeroPadding2dConfig } from './shape.js';
export {
  SimpleRNN, LSTM, GRU, Embedding, Bidirectional, RepeatVector, Masking, TimeDistributed, RecurrentLayer, type RecurrentLayerConfig, type LstmConfig,
  type GruConfig, type EmbeddingConfig, type BidirectionalConfig, type RepeatVectorConfig, type MaskingConfig, type TimeDistributedConfig, type MergeMode,
} from './recurrent.js';

/** Every layer class by its Keras class name: the one list the loader reads. */
export const LAYER_CLASSES = {
  Dense, Conv2D, Conv2DTranspose, MaxPooling2D, AveragePooling2D, GlobalAveragePooling2D, Flatten, Reshape, UpSampling2D, ZeroPadding2D,
  Dropout, Activation, BatchNormalization, LayerNormalization, Add, Subtract, Multiply, Average, Maximum, Minimum, Concatenate,
  SimpleRNN, LSTM, GRU, Embedding, Bidirectional, RepeatVector, Masking, TimeDistributed, GaussianNoise, Sampling,
};
registerLayerClasses(LAYER_CLASSES as unknown as Record<string, new (config: never) => import('./layer.js').Layer>);

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
  /** Samples to another shape of the same size (one entry may be -1). */
  reshape: (config: ReshapeConfig): Reshape => new Reshape(config),
  /** A transposed 2-D convolution (learned upsampling, a generator's layer); kernel [kh, kw, filters, inputs]. */
  conv2dTranspose: (config: Conv2dTransposeConfig): Conv2DTranspose => new Conv2DTranspose(config),
  /** Each pixel repeated as a size × size block (nearest neighbour). */
  upSampling2d: (config: UpSampling2dConfig = {}): UpSampling2D => new UpSampling2D(config),
  /** Zeros around each image. */
  zeroPadding2d: (config: ZeroPadding2dConfig = {}): ZeroPadding2D => new ZeroPadding2D(config),
  /** The sum of a list of inputs of one shape (a residual connection: add.apply([x, block])). */
  add: (config: MergeConfig = {}): Add => new Add(config),
  /** The first of two inputs minus the second (Keras' Subtract; TF.js has none). */
  subtract: (config: MergeConfig = {}): Subtract => new Subtract(config),
  /** The elementwise product of a list of inputs. */
  multiply: (config: MergeConfig = {}): Multiply => new Multiply(config),
  /** The elementwise mean of a list of inputs. */
  average: (config: MergeConfig = {}): Average => new Average(config),
  /** The elementwise maximum of a list of inputs. */
  maximum: (config: MergeConfig = {}): Maximum => new Maximum(config),
  /** The elementwise minimum of a list of inputs. */
  minimum: (config: MergeConfig = {}): Minimum => new Minimum(config),
  /** A list of inputs joined along an axis (default the last). */
  concatenate: (config: ConcatenateConfig = {}): Concatenate => new Concatenate(config),
  /** A fully connected recurrent layer over [steps, features] samples (TF.js' name; Keras' SimpleRNN). */
  simpleRNN: (config: RecurrentLayerConfig): SimpleRNN => new SimpleRNN(config),
  /** A long short-term memory layer over [steps, features] samples. */
  lstm: (config: LstmConfig): LSTM => new LSTM(config),
  /** A gated recurrent unit layer over [steps, features] samples (resetAfter true by default, as Keras). */
  gru: (config: GruConfig): GRU => new GRU(config),
  /** Integer indices [steps] → rows of a learned table [steps, outputDim]. */
  embedding: (config: EmbeddingConfig): Embedding => new Embedding(config),
  /** A recurrent layer run forwards and backwards, the outputs joined (mergeMode 'concat', 'sum', 'mul', 'ave'). */
  bidirectional: (config: BidirectionalConfig): Bidirectional => new Bidirectional(config),
  /** Marks the steps whose features all equal maskValue as padding for the recurrent layers after it. */
  masking: (config: MaskingConfig = {}): Masking => new Masking(config),
  /** One layer applied to every step of a sequence with the same weights ([steps, ...] samples). */
  timeDistributed: (config: TimeDistributedConfig): TimeDistributed => new TimeDistributed(config),
  /** [features] → [n, features]: the input repeated n times. */
  repeatVector: (config: RepeatVectorConfig): RepeatVector => new RepeatVector(config),
  /** Adds N(0, stddev²) noise in training (a denoising autoencoder's input corruption); the identity otherwise. */
  gaussianNoise: (config: GaussianNoiseConfig): GaussianNoise => new GaussianNoise(config),
  /** [mean, logVar] → mean + e^(logVar / 2)·ε, ε ~ N(0, 1): a VAE's reparameterized code. */
  sampling: (config: LayerConfig = {}): Sampling => new Sampling(config),
};
