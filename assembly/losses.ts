// Losses: each forward writes one f32 scalar to `loss`; each backward reads the upstream gradient
// from the scalar at `dloss` and accumulates into dpred (or dlogits). Reductions follow Keras: mean
// over the last axis, then mean over the batch (for a sum over classes, as in cross-entropy, the
// class axis is summed). Sums are kept in f64. Pointers are byte addresses, sizes are elements.
import { sigmoid, softmax_row } from "./activations";

/** loss = mean((pred - target)²) over n elements */
export function mse_forward_f32(loss: usize, pred: usize, target: usize, n: i32): void {
  let s: f64 = 0;
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 2;
    const d = <f64>load<f32>(pred + o) - <f64>load<f32>(target + o);
    s += d * d;
  }
  store<f32>(loss, <f32>(s / n));
}

/** dpred += dloss * 2 (pred - target) / n */
export function mse_backward_f32(dpred: usize, pred: usize, target: usize, dloss: usize, n: i32): void {
  const g = load<f32>(dloss) * 2 / <f32>n;
  const vg = f32x4.splat(g);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    const d = f32x4.mul(f32x4.sub(v128.load(pred + o), v128.load(target + o)), vg);
    v128.store(dpred + o, f32x4.add(v128.load(dpred + o), d));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(dpred + o, load<f32>(dpred + o) + (load<f32>(pred + o) - load<f32>(target + o)) * g);
  }
}

/**
 * Softmax fused with categorical cross-entropy, from logits:
 * probs = softmax(logits) row-wise; loss = -Σ_r Σ_c target·log_softmax(logits) / rows.
 */
export function softmax_xent_forward_f32(loss: usize, probs: usize, logits: usize, target: usize, rows: i32, cols: i32): void {
  const rowBytes = <usize>cols << 2;
  let s: f64 = 0;
  for (let r = 0; r < rows; r++) {
    const o0 = rowBytes * r;
    const lse = softmax_row(probs + o0, logits + o0, cols);
    for (let c = 0; c < cols; c++) {
      const o = o0 + (<usize>c << 2);
      const t = load<f32>(target + o);
      if (t != 0) s -= <f64>t * <f64>(load<f32>(logits + o) - lse);
    }
  }
  store<f32>(loss, <f32>(s / rows));
}

/** dlogits += dloss * (probs · Σ_c target - target) / rows */
export function softmax_xent_backward_f32(dlogits: usize, probs: usize, target: usize, dloss: usize, rows: i32, cols: i32): void {
  const g = load<f32>(dloss) / <f32>rows;
  const rowBytes = <usize>cols << 2;
  for (let r = 0; r < rows; r++) {
    const o0 = rowBytes * r;
    let tsum: f32 = 0;
    for (let c = 0; c < cols; c++) tsum += load<f32>(target + o0 + (<usize>c << 2));
    for (let c = 0; c < cols; c++) {
      const o = o0 + (<usize>c << 2);
      const d = (load<f32>(probs + o) * tsum - load<f32>(target + o)) * g;
      store<f32>(dlogits + o, load<f32>(dlogits + o) + d);
    }
  }
}

/** Categorical cross-entropy on probabilities clipped to [eps, 1 - eps]: loss = -Σ target·log(p) / rows */
export function cce_forward_f32(loss: usize, pred: usize, target: usize, rows: i32, cols: i32, eps: f32): void {
  const n = rows * cols;
  let s: f64 = 0;
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 2;
    const t = load<f32>(target + o);
    if (t != 0) s -= <f64>t * Math.log(<f64>min<f32>(max<f32>(load<f32>(pred + o), eps), 1 - eps));
  }
  store<f32>(loss, <f32>(s / rows));
}

/** dpred += dloss · (-target / p) / rows where p is inside the clip range, 0 where it was clipped */
export function cce_backward_f32(dpred: usize, pred: usize, target: usize, dloss: usize, rows: i32, cols: i32, eps: f32): void {
  const g = load<f32>(dloss) / <f32>rows;
  const n = rows * cols;
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 2;
    const p = load<f32>(pred + o);
    if (p > eps && p < 1 - eps) store<f32>(dpred + o, load<f32>(dpred + o) - load<f32>(target + o) / p * g);
  }
}

/** Binary cross-entropy on probabilities clipped to [eps, 1 - eps]: loss = -mean(t·log p + (1 - t)·log(1 - p)) */
export function bce_forward_f32(loss: usize, pred: usize, target: usize, n: i32, eps: f32): void {
  let s: f64 = 0;
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 2;
    const p = <f64>min<f32>(max<f32>(load<f32>(pred + o), eps), 1 - eps);
    const t = <f64>load<f32>(target + o);
    s -= t * Math.log(p) + (1 - t) * Math.log(1 - p);
  }
  store<f32>(loss, <f32>(s / n));
}

/** dpred += dloss · ((1 - t) / (1 - p) - t / p) / n where p is inside the clip range */
export function bce_backward_f32(dpred: usize, pred: usize, target: usize, dloss: usize, n: i32, eps: f32): void {
  const g = load<f32>(dloss) / <f32>n;
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 2;
    const p = load<f32>(pred + o);
    if (p > eps && p < 1 - eps) {
      const t = load<f32>(target + o);
      store<f32>(dpred + o, load<f32>(dpred + o) + ((1 - t) / (1 - p) - t / p) * g);
    }
  }
}

/**
 * Sigmoid fused with binary cross-entropy, from logits x:
 * probs = sigmoid(x); loss = mean(max(x, 0) - x·t + log(1 + exp(-|x|))).
 */
export function sigmoid_bce_forward_f32(loss: usize, probs: usize, logits: usize, target: usize, n: i32): void {
  let s: f64 = 0;
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 2;
    const x = load<f32>(logits + o);
    const t = load<f32>(target + o);
    store<f32>(probs + o, sigmoid(x));
    s += <f64>max<f32>(x, 0) - <f64>x * <f64>t + Math.log1p(Math.exp(-Math.abs(<f64>x)));
  }
  store<f32>(loss, <f32>(s / n));
}

/** dlogits += dloss · (probs - target) / n */
export function sigmoid_bce_backward_f32(dlogits: usize, probs: usize, target: usize, dloss: usize, n: i32): void {
  const g = load<f32>(dloss) / <f32>n;
  const vg = f32x4.splat(g);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    const d = f32x4.mul(f32x4.sub(v128.load(probs + o), v128.load(target + o)), vg);
    v128.store(dlogits + o, f32x4.add(v128.load(dlogits + o), d));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(dlogits + o, load<f32>(dlogits + o) + (load<f32>(probs + o) - load<f32>(target + o)) * g);
  }
}

/** How many rows have the same argmax in pred and target (first index wins ties). */
export function argmax_match_count_f32(pred: usize, target: usize, rows: i32, cols: i32): i32 {
  const rowBytes = <usize>cols << 2;
  let count = 0;
  for (let r = 0; r < rows; r++) {
    if (argmax(pred + rowBytes * r, cols) == argmax(target + rowBytes * r, cols)) count++;
  }
  return count;
}

/** Index of the largest of cols values at p (the first wins ties). */
export function argmax(p: usize, cols: i32): i32 {
  let best = 0;
  let bestValue = load<f32>(p);
  for (let c = 1; c < cols; c++) {
    const v = load<f32>(p + (<usize>c << 2));
    if (v > bestValue) { bestValue = v; best = c; }
  }
  return best;
}

/** How many elements agree on (pred > threshold) == (target > 0.5). */
export function binary_match_count_f32(pred: usize, target: usize, n: i32, threshold: f32): i32 {
  let count = 0;
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 2;
    if ((load<f32>(pred + o) > threshold) == (load<f32>(target + o) > 0.5)) count++;
  }
  return count;
}

/** loss = mean(|pred - target|) */
export function mae_forward_f32(loss: usize, pred: usize, target: usize, n: i32): void {
  let s: f64 = 0;
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 2;
    s += Math.abs(<f64>load<f32>(pred + o) - <f64>load<f32>(target + o));
  }
  store<f32>(loss, <f32>(s / n));
}

/** dpred += dloss · sign(pred - target) / n (0 where they are equal) */
export function mae_backward_f32(dpred: usize, pred: usize, target: usize, dloss: usize, n: i32): void {
  const g = load<f32>(dloss) / <f32>n;
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 2;
    const d = load<f32>(pred + o) - load<f32>(target + o);
    if (d != 0) store<f32>(dpred + o, load<f32>(dpred + o) + (d > 0 ? g : -g));
  }
}

/** loss = mean(0.5·d² where |d| ≤ δ, δ·(|d| - 0.5·δ) elsewhere), d = pred - target (Huber 1964) */
export function huber_forward_f32(loss: usize, pred: usize, target: usize, n: i32, delta: f32): void {
  const dl = <f64>delta;
  let s: f64 = 0;
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 2;
    const a = Math.abs(<f64>load<f32>(pred + o) - <f64>load<f32>(target + o));
    s += a <= dl ? 0.5 * a * a : dl * (a - 0.5 * dl);
  }
  store<f32>(loss, <f32>(s / n));
}

/** dpred += dloss · clamp(pred - target, -δ, δ) / n */
export function huber_backward_f32(dpred: usize, pred: usize, target: usize, dloss: usize, n: i32, delta: f32): void {
  const g = load<f32>(dloss) / <f32>n;
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 2;
    const d = min<f32>(max<f32>(load<f32>(pred + o) - load<f32>(target + o), -delta), delta);
    store<f32>(dpred + o, load<f32>(dpred + o) + d * g);
  }
}

// Hinge labels: Keras maps 0/1 labels to -1/1; -1 and 1 pass through.
// @ts-ignore: decorator
@inline function signLabel(t: f32): f32 {
  return t == 0 ? -1 : t;
}

/** loss = mean(max(1 - t·pred, 0)), t the target as ±1 (0 counts as -1, as Keras converts 0/1 labels) */
export function hinge_forward_f32(loss: usize, pred: usize, target: usize, n: i32): void {
  let s: f64 = 0;
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 2;
    s += Math.max(1 - <f64>signLabel(load<f32>(target + o)) * <f64>load<f32>(pred + o), 0);
  }
  store<f32>(loss, <f32>(s / n));
}

/** dpred += dloss · (-t / n) where 1 - t·pred > 0 */
export function hinge_backward_f32(dpred: usize, pred: usize, target: usize, dloss: usize, n: i32): void {
  const g = load<f32>(dloss) / <f32>n;
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 2;
    const t = signLabel(load<f32>(target + o));
    if (1 - t * load<f32>(pred + o) > 0) store<f32>(dpred + o, load<f32>(dpred + o) - t * g);
  }
}

/** Index of the first label that is not an integer in [0, classes), or -1 when all are. */
export function label_check_f32(labels: usize, n: i32, classes: i32): i32 {
  for (let i = 0; i < n; i++) {
    const t = load<f32>(labels + (<usize>i << 2));
    if (!(t >= 0 && t < <f32>classes && Mathf.floor(t) == t)) return i;
  }
  return -1;
}

/**
 * Softmax fused with sparse categorical cross-entropy: labels are class indices (as f32, checked by
 * label_check_f32). probs = softmax(logits); loss = -Σ_r log_softmax(logits)[r][label_r] / rows.
 */
export function sparse_softmax_xent_forward_f32(loss: usize, probs: usize, logits: usize, labels: usize, rows: i32, cols: i32): void {
  const rowBytes = <usize>cols << 2;
  let s: f64 = 0;
  for (let r = 0; r < rows; r++) {
    const o0 = rowBytes * r;
    const lse = softmax_row(probs + o0, logits + o0, cols);
    const label = <i32>load<f32>(labels + (<usize>r << 2));
    s -= <f64>(load<f32>(logits + o0 + (<usize>label << 2)) - lse);
  }
  store<f32>(loss, <f32>(s / rows));
}

/** dlogits += dloss · (probs - onehot(label)) / rows */
export function sparse_softmax_xent_backward_f32(dlogits: usize, probs: usize, labels: usize, dloss: usize, rows: i32, cols: i32): void {
  const g = load<f32>(dloss) / <f32>rows;
  const rowBytes = <usize>cols << 2;
  for (let r = 0; r < rows; r++) {
    const o0 = rowBytes * r;
    const label = <i32>load<f32>(labels + (<usize>r << 2));
    for (let c = 0; c < cols; c++) {
      const o = o0 + (<usize>c << 2);
      const d = (load<f32>(probs + o) - (c == label ? <f32>1 : <f32>0)) * g;
      store<f32>(dlogits + o, load<f32>(dlogits + o) + d);
    }
  }
}

/** Sparse categorical cross-entropy on probabilities clipped to [eps, 1 - eps]: -Σ log p[r][label_r] / rows */
export function sparse_cce_forward_f32(loss: usize, pred: usize, labels: usize, rows: i32, cols: i32, eps: f32): void {
  let s: f64 = 0;
  for (let r = 0; r < rows; r++) {
    const label = <i32>load<f32>(labels + (<usize>r << 2));
    const p = load<f32>(pred + ((<usize>r * cols + label) << 2));
    s -= Math.log(<f64>min<f32>(max<f32>(p, eps), 1 - eps));
  }
  store<f32>(loss, <f32>(s / rows));
}

/** dpred[r][label_r] += dloss · (-1 / p) / rows where p is inside the clip range */
export function sparse_cce_backward_f32(dpred: usize, pred: usize, labels: usize, dloss: usize, rows: i32, cols: i32, eps: f32): void {
  const g = load<f32>(dloss) / <f32>rows;
  for (let r = 0; r < rows; r++) {
    const label = <i32>load<f32>(labels + (<usize>r << 2));
    const at = dpred + ((<usize>r * cols + label) << 2);
    const p = load<f32>(pred + ((<usize>r * cols + label) << 2));
    if (p > eps && p < 1 - eps) store<f32>(at, load<f32>(at) - g / p);
  }
}

/** How many rows have their argmax at their label. */
export function sparse_match_count_f32(pred: usize, labels: usize, rows: i32, cols: i32): i32 {
  const rowBytes = <usize>cols << 2;
  let count = 0;
  for (let r = 0; r < rows; r++) {
    if (argmax(pred + rowBytes * r, cols) == <i32>load<f32>(labels + (<usize>r << 2))) count++;
  }
  return count;
}
