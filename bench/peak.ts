// The wasm SIMD peak: 12 independent chains of multiply-adds held in registers, so nothing but the
// vector units limits it. Every GEMM figure is reported as a share of this. Compiled by the
// benchmarks with asc into modules of their own (it is not part of wasmgrad.wasm): as is, each step
// is f32x4.mul + f32x4.add (the baseline kernels' form); with `--enable relaxed-simd`, one
// f32x4.relaxed_madd (a fused multiply-add where the CPU has one: the relaxed build's form).
// The multiplier and addend come in as arguments (callers pass 0.9999999 and 1e-7): with them as
// v128 constants, Node 24's V8 runs this loop at a quarter of the speed (13 vs 54 GFLOP/s here).

// @ts-ignore: decorator
@inline function step(a: v128, m: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, m, c);
  return f32x4.add(f32x4.mul(a, m), c);
}

/** Runs `iters` iterations of 12 chains × (4 mul + 4 add) = 96 flops each; returns a lane sum. */
export function peak_f32(iters: i32, mul: f32, add: f32): f32 {
  const m = f32x4.splat(mul);
  const c = f32x4.splat(add);
  let a0 = f32x4.splat(1.0), a1 = f32x4.splat(1.1), a2 = f32x4.splat(1.2), a3 = f32x4.splat(1.3);
  let a4 = f32x4.splat(1.4), a5 = f32x4.splat(1.5), a6 = f32x4.splat(1.6), a7 = f32x4.splat(1.7);
  let a8 = f32x4.splat(1.8), a9 = f32x4.splat(1.9), a10 = f32x4.splat(2.0), a11 = f32x4.splat(2.1);
  for (let i = 0; i < iters; i++) {
    a0 = step(a0, m, c); a1 = step(a1, m, c); a2 = step(a2, m, c); a3 = step(a3, m, c);
    a4 = step(a4, m, c); a5 = step(a5, m, c); a6 = step(a6, m, c); a7 = step(a7, m, c);
    a8 = step(a8, m, c); a9 = step(a9, m, c); a10 = step(a10, m, c); a11 = step(a11, m, c);
  }
  let s = f32x4.add(f32x4.add(f32x4.add(a0, a1), f32x4.add(a2, a3)), f32x4.add(f32x4.add(a4, a5), f32x4.add(a6, a7)));
  s = f32x4.add(s, f32x4.add(f32x4.add(a8, a9), f32x4.add(a10, a11)));
  return f32x4.extract_lane(s, 0) + f32x4.extract_lane(s, 1) + f32x4.extract_lane(s, 2) + f32x4.extract_lane(s, 3);
}
