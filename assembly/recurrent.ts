// Recurrent layers: the per-step cell math of SimpleRNN and LSTM, embedding lookups, and moving
// sequences between batch-major [batch, steps, n] and time-major [steps, batch, n] (so each step's
// rows are contiguous for its GEMM). Gates are laid out as Keras does: [batch, 4·units] with the
// blocks i, f, c, o. Activations by kind: 0 tanh, 1 relu, 2 linear, 3 sigmoid, 4 hardSigmoid
// (TF.js' clip(0.2·x + 0.5, 0, 1)). The step kernels write their outputs (scratch buffers the host
// reuses every step); the embedding's backward accumulates, as every op's backward does.
import { sigmoid } from "./activations";

// @ts-ignore: decorator
@inline function act(x: f32, kind: i32): f32 {
  if (kind == 0) return Mathf.tanh(x);
  if (kind == 1) return x > 0 ? x : 0;
  if (kind == 2) return x;
  if (kind == 3) return sigmoid(x);
  return Mathf.min(1, Mathf.max(0, <f32>0.2 * x + <f32>0.5));
}

// The activation's derivative, from its output y.
// @ts-ignore: decorator
@inline function actGrad(y: f32, kind: i32): f32 {
  if (kind == 0) return 1 - y * y;
  if (kind == 1) return y > 0 ? 1 : 0;
  if (kind == 2) return 1;
  if (kind == 3) return y * (1 - y);
  return y > 0 && y < 1 ? <f32>0.2 : 0;
}

/**
 * Batch-major to time-major: out[t', b, :] (+)= inp[b, t, :] for inp [batch, steps, inner], with
 * t' = steps - 1 - t when reverse (a layer going backwards), else t.
 */
export function to_time_major_f32(out: usize, inp: usize, batch: i32, steps: i32, inner: i32, reverse: i32, accumulate: i32): void {
  for (let b = 0; b < batch; b++) {
    for (let t = 0; t < steps; t++) {
      const tt = reverse ? steps - 1 - t : t;
      move(out + ((<usize>(tt * batch + b) * <usize>inner) << 2), inp + ((<usize>(b * steps + t) * <usize>inner) << 2), inner, accumulate);
    }
  }
}

/** Time-major to batch-major, the inverse of to_time_major_f32: out[b, t, :] (+)= inp[t', b, :]. */
export function to_batch_major_f32(out: usize, inp: usize, batch: i32, steps: i32, inner: i32, reverse: i32, accumulate: i32): void {
  for (let b = 0; b < batch; b++) {
    for (let t = 0; t < steps; t++) {
      const tt = reverse ? steps - 1 - t : t;
      move(out + ((<usize>(b * steps + t) * <usize>inner) << 2), inp + ((<usize>(tt * batch + b) * <usize>inner) << 2), inner, accumulate);
    }
  }
}

// d[0..n) = s[0..n), or += with accumulate.
// @ts-ignore: decorator
@inline function move(d: usize, s: usize, n: i32, accumulate: i32): void {
  if (!accumulate) {
    memory.copy(d, s, <usize>n << 2);
    return;
  }
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(d + o, f32x4.add(v128.load(d + o), v128.load(s + o)));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(d + o, load<f32>(d + o) + load<f32>(s + o));
  }
}

/** h[k] = act(z[k]) for n elements (a SimpleRNN step; z already holds x·W + b + h·U). */
export function rnn_step_forward_f32(h: usize, z: usize, n: i32, kind: i32): void {
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(h + o, act(load<f32>(z + o), kind));
  }
}

/** dz[k] = act'(h[k]) · dh[k]: a SimpleRNN step's backward, from its output h. */
export function rnn_step_backward_f32(dz: usize, h: usize, dh: usize, n: i32, kind: i32): void {
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(dz + o, actGrad(load<f32>(h + o), kind) * load<f32>(dh + o));
  }
}

/**
 * One LSTM step over batch rows. z [batch, 4u] holds x·W + b + hPrev·U and is overwritten with the
 * activated gates i, f, g, o (kept for the backward pass); c = f·cPrev + i·g and h = o·act(c).
 */
export function lstm_step_forward_f32(h: usize, c: usize, z: usize, cPrev: usize, batch: i32, units: i32, kind: i32, recKind: i32): void {
  for (let b = 0; b < batch; b++) {
    const zr = z + ((<usize>b * <usize>units * 4) << 2), row = (<usize>b * <usize>units) << 2;
    for (let j = 0; j < units; j++) {
      const o = <usize>j << 2, u = <usize>units << 2;
      const i = act(load<f32>(zr + o), recKind);
      const f = act(load<f32>(zr + u + o), recKind);
      const g = act(load<f32>(zr + 2 * u + o), kind);
      const og = act(load<f32>(zr + 3 * u + o), recKind);
      store<f32>(zr + o, i);
      store<f32>(zr + u + o, f);
      store<f32>(zr + 2 * u + o, g);
      store<f32>(zr + 3 * u + o, og);
      const cn = f * load<f32>(cPrev + row + o) + i * g;
      store<f32>(c + row + o, cn);
      store<f32>(h + row + o, og * act(cn, kind));
    }
  }
}

/**
 * Backward of one LSTM step: from dh (the gradient reaching h) and dc (reaching c from the next
 * step), writes dz [batch, 4u] (the gradient of the gates' pre-activations) and dcPrev.
 * gates are the step's activated gates, c its cell state, cPrev the one before.
 */
export function lstm_step_backward_f32(dz: usize, dcPrev: usize, dh: usize, dc: usize, gates: usize, c: usize, cPrev: usize,
  batch: i32, units: i32, kind: i32, recKind: i32): void {
  for (let b = 0; b < batch; b++) {
    const gr = gates + ((<usize>b * <usize>units * 4) << 2), dr = dz + ((<usize>b * <usize>units * 4) << 2);
    const row = (<usize>b * <usize>units) << 2;
    for (let j = 0; j < units; j++) {
      const o = <usize>j << 2, u = <usize>units << 2;
      const i = load<f32>(gr + o), f = load<f32>(gr + u + o), g = load<f32>(gr + 2 * u + o), og = load<f32>(gr + 3 * u + o);
      const ac = act(load<f32>(c + row + o), kind);
      const d = load<f32>(dh + row + o);
      const dct = load<f32>(dc + row + o) + d * og * actGrad(ac, kind);
      store<f32>(dr + o, dct * g * actGrad(i, recKind));
      store<f32>(dr + u + o, dct * load<f32>(cPrev + row + o) * actGrad(f, recKind));
      store<f32>(dr + 2 * u + o, dct * i * actGrad(g, kind));
      store<f32>(dr + 3 * u + o, d * ac * actGrad(og, recKind));
      store<f32>(dcPrev + row + o, dct * f);
    }
  }
}

/** out[k, :] = table[idx[k], :] for n indices (held as f32, already checked to be in range). */
export function embedding_forward_f32(out: usize, table: usize, idx: usize, n: i32, dim: i32): void {
  for (let k = 0; k < n; k++) {
    const row = <usize>(<i32>load<f32>(idx + (<usize>k << 2)));
    memory.copy(out + ((<usize>k * <usize>dim) << 2), table + ((row * <usize>dim) << 2), <usize>dim << 2);
  }
}

/** dtable[idx[k], :] += dout[k, :]: the embedding's gradient, a scatter-add (an index may repeat). */
export function embedding_backward_f32(dtable: usize, dout: usize, idx: usize, n: i32, dim: i32): void {
  for (let k = 0; k < n; k++) {
    const row = <usize>(<i32>load<f32>(idx + (<usize>k << 2)));
    move(dtable + ((row * <usize>dim) << 2), dout + ((<usize>k * <usize>dim) << 2), dim, 1);
  }
}
