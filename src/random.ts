// Seeded random numbers, drawn inside the module (assembly/random.ts) so they are the same on every
// engine. One generator is global (setSeed); fit({ seed }) makes its own.
import { WasmgradError, invalid } from './errors.js';
import { describe } from './options.js';
import type { Tensor } from './tensor.js';
import { heap, wasm } from './wasm.js';

/** A seeded generator whose 16-byte state lives in the arena. */
export class Rng {
  #state: number;

  /** A generator started from `seed` (any safe integer; 0 is a seed like any other). */
  constructor(seed: number) {
    const [lo, hi] = splitSeed(seed);
    this.#state = heap().alloc(16);
    wasm().rng_seed(this.#state, lo, hi);
  }

  /** Fills t with uniform values in [lo, hi). */
  uniform(t: Tensor, lo: number, hi: number): void {
    wasm().rng_uniform_f32(t.ptr, this.#ptr(), t.size, lo, hi);
  }

  /** Fills t with normal values. */
  normal(t: Tensor, mean: number, stddev: number): void {
    wasm().rng_normal_f32(t.ptr, this.#ptr(), t.size, mean, stddev);
  }

  /** Fills t with normal values redrawn until within two standard deviations of the mean. */
  truncatedNormal(t: Tensor, mean: number, stddev: number): void {
    wasm().rng_truncated_normal_f32(t.ptr, this.#ptr(), t.size, mean, stddev);
  }

  /** Fills out with 0 and 1 samples: 1 with probability prob (same shape), as Bernoulli units are sampled. */
  bernoulli(out: Tensor, prob: Tensor): void {
    wasm().rng_bernoulli_f32(out.ptr, prob.ptr, this.#ptr(), out.size);
  }

  /** Writes a random permutation of 0 .. n-1 as i32 at byte address idx. */
  shuffle(idx: number, n: number): void {
    wasm().rng_shuffle_i32(idx, this.#ptr(), n);
  }

  /** Inverted dropout of x into out, writing the mask (1/(1 - rate) or 0) for the backward pass. */
  dropout(out: Tensor, mask: Tensor, x: Tensor, rate: number): void {
    wasm().dropout_forward_f32(out.ptr, mask.ptr, x.ptr, this.#ptr(), x.size, rate);
  }

  /** Frees the state. */
  dispose(): void {
    if (this.#state !== 0) heap().free(this.#state, 16);
    this.#state = 0;
  }

  /** Draws made so far (calls that read the state): a traced step that made none does not depend on this generator. @internal */
  draws = 0;

  #ptr(): number {
    if (this.#state === 0) throw new WasmgradError('DISPOSED', 'random generator was disposed');
    this.draws++;
    return this.#state;
  }
}

let global: Rng | null = null;

/** Reseeds the global generator used for weight initialization when fit() is given no seed. */
export function setSeed(seed: number): void {
  const next = new Rng(seed);
  global?.dispose();
  global = next;
}

/** The global generator; it starts from seed 0 until setSeed() is called. */
export function globalRng(): Rng {
  return global ??= new Rng(0);
}

function splitSeed(seed: number): [number, number] {
  if (!Number.isSafeInteger(seed)) {
    throw invalid(`seed: expected a safe integer, got ${describe(seed)}`);
  }
  const bits = BigInt.asUintN(64, BigInt(seed));
  return [Number(bits & 0xffffffffn), Number(bits >> 32n)];
}
