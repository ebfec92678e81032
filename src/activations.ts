// The activations a layer can name, mapped to their ops. One registry: layers, models and
// messages all read this list.
import { lookup } from './errors.js';
import { elu, gelu, leakyRelu, relu, sigmoid, softmax, softplus, swish, tanh } from './ops/activations.js';
import type { Tensor } from './tensor.js';

/** The activations by name. */
export const ACTIVATIONS = {
  linear: (x: Tensor) => x,
  relu,
  leakyRelu: (x: Tensor) => leakyRelu(x),
  sigmoid,
  tanh,
  softmax,
  elu: (x: Tensor) => elu(x),
  gelu,
  swish,
  softplus,
};

/** Names accepted as a layer's `activation`. */
export type ActivationName = keyof typeof ACTIVATIONS;

/** The activation called `name`; throws UNKNOWN_NAME listing the known ones. */
export function getActivation(name: unknown): (x: Tensor) => Tensor {
  return lookup('activation', ACTIVATIONS, name);
}
