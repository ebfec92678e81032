// A seeded generator inside the module, so weights, shuffles and dropout masks come out the same
// on every engine. The state is 16 bytes the host allocates: xoshiro128** (Blackman & Vigna,
// "Scrambled linear pseudorandom number generators", 2021), seeded through splitmix64.
// Pointers are byte addresses, n is elements.

/** Fills the 16-byte state from a 64-bit seed given as two u32 halves. */
export function rng_seed(state: usize, lo: u32, hi: u32): void {
  let x = (<u64>hi << 32) | <u64>lo;
  for (let i = 0; i < 2; i++) {
    x += 0x9E3779B97F4A7C15;
    let z = x;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EB;
    z = z ^ (z >> 31);
    store<u64>(state + (<usize>i << 3), z);
  }
  // xoshiro's one forbidden state is all zeros; splitmix64 cannot give it for both words, but be sure.
  if (load<u64>(state) == 0 && load<u64>(state, 8) == 0) store<u32>(state, 1);
}

// @ts-ignore: decorator
@inline function next(state: usize): u32 {
  let s0 = load<u32>(state), s1 = load<u32>(state, 4), s2 = load<u32>(state, 8), s3 = load<u32>(state, 12);
  const result = rotl<u32>(s1 * 5, 7) * 9;
  const t = s1 << 9;
  s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3; s2 ^= t; s3 = rotl<u32>(s3, 11);
  store<u32>(state, s0); store<u32>(state, s1, 4); store<u32>(state, s2, 8); store<u32>(state, s3, 12);
  return result;
}

// A double in [0, 1) from 53 random bits.
// @ts-ignore: decorator
@inline function nextUnit(state: usize): f64 {
  const hi = <u64>(next(state) >> 5), lo = <u64>(next(state) >> 6);
  return <f64>((hi << 26) | lo) * 1.1102230246251565e-16; // 2^-53
}

// A standard normal by the Box-Muller transform (one of the pair is used; simple and exact enough).
// @ts-ignore: decorator
@inline function nextNormal(state: usize): f64 {
  const u1 = 1 - nextUnit(state); // (0, 1], so the log is finite
  const u2 = nextUnit(state);
  return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
}

/** out[i] = uniform in [lo, hi) */
export function rng_uniform_f32(out: usize, state: usize, n: i32, lo: f32, hi: f32): void {
  const span = <f64>hi - <f64>lo;
  for (let i = 0; i < n; i++) store<f32>(out + (<usize>i << 2), <f32>(<f64>lo + span * nextUnit(state)));
}

/** out[i] = normal(mean, stddev) */
export function rng_normal_f32(out: usize, state: usize, n: i32, mean: f32, stddev: f32): void {
  for (let i = 0; i < n; i++) store<f32>(out + (<usize>i << 2), <f32>(<f64>mean + <f64>stddev * nextNormal(state)));
}

/** out[i] = normal(mean, stddev) redrawn until within two standard deviations (Keras' truncated normal) */
export function rng_truncated_normal_f32(out: usize, state: usize, n: i32, mean: f32, stddev: f32): void {
  for (let i = 0; i < n; i++) {
    let z = nextNormal(state);
    while (Math.abs(z) > 2) z = nextNormal(state);
    store<f32>(out + (<usize>i << 2), <f32>(<f64>mean + <f64>stddev * z));
  }
}

/** idx = a random permutation of 0 .. n-1 (i32), by Fisher-Yates with Lemire's multiply-shift. */
export function rng_shuffle_i32(idx: usize, state: usize, n: i32): void {
  for (let i = 0; i < n; i++) store<i32>(idx + (<usize>i << 2), i);
  for (let i = n - 1; i > 0; i--) {
    const j = <i32>((<u64>next(state) * <u64>(i + 1)) >> 32);
    const a = idx + (<usize>i << 2), b = idx + (<usize>j << 2);
    const t = load<i32>(a);
    store<i32>(a, load<i32>(b));
    store<i32>(b, t);
  }
}

/**
 * Inverted dropout: mask[i] = 1/(1 - rate) with probability 1 - rate, else 0; out = inp · mask.
 * The mask is kept for the backward pass (dinp += dout · mask, mul_backward_f32).
 */
export function dropout_forward_f32(out: usize, mask: usize, inp: usize, state: usize, n: i32, rate: f32): void {
  const keep: f32 = 1 / (1 - rate);
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 2;
    const m: f32 = nextUnit(state) >= <f64>rate ? keep : 0;
    store<f32>(mask + o, m);
    store<f32>(out + o, load<f32>(inp + o) * m);
  }
}

/** out[i] = 1 if a uniform draw in [0, 1) is below prob[i], else 0: Bernoulli samples (compared in f64, so p = 1 always gives 1). */
export function rng_bernoulli_f32(out: usize, prob: usize, state: usize, n: i32): void {
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(out + o, nextUnit(state) < <f64>load<f32>(prob + o) ? 1 : 0);
  }
}
