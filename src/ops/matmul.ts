// matmul: out[M×N] = op(a)·op(b) for 2-D a and b, op being the identity or a transpose.
// All four forms run on the one packed GEMM (assembly/gemm.ts); the backward of each form is two
// GEMMs of other forms, accumulating into the gradients.
import { booleanOption, checkOptions } from '../options.js';
import { fmtShape, shapeError } from '../errors.js';
import { Tensor } from '../tensor.js';
import { compute } from '../trace.js';
import { heap, wasm } from '../wasm.js';

/** Options of matmul. */
export interface MatmulOptions {
  /** Use aᵀ (a is stored K×M). */
  transposeA?: boolean;
  /** Use bᵀ (b is stored N×K). */
  transposeB?: boolean;
}

/** The four forms of the one GEMM kernel (gemm_tile_f32's flags): A·B, Aᵀ·B, A·Bᵀ, Aᵀ·Bᵀ. */
export const NN = 0, TN = 1, NT = 2, TT = 3;

/** The matrix product op(a)·op(b) of two 2-D tensors. */
export function matmul(a: Tensor, b: Tensor, matmulOptions?: MatmulOptions): Tensor {
  const options = checkOptions('matmul', matmulOptions, ['transposeA', 'transposeB']);
  const ta = booleanOption('matmul', 'transposeA', options.transposeA), tb = booleanOption('matmul', 'transposeB', options.transposeB);
  if (a.shape.length !== 2 || b.shape.length !== 2) {
    throw shapeError(`matmul: a and b must be 2-D, got a ${fmtShape(a.shape)} and b ${fmtShape(b.shape)}`);
  }
  const [m, ka] = ta ? [a.shape[1]!, a.shape[0]!] : [a.shape[0]!, a.shape[1]!];
  const [kb, n] = tb ? [b.shape[1]!, b.shape[0]!] : [b.shape[0]!, b.shape[1]!];
  if (ka !== kb) {
    throw shapeError(`matmul: inner dimensions differ: op(a) is ${m}×${ka} and op(b) is ${kb}×${n} (a ${fmtShape(a.shape)}` +
      `${ta ? ' transposed' : ''}, b ${fmtShape(b.shape)}${tb ? ' transposed' : ''})`);
  }
  const out = Tensor.empty([m, n]);
  compute(() => gemm(+ta | (+tb << 1), out.ptr, a.ptr, b.ptr, m, n, ka, false));
  return out.recordBackward([a, b], () => {
    const dout = out.gradPtr();
    // dA and dB for C = op(A)·op(B); each line is dX (stored as X) = a product of stored matrices.
    if (a.requiresGrad) {
      if (!ta && !tb) gemm(NT, a.gradPtr(), dout, b.ptr, m, ka, n, true);      // dA = dC·Bᵀ
      else if (!ta && tb) gemm(NN, a.gradPtr(), dout, b.ptr, m, ka, n, true); // dA = dC·B
      else if (ta && !tb) gemm(NT, a.gradPtr(), b.ptr, dout, ka, m, n, true); // dA = B·dCᵀ
      else gemm(TT, a.gradPtr(), b.ptr, dout, ka, m, n, true);                // dA = Bᵀ·dCᵀ
    }
    if (b.requiresGrad) {
      if (!ta && !tb) gemm(TN, b.gradPtr(), a.ptr, dout, ka, n, m, true);      // dB = Aᵀ·dC
      else if (!ta && tb) gemm(TN, b.gradPtr(), dout, a.ptr, n, ka, m, true); // dB = dCᵀ·A
      else if (ta && !tb) gemm(NN, b.gradPtr(), a.ptr, dout, ka, n, m, true); // dB = A·dC
      else gemm(TT, b.gradPtr(), dout, a.ptr, n, ka, m, true);                // dB = dCᵀ·Aᵀ
    }
  });
}

/** relu?(x·w + bias) in one pass over the output: x [batch, inputs], w [inputs, units], bias [units] or null. */
export function dense(x: Tensor, w: Tensor, bias: Tensor | null, relu: boolean): Tensor {
  if (x.shape.length !== 2 || w.shape.length !== 2 || x.shape[1] !== w.shape[0]) {
    throw shapeError(`dense: x must be [batch, n] and w [n, units], got x ${fmtShape(x.shape)} and w ${fmtShape(w.shape)}`);
  }
  const [m, kk] = x.shape as [number, number], n = w.shape[1]!;
  checkBias('dense', bias, n);
  const out = Tensor.empty([m, n]);
  compute(() => biasGemm(out.ptr, x.ptr, w.ptr, bias, relu, m, n, kk));
  return out.recordBackward(bias ? [x, w, bias] : [x, w], () => biasReluBackward(out, bias, relu, (dpre) => {
    if (x.requiresGrad) gemm(NT, x.gradPtr(), dpre, w.ptr, m, kk, n, true); // dX = dPre·Wᵀ
    if (w.requiresGrad) gemm(TN, w.gradPtr(), x.ptr, dpre, kk, n, m, true); // dW = Xᵀ·dPre
  }));
}

/** Throws unless bias is null or has shape [n]. */
export function checkBias(op: string, bias: Tensor | null, n: number): void {
  if (bias && (bias.shape.length !== 1 || bias.size !== n)) {
    throw shapeError(`${op}: bias must have shape [${n}], got ${fmtShape(bias.shape)}`);
  }
}

/** out[m×n] = relu?(a[m×k]·b[k×n] + bias), all byte addresses (bias a tensor, an address, or none). */
export function biasGemm(out: number, a: number, b: number, bias: Tensor | number | null, relu: boolean, m: number, n: number, k: number): void {
  wasm().gemm_tile_f32(out, a, b, typeof bias === 'number' ? bias : bias?.ptr ?? 0, m, n, k, relu ? 8 : 0, gemmWorkspace(m, n, k), 0, m, 0, n);
}

/** out = relu?(windows(x) · filter + bias) for a stride-1 'valid' convolution with KH·KW·C ≤ 256, no im2col. */
export function convGemm(out: number, x: number, filter: number, bias: Tensor | null, relu: boolean,
                         batch: number, h: number, w: number, c: number, kh: number, kw: number, oh: number, ow: number, f: number): void {
  wasm().gemm_conv_f32(out, x, filter, bias?.ptr ?? 0, batch, h, w, c, kh, kw, oh, ow, f, +relu, gemmWorkspace(batch * oh * ow, f, kh * kw * c));
}

/** Backward of out = relu?(pre), pre = product + bias: adds pre's column sums to the bias gradient and
 * runs `product` with the address of pre's gradient. */
export function biasReluBackward(out: Tensor, bias: Tensor | null, relu: boolean, product: (dpre: number) => void): void {
  const k = wasm(), cols = out.shape[out.shape.length - 1]!, rows = out.size / cols;
  const dbias = bias?.requiresGrad ? bias.gradPtr() : 0;
  if (!relu) {
    if (dbias) k.colsum_backward_f32(dbias, out.gradPtr(), rows, cols, 1);
    product(out.gradPtr());
    return;
  }
  const bytes = out.size * 4, dpre = heap().alloc(bytes);
  try {
    k.bias_relu_backward_f32(dpre, dbias, out.ptr, out.gradPtr(), rows, cols, 1);
    product(dpre);
  } finally {
    heap().free(dpre, bytes);
  }
}

// One workspace for the packed panels, grown when a larger product needs it and then kept, so a
// training loop allocates it once.
let workPtr = 0, workBytes = 0;

/** The shared packing workspace, large enough for an m×n×k product (valid until the next call). */
export function gemmWorkspace(m: number, n: number, k: number): number {
  const need = wasm().gemm_workspace_bytes(m, n, k);
  if (need > workBytes) {
    const arena = heap();
    if (workBytes > 0) arena.free(workPtr, workBytes);
    workBytes = 0;
    workPtr = arena.alloc(need);
    workBytes = need;
  }
  return workPtr;
}

/** out (+)= op(a)·op(b) in the given form (NN, TN, NT, TT) on byte addresses, with the shared packing workspace. */
export function gemm(form: number, out: number, a: number, b: number, m: number, n: number, k: number, accumulate: boolean): void {
  wasm().gemm_tile_f32(out, a, b, 0, m, n, k, form | (accumulate ? 4 : 0), gemmWorkspace(m, n, k), 0, m, 0, n);
}
