// Recurrent ops: simpleRnn and lstm over [batch, steps, features] sequences, and the embedding
// lookup. A sequence runs time-major inside the op: the input projection of all steps is one GEMM
// (bias in its epilogue), then each step is one recurrent GEMM accumulated onto its rows and one
// cell kernel; backward through time runs the steps in reverse with the same fixed handful of kernel
// calls per step into buffers made once per call, and ends with one GEMM each for the input and
// kernel gradients. Nothing loops over floats here.
import { WasmgradError, fmtShape, invalid, shapeError } from '../errors.js';
import { booleanOption, checkOptions, describe } from '../options.js';
import { Tensor } from '../tensor.js';
import { heap, wasm } from '../wasm.js';
import { biasGemm, gemm, NN, NT, TN } from './matmul.js';

/** Activations a recurrent cell takes (Keras names); hardSigmoid is TF.js' clip(0.2·x + 0.5, 0, 1). */
export type RecurrentActivation = 'tanh' | 'relu' | 'linear' | 'sigmoid' | 'hardSigmoid';

const KINDS: Record<RecurrentActivation, number> = { tanh: 0, relu: 1, linear: 2, sigmoid: 3, hardSigmoid: 4 };

/** Options of simpleRnn() and lstm(). */
export interface RecurrentOptions {
  /** The cell's activation (default 'tanh'). */
  activation?: RecurrentActivation;
  /** LSTM's gate activation (default 'sigmoid'). */
  recurrentActivation?: RecurrentActivation;
  /** Return every step's output [batch, steps, units] rather than the last [batch, units] (default false). */
  returnSequences?: boolean;
  /** Run the sequence from its last step to its first (outputs come in that order, as Keras). */
  goBackwards?: boolean;
  /** A dropout mask [batch, features] (0 or 1/(1 - rate)) applied to every step's input, as Keras' dropout. */
  inputMask?: Tensor;
  /** Which steps count, [batch, steps] of 1 and 0 (padding): a 0 step keeps the state and repeats the previous output. */
  stepMask?: Tensor;
  /**
   * A dropout mask [batch, units] on the previous state, the same at every step (Keras' recurrentDropout):
   * in the recurrent product of SimpleRNN and LSTM, and everywhere the GRU reads it (as Keras 3).
   */
  recurrentMask?: Tensor;
  /** The state before the first step ([h0], and [h0, c0] for an LSTM; each [batch, units]); zeros by default. Gradients reach it. */
  initialState?: Tensor[];
  /** LSTM: the last cell state c too, as the output's last `units` columns ([batch, out + units]; see lstmWithState). @internal */
  withCellState?: boolean;
}

// The initial states, checked: `count` tensors of [batch, units], or none.
function initialStatesOf(op: string, states: unknown, count: number, batch: number, units: number): Tensor[] | null {
  if (states === undefined) return null;
  if (!Array.isArray(states) || states.length !== count || !states.every((t) => t instanceof Tensor && t.shape.length === 2 && t.shape[0] === batch && t.shape[1] === units)) {
    throw shapeError(`${op}: initialState must be ${count === 2 ? '[h0, c0]' : '[h0]'}, each of shape [${batch}, ${units}], got ${Array.isArray(states) ? `[${states.map((t) => (t instanceof Tensor ? fmtShape(t.shape) : describe(t))).join(', ')}]` : describe(states)}`);
  }
  return states as Tensor[];
}

// The step mask, its shape checked: [batch, steps], 0 for padding (any other value counts as 1), or none.
function stepMaskOf(op: string, mask: unknown, batch: number, steps: number): Tensor | null {
  if (mask === undefined) return null;
  if (!(mask instanceof Tensor) || mask.shape.length !== 2 || mask.shape[0] !== batch || mask.shape[1] !== steps) {
    throw shapeError(`${op}: stepMask must be a tensor of shape [${batch}, ${steps}], got ${mask instanceof Tensor ? fmtShape(mask.shape) : describe(mask)}`);
  }
  return mask;
}

// The input mask, checked: [batch, features], or none.
function inputMaskOf(op: string, mask: unknown, batch: number, features: number, name = 'inputMask'): Tensor | null {
  if (mask === undefined) return null;
  if (!(mask instanceof Tensor) || mask.shape.length !== 2 || mask.shape[0] !== batch || mask.shape[1] !== features) {
    throw shapeError(`${op}: ${name} must be a tensor of shape [${batch}, ${features}], got ${mask instanceof Tensor ? fmtShape(mask.shape) : describe(mask)}`);
  }
  return mask;
}

function kind(op: string, name: string, value: unknown): number {
  if (typeof value !== 'string' || !Object.prototype.hasOwnProperty.call(KINDS, value)) {
    throw invalid(`${op}: ${name} must be one of ${Object.keys(KINDS).map((k) => `'${k}'`).join(', ')}, got ${describe(value)}`);
  }
  return KINDS[value as RecurrentActivation];
}

// Checks the shapes: x [batch, steps, features], kernel [features, gates·units], recurrent [units, gates·units], bias [gates·units].
function checkShapes(op: string, x: Tensor, kernel: Tensor, recurrent: Tensor, bias: Tensor | null, gates: number) {
  if (x.shape.length !== 3) throw shapeError(`${op}: x must be [batch, steps, features], got ${fmtShape(x.shape)}`);
  const [batch, steps, features] = x.shape as [number, number, number];
  const units = recurrent.shape[0]!;
  if (recurrent.shape.length !== 2 || recurrent.shape[1] !== gates * units) {
    throw shapeError(`${op}: recurrentKernel must be [units, ${gates}·units], got ${fmtShape(recurrent.shape)}`);
  }
  if (kernel.shape.length !== 2 || kernel.shape[0] !== features || kernel.shape[1] !== gates * units) {
    throw shapeError(`${op}: kernel must be [${features}, ${gates * units}] (x's features, ${gates}·units), got ${fmtShape(kernel.shape)}`);
  }
  if (bias && (bias.shape.length !== 1 || bias.shape[0] !== gates * units)) {
    throw shapeError(`${op}: bias must be [${gates * units}], got ${fmtShape(bias.shape)}`);
  }
  if (steps === 0) throw shapeError(`${op}: x has no steps (shape ${fmtShape(x.shape)})`);
  return { batch, steps, features, units };
}

// Arena buffers for one call, freed together (when the output is disposed, or at once on failure).
class Buffers {
  readonly #held: [number, number][] = [];
  take(floats: number): number {
    const ptr = heap().alloc(floats * 4);
    this.#held.push([ptr, floats * 4]);
    return ptr;
  }
  free(): void {
    for (const [p, b] of this.#held.splice(0)) heap().free(p, b);
  }
}

// n floats from one arena address to another.
function copy(to: number, from: number, n: number): void {
  new Float32Array(heap().memory.buffer, to, n).set(new Float32Array(heap().memory.buffer, from, n));
}

/** Writes `from`'s values over `to`'s (same size), recording no gradient: a stateful layer's carried state. @internal */
export function copyValues(to: Tensor, from: Tensor): void {
  if (to.size !== from.size) throw shapeError(`copyValues: ${fmtShape(from.shape)} into ${fmtShape(to.shape)}`);
  copy(to.ptr, from.ptr, to.size);
}

// After backward through time: from dz (the gradient of every step's x·W + b, time-major), the
// kernel's, the (input) bias' and x's gradients; dm is the dropout mask's copy (0: none).
function inputGradients(x: Tensor, kernel: Tensor, bias: Tensor | null, xt: number, dz: number, dm: number, width: number, reverse: number, scratch: Buffers): void {
  const k = wasm(), [batch, steps, features] = x.shape as [number, number, number], rows = batch * steps;
  if (kernel.requiresGrad) gemm(TN, kernel.gradPtr(), xt, dz, features, width, rows, true); // dW += xᵀ·dz
  if (bias?.requiresGrad) k.colsum_backward_f32(bias.gradPtr(), dz, rows, width, 1);                   // (the first row of a GRU's [2, 3u])
  if (x.requiresGrad) {
    const dxt = scratch.take(rows * features);
    gemm(NT, dxt, dz, kernel.ptr, rows, features, width, false);                        // dx = (dz·Wᵀ)·mask
    if (dm) k.mask_steps_f32(dxt, dm, steps, batch * features);
    k.to_batch_major_f32(x.gradPtr(), dxt, batch, steps, features, reverse, 1);
  }
}

// The pass's buffers serve only its backward pass: without one (no input needs a gradient) they go now.
function keepFor(buffers: Buffers, out: Tensor): Tensor {
  if (!out.requiresGrad) buffers.free();
  return out;
}

/**
 * A recurrent layer's sequence pass. `gates` is 1 (SimpleRNN) or 4 (LSTM); `step` runs the cell
 * of step t on z_t (which holds x·W + b + hPrev·U), and `back` its backward into dz_t.
 */
function recurrent(op: string, x: Tensor, kernel: Tensor, recurrentKernel: Tensor, bias: Tensor | null, options: RecurrentOptions | undefined, gates: number): Tensor {
  const o = checkOptions(op, options, ['activation', 'recurrentActivation', 'returnSequences', 'goBackwards', 'inputMask', 'stepMask', 'initialState', 'withCellState', 'recurrentMask']);
  const act = kind(op, 'activation', o.activation ?? 'tanh');
  const rec = kind(op, 'recurrentActivation', o.recurrentActivation ?? 'sigmoid');
  const returnSequences = booleanOption(op, 'returnSequences', o.returnSequences), reverse = +booleanOption(op, 'goBackwards', o.goBackwards);
  const { batch, steps, features, units } = checkShapes(op, x, kernel, recurrentKernel, bias, gates);
  const mask = inputMaskOf(op, o.inputMask, batch, features), stepMask = stepMaskOf(op, o.stepMask, batch, steps);
  const [h0, c0] = initialStatesOf(op, o.initialState, gates === 4 ? 2 : 1, batch, units) ?? [];
  const rmask = inputMaskOf(op, o.recurrentMask, batch, units, 'recurrentMask');
  const withC = gates === 4 && o.withCellState === true;
  const k = wasm(), width = gates * units, rows = steps * batch;
  const stepZ = batch * width, stepH = batch * units;
  const buffers = new Buffers();
  let out: Tensor;
  let xt = 0, z = 0, hs = 0, cs = 0, mt = 0, dm = 0, rm = 0, hms = 0;
  try {
    // Time-major input, the gates' pre-activations (activated gates for LSTM), h_0..h_steps and c_0..c_steps,
    // the step mask time-major (reversed with goBackwards) and a copy of the dropout mask (the backward pass reads both).
    xt = buffers.take(rows * features); z = buffers.take(rows * width);
    hs = buffers.take((steps + 1) * stepH); cs = gates === 4 ? buffers.take((steps + 1) * stepH) : 0;
    mt = stepMask ? buffers.take(rows) : 0; dm = mask ? buffers.take(batch * features) : 0;
    if (mask) copy(dm, mask.ptr, batch * features);
    // With recurrent dropout: the mask's copy, and each step's masked previous state (for dU).
    if (rmask) { rm = buffers.take(stepH); copy(rm, rmask.ptr, stepH); hms = buffers.take(rows * units); }
    k.to_time_major_f32(xt, x.ptr, batch, steps, features, reverse, 0);
    if (mask) k.mask_steps_f32(xt, dm, steps, batch * features);
    if (stepMask) k.to_time_major_f32(mt, stepMask.ptr, batch, steps, 1, reverse, 0);
    biasGemm(z, xt, kernel.ptr, bias, false, rows, width, features);
    if (h0) copy(hs, h0.ptr, stepH); else k.fill_f32(hs, stepH, 0);
    if (cs) { if (c0) copy(cs, c0.ptr, stepH); else k.fill_f32(cs, stepH, 0); }
    for (let t = 0; t < steps; t++) {
      const zt = z + t * stepZ * 4, hPrev = hs + t * stepH * 4, h = hPrev + stepH * 4;
      let hIn = hPrev;
      if (rm) { hIn = hms + t * stepH * 4; copy(hIn, hPrev, stepH); k.mask_steps_f32(hIn, rm, 1, stepH); }
      gemm(NN, zt, hIn, recurrentKernel.ptr, batch, width, units, true);
      if (gates === 4) k.lstm_step_forward_f32(h, cs + (t + 1) * stepH * 4, zt, cs + t * stepH * 4, batch, units, act, rec);
      else k.rnn_step_forward_f32(h, zt, stepH, act);
      if (mt) k.mask_step_forward_f32(h, hPrev, cs ? cs + (t + 1) * stepH * 4 : 0, cs ? cs + t * stepH * 4 : 0, mt + t * batch * 4, batch, units);
    }
    const outCols = (returnSequences ? steps : 1) * units;
    out = Tensor.empty(withC ? [batch, outCols + units] : returnSequences ? [batch, steps, units] : [batch, units]);
    const seq = withC ? buffers.take(batch * outCols) : out.ptr;
    if (returnSequences) k.to_batch_major_f32(seq, hs + stepH * 4, batch, steps, units, 0, 0);
    else copy(seq, hs + steps * stepH * 4, stepH);
    if (withC) {
      k.put_cols_f32(out.ptr, seq, batch, outCols + units, 0, outCols, 0);
      k.put_cols_f32(out.ptr, cs + steps * stepH * 4, batch, outCols + units, outCols, units, 0);
    }
  } catch (e) {
    buffers.free();
    throw e;
  }
  out.onDispose(() => buffers.free());
  const inputs = [x, kernel, recurrentKernel, ...(bias ? [bias] : []), ...(h0 ? [h0] : []), ...(c0 ? [c0] : [])];
  return keepFor(buffers, out.recordBackward(inputs, () => {
    const scratch = new Buffers();
    try {
      const dz = scratch.take(rows * width), dh = scratch.take(stepH), dc = scratch.take(stepH), dcPrev = scratch.take(stepH);
      const dhCarry = mt ? scratch.take(stepH) : 0; // what masked rows pass straight to the step before
      // The gradient reaching each step's output: time-major, all steps or the last one only.
      const dhs = scratch.take(rows * units);
      k.fill_f32(dhs, rows * units, 0);
      const outCols = (returnSequences ? steps : 1) * units;
      let dout = out.gradPtr();
      k.fill_f32(dc, stepH, 0);
      if (withC) {
        // The output's gradient is the sequence's columns, then the last cell state's.
        const g = dout;
        dout = scratch.take(batch * outCols);
        k.copy_cols_f32(dout, g, batch, outCols + units, 0, outCols, 0);
        k.copy_cols_f32(dc, g, batch, outCols + units, outCols, units, 0);
      }
      if (returnSequences) k.to_time_major_f32(dhs, dout, batch, steps, units, 0, 0);
      else copy(dhs + (steps - 1) * stepH * 4, dout, stepH);
      k.fill_f32(dh, stepH, 0);
      const dU = recurrentKernel.requiresGrad ? recurrentKernel.gradPtr() : 0;
      let dcIn = dc, dcOut = dcPrev;
      for (let t = steps - 1; t >= 0; t--) {
        const dzt = dz + t * stepZ * 4, hPrev = hs + t * stepH * 4;
        k.axpy_f32(dh, dhs + t * stepH * 4, stepH, 1);
        if (gates === 4) k.lstm_step_backward_f32(dzt, dcOut, dh, dcIn, z + t * stepZ * 4, cs + (t + 1) * stepH * 4, cs + t * stepH * 4, batch, units, act, rec);
        else k.rnn_step_backward_f32(dzt, hPrev + stepH * 4, dh, stepH, act);
        if (mt) k.mask_step_backward_f32(mt + t * batch * 4, batch, units, dzt, width, 0, gates === 4 ? dcOut : 0, dcIn, dhCarry, dh, 1);
        if (gates === 4) [dcIn, dcOut] = [dcOut, dcIn];
        if (t > 0 || h0?.requiresGrad) {
          gemm(NT, dh, dzt, recurrentKernel.ptr, batch, units, width, false); // dhPrev = dz·Uᵀ (·mask)
          if (rm) k.mask_steps_f32(dh, rm, 1, stepH);
          if (mt) k.axpy_f32(dh, dhCarry, stepH, 1);
        }
      }
      // dU += Σ_t h_{t-1}ᵀ·dz_t as one product over all steps (h_0..h_{steps-1} are contiguous).
      if (dU) gemm(TN, dU, rm ? hms : hs, dz, units, width, rows, true);
      if (h0?.requiresGrad) k.axpy_f32(h0.gradPtr(), dh, stepH, 1);
      if (c0?.requiresGrad) k.axpy_f32(c0.gradPtr(), dcIn, stepH, 1);
      inputGradients(x, kernel, bias, xt, dz, dm, width, reverse, scratch);
    } finally {
      scratch.free();
    }
  }));
}

/**
 * A SimpleRNN over x [batch, steps, features]: h_t = activation(x_t·kernel + h_{t-1}·recurrentKernel + bias),
 * h_0 = 0; kernel [features, units], recurrentKernel [units, units], bias [units] (Keras' layout).
 */
export function simpleRnn(x: Tensor, kernel: Tensor, recurrentKernel: Tensor, bias: Tensor | null, options?: RecurrentOptions): Tensor {
  return recurrent('simpleRnn', x, kernel, recurrentKernel, bias, options, 1);
}

/**
 * An LSTM over x [batch, steps, features], Keras' formulation and layout: kernel [features, 4·units],
 * recurrentKernel [units, 4·units], bias [4·units], gate blocks i, f, c, o; c_t = f·c_{t-1} + i·g,
 * h_t = o·activation(c_t), with i, f, o = recurrentActivation(·) and g = activation(·); h_0 = c_0 = 0.
 */
export function lstm(x: Tensor, kernel: Tensor, recurrentKernel: Tensor, bias: Tensor | null, options?: RecurrentOptions): Tensor {
  return recurrent('lstm', x, kernel, recurrentKernel, bias, options, 4);
}

/** Options of gru(). */
export interface GruOptions extends RecurrentOptions {
  /** Apply the reset gate after the recurrent product, with a separate recurrent bias (default true, as Keras; TF.js' GRU is false). */
  resetAfter?: boolean;
}

/**
 * A GRU over x [batch, steps, features], Keras' formulation and layout: kernel [features, 3·units],
 * recurrentKernel [units, 3·units], gate blocks z, r, h; z, r = recurrentActivation(·),
 * h_t = z·h_{t-1} + (1 - z)·activation(x·W_h + (r·h_{t-1})·U_h + b_h), bias [3·units]; with resetAfter
 * (Keras' default) hh = activation(x·W_h + b_h + r·(h_{t-1}·U_h + b'_h)) and bias [2, 3·units]
 * (input bias, then recurrent bias).
 */
export function gru(x: Tensor, kernel: Tensor, recurrentKernel: Tensor, bias: Tensor | null, options?: GruOptions): Tensor {
  const op = 'gru';
  const o = checkOptions(op, options, ['activation', 'recurrentActivation', 'returnSequences', 'goBackwards', 'resetAfter', 'inputMask', 'stepMask', 'initialState', 'recurrentMask']);
  const act = kind(op, 'activation', o.activation ?? 'tanh');
  const rec = kind(op, 'recurrentActivation', o.recurrentActivation ?? 'sigmoid');
  const returnSequences = booleanOption(op, 'returnSequences', o.returnSequences), reverse = +booleanOption(op, 'goBackwards', o.goBackwards);
  const resetAfter = o.resetAfter === undefined || booleanOption(op, 'resetAfter', o.resetAfter);
  const { batch, steps, features, units } = checkShapes(op, x, kernel, recurrentKernel, null, 3);
  const mask = inputMaskOf(op, o.inputMask, batch, features), stepMask = stepMaskOf(op, o.stepMask, batch, steps);
  const [h0] = initialStatesOf(op, o.initialState, 1, batch, units) ?? [];
  const rmask = inputMaskOf(op, o.recurrentMask, batch, units, 'recurrentMask');
  const u = units, w = 3 * u;
  if (bias && !(resetAfter ? bias.shape.length === 2 && bias.shape[0] === 2 && bias.shape[1] === w : bias.shape.length === 1 && bias.shape[0] === w)) {
    throw shapeError(`${op}: bias must be ${resetAfter ? `[2, ${w}] (input and recurrent bias, resetAfter)` : `[${w}]`}, got ${fmtShape(bias.shape)}`);
  }
  const k = wasm(), rows = steps * batch, stepZ = batch * w, stepH = batch * u, U = recurrentKernel.ptr;
  const recBias = bias && resetAfter ? bias.ptr + w * 4 : 0;
  const buffers = new Buffers();
  let out: Tensor;
  let xt = 0, xz = 0, hs = 0, mt = 0, dm = 0, kept = 0, Uzr = 0, Uh = 0, zr = 0, hp = 0, rm = 0, hms = 0;
  try {
    // Time-major input; x·W + b per step (then the step's activated z, r, hh); h_0..h_steps; the step
    // mask time-major (reversed with goBackwards); a copy of the dropout mask; per step r·h_{t-1}
    // (without resetAfter) or h_{t-1}·U + recurrent bias (with it).
    xt = buffers.take(rows * features); xz = buffers.take(rows * w); hs = buffers.take((steps + 1) * stepH);
    mt = stepMask ? buffers.take(rows) : 0; dm = mask ? buffers.take(batch * features) : 0;
    kept = buffers.take(resetAfter ? rows * w : rows * u);
    // Without resetAfter, U's z|r block and h block as contiguous matrices, and per-step scratch.
    if (!resetAfter) { Uzr = buffers.take(u * 2 * u); Uh = buffers.take(u * u); zr = buffers.take(batch * 2 * u); hp = buffers.take(stepH); }
    // With recurrent dropout the GRU reads a masked previous state everywhere (Keras 3): each step's, kept.
    if (rmask) { rm = buffers.take(stepH); copy(rm, rmask.ptr, stepH); hms = buffers.take(rows * u); }
    if (mask) copy(dm, mask.ptr, batch * features);
    k.to_time_major_f32(xt, x.ptr, batch, steps, features, reverse, 0);
    if (mask) k.mask_steps_f32(xt, dm, steps, batch * features);
    if (stepMask) k.to_time_major_f32(mt, stepMask.ptr, batch, steps, 1, reverse, 0);
    biasGemm(xz, xt, kernel.ptr, bias ? bias.ptr : null, false, rows, w, features);
    if (h0) copy(hs, h0.ptr, stepH); else k.fill_f32(hs, stepH, 0);
    if (!resetAfter) {
      k.copy_cols_f32(Uzr, U, u, w, 0, 2 * u, 0);
      k.copy_cols_f32(Uh, U, u, w, 2 * u, u, 0);
    }
    for (let t = 0; t < steps; t++) {
      const xzt = xz + t * stepZ * 4, hPrev = hs + t * stepH * 4, h = hPrev + stepH * 4;
      let hIn = hPrev;
      if (rm) { hIn = hms + t * stepH * 4; copy(hIn, hPrev, stepH); k.mask_steps_f32(hIn, rm, 1, stepH); }
      if (resetAfter) {
        const rp = kept + t * stepZ * 4;
        biasGemm(rp, hIn, U, recBias, false, batch, w, u);
        k.gru_reset_after_forward_f32(h, xzt, rp, hIn, batch, u, act, rec);
      } else {
        const rh = kept + t * stepH * 4;
        gemm(NN, zr, hIn, Uzr, batch, 2 * u, u, false);
        k.gru_gates_forward_f32(xzt, rh, zr, hIn, batch, u, rec);
        gemm(NN, hp, rh, Uh, batch, u, u, false);
        k.gru_output_forward_f32(h, xzt, hp, hIn, batch, u, act);
      }
      if (mt) k.mask_step_forward_f32(h, hPrev, 0, 0, mt + t * batch * 4, batch, u);
    }
    out = Tensor.empty(returnSequences ? [batch, steps, u] : [batch, u]);
    if (returnSequences) k.to_batch_major_f32(out.ptr, hs + stepH * 4, batch, steps, u, 0, 0);
    else copy(out.ptr, hs + steps * stepH * 4, stepH);
  } catch (e) {
    buffers.free();
    throw e;
  }
  out.onDispose(() => buffers.free());
  return keepFor(buffers, out.recordBackward([x, kernel, recurrentKernel, ...(bias ? [bias] : []), ...(h0 ? [h0] : [])], () => {
    const scratch = new Buffers();
    try {
      const dz = scratch.take(rows * w), dhs = scratch.take(rows * u);
      let dh = scratch.take(stepH), dhPrev = scratch.take(stepH);
      // With resetAfter, every step's gradient of hPrev·U + recurrent bias (for one dU product at the end).
      // Without it, every step's dhh and dzr (for one dU_h and one dU_zr product at the end).
      const dhh = scratch.take(resetAfter ? stepH : rows * u), dr = resetAfter ? scratch.take(rows * w) : scratch.take(stepH);
      const dzr = resetAfter ? 0 : scratch.take(rows * 2 * u);
      const dUzr = resetAfter || !recurrentKernel.requiresGrad ? 0 : scratch.take(u * 2 * u), dUh = dUzr ? scratch.take(u * u) : 0;
      k.fill_f32(dhs, rows * u, 0);
      const dout = out.gradPtr();
      if (returnSequences) k.to_time_major_f32(dhs, dout, batch, steps, u, 0, 0);
      else copy(dhs + (steps - 1) * stepH * 4, dout, stepH);
      k.fill_f32(dh, stepH, 0);
      const dU = recurrentKernel.requiresGrad ? recurrentKernel.gradPtr() : 0;
      const dRecBias = bias?.requiresGrad && resetAfter ? bias.gradPtr() + w * 4 : 0;
      for (let t = steps - 1; t >= 0; t--) {
        const dzt = dz + t * stepZ * 4, xzt = xz + t * stepZ * 4, hPrev = rm ? hms + t * stepH * 4 : hs + t * stepH * 4;
        k.axpy_f32(dh, dhs + t * stepH * 4, stepH, 1);
        const dhht = resetAfter ? dhh : dhh + t * stepH * 4;
        k.gru_output_backward_f32(dzt, dhht, dhPrev, dh, xzt, hPrev, batch, u, act, rec);
        // Padded rows pass dh straight back: their gate gradients go (now) and their dhPrev is set last.
        if (mt) k.mask_step_backward_f32(mt + t * batch * 4, batch, u, dzt, w, resetAfter ? 0 : dhht, 0, 0, dh, dh, 0);
        if (resetAfter) {
          const drp = dr + t * stepZ * 4;
          k.gru_reset_after_backward_f32(dzt, drp, xzt, kept + t * stepZ * 4, batch, u, rec);
          gemm(NT, dhPrev, drp, U, batch, u, w, true);                  // dhPrev += drp·Uᵀ
        } else {
          const dzrt = dzr + t * batch * 2 * u * 4;
          gemm(NT, dr, dhht, Uh, batch, u, u, false);                   // d(r·hPrev) = dhh·U_hᵀ
          k.gru_gates_backward_f32(dzt, dzrt, dhPrev, dr, xzt, hPrev, batch, u, rec);
          gemm(NT, dhPrev, dzrt, Uzr, batch, u, 2 * u, true);           // dhPrev += dzr·U_zrᵀ
        }
        if (rm) k.mask_steps_f32(dhPrev, rm, 1, stepH);                           // the state was read masked
        if (mt) k.mask_step_backward_f32(mt + t * batch * 4, batch, u, dzt, w, 0, 0, 0, dhPrev, dh, 0);
        [dh, dhPrev] = [dhPrev, dh];
      }
      if (h0?.requiresGrad) k.axpy_f32(h0.gradPtr(), dh, stepH, 1);            // after the last swap, dh is h_0's
      if (resetAfter) {
        if (dU) gemm(TN, dU, rm ? hms : hs, dr, u, w, rows, true);      // dU += Σ_t hPrevᵀ·drp_t
        if (dRecBias) k.colsum_backward_f32(dRecBias, dr, rows, w, 1);
      }
      if (dUzr) {
        gemm(TN, dUzr, rm ? hms : hs, dzr, u, 2 * u, rows, false);    // dU_zr = Σ_t hPrevᵀ·dzr_t
        gemm(TN, dUh, kept, dhh, u, u, rows, false);                  // dU_h = Σ_t (r·hPrev)ᵀ·dhh_t
        k.put_cols_f32(dU, dUzr, u, w, 0, 2 * u, 1);
        k.put_cols_f32(dU, dUh, u, w, 2 * u, u, 1);
      }
      inputGradients(x, kernel, bias, xt, dz, dm, w, reverse, scratch);
    } finally {
      scratch.free();
    }
  }));
}

/** Columns [start, start + count) of x [rows, cols] as [rows, count]; the gradient goes back to those columns. @internal */
export function sliceCols(x: Tensor, start: number, count: number): Tensor {
  const [rows, cols] = x.shape as [number, number];
  const k = wasm(), out = Tensor.empty([rows, count]);
  k.copy_cols_f32(out.ptr, x.ptr, rows, cols, start, count, 0);
  return out.recordBackward([x], () => k.put_cols_f32(x.gradPtr(), out.gradPtr(), rows, cols, start, count, 1));
}

/** x [batch, steps, n] with its steps in reverse order (a backward layer's outputs, aligned in time). */
export function reverseSteps(x: Tensor): Tensor {
  if (x.shape.length !== 3) throw shapeError(`reverseSteps: x must be [batch, steps, features], got ${fmtShape(x.shape)}`);
  const [batch, steps, n] = x.shape as [number, number, number];
  const k = wasm(), bytes = x.size * 4;
  const out = Tensor.empty(x.shape);
  // Time-major reversed, then back to batch-major: out[b, t] = x[b, steps - 1 - t].
  const tmp = heap().alloc(bytes);
  try {
    k.to_time_major_f32(tmp, x.ptr, batch, steps, n, 1, 0);
    k.to_batch_major_f32(out.ptr, tmp, batch, steps, n, 0, 0);
  } finally {
    heap().free(tmp, bytes);
  }
  return out.recordBackward([x], () => {
    const t = heap().alloc(bytes);
    try {
      k.to_time_major_f32(t, out.gradPtr(), batch, steps, n, 1, 0);
      k.to_batch_major_f32(x.gradPtr(), t, batch, steps, n, 0, 1);
    } finally {
      heap().free(t, bytes);
    }
  });
}

/**
 * Rows of `table` [inputDim, outputDim] picked by integer `indices` of any shape: [...indices.shape,
 * outputDim]. Indices outside [0, inputDim) or not integers throw INVALID_LABEL before anything runs;
 * the table's gradient is a scatter-add.
 */
export function embeddingLookup(table: Tensor, indices: Tensor): Tensor {
  if (table.shape.length !== 2) throw shapeError(`embedding: table must be [inputDim, outputDim], got ${fmtShape(table.shape)}`);
  const [inputDim, dim] = table.shape as [number, number];
  const k = wasm(), n = indices.size;
  const bad = k.label_check_f32(indices.ptr, n, inputDim);
  if (bad >= 0) {
    const per = n / Math.max(1, indices.shape[0] ?? 1);
    const value = new Float32Array(heap().memory.buffer, indices.ptr, n)[bad];
    throw new WasmgradError('INVALID_LABEL', `embedding: the indices hold ${value} at sample ${Math.floor(bad / per)}, position ${bad % per}; they must be integers in [0, ${inputDim})`);
  }
  const out = Tensor.empty([...indices.shape, dim]);
  k.embedding_forward_f32(out.ptr, table.ptr, indices.ptr, n, dim);
  if (!table.requiresGrad) return out;
  // The backward pass reads the indices: a copy that lives as long as the output.
  const idx = heap().alloc(n * 4);
  copy(idx, indices.ptr, n);
  out.onDispose(() => heap().free(idx, n * 4));
  return out.recordBackward([table], () => k.embedding_backward_f32(table.gradPtr(), out.gradPtr(), idx, n, dim));
}
