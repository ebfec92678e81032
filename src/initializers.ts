// Weight initializers, by the names Keras uses. The variance-scaling ones follow Keras'
// VarianceScaling: uniform in ±√(3·scale/n), or a normal truncated at two standard deviations with
// stddev √(scale/n) / 0.8796 (the stddev of a unit normal truncated at ±2), so the variance is scale/n.
// Orthogonal follows Keras too: a random normal matrix, orthonormalized (QR), over the weight seen as
// [prod(shape[:-1]), shape[-1]]. Configured ones (initializers.randomNormal(...)) are plain objects, so
// a saved model stores them; with a seed they draw from their own generator.
import { lookup, invalid } from './errors.js';
import { checkOptions, describe } from './options.js';
import { Rng } from './random.js';
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

function orthogonal(t: Tensor, rng: Rng, gain: number): void {
  rng.normal(t, 0, 1);
  const cols = t.shape[t.shape.length - 1] ?? 1, rows = t.size / cols;
  // The shorter side's vectors become orthonormal: columns when rows ≥ cols, else rows.
  if (rows >= cols) wasm().orthonormalize_f32(t.ptr, cols, rows, 1, cols, gain);
  else wasm().orthonormalize_f32(t.ptr, rows, cols, cols, 1, gain);
}

/** The initializers by name. */
export const INITIALIZERS = {
  zeros: ((t) => wasm().fill_f32(t.ptr, t.size, 0)) as Initializer,
  ones: ((t) => wasm().fill_f32(t.ptr, t.size, 1)) as Initializer,
  glorotUniform: ((t, fanIn, fanOut, rng) => varianceUniform(t, rng, 1, (fanIn + fanOut) / 2)) as Initializer,
  glorotNormal: ((t, fanIn, fanOut, rng) => varianceNormal(t, rng, 1, (fanIn + fanOut) / 2)) as Initializer,
  heNormal: ((t, fanIn, _fanOut, rng) => varianceNormal(t, rng, 2, fanIn)) as Initializer,
  heUniform: ((t, fanIn, _fanOut, rng) => varianceUniform(t, rng, 2, fanIn)) as Initializer,
  lecunNormal: ((t, fanIn, _fanOut, rng) => varianceNormal(t, rng, 1, fanIn)) as Initializer,
  lecunUniform: ((t, fanIn, _fanOut, rng) => varianceUniform(t, rng, 1, fanIn)) as Initializer,
  orthogonal: ((t, _fanIn, _fanOut, rng) => orthogonal(t, rng, 1)) as Initializer,
};

/** Names accepted as kernelInitializer / biasInitializer. */
export type InitializerName = keyof typeof INITIALIZERS;

/** A configured initializer (from initializers.*): a plain object a saved model can store. */
export type InitializerConfig =
  | { name: 'randomNormal'; mean: number; stddev: number; seed?: number }
  | { name: 'randomUniform'; minval: number; maxval: number; seed?: number }
  | { name: 'constant'; value: number }
  | { name: 'orthogonal'; gain: number; seed?: number };

/** What kernelInitializer / biasInitializer accept: a name or a configured initializer. */
export type InitializerSpec = InitializerName | InitializerConfig;

const CONFIGURED: Record<string, { keys: string[]; make: (c: Record<string, number>) => Initializer }> = {
  randomNormal: { keys: ['mean', 'stddev'], make: (c) => (t, _i, _o, rng) => rng.normal(t, c.mean!, c.stddev!) },
  randomUniform: { keys: ['minval', 'maxval'], make: (c) => (t, _i, _o, rng) => rng.uniform(t, c.minval!, c.maxval!) },
  constant: { keys: ['value'], make: (c) => (t) => wasm().fill_f32(t.ptr, t.size, c.value!) },
  orthogonal: { keys: ['gain'], make: (c) => (t, _i, _o, rng) => orthogonal(t, rng, c.gain!) },
};

function configured(op: string, c: Record<string, unknown>): InitializerConfig {
  const kind = lookup('initializer', CONFIGURED, c.name);
  const allowed = ['name', ...kind.keys, ...(c.name === 'constant' ? [] : ['seed'])];
  checkOptions(op, c, allowed, c.name as string);
  for (const [k, v] of Object.entries(c)) {
    if (k !== 'name' && !(typeof v === 'number' && Number.isFinite(v)) || k === 'seed' && !Number.isSafeInteger(v)) {
      throw invalid(`${op}: ${c.name}'s ${k} must be a finite number${k === 'seed' ? ' (a safe integer)' : ''}, got ${describe(v)}`);
    }
  }
  for (const k of kind.keys) if (c[k] === undefined) throw invalid(`${op}: ${c.name} needs ${k}`);
  if (c.name === 'randomUniform' && !((c.minval as number) < (c.maxval as number))) {
    throw invalid(`${op}: randomUniform needs minval < maxval, got ${c.minval} and ${c.maxval}`);
  }
  if (c.name === 'randomNormal' && !((c.stddev as number) >= 0)) throw invalid(`${op}: randomNormal's stddev must be >= 0, got ${c.stddev}`);
  return { ...c } as InitializerConfig;
}

/** The initializer a name or config stands for; throws UNKNOWN_NAME or INVALID_ARGUMENT for anything else. */
export function getInitializer(spec: unknown, op = 'initializer'): Initializer {
  if (typeof spec !== 'object' || spec === null) return lookup('initializer', INITIALIZERS, spec);
  const c = configured(op, spec as Record<string, unknown>) as unknown as Record<string, number> & { seed?: number };
  const init = CONFIGURED[c.name as unknown as string]!.make(c);
  if (c.seed === undefined) return init;
  return (t, fanIn, fanOut) => {
    const own = new Rng(c.seed!);
    try { init(t, fanIn, fanOut, own); } finally { own.dispose(); }
  };
}

/** Configured initializers, as Keras' keras.initializers; `seed` fixes the values they draw. */
export const initializers = {
  /** Normal values with this mean and standard deviation (defaults 0 and 0.05). */
  randomNormal: (c?: { mean?: number; stddev?: number; seed?: number }): InitializerConfig =>
    make('randomNormal', c, { mean: 0, stddev: 0.05 }),
  /** Uniform values in [minval, maxval) (defaults -0.05 and 0.05). */
  randomUniform: (c?: { minval?: number; maxval?: number; seed?: number }): InitializerConfig =>
    make('randomUniform', c, { minval: -0.05, maxval: 0.05 }),
  /** Every value `value` (default 0). */
  constant: (c?: { value?: number }): InitializerConfig => make('constant', c, { value: 0 }),
  /** A random orthogonal matrix times `gain` (default 1). */
  orthogonal: (c?: { gain?: number; seed?: number }): InitializerConfig => make('orthogonal', c, { gain: 1 }),
};

// A configured initializer from its options and defaults; the options' keys are checked first.
function make(name: string, options: Record<string, number | undefined> | undefined, defaults: Record<string, number>): InitializerConfig {
  const op = `initializers.${name}`;
  const c = checkOptions(op, options, [...Object.keys(defaults), ...(name === 'constant' ? [] : ['seed'])]);
  const given = Object.fromEntries(Object.entries(c).filter(([, v]) => v !== undefined));
  return configured(op, { name, ...defaults, ...given });
}
