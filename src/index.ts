// wasmgrad's public API. Everything a user imports comes from here.
export { init, isInitialized, simd, threads, relaxedSimdSupported, type InitSource, type InitSources, type InitOptions, type SimdBuild, type SimdInfo, type ThreadsInfo } from './wasm.js';
export { WasmgradError, type ErrorCode } from './errors.js';
export type { MemoryInfo } from './arena.js';
export { Tensor, tensor, variable, tidy, noGrad, keep, type TensorLike, type NestedArray, type NestedNumbers, type NumericArray } from './tensor.js';
export { add, sub, mul, sum, mean, scale, maximum, minimum } from './ops/elementwise.js';
export { concat, zeroPad2d, upSample2d, argMax } from './ops/shape.js';
export { simpleRnn, lstm, gru, embeddingLookup, type RecurrentOptions, type GruOptions, type RecurrentActivation } from './ops/recurrent.js';
export { matmul, type MatmulOptions } from './ops/matmul.js';
export { relu, leakyRelu, sigmoid, tanh, softmax, elu, gelu, swish, softplus, exp } from './ops/activations.js';
export {
  meanSquaredError, meanAbsoluteError, huber, hinge, categoricalCrossentropy, binaryCrossentropy, softmaxCrossEntropy,
  sigmoidCrossEntropy, sparseCategoricalCrossentropy, sparseSoftmaxCrossEntropy,
} from './ops/losses.js';
export {
  layers, Layer, Dense, Activation, Dropout, Conv2D, Conv2DTranspose, MaxPooling2D, AveragePooling2D, GlobalAveragePooling2D, Flatten,
  Reshape, UpSampling2D, ZeroPadding2D, Add, Subtract, Multiply, Average, Maximum, Minimum, Concatenate,
  type MergeConfig, type ConcatenateConfig, type ReshapeConfig, type UpSampling2dConfig, type ZeroPadding2dConfig, type Conv2dTransposeConfig,
  BatchNormalization, LayerNormalization, type BatchNormalizationConfig, type LayerNormalizationConfig, type DenseConfig, type ActivationConfig, type DropoutConfig, type Conv2dConfig, type Pooling2dConfig, type LayerConfig, type WeightSpec, type ApplyOptions, type Shapes,
} from './layers/index.js';
export { batchNorm, layerNorm, type BatchNormOptions } from './ops/normalization.js';
export { conv2d, conv2dTranspose, maxPool2d, avgPool2d, reshape, type Conv2dOptions, type Conv2dTransposeOptions, type PoolOptions, type Padding } from './ops/conv.js';
export {
  optimizers, schedules, type Optimizer, type OptimizerName, type OptimizerConfig, type SgdConfig, type AdamConfig, type AdamwConfig,
  type RmspropConfig, type AdagradConfig, type Schedule, type LearningRate, type OptimizerState, type Segment, type ParamGroup, type StateKey, type OptimizerFactory,
} from './optimizers.js';
export { setSeed } from './random.js';
export { data, oneHot, type DataInput } from './data.js';
export type { ImageGridOptions } from './images.js';
export { preprocessing, trainTestSplit, Scaler, type ScalerState, type TrainTestSplit } from './preprocessing.js';
export { readIdx, type IdxData } from './idx.js';
export { loadMnist, toUnit, type MnistSplit } from './mnist.js';
export type { ActivationName } from './activations.js';
export { losses, type LossName, type LossConfig, type LossSpec } from './losses.js';
export { metrics, confusionMatrix, type MetricName } from './metrics.js';
export { initializers, type InitializerName, type InitializerConfig, type InitializerSpec } from './initializers.js';
export { Model, model, input, InputLayer, type ModelConfig, type InputConfig } from './engine/model.js';
export { Sequential, sequential } from './engine/sequential.js';
export { RBM, rbm, models, type RbmConfig, type RbmFitOptions, type RbmSampleOptions } from './engine/rbm.js';
export type { SymbolicTensor } from './engine/symbolic.js';
export { variableGrads, type NamedGradients } from './engine/variables.js';
export type { CompileArgs } from './engine/compile.js';
export type { FitArgs, History, Logs, Callbacks, EvaluateArgs, ModelData } from './engine/training.js';
export { memory } from './memory.js';
export { setCheckNumerics } from './numerics.js';
export { loadModel, fromArtifacts, type TfjsArtifacts } from './io/loader.js';
export type { ModelArtifacts } from './io/writer.js';
export { readSafetensors, writeSafetensors, type NamedTensor } from './io/safetensors.js';
export { callbacks, earlyStopping, type EarlyStoppingConfig, type ModelCallback } from './callbacks.js';
export { regularizers, type Regularizer } from './regularizers.js';
