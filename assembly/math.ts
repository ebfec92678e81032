// Elementwise math in f32x4 lanes and one lane at a time, the same arithmetic in both, from wasm's
// basic f32 operations only: they round the same on every engine, so these give the same bits
// everywhere, and run four lanes at once where Mathf's functions run one.

// exp in f32x4 lanes and one lane at a time, the same arithmetic in both (Cephes' expf: x = n·ln2 + r,
// a degree-6 polynomial in r, times 2^n built in the exponent bits; about 1 ulp). wasm's f32 ops
// round the same on every engine, so these give the same bits everywhere, faster than Mathf.exp.
const LOG2E: f32 = 1.44269504088896341, LN2_HI: f32 = 0.693359375, LN2_LO: f32 = -2.12194440e-4;
const P0: f32 = 1.9875691500e-4, P1: f32 = 1.3981999507e-3, P2: f32 = 8.3334519073e-3, P3: f32 = 4.1665795894e-2;
const P4: f32 = 1.6666665459e-1, P5: f32 = 5.0000001201e-1, EXP_HI: f32 = 88.3762626647949, EXP_LO: f32 = -87.3365447504;

// @ts-ignore: decorator
@inline export function vexp(v: v128): v128 {
  const x0 = f32x4.min(f32x4.max(v, f32x4.splat(EXP_LO)), f32x4.splat(EXP_HI));
  const n = f32x4.nearest(f32x4.mul(x0, f32x4.splat(LOG2E)));
  const x = f32x4.sub(f32x4.sub(x0, f32x4.mul(n, f32x4.splat(LN2_HI))), f32x4.mul(n, f32x4.splat(LN2_LO)));
  let y = f32x4.add(f32x4.mul(f32x4.splat(P0), x), f32x4.splat(P1));
  y = f32x4.add(f32x4.mul(y, x), f32x4.splat(P2));
  y = f32x4.add(f32x4.mul(y, x), f32x4.splat(P3));
  y = f32x4.add(f32x4.mul(y, x), f32x4.splat(P4));
  y = f32x4.add(f32x4.mul(y, x), f32x4.splat(P5));
  y = f32x4.add(f32x4.add(f32x4.mul(y, f32x4.mul(x, x)), x), f32x4.splat(1));
  const scale = i32x4.shl(i32x4.add(i32x4.trunc_sat_f32x4_s(n), i32x4.splat(127)), 23);
  return f32x4.mul(y, scale);
}

// @ts-ignore: decorator
@inline export function sexp(v: f32): f32 {
  const x0 = Mathf.min(Mathf.max(v, EXP_LO), EXP_HI);
  const n = nearest<f32>(x0 * LOG2E);
  const x = (x0 - n * LN2_HI) - n * LN2_LO;
  let y = P0 * x + P1;
  y = y * x + P2;
  y = y * x + P3;
  y = y * x + P4;
  y = y * x + P5;
  y = (y * (x * x) + x) + <f32>1;
  return y * reinterpret<f32>((<i32>n + 127) << 23);
}

// tanh as Cephes' tanhf: x + x³·P(x²) for |x| < 0.625, else sign(x)·(1 - 2 / (e^(2|x|) + 1)) (no
// cancellation near 0; relative error about 2e-7).
const T0: f32 = -5.70498872745e-3, T1: f32 = 2.06390887954e-2, T2: f32 = -5.37397155531e-2;
const T3: f32 = 1.33314422036e-1, T4: f32 = -3.33332819422e-1, T_SMALL: f32 = 0.625;

// @ts-ignore: decorator
@inline export function vtanh(v: v128): v128 {
  const one = f32x4.splat(1), a = f32x4.abs(v), z = f32x4.mul(v, v);
  let p = f32x4.add(f32x4.mul(f32x4.splat(T0), z), f32x4.splat(T1));
  p = f32x4.add(f32x4.mul(p, z), f32x4.splat(T2));
  p = f32x4.add(f32x4.mul(p, z), f32x4.splat(T3));
  p = f32x4.add(f32x4.mul(p, z), f32x4.splat(T4));
  const small = f32x4.add(f32x4.mul(f32x4.mul(p, z), v), v);
  const e = vexp(f32x4.add(a, a));
  const big = f32x4.sub(one, f32x4.div(f32x4.splat(2), f32x4.add(e, one)));
  // Either magnitude with x's sign (tanh(-0) = -0).
  return v128.or(v128.bitselect(small, big, f32x4.lt(a, f32x4.splat(T_SMALL))), v128.and(v, i32x4.splat(0x80000000)));
}

// @ts-ignore: decorator
@inline export function stanh(x: f32): f32 {
  const a = Mathf.abs(x), z = x * x;
  if (a < T_SMALL) {
    let p = T0 * z + T1;
    p = p * z + T2;
    p = p * z + T3;
    p = p * z + T4;
    const small = (p * z) * x + x;
    return reinterpret<f32>(reinterpret<i32>(small) | (reinterpret<i32>(x) & 0x80000000));
  }
  const big = <f32>1 - <f32>2 / (sexp(a + a) + <f32>1);
  return reinterpret<f32>(reinterpret<i32>(big) | (reinterpret<i32>(x) & 0x80000000));
}

// sigmoid: 1 / (1 + e^-x) for x >= 0 and e^x / (1 + e^x) below, so exp's argument is never positive.
// @ts-ignore: decorator
@inline export function vsigmoid(v: v128): v128 {
  const e = vexp(f32x4.neg(f32x4.abs(v))), d = f32x4.add(e, f32x4.splat(1));
  return v128.bitselect(f32x4.div(f32x4.splat(1), d), f32x4.div(e, d), f32x4.ge(v, f32x4.splat(0)));
}

// @ts-ignore: decorator
@inline export function ssigmoid(x: f32): f32 {
  const e = sexp(-Mathf.abs(x)), d = e + <f32>1;
  return x >= 0 ? <f32>1 / d : e / d;
}
