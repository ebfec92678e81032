// Activations, forward and backward. Pointers are byte addresses, n, rows and cols are elements.
// Backward kernels accumulate into dinp and read whichever of inp or out makes the derivative cheap.
import { ssigmoid, stanh, vsigmoid, vtanh } from "./math";

/** out = max(inp, 0) */
export function relu_forward_f32(out: usize, inp: usize, n: i32): void {
  const zero = f32x4.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(out + o, f32x4.max(v128.load(inp + o), zero));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(out + o, max<f32>(load<f32>(inp + o), 0));
  }
}

/** dinp += (out > 0) * dout */
export function relu_backward_f32(dinp: usize, out: usize, dout: usize, n: i32): void {
  const zero = f32x4.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    const g = v128.and(v128.load(dout + o), f32x4.gt(v128.load(out + o), zero));
    v128.store(dinp + o, f32x4.add(v128.load(dinp + o), g));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    if (load<f32>(out + o) > 0) store<f32>(dinp + o, load<f32>(dinp + o) + load<f32>(dout + o));
  }
}

/** out = inp > 0 ? inp : alpha * inp */
export function leaky_relu_forward_f32(out: usize, inp: usize, n: i32, alpha: f32): void {
  const zero = f32x4.splat(0);
  const va = f32x4.splat(alpha);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    const x = v128.load(inp + o);
    v128.store(out + o, v128.bitselect(x, f32x4.mul(x, va), f32x4.gt(x, zero)));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const x = load<f32>(inp + o);
    store<f32>(out + o, x > 0 ? x : x * alpha);
  }
}

/** dinp += (inp > 0 ? 1 : alpha) * dout */
export function leaky_relu_backward_f32(dinp: usize, inp: usize, dout: usize, n: i32, alpha: f32): void {
  const zero = f32x4.splat(0);
  const va = f32x4.splat(alpha);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    const g = v128.load(dout + o);
    const d = v128.bitselect(g, f32x4.mul(g, va), f32x4.gt(v128.load(inp + o), zero));
    v128.store(dinp + o, f32x4.add(v128.load(dinp + o), d));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const g = load<f32>(dout + o);
    store<f32>(dinp + o, load<f32>(dinp + o) + (load<f32>(inp + o) > 0 ? g : g * alpha));
  }
}

/** out = 1 / (1 + exp(-inp)) */
export function sigmoid_forward_f32(out: usize, inp: usize, n: i32): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(out + o, vsigmoid(v128.load(inp + o)));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(out + o, ssigmoid(load<f32>(inp + o)));
  }
}

// @ts-ignore: decorator
@inline export function sigmoid(x: f32): f32 {
  return ssigmoid(x);
}

/** dinp += out * (1 - out) * dout */
export function sigmoid_backward_f32(dinp: usize, out: usize, dout: usize, n: i32): void {
  const one = f32x4.splat(1);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    const y = v128.load(out + o);
    const d = f32x4.mul(f32x4.mul(y, f32x4.sub(one, y)), v128.load(dout + o));
    v128.store(dinp + o, f32x4.add(v128.load(dinp + o), d));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const y = load<f32>(out + o);
    store<f32>(dinp + o, load<f32>(dinp + o) + y * (1 - y) * load<f32>(dout + o));
  }
}

/** out = tanh(inp) */
export function tanh_forward_f32(out: usize, inp: usize, n: i32): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(out + o, vtanh(v128.load(inp + o)));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(out + o, stanh(load<f32>(inp + o)));
  }
}

/** dinp += (1 - out²) * dout */
export function tanh_backward_f32(dinp: usize, out: usize, dout: usize, n: i32): void {
  const one = f32x4.splat(1);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    const y = v128.load(out + o);
    const d = f32x4.mul(f32x4.sub(one, f32x4.mul(y, y)), v128.load(dout + o));
    v128.store(dinp + o, f32x4.add(v128.load(dinp + o), d));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const y = load<f32>(out + o);
    store<f32>(dinp + o, load<f32>(dinp + o) + (1 - y * y) * load<f32>(dout + o));
  }
}

/** out[r] = softmax(inp[r]) for each of rows rows of cols elements; the row max is subtracted first. */
export function softmax_forward_f32(out: usize, inp: usize, rows: i32, cols: i32): void {
  const rowBytes = <usize>cols << 2;
  for (let r = 0; r < rows; r++) {
    softmax_row(out + rowBytes * r, inp + rowBytes * r, cols);
  }
}

/** One row: out = exp(inp - max) / Σ exp(inp - max). Returns log Σ exp(inp - max) + max (the log-sum-exp). */
export function softmax_row(out: usize, inp: usize, cols: i32): f32 {
  let m = -Infinity as f32;
  for (let c = 0; c < cols; c++) m = max<f32>(m, load<f32>(inp + (<usize>c << 2)));
  let s: f32 = 0;
  for (let c = 0; c < cols; c++) {
    const e = Mathf.exp(load<f32>(inp + (<usize>c << 2)) - m);
    store<f32>(out + (<usize>c << 2), e);
    s += e;
  }
  const inv: f32 = 1 / s;
  for (let c = 0; c < cols; c++) store<f32>(out + (<usize>c << 2), load<f32>(out + (<usize>c << 2)) * inv);
  return Mathf.log(s) + m;
}

/** dinp[r] += out[r] * (dout[r] - Σ_c dout[r][c] * out[r][c]) */
export function softmax_backward_f32(dinp: usize, out: usize, dout: usize, rows: i32, cols: i32): void {
  const rowBytes = <usize>cols << 2;
  for (let r = 0; r < rows; r++) {
    const o0 = rowBytes * r;
    let dot: f32 = 0;
    for (let c = 0; c < cols; c++) {
      const o = o0 + (<usize>c << 2);
      dot += load<f32>(dout + o) * load<f32>(out + o);
    }
    for (let c = 0; c < cols; c++) {
      const o = o0 + (<usize>c << 2);
      store<f32>(dinp + o, load<f32>(dinp + o) + load<f32>(out + o) * (load<f32>(dout + o) - dot));
    }
  }
}

/** out = inp > 0 ? inp : alpha·(exp(inp) - 1) (ELU; Clevert et al. 2015) */
export function elu_forward_f32(out: usize, inp: usize, n: i32, alpha: f32): void {
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 2;
    const x = load<f32>(inp + o);
    store<f32>(out + o, x > 0 ? x : alpha * (Mathf.exp(x) - 1));
  }
}

/** dinp += (inp > 0 ? 1 : alpha·exp(inp)) · dout */
export function elu_backward_f32(dinp: usize, inp: usize, dout: usize, n: i32, alpha: f32): void {
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 2;
    const x = load<f32>(inp + o);
    const d: f32 = x > 0 ? 1 : alpha * Mathf.exp(x);
    store<f32>(dinp + o, load<f32>(dinp + o) + d * load<f32>(dout + o));
  }
}

// erf by Abramowitz & Stegun 7.1.26 (|error| ≤ 1.5e-7, below float32 resolution near 1), in f64.
// @ts-ignore: decorator
@inline function erf(x: f64): f64 {
  const s = x < 0 ? -1.0 : 1.0;
  const a = Math.abs(x);
  const t = 1 / (1 + 0.3275911 * a);
  const y = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-a * a);
  return s * y;
}

/** out = inp · Φ(inp) = 0.5·inp·(1 + erf(inp/√2)) (exact GELU, Keras' default; Hendrycks & Gimpel 2016) */
export function gelu_forward_f32(out: usize, inp: usize, n: i32): void {
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 2;
    const x = <f64>load<f32>(inp + o);
    store<f32>(out + o, <f32>(0.5 * x * (1 + erf(x * Math.SQRT1_2))));
  }
}

/** dinp += (Φ(inp) + inp·φ(inp)) · dout, φ the standard normal density */
export function gelu_backward_f32(dinp: usize, inp: usize, dout: usize, n: i32): void {
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 2;
    const x = <f64>load<f32>(inp + o);
    const d = 0.5 * (1 + erf(x * Math.SQRT1_2)) + x * Math.exp(-0.5 * x * x) * 0.3989422804014327;
    store<f32>(dinp + o, load<f32>(dinp + o) + <f32>d * load<f32>(dout + o));
  }
}

/** out = inp · sigmoid(inp) (swish / SiLU; Ramachandran et al. 2017) */
export function swish_forward_f32(out: usize, inp: usize, n: i32): void {
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 2;
    const x = load<f32>(inp + o);
    store<f32>(out + o, x * sigmoid(x));
  }
}

/** dinp += (s + inp·s·(1 - s)) · dout, s = sigmoid(inp) */
export function swish_backward_f32(dinp: usize, inp: usize, dout: usize, n: i32): void {
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 2;
    const x = load<f32>(inp + o);
    const s = sigmoid(x);
    store<f32>(dinp + o, load<f32>(dinp + o) + (s + x * s * (1 - s)) * load<f32>(dout + o));
  }
}

/** out = log(1 + exp(inp)), computed as max(inp, 0) + log1p(exp(-|inp|)) so it never overflows */
export function softplus_forward_f32(out: usize, inp: usize, n: i32): void {
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 2;
    const x = <f64>load<f32>(inp + o);
    store<f32>(out + o, <f32>(Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)))));
  }
}

/** dinp += sigmoid(inp) · dout */
export function softplus_backward_f32(dinp: usize, inp: usize, dout: usize, n: i32): void {
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(dinp + o, load<f32>(dinp + o) + sigmoid(load<f32>(inp + o)) * load<f32>(dout + o));
  }
}

/** out = exp(inp) (AssemblyScript's own f32 exp; overflows to Infinity above ~88.7, as e^x does) */
export function exp_forward_f32(out: usize, inp: usize, n: i32): void {
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(out + o, Mathf.exp(load<f32>(inp + o)));
  }
}

/** dinp += out · dout (the derivative of exp is itself) */
export function exp_backward_f32(dinp: usize, out: usize, dout: usize, n: i32): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(dinp + o, f32x4.add(v128.load(dinp + o), f32x4.mul(v128.load(out + o), v128.load(dout + o))));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(dinp + o, load<f32>(dinp + o) + load<f32>(out + o) * load<f32>(dout + o));
  }
}
