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

/** out[r, 0..count) (+)= inp[r, start..start+count) for rows of `cols` (a block of columns, made contiguous). */
export function copy_cols_f32(out: usize, inp: usize, rows: i32, cols: i32, start: i32, count: i32, accumulate: i32): void {
  for (let r = 0; r < rows; r++) move(out + ((<usize>r * <usize>count) << 2), inp + ((<usize>r * <usize>cols + <usize>start) << 2), count, accumulate);
}

/** The inverse: out[r, start..start+count) (+)= inp[r, 0..count). */
export function put_cols_f32(out: usize, inp: usize, rows: i32, cols: i32, start: i32, count: i32, accumulate: i32): void {
  for (let r = 0; r < rows; r++) move(out + ((<usize>r * <usize>cols + <usize>start) << 2), inp + ((<usize>r * <usize>count) << 2), count, accumulate);
}

/**
 * GRU (resetAfter false, TF.js' GRU) step, first half: z, r = rec(x·W + b + hPrev·U) for the z and r
 * blocks (zr [batch, 2u] holds hPrev·U[:, :2u]); writes them into xz's z and r blocks and rh = r·hPrev.
 */
export function gru_gates_forward_f32(xz: usize, rh: usize, zr: usize, hPrev: usize, batch: i32, units: i32, recKind: i32): void {
  for (let b = 0; b < batch; b++) {
    const xr = xz + ((<usize>b * <usize>units * 3) << 2), pr = zr + ((<usize>b * <usize>units * 2) << 2), row = (<usize>b * <usize>units) << 2;
    for (let j = 0; j < units; j++) {
      const o = <usize>j << 2, u = <usize>units << 2;
      const z = act(load<f32>(xr + o) + load<f32>(pr + o), recKind);
      const r = act(load<f32>(xr + u + o) + load<f32>(pr + u + o), recKind);
      store<f32>(xr + o, z);
      store<f32>(xr + u + o, r);
      store<f32>(rh + row + o, r * load<f32>(hPrev + row + o));
    }
  }
}

/**
 * GRU step, second half: hh = act(xh + hp) (hp [batch, u] holds rh·U[:, 2u:] without reset-after, or
 * is 0 with it, see gru_reset_after_forward_f32), h = z·hPrev + (1 - z)·hh; hh goes into xz's h block.
 */
export function gru_output_forward_f32(h: usize, xz: usize, hp: usize, hPrev: usize, batch: i32, units: i32, kind: i32): void {
  for (let b = 0; b < batch; b++) {
    const xr = xz + ((<usize>b * <usize>units * 3) << 2), row = (<usize>b * <usize>units) << 2;
    for (let j = 0; j < units; j++) {
      const o = <usize>j << 2, u = <usize>units << 2;
      const hh = act(load<f32>(xr + 2 * u + o) + load<f32>(hp + row + o), kind);
      const z = load<f32>(xr + o);
      store<f32>(xr + 2 * u + o, hh);
      store<f32>(h + row + o, z * load<f32>(hPrev + row + o) + (1 - z) * hh);
    }
  }
}

/**
 * GRU step with resetAfter (Keras' default): rp [batch, 3u] holds hPrev·U + recurrent bias; z, r =
 * rec(x-part + rp-part), hh = act(xh + r·rph), h = z·hPrev + (1 - z)·hh. z, r, hh go into xz's blocks.
 */
export function gru_reset_after_forward_f32(h: usize, xz: usize, rp: usize, hPrev: usize, batch: i32, units: i32, kind: i32, recKind: i32): void {
  for (let b = 0; b < batch; b++) {
    const xr = xz + ((<usize>b * <usize>units * 3) << 2), pr = rp + ((<usize>b * <usize>units * 3) << 2), row = (<usize>b * <usize>units) << 2;
    for (let j = 0; j < units; j++) {
      const o = <usize>j << 2, u = <usize>units << 2;
      const z = act(load<f32>(xr + o) + load<f32>(pr + o), recKind);
      const r = act(load<f32>(xr + u + o) + load<f32>(pr + u + o), recKind);
      const hh = act(load<f32>(xr + 2 * u + o) + r * load<f32>(pr + 2 * u + o), kind);
      store<f32>(xr + o, z);
      store<f32>(xr + u + o, r);
      store<f32>(xr + 2 * u + o, hh);
      store<f32>(h + row + o, z * load<f32>(hPrev + row + o) + (1 - z) * hh);
    }
  }
}

/**
 * Backward of gru_output_forward_f32 (and the output half of reset-after): from dh, writes dx's z and
 * h blocks (pre-activation gradients), dhh [batch, u] (the h block again, contiguous) and
 * dhPrev = dh·z. gates are the step's z, r, hh blocks.
 */
export function gru_output_backward_f32(dx: usize, dhh: usize, dhPrev: usize, dh: usize, gates: usize, hPrev: usize, batch: i32, units: i32, kind: i32, recKind: i32): void {
  for (let b = 0; b < batch; b++) {
    const gr = gates + ((<usize>b * <usize>units * 3) << 2), dr = dx + ((<usize>b * <usize>units * 3) << 2), row = (<usize>b * <usize>units) << 2;
    for (let j = 0; j < units; j++) {
      const o = <usize>j << 2, u = <usize>units << 2;
      const z = load<f32>(gr + o), hh = load<f32>(gr + 2 * u + o), d = load<f32>(dh + row + o);
      const dpre = d * (1 - z) * actGrad(hh, kind);
      store<f32>(dr + o, d * (load<f32>(hPrev + row + o) - hh) * actGrad(z, recKind));
      store<f32>(dr + 2 * u + o, dpre);
      store<f32>(dhh + row + o, dpre);
      store<f32>(dhPrev + row + o, d * z);
    }
  }
}

/**
 * Backward of gru_gates_forward_f32: drh [batch, u] is the gradient reaching rh = r·hPrev; writes dx's
 * r block, dzr [batch, 2u] (the z and r blocks of dx, contiguous) and adds drh·r to dhPrev.
 */
export function gru_gates_backward_f32(dx: usize, dzr: usize, dhPrev: usize, drh: usize, gates: usize, hPrev: usize, batch: i32, units: i32, recKind: i32): void {
  for (let b = 0; b < batch; b++) {
    const gr = gates + ((<usize>b * <usize>units * 3) << 2), dr = dx + ((<usize>b * <usize>units * 3) << 2);
    const zr = dzr + ((<usize>b * <usize>units * 2) << 2), row = (<usize>b * <usize>units) << 2;
    for (let j = 0; j < units; j++) {
      const o = <usize>j << 2, u = <usize>units << 2;
      const r = load<f32>(gr + u + o), d = load<f32>(drh + row + o);
      const dr_ = d * load<f32>(hPrev + row + o) * actGrad(r, recKind);
      store<f32>(dr + u + o, dr_);
      store<f32>(zr + o, load<f32>(dr + o));
      store<f32>(zr + u + o, dr_);
      store<f32>(dhPrev + row + o, load<f32>(dhPrev + row + o) + d * r);
    }
  }
}

/**
 * Backward of the reset-after step's gates, after gru_output_backward_f32 wrote dx's z and h blocks:
 * writes dx's r block and drp [batch, 3u], the gradient of hPrev·U + recurrent bias (z and r blocks
 * as dx's, the h block dhh·r). rph is the step's rp h block (kept from the forward pass).
 */
export function gru_reset_after_backward_f32(dx: usize, drp: usize, gates: usize, rp: usize, batch: i32, units: i32, recKind: i32): void {
  for (let b = 0; b < batch; b++) {
    const gr = gates + ((<usize>b * <usize>units * 3) << 2), dr = dx + ((<usize>b * <usize>units * 3) << 2), pr = rp + ((<usize>b * <usize>units * 3) << 2);
    const out = drp + ((<usize>b * <usize>units * 3) << 2);
    for (let j = 0; j < units; j++) {
      const o = <usize>j << 2, u = <usize>units << 2;
      const r = load<f32>(gr + u + o), dhh = load<f32>(dr + 2 * u + o);
      const dr_ = dhh * load<f32>(pr + 2 * u + o) * actGrad(r, recKind);
      store<f32>(dr + u + o, dr_);
      store<f32>(out + o, load<f32>(dr + o));
      store<f32>(out + u + o, dr_);
      store<f32>(out + 2 * u + o, dhh * r);
    }
  }
}
