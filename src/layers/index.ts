// Layer constructors, by the names Keras and TF.js use.
import { Dense, type DenseConfig } from './dense.js';

export { Layer, type LayerConfig, type WeightSpec } from './layer.js';
export { Dense, type DenseConfig } from './dense.js';

/** Layer constructors: layers.dense({ units, activation }) and the rest as they come. */
export const layers = {
  /** A fully connected layer: activation(x · kernel + bias). */
  dense: (config: DenseConfig): Dense => new Dense(config),
};
