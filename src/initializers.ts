// Weight initializers, by the names Keras uses. The variance-scaling ones follow Keras'
// VarianceScaling: uniform in ±√(3·scale/n), or a normal truncated at two standard deviations with
// stddev √(scale/n) / 0.8796 (the stddev of a unit normal truncated at ±2), so the variance is scale/n.
import { lookup } from './errors.js';
import type { Rng } from './random.js';
import type { Tensor } from './tensor.js';
import { wasm } from './wasm.js';

/** Fills a weight tensor given its fans and a generator. */
export type Initializer = (t: Tensor, fanIn: number, fanOut: number, rng: Rng) => void;

const TRUNCATED_STDDEV = 0.87962566103423978;

function varianceUniform(t: Tensor, rng: Rng, scale: number, n: number): void {
  const limit = Math.sqrt(3 * scale / n);
  rng.uniform(t, -limit, limit);
}

function varianceNormal(t: Tensor, rng: Rng, scale: number, n: number): void {
  rng.truncatedNormal(t, 0, Math.sqrt(scale / n) / TRUNCATED_STDDEV);
}

/** The initializers by name. */
export const INITIALIZERS: Record<'zeros' | 'glorotUniform' | 'glorotNormal' | 'heNormal' | 'heUniform', Initializer> = {
  zeros: (t) => wasm().fill_f32(t.ptr, t.size, 0),
  glorotUniform: (t, fanIn, fanOut, rng) => varianceUniform(t, rng, 1, (fanIn + fanOut) / 2),
  glorotNormal: (t, fanIn, fanOut, rng) => varianceNormal(t, rng, 1, (fanIn + fanOut) / 2),
  heNormal: (t, fanIn, _fanOut, rng) => varianceNormal(t, rng, 2, fanIn),
  heUniform: (t, fanIn, _fanOut, rng) => varianceUniform(t, rng, 2, fanIn),
};

/** Names accepted as kernelInitializer / biasInitializer. */
export type InitializerName = keyof typeof INITIALIZERS;

/** The initializer called `name`; throws UNKNOWN_NAME listing the known ones. */
export function getInitializer(name: unknown): Initializer {
  return lookup('initializer', INITIALIZERS, name);
}
