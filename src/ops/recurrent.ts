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
import { biasGemm, gemm } from './matmul.js';

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

/**
 * A recurrent layer's sequence pass. `gates` is 1 (SimpleRNN) or 4 (LSTM); `step` runs the cell
 * of step t on z_t (which holds x·W + b + hPrev·U), and `back` its backward into dz_t.
 */
function recurrent(op: string, x: Tensor, kernel: Tensor, recurrentKernel: Tensor, bias: Tensor | null, options: RecurrentOptions | undefined, gates: number): Tensor {
  const o = checkOptions(op, options, ['activation', 'recurrentActivation', 'returnSequences', 'goBackwards']);
  const act = kind(op, 'activation', o.activation ?? 'tanh');
  const rec = kind(op, 'recurrentActivation', o.recurrentActivation ?? 'sigmoid');
  const returnSequences = booleanOption(op, 'returnSequences', o.returnSequences), reverse = +booleanOption(op, 'goBackwards', o.goBackwards);
  const { batch, steps, features, units } = checkShapes(op, x, kernel, recurrentKernel, bias, gates);
  const k = wasm(), width = gates * units, rows = steps * batch;
  const stepZ = batch * width, stepH = batch * units;
  const buffers = new Buffers();
  let out: Tensor;
  // Time-major input, the gates' pre-activations (activated gates for LSTM), h_0..h_steps and c_0..c_steps.
  const xt = buffers.take(rows * features), z = buffers.take(rows * width);
  const hs = buffers.take((steps + 1) * stepH), cs = gates === 4 ? buffers.take((steps + 1) * stepH) : 0;
  try {
    k.to_time_major_f32(xt, x.ptr, batch, steps, features, reverse, 0);
    biasGemm(z, xt, kernel.ptr, bias, false, rows, width, features);
    k.fill_f32(hs, stepH, 0);
    if (cs) k.fill_f32(cs, stepH, 0);
    for (let t = 0; t < steps; t++) {
      const zt = z + t * stepZ * 4, hPrev = hs + t * stepH * 4, h = hPrev + stepH * 4;
      gemm(k.gemm_nn_f32, zt, hPrev, recurrentKernel.ptr, batch, width, units, true);
      if (gates === 4) k.lstm_step_forward_f32(h, cs + (t + 1) * stepH * 4, zt, cs + t * stepH * 4, batch, units, act, rec);
      else k.rnn_step_forward_f32(h, zt, stepH, act);
    }
    out = Tensor.empty(returnSequences ? [batch, steps, units] : [batch, units]);
    if (returnSequences) k.to_batch_major_f32(out.ptr, hs + stepH * 4, batch, steps, units, 0, 0);
    else new Float32Array(heap().memory.buffer, out.ptr, stepH).set(new Float32Array(heap().memory.buffer, hs + steps * stepH * 4, stepH));
  } catch (e) {
    buffers.free();
    throw e;
  }
  out.onDispose(() => buffers.free());
  return out.recordBackward(bias ? [x, kernel, recurrentKernel, bias] : [x, kernel, recurrentKernel], () => {
    const scratch = new Buffers();
    try {
      const dz = scratch.take(rows * width), dh = scratch.take(stepH), dc = scratch.take(stepH), dcPrev = scratch.take(stepH);
      // The gradient reaching each step's output: time-major, all steps or the last one only.
      const dhs = scratch.take(rows * units);
      k.fill_f32(dhs, rows * units, 0);
      if (returnSequences) k.to_time_major_f32(dhs, out.gradPtr(), batch, steps, units, 0, 0);
      else new Float32Array(heap().memory.buffer, dhs + (steps - 1) * stepH * 4, stepH).set(new Float32Array(heap().memory.buffer, out.gradPtr(), stepH));
      k.fill_f32(dh, stepH, 0);
      k.fill_f32(dc, stepH, 0);
      const dU = recurrentKernel.requiresGrad ? recurrentKernel.gradPtr() : 0;
      let dcIn = dc, dcOut = dcPrev;
      for (let t = steps - 1; t >= 0; t--) {
        const dzt = dz + t * stepZ * 4, hPrev = hs + t * stepH * 4;
        k.axpy_f32(dh, dhs + t * stepH * 4, stepH, 1);
        if (gates === 4) {
          k.lstm_step_backward_f32(dzt, dcOut, dh, dcIn, z + t * stepZ * 4, cs + (t + 1) * stepH * 4, cs + t * stepH * 4, batch, units, act, rec);
          [dcIn, dcOut] = [dcOut, dcIn];
        } else {
          k.rnn_step_backward_f32(dzt, hPrev + stepH * 4, dh, stepH, act);
        }
        if (dU) gemm(k.gemm_tn_f32, dU, hPrev, dzt, units, width, batch, true);  // dU += hPrevᵀ·dz
        if (t > 0) gemm(k.gemm_nt_f32, dh, dzt, recurrentKernel.ptr, batch, units, width, false); // dhPrev = dz·Uᵀ
      }
      if (kernel.requiresGrad) gemm(k.gemm_tn_f32, kernel.gradPtr(), xt, dz, features, width, rows, true); // dW += xᵀ·dz
      if (bias?.requiresGrad) k.colsum_backward_f32(bias.gradPtr(), dz, rows, width, 1);
      if (x.requiresGrad) {
        const dxt = scratch.take(rows * features);
        gemm(k.gemm_nt_f32, dxt, dz, kernel.ptr, rows, features, width, false); // dx = dz·Wᵀ
        k.to_batch_major_f32(x.gradPtr(), dxt, batch, steps, features, reverse, 1);
      }
    } finally {
      scratch.free();
    }
  });
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
  return out.recordBackward([table], () => k.embedding_backward_f32(table.gradPtr(), out.gradPtr(), indices.ptr, n, dim));
}
