// Optimizer updates: one pass over a flat parameter buffer and its flat gradient and state buffers,
// written the way Keras defines them. Pointers are byte addresses, n is elements.
import { axpy_f32 } from "./elementwise";

// Optimizer state that decays (momentum, Adam's moments, RMSprop's averages) is flushed to zero below
// the smallest normal float (2^-126): where a gradient stays 0 (a pixel that is always blank, a ReLU
// unit that never fires), the state shrinks geometrically into the subnormal range and sticks at its
// smallest value (0.9 x 2^-149 rounds back to 2^-149), and every multiply of a subnormal on x86 takes
// a microcode assist (~100 cycles); wasm cannot set the CPU's flush-to-zero mode (as TensorFlow does
// on CPU). Adam's update ran 30x slower after 40 epochs of the bench's MLP. NaN and infinities are
// kept (they do not compare below the limit).
// @ts-ignore: decorator
@inline const TINY = f32.MIN_NORMAL_VALUE; // 2^-126
// @ts-ignore: decorator
@inline function ftz4(x: v128): v128 {
  return v128.andnot(x, f32x4.lt(f32x4.abs(x), f32x4.splat(TINY)));
}
// @ts-ignore: decorator
@inline function ftz(x: f32): f32 {
  return Mathf.abs(x) < TINY ? 0 : x;
}

/** param -= lr * grad */
export function sgd_update_f32(param: usize, grad: usize, n: i32, lr: f32): void {
  axpy_f32(param, grad, n, -lr);
}

/** velocity = momentum * velocity - lr * grad; param += velocity (Keras SGD with momentum) */
export function sgd_momentum_update_f32(param: usize, grad: usize, velocity: usize, n: i32, lr: f32, momentum: f32): void {
  const vm = f32x4.splat(momentum);
  const vlr = f32x4.splat(lr);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    const v = ftz4(f32x4.sub(f32x4.mul(vm, v128.load(velocity + o)), f32x4.mul(vlr, v128.load(grad + o))));
    v128.store(velocity + o, v);
    v128.store(param + o, f32x4.add(v128.load(param + o), v));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const v = ftz(momentum * load<f32>(velocity + o) - lr * load<f32>(grad + o));
    store<f32>(velocity + o, v);
    store<f32>(param + o, load<f32>(param + o) + v);
  }
}

/**
 * Adam (Kingma & Ba 2015, Algorithm 1, with the efficient bias correction of its section 2):
 * m = β1 m + (1 - β1) g; v = β2 v + (1 - β2) g²; lr_t = lr √(1 - β2^t) / (1 - β1^t);
 * param -= lr_t m / (√v + ε). step t counts from 1.
 */
export function adam_update_f32(param: usize, grad: usize, m: usize, v: usize, n: i32,
                                lr: f32, beta1: f32, beta2: f32, epsilon: f32, step: i32): void {
  // AssemblyScript's own Math.pow, so the correction is the same on every engine.
  const t = <f64>step;
  const lrt = <f32>(<f64>lr * Math.sqrt(1 - Math.pow(<f64>beta2, t)) / (1 - Math.pow(<f64>beta1, t)));
  const b1 = f32x4.splat(beta1), c1 = f32x4.splat(1 - beta1);
  const b2 = f32x4.splat(beta2), c2 = f32x4.splat(1 - beta2);
  const vlr = f32x4.splat(lrt), veps = f32x4.splat(epsilon);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    const g = v128.load(grad + o);
    const mi = ftz4(f32x4.add(f32x4.mul(b1, v128.load(m + o)), f32x4.mul(c1, g)));
    const vi = ftz4(f32x4.add(f32x4.mul(b2, v128.load(v + o)), f32x4.mul(c2, f32x4.mul(g, g))));
    v128.store(m + o, mi);
    v128.store(v + o, vi);
    const upd = f32x4.div(f32x4.mul(vlr, mi), f32x4.add(f32x4.sqrt(vi), veps));
    v128.store(param + o, f32x4.sub(v128.load(param + o), upd));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const g = load<f32>(grad + o);
    const mi = ftz(beta1 * load<f32>(m + o) + (1 - beta1) * g);
    const vi = ftz(beta2 * load<f32>(v + o) + (1 - beta2) * g * g);
    store<f32>(m + o, mi);
    store<f32>(v + o, vi);
    store<f32>(param + o, load<f32>(param + o) - lrt * mi / (Mathf.sqrt(vi) + epsilon));
  }
}

/** Nesterov momentum (Keras): velocity = momentum·velocity - lr·grad; param += momentum·velocity - lr·grad */
export function sgd_nesterov_update_f32(param: usize, grad: usize, velocity: usize, n: i32, lr: f32, momentum: f32): void {
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 2;
    const g = load<f32>(grad + o);
    const v = ftz(momentum * load<f32>(velocity + o) - lr * g);
    store<f32>(velocity + o, v);
    store<f32>(param + o, load<f32>(param + o) + momentum * v - lr * g);
  }
}

/** AdamW (Loshchilov & Hutter 2019): param -= lr·weightDecay·param (decoupled), then the Adam step. */
export function adamw_update_f32(param: usize, grad: usize, m: usize, v: usize, n: i32,
                                 lr: f32, beta1: f32, beta2: f32, epsilon: f32, step: i32, weightDecay: f32): void {
  const keep: f32 = 1 - lr * weightDecay;
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(param + o, load<f32>(param + o) * keep);
  }
  adam_update_f32(param, grad, m, v, n, lr, beta1, beta2, epsilon, step);
}

/**
 * RMSprop (Keras): v = rho·v + (1 - rho)·g²; centered: mg = rho·mg + (1 - rho)·g, denominator v - mg² + eps,
 * else v + eps; increment = lr·g / √denominator; with momentum: mom = momentum·mom + increment, param -= mom.
 * mg and mom are 0 (null) when not used.
 */
export function rmsprop_update_f32(param: usize, grad: usize, v: usize, mg: usize, mom: usize, n: i32,
                                   lr: f32, rho: f32, momentum: f32, epsilon: f32): void {
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 2;
    const g = load<f32>(grad + o);
    const vi = ftz(rho * load<f32>(v + o) + (1 - rho) * g * g);
    store<f32>(v + o, vi);
    let denominator = vi + epsilon;
    if (mg != 0) {
      const a = ftz(rho * load<f32>(mg + o) + (1 - rho) * g);
      store<f32>(mg + o, a);
      denominator = vi - a * a + epsilon;
    }
    const increment = lr * g / Mathf.sqrt(denominator);
    if (mom != 0) {
      const mi = ftz(momentum * load<f32>(mom + o) + increment);
      store<f32>(mom + o, mi);
      store<f32>(param + o, load<f32>(param + o) - mi);
    } else {
      store<f32>(param + o, load<f32>(param + o) - increment);
    }
  }
}

/** Adagrad (Keras): acc += g²; param -= lr·g / √(acc + eps). acc starts at initialAccumulatorValue. */
export function adagrad_update_f32(param: usize, grad: usize, acc: usize, n: i32, lr: f32, epsilon: f32): void {
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 2;
    const g = load<f32>(grad + o);
    const a = load<f32>(acc + o) + g * g;
    store<f32>(acc + o, a);
    store<f32>(param + o, load<f32>(param + o) - lr * g / Mathf.sqrt(a + epsilon));
  }
}

/** Σ inp² in f64 (for gradient norms). */
export function sumsq_f32(inp: usize, n: i32): f64 {
  let s: f64 = 0;
  for (let i = 0; i < n; i++) {
    const x = <f64>load<f32>(inp + (<usize>i << 2));
    s += x * x;
  }
  return s;
}

/** inp = clamp(inp, -limit, limit), in place (clipValue). */
export function clip_f32(inp: usize, n: i32, limit: f32): void {
  const hi = f32x4.splat(limit), lo = f32x4.splat(-limit);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(inp + o, f32x4.min(f32x4.max(v128.load(inp + o), lo), hi));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(inp + o, min<f32>(max<f32>(load<f32>(inp + o), -limit), limit));
  }
}

/** x^y and cos(x) by AssemblyScript's own Math, so learning-rate schedules agree on every engine. */
export function math_pow(x: f64, y: f64): f64 {
  return Math.pow(x, y);
}

export function math_cos(x: f64): f64 {
  return Math.cos(x);
}
