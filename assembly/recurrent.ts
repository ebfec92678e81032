// Recurrent layers: the per-step cell math of SimpleRNN and LSTM, embedding lookups, and moving
// sequences between batch-major [batch, steps, n] and time-major [steps, batch, n] (so each step's
// rows are contiguous for its GEMM). Gates are laid out as Keras does: [batch, 4·units] with the
// blocks i, f, c, o. Activations by kind: 0 tanh, 1 relu, 2 linear, 3 sigmoid, 4 hardSigmoid
// (TF.js' clip(0.2·x + 0.5, 0, 1)). The step kernels write their outputs (scratch buffers the host
// reuses every step); the embedding's backward accumulates, as every op's backward does.
import { add_into } from "./shape";
import { sexp, vexp } from "./math";

// Activations by kind (see the top of the file), lane-wise and scalar, the same arithmetic.
// tanh(x) = sign(x)·(1 - e^(-2|x|)) / (1 + e^(-2|x|)); sigmoid(x) = 1 / (1 + e^(-x)).
// @ts-ignore: decorator
@inline function vact(v: v128, kind: i32): v128 {
  const one = f32x4.splat(1);
  if (kind == 0) {
    const t = vexp(f32x4.mul(f32x4.abs(v), f32x4.splat(-2)));
    const r = f32x4.div(f32x4.sub(one, t), f32x4.add(one, t));
    return v128.or(r, v128.and(v, i32x4.splat(0x80000000)));
  }
  if (kind == 1) return f32x4.max(v, f32x4.splat(0));
  if (kind == 2) return v;
  if (kind == 3) return f32x4.div(one, f32x4.add(one, vexp(f32x4.neg(v))));
  return f32x4.min(one, f32x4.max(f32x4.splat(0), f32x4.add(f32x4.mul(f32x4.splat(0.2), v), f32x4.splat(0.5))));
}

// @ts-ignore: decorator
@inline function act(x: f32, kind: i32): f32 {
  if (kind == 0) {
    const t = sexp(Mathf.abs(x) * <f32>-2);
    const r = (<f32>1 - t) / (<f32>1 + t);
    return reinterpret<f32>(reinterpret<i32>(r) | (reinterpret<i32>(x) & 0x80000000));
  }
  if (kind == 1) return x > 0 ? x : 0;
  if (kind == 2) return x;
  if (kind == 3) return <f32>1 / (<f32>1 + sexp(-x));
  return Mathf.min(1, Mathf.max(0, <f32>0.2 * x + <f32>0.5));
}

// The activation's derivative from its output y, lane-wise and scalar.
// @ts-ignore: decorator
@inline function vactGrad(y: v128, kind: i32): v128 {
  const one = f32x4.splat(1), zero = f32x4.splat(0);
  if (kind == 0) return f32x4.sub(one, f32x4.mul(y, y));
  if (kind == 1) return v128.and(f32x4.gt(y, zero), one);
  if (kind == 2) return one;
  if (kind == 3) return f32x4.mul(y, f32x4.sub(one, y));
  return v128.and(v128.and(f32x4.gt(y, zero), f32x4.lt(y, one)), f32x4.splat(0.2));
}

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
  if (accumulate) add_into(d, s, n);
  else memory.copy(d, s, <usize>n << 2);
}

/** h[k] = act(z[k]) for n elements (a SimpleRNN step; z already holds x·W + b + h·U). */
export function rnn_step_forward_f32(h: usize, z: usize, n: i32, kind: i32): void {
  let i = 0;
  if (kind == 0) { // tanh, Keras' default, without a branch per element: the same arithmetic as below
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      v128.store(h + o, vact(v128.load(z + o), 0));
    }
  }
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(h + o, vact(v128.load(z + o), kind));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(h + o, act(load<f32>(z + o), kind));
  }
}

/** dz[k] = act'(h[k]) · dh[k]: a SimpleRNN step's backward, from its output h. */
export function rnn_step_backward_f32(dz: usize, h: usize, dh: usize, n: i32, kind: i32): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(dz + o, f32x4.mul(vactGrad(v128.load(h + o), kind), v128.load(dh + o)));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(dz + o, actGrad(load<f32>(h + o), kind) * load<f32>(dh + o));
  }
}

/**
 * One LSTM step over batch rows. z [batch, 4u] holds x·W + b + hPrev·U and is overwritten with the
 * activated gates i, f, g, o (kept for the backward pass); c = f·cPrev + i·g and h = o·act(c).
 */
export function lstm_step_forward_f32(h: usize, c: usize, z: usize, cPrev: usize, batch: i32, units: i32, kind: i32, recKind: i32): void {
  const u = <usize>units << 2;
  for (let b = 0; b < batch; b++) {
    const zr = z + ((<usize>b * <usize>units * 4) << 2), row = (<usize>b * <usize>units) << 2;
    let j = 0;
    // Keras' defaults (tanh, sigmoid gates) without a branch per activation; the same arithmetic as vact.
    if (kind == 0 && recKind == 3) {
      for (; j + 4 <= units; j += 4) {
        const o = <usize>j << 2;
        const i = vact(v128.load(zr + o), 3), f = vact(v128.load(zr + u + o), 3);
        const g = vact(v128.load(zr + 2 * u + o), 0), og = vact(v128.load(zr + 3 * u + o), 3);
        v128.store(zr + o, i);
        v128.store(zr + u + o, f);
        v128.store(zr + 2 * u + o, g);
        v128.store(zr + 3 * u + o, og);
        const cn = f32x4.add(f32x4.mul(f, v128.load(cPrev + row + o)), f32x4.mul(i, g));
        v128.store(c + row + o, cn);
        v128.store(h + row + o, f32x4.mul(og, vact(cn, 0)));
      }
    }
    for (; j + 4 <= units; j += 4) {
      const o = <usize>j << 2;
      const i = vact(v128.load(zr + o), recKind), f = vact(v128.load(zr + u + o), recKind);
      const g = vact(v128.load(zr + 2 * u + o), kind), og = vact(v128.load(zr + 3 * u + o), recKind);
      v128.store(zr + o, i);
      v128.store(zr + u + o, f);
      v128.store(zr + 2 * u + o, g);
      v128.store(zr + 3 * u + o, og);
      const cn = f32x4.add(f32x4.mul(f, v128.load(cPrev + row + o)), f32x4.mul(i, g));
      v128.store(c + row + o, cn);
      v128.store(h + row + o, f32x4.mul(og, vact(cn, kind)));
    }
    for (; j < units; j++) {
      const o = <usize>j << 2;
      const i = act(load<f32>(zr + o), recKind), f = act(load<f32>(zr + u + o), recKind);
      const g = act(load<f32>(zr + 2 * u + o), kind), og = act(load<f32>(zr + 3 * u + o), recKind);
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
  const u = <usize>units << 2;
  for (let b = 0; b < batch; b++) {
    const gr = gates + ((<usize>b * <usize>units * 4) << 2), dr = dz + ((<usize>b * <usize>units * 4) << 2);
    const row = (<usize>b * <usize>units) << 2;
    let j = 0;
    if (kind == 0 && recKind == 3) {
      for (; j + 4 <= units; j += 4) {
        const o = <usize>j << 2;
        const i = v128.load(gr + o), f = v128.load(gr + u + o), g = v128.load(gr + 2 * u + o), og = v128.load(gr + 3 * u + o);
        const ac = vact(v128.load(c + row + o), 0), d = v128.load(dh + row + o);
        const dct = f32x4.add(v128.load(dc + row + o), f32x4.mul(f32x4.mul(d, og), vactGrad(ac, 0)));
        v128.store(dr + o, f32x4.mul(f32x4.mul(dct, g), vactGrad(i, 3)));
        v128.store(dr + u + o, f32x4.mul(f32x4.mul(dct, v128.load(cPrev + row + o)), vactGrad(f, 3)));
        v128.store(dr + 2 * u + o, f32x4.mul(f32x4.mul(dct, i), vactGrad(g, 0)));
        v128.store(dr + 3 * u + o, f32x4.mul(f32x4.mul(d, ac), vactGrad(og, 3)));
        v128.store(dcPrev + row + o, f32x4.mul(dct, f));
      }
    }
    for (; j + 4 <= units; j += 4) {
      const o = <usize>j << 2;
      const i = v128.load(gr + o), f = v128.load(gr + u + o), g = v128.load(gr + 2 * u + o), og = v128.load(gr + 3 * u + o);
      const ac = vact(v128.load(c + row + o), kind), d = v128.load(dh + row + o);
      const dct = f32x4.add(v128.load(dc + row + o), f32x4.mul(f32x4.mul(d, og), vactGrad(ac, kind)));
      v128.store(dr + o, f32x4.mul(f32x4.mul(dct, g), vactGrad(i, recKind)));
      v128.store(dr + u + o, f32x4.mul(f32x4.mul(dct, v128.load(cPrev + row + o)), vactGrad(f, recKind)));
      v128.store(dr + 2 * u + o, f32x4.mul(f32x4.mul(dct, i), vactGrad(g, kind)));
      v128.store(dr + 3 * u + o, f32x4.mul(f32x4.mul(d, ac), vactGrad(og, recKind)));
      v128.store(dcPrev + row + o, f32x4.mul(dct, f));
    }
    for (; j < units; j++) {
      const o = <usize>j << 2;
      const i = load<f32>(gr + o), f = load<f32>(gr + u + o), g = load<f32>(gr + 2 * u + o), og = load<f32>(gr + 3 * u + o);
      const ac = act(load<f32>(c + row + o), kind), d = load<f32>(dh + row + o);
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
    let j = 0;
    if (recKind == 3) {
      for (; j + 4 <= units; j += 4) {
        const o = <usize>j << 2, u = <usize>units << 2;
        const z = vact(f32x4.add(v128.load(xr + o), v128.load(pr + o)), 3);
        const r = vact(f32x4.add(v128.load(xr + u + o), v128.load(pr + u + o)), 3);
        v128.store(xr + o, z);
        v128.store(xr + u + o, r);
        v128.store(rh + row + o, f32x4.mul(r, v128.load(hPrev + row + o)));
      }
    }
    for (; j + 4 <= units; j += 4) {
      const o = <usize>j << 2, u = <usize>units << 2;
      const z = vact(f32x4.add(v128.load(xr + o), v128.load(pr + o)), recKind);
      const r = vact(f32x4.add(v128.load(xr + u + o), v128.load(pr + u + o)), recKind);
      v128.store(xr + o, z);
      v128.store(xr + u + o, r);
      v128.store(rh + row + o, f32x4.mul(r, v128.load(hPrev + row + o)));
    }
    for (; j < units; j++) {
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
    let j = 0;
    if (kind == 0) {
      for (; j + 4 <= units; j += 4) {
        const o = <usize>j << 2, u = <usize>units << 2;
        const hh = vact(f32x4.add(v128.load(xr + 2 * u + o), v128.load(hp + row + o)), 0);
        const z = v128.load(xr + o);
        v128.store(xr + 2 * u + o, hh);
        v128.store(h + row + o, f32x4.add(f32x4.mul(z, v128.load(hPrev + row + o)), f32x4.mul(f32x4.sub(f32x4.splat(1), z), hh)));
      }
    }
    for (; j + 4 <= units; j += 4) {
      const o = <usize>j << 2, u = <usize>units << 2;
      const hh = vact(f32x4.add(v128.load(xr + 2 * u + o), v128.load(hp + row + o)), kind);
      const z = v128.load(xr + o);
      v128.store(xr + 2 * u + o, hh);
      v128.store(h + row + o, f32x4.add(f32x4.mul(z, v128.load(hPrev + row + o)), f32x4.mul(f32x4.sub(f32x4.splat(1), z), hh)));
    }
    for (; j < units; j++) {
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
    let j = 0;
    if (kind == 0 && recKind == 3) {
      for (; j + 4 <= units; j += 4) {
        const o = <usize>j << 2, u = <usize>units << 2;
        const z = vact(f32x4.add(v128.load(xr + o), v128.load(pr + o)), 3);
        const r = vact(f32x4.add(v128.load(xr + u + o), v128.load(pr + u + o)), 3);
        const hh = vact(f32x4.add(v128.load(xr + 2 * u + o), f32x4.mul(r, v128.load(pr + 2 * u + o))), 0);
        v128.store(xr + o, z);
        v128.store(xr + u + o, r);
        v128.store(xr + 2 * u + o, hh);
        v128.store(h + row + o, f32x4.add(f32x4.mul(z, v128.load(hPrev + row + o)), f32x4.mul(f32x4.sub(f32x4.splat(1), z), hh)));
      }
    }
    for (; j + 4 <= units; j += 4) {
      const o = <usize>j << 2, u = <usize>units << 2;
      const z = vact(f32x4.add(v128.load(xr + o), v128.load(pr + o)), recKind);
      const r = vact(f32x4.add(v128.load(xr + u + o), v128.load(pr + u + o)), recKind);
      const hh = vact(f32x4.add(v128.load(xr + 2 * u + o), f32x4.mul(r, v128.load(pr + 2 * u + o))), kind);
      v128.store(xr + o, z);
      v128.store(xr + u + o, r);
      v128.store(xr + 2 * u + o, hh);
      v128.store(h + row + o, f32x4.add(f32x4.mul(z, v128.load(hPrev + row + o)), f32x4.mul(f32x4.sub(f32x4.splat(1), z), hh)));
    }
    for (; j < units; j++) {
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
    let j = 0;
    for (; j + 4 <= units; j += 4) {
      const o = <usize>j << 2, u = <usize>units << 2;
      const z = v128.load(gr + o), hh = v128.load(gr + 2 * u + o), d = v128.load(dh + row + o);
      const dpre = f32x4.mul(f32x4.mul(d, f32x4.sub(f32x4.splat(1), z)), vactGrad(hh, kind));
      v128.store(dr + o, f32x4.mul(f32x4.mul(d, f32x4.sub(v128.load(hPrev + row + o), hh)), vactGrad(z, recKind)));
      v128.store(dr + 2 * u + o, dpre);
      v128.store(dhh + row + o, dpre);
      v128.store(dhPrev + row + o, f32x4.mul(d, z));
    }
    for (; j < units; j++) {
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
    let j = 0;
    for (; j + 4 <= units; j += 4) {
      const o = <usize>j << 2, u = <usize>units << 2;
      const r = v128.load(gr + u + o), d = v128.load(drh + row + o);
      const dr_ = f32x4.mul(f32x4.mul(d, v128.load(hPrev + row + o)), vactGrad(r, recKind));
      v128.store(dr + u + o, dr_);
      v128.store(zr + o, v128.load(dr + o));
      v128.store(zr + u + o, dr_);
      v128.store(dhPrev + row + o, f32x4.add(v128.load(dhPrev + row + o), f32x4.mul(d, r)));
    }
    for (; j < units; j++) {
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
    let j = 0;
    for (; j + 4 <= units; j += 4) {
      const o = <usize>j << 2, u = <usize>units << 2;
      const r = v128.load(gr + u + o), dhh = v128.load(dr + 2 * u + o);
      const dr_ = f32x4.mul(f32x4.mul(dhh, v128.load(pr + 2 * u + o)), vactGrad(r, recKind));
      v128.store(dr + u + o, dr_);
      v128.store(out + o, v128.load(dr + o));
      v128.store(out + u + o, dr_);
      v128.store(out + 2 * u + o, f32x4.mul(dhh, r));
    }
    for (; j < units; j++) {
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

/** buf[t, i] *= mask[i] for each of steps rows of n (one dropout mask over every step of a sequence). */
export function mask_steps_f32(buf: usize, mask: usize, steps: i32, n: i32): void {
  for (let t = 0; t < steps; t++) {
    const row = buf + ((<usize>t * <usize>n) << 2);
    let i = 0;
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      v128.store(row + o, f32x4.mul(v128.load(row + o), v128.load(mask + o)));
    }
    for (; i < n; i++) {
      const o = <usize>i << 2;
      store<f32>(row + o, load<f32>(row + o) * load<f32>(mask + o));
    }
  }
}

/**
 * A masked step (mask [batch] of 0 or 1, a padded step of a shorter sequence) keeps the state: rows
 * with mask 0 get h = hPrev (and c = cPrev when c is not 0), so the state and the output carry on.
 */
export function mask_step_forward_f32(h: usize, hPrev: usize, c: usize, cPrev: usize, mask: usize, batch: i32, units: i32): void {
  const bytes = <usize>units << 2;
  for (let b = 0; b < batch; b++) {
    if (load<f32>(mask + (<usize>b << 2)) != 0) continue;
    const row = <usize>b * bytes;
    memory.copy(h + row, hPrev + row, bytes);
    if (c) memory.copy(c + row, cPrev + row, bytes);
  }
}

/**
 * Backward of a masked step: rows with mask 0 pass their gradient straight to the step before —
 * dz (zWidth per row) and extra (units per row, when not 0) become 0, dcPrev = dc (when not 0) and
 * dhTo = dhFrom; rows with mask 1 get dhTo = 0 when clearUnmasked (dhTo is then a carry added later).
 */
export function mask_step_backward_f32(mask: usize, batch: i32, units: i32, dz: usize, zWidth: i32, extra: usize,
  dcPrev: usize, dc: usize, dhTo: usize, dhFrom: usize, clearUnmasked: i32): void {
  const bytes = <usize>units << 2, zBytes = <usize>zWidth << 2;
  for (let b = 0; b < batch; b++) {
    const row = <usize>b * bytes;
    if (load<f32>(mask + (<usize>b << 2)) != 0) {
      if (clearUnmasked) memory.fill(dhTo + row, 0, bytes);
      continue;
    }
    memory.fill(dz + <usize>b * zBytes, 0, zBytes);
    if (extra) memory.fill(extra + row, 0, bytes);
    if (dcPrev) memory.copy(dcPrev + row, dc + row, bytes);
    memory.copy(dhTo + row, dhFrom + row, bytes);
  }
}

/** mask[i] = x[i] != 0 (an embedding's maskZero: index 0 is padding). */
export function nonzero_mask_f32(mask: usize, x: usize, n: i32): void {
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(mask + o, load<f32>(x + o) != 0 ? 1 : 0);
  }
}

/** Masking: mask[r] = some x[r, :] != value; out[r, :] = x[r, :]·mask[r]. */
export function masking_forward_f32(out: usize, mask: usize, x: usize, rows: i32, cols: i32, value: f32): void {
  for (let r = 0; r < rows; r++) {
    const row = x + ((<usize>r * <usize>cols) << 2), o = out + ((<usize>r * <usize>cols) << 2);
    let keep = false;
    for (let j = 0; j < cols && !keep; j++) keep = load<f32>(row + (<usize>j << 2)) != value;
    store<f32>(mask + (<usize>r << 2), keep ? 1 : 0);
    if (keep) memory.copy(o, row, <usize>cols << 2);
    else memory.fill(o, 0, <usize>cols << 2);
  }
}

/** Backward of masking_forward_f32: dx[r, :] += dout[r, :] where mask[r] is 1. */
export function masking_backward_f32(dx: usize, dout: usize, mask: usize, rows: i32, cols: i32): void {
  for (let r = 0; r < rows; r++) {
    if (load<f32>(mask + (<usize>r << 2)) == 0) continue;
    move(dx + ((<usize>r * <usize>cols) << 2), dout + ((<usize>r * <usize>cols) << 2), cols, 1);
  }
}
