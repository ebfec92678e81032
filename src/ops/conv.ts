// conv2d, maxPool2d, avgPool2d and reshape, channels-last ([batch, height, width, channels]).
// conv2d is im2col + the packed GEMM: forward cols·W, backward dW += colsᵀ·dout and
// dinp += col2im(dout·Wᵀ), a chunk of images at a time so that the columns stay in L2 (the backward
// pass builds them again). At stride 1 with 'valid' windows the forward GEMM reads the windows in
// place instead; one-channel inputs at stride 1 use direct kernels.
import { booleanOption, checkOptions } from '../options.js';
import { fmtShape, invalid, shapeError } from '../errors.js';
import { Tensor } from '../tensor.js';
import { compute } from '../trace.js';
import { heap, wasm } from '../wasm.js';
import { biasGemm, biasReluBackward, checkBias, convGemm, gemm, gemmWorkspace, NN, NT, TN } from './matmul.js';

// im2col + GEMM go through at most this many bytes of columns at a time.
const COLS_CHUNK_BYTES = 256 * 1024;
/** Images per block of the first layer's filter-gradient partial sums (CONV1_BLOCK in assembly/conv.ts). */
const CONV1_BLOCK = 8;

/** 'valid' keeps only windows inside the input; 'same' pads so that out = ceil(in / stride). */
export type Padding = 'valid' | 'same';

/** Options of conv2d. */
export interface Conv2dOptions {
  /** [strideY, strideX] (default [1, 1]). */
  strides?: [number, number];
  /** 'valid' (default) or 'same'. */
  padding?: Padding;
  /** Added to every output pixel ([filters]), in the same pass as the product. */
  bias?: Tensor | null;
  /** Applies max(·, 0) after the bias, in the same pass. */
  relu?: boolean;
}

interface Geometry { oh: number; ow: number; pt: number; pl: number }

// Output size and top/left padding, as TensorFlow computes them.
function geometry(op: string, h: number, w: number, kh: number, kw: number, sh: number, sw: number, padding: Padding): Geometry {
  if (padding !== 'valid' && padding !== 'same') {
    throw invalid(`${op}: padding must be 'valid' or 'same', got ${JSON.stringify(padding)}`);
  }
  if (padding === 'same') {
    const oh = Math.ceil(h / sh), ow = Math.ceil(w / sw);
    const padH = Math.max((oh - 1) * sh + kh - h, 0), padW = Math.max((ow - 1) * sw + kw - w, 0);
    return { oh, ow, pt: Math.floor(padH / 2), pl: Math.floor(padW / 2) };
  }
  const oh = Math.floor((h - kh) / sh) + 1, ow = Math.floor((w - kw) / sw) + 1;
  if (oh <= 0 || ow <= 0) {
    throw shapeError(`${op}: a ${kh}×${kw} window does not fit a ${h}×${w} input with 'valid' padding`);
  }
  return { oh, ow, pt: 0, pl: 0 };
}

function checkStrides(op: string, strides: readonly number[]): [number, number] {
  if (strides.length !== 2 || strides.some((s) => !Number.isInteger(s) || s <= 0)) {
    throw invalid(`${op}: strides must be two positive integers, got ${JSON.stringify(strides)}`);
  }
  return [strides[0]!, strides[1]!];
}

/** A chunk of images: the byte offsets of its first image in the input and in the output, its GEMM rows, its images. */
type ChunkBody = (xo: number, oo: number, n: number, images: number) => void;

// Runs body over the batch `step` images at a time; xImage and oImage are floats per image of the
// input and the output, rows the GEMM rows per image.
function forChunks(batch: number, step: number, xImage: number, oImage: number, rows: number, body: ChunkBody): void {
  for (let b = 0; b < batch; b += step) {
    const images = Math.min(step, batch - b);
    body(b * xImage * 4, b * oImage * 4, images * rows, images);
  }
}

/** 2-D convolution of x [batch, h, w, c] with filter [kh, kw, c, filters] → [batch, oh, ow, filters], + bias, ReLU. */
export function conv2d(x: Tensor, filter: Tensor, convOptions?: Conv2dOptions): Tensor {
  const options = checkOptions('conv2d', convOptions, ['strides', 'padding', 'bias', 'relu']);
  if (x.shape.length !== 4 || filter.shape.length !== 4) {
    throw shapeError(`conv2d: x must be [batch, height, width, channels] and filter [kh, kw, channels, filters], got x ${fmtShape(x.shape)} and filter ${fmtShape(filter.shape)}`);
  }
  const [batch, h, w, c] = x.shape as [number, number, number, number];
  const [kh, kw, fc, f] = filter.shape as [number, number, number, number];
  if (fc !== c) {
    throw shapeError(`conv2d: filter ${fmtShape(filter.shape)} expects ${fc} input channels, x ${fmtShape(x.shape)} has ${c}`);
  }
  const [sh, sw] = checkStrides('conv2d', options.strides ?? [1, 1]);
  const { oh, ow, pt, pl } = geometry('conv2d', h, w, kh, kw, sh, sw, options.padding ?? 'valid');
  const bias = options.bias ?? null, relu = booleanOption('conv2d', 'relu', options.relu);
  checkBias('conv2d', bias, f);
  const rows = batch * oh * ow, depth = kh * kw * c;
  // One input channel at stride 1: direct kernels on a zero-padded copy of each image, no im2col.
  // 1×1 convolutions with stride 1 need no im2col either: the input already is the cols matrix.
  // Otherwise im2col + GEMM a few images at a time, the columns of a chunk still in L2 when the GEMM
  // reads them; the backward pass builds them again rather than keeping them all.
  const one = c === 1 && sh === 1 && sw === 1 && depth > 1;
  const direct = kh === 1 && kw === 1 && sh === 1 && sw === 1;
  // Stride 1, 'valid': the forward GEMM reads the windows in place; only the backward pass builds columns.
  const inPlace = !one && !direct && sh === 1 && sw === 1 && oh === h - kh + 1 && ow === w - kw + 1 && depth <= 256;
  const imageCols = oh * ow * depth * 4;
  const step = Math.max(1, Math.min(batch, Math.floor(COLS_CHUNK_BYTES / imageCols)));
  const colsBytes = step * imageCols;
  const chunks = (body: ChunkBody) => forChunks(batch, step, h * w * c, oh * ow * f, oh * ow, body);
  const out = Tensor.empty([batch, oh, ow, f]);
  // Kept from the forward pass to the backward: the direct kernels' workspace, or the chunk of columns
  // (made by the first run of the forward kernels; a replayed pass reuses it).
  let temp = 0;
  compute(() => {
    const k = wasm();
    if (!temp) {
      const tempBytes = one ? k.conv1_workspace_bytes(kh, kw, oh, ow) : direct || inPlace ? 0 : colsBytes;
      if (tempBytes) {
        temp = heap().alloc(tempBytes);
        out.onDispose(() => heap().free(temp, tempBytes));
      }
    }
    if (one) {
      k.conv1_forward_f32(out.ptr, x.ptr, filter.ptr, bias?.ptr ?? 0, batch, h, w, kh, kw, pt, pl, oh, ow, f, +relu, temp);
    } else if (direct) {
      biasGemm(out.ptr, x.ptr, filter.ptr, bias, relu, rows, f, depth);
    } else if (inPlace) {
      convGemm(out.ptr, x.ptr, filter.ptr, bias, relu, batch, h, w, c, kh, kw, oh, ow, f);
    } else {
      chunks((xo, oo, n, images) => {
        k.im2col_f32(temp, x.ptr + xo, images, h, w, c, kh, kw, sh, sw, pt, pl, oh, ow);
        biasGemm(out.ptr + oo, temp, filter.ptr, bias, relu, n, f, depth);
      });
    }
  });
  return out.recordBackward(bias ? [x, filter, bias] : [x, filter], () => {
    if (one && filter.requiresGrad && !x.requiresGrad) {
      // The first layer: the filter kernel applies the ReLU mask and sums the bias gradient in the copy
      // of the output gradient it makes anyway (no pass over it of its own).
      conv1FilterBackward(bias?.requiresGrad ? bias.gradPtr() : 0, out.ptr, out.gradPtr(), relu);
      return;
    }
    biasReluBackward(out, bias, relu, backward);
  });

  // Every other case: after the ReLU mask and the bias gradient, dout is the gradient of the sum.
  function backward(dout: number) {
    if (one || direct) {
      if (filter.requiresGrad) {
        if (one) conv1FilterBackward(0, 0, dout, false);
        else gemm(TN, filter.gradPtr(), x.ptr, dout, depth, f, rows, true);
      }
      if (x.requiresGrad && direct) gemm(NT, x.gradPtr(), dout, filter.ptr, rows, depth, f, true);
      if (x.requiresGrad && one) backwardInput(dout);
      return;
    }
    // The filter gradient a chunk of images at a time (the columns buffer: the forward pass's, or,
    // windows read in place, one for this pass only), in one kernel call that threads share by rows.
    if (filter.requiresGrad) {
      const cols = temp || heap().alloc(colsBytes);
      try {
        wasm().conv_filter_backward_f32(filter.gradPtr(), x.ptr, dout, cols, gemmWorkspace(depth, f, step * oh * ow), batch, step,
          h, w, c, kh, kw, sh, sw, pt, pl, oh, ow, f, 0, depth);
      } finally {
        if (!temp) heap().free(cols, colsBytes);
      }
    }
    if (x.requiresGrad) backwardInput(dout);
  }

  // The direct kernel's filter (and bias) gradient: its sums per block of 8 images (threads share the
  // blocks), then summed over the blocks in order, so the bits do not depend on the thread count.
  function conv1FilterBackward(dbias: number, outPtr: number, dout: number, reluMask: boolean) {
    const taps = kh * kw * f, blocks = Math.ceil(batch / CONV1_BLOCK), bytes = blocks * (taps + f) * 4, parts = heap().alloc(bytes);
    const biases = parts + blocks * taps * 4, k = wasm();
    try {
      k.fill_f32(parts, bytes / 4, 0);
      k.conv1_filter_backward_f32(parts, dbias && biases, x.ptr, outPtr, dout, +reluMask, batch, h, w, kh, kw, pt, pl, oh, ow, f, temp);
      k.colsum_backward_f32(filter.gradPtr(), parts, blocks, taps, 1);
      if (dbias) k.colsum_backward_f32(dbias, biases, blocks, f, 1);
    } finally {
      heap().free(parts, bytes);
    }
  }

  // x.grad += col2im(dout · Wᵀ), image by image (threads share the images).
  function backwardInput(dout: number) {
    const bytes = oh * ow * depth * 4, dcols = heap().alloc(bytes);
    try {
      wasm().conv_input_backward_f32(x.gradPtr(), dout, filter.ptr, dcols, gemmWorkspace(oh * ow, depth, f), batch, h, w, c, kh, kw, sh, sw, pt, pl, oh, ow, f);
    } finally {
      heap().free(dcols, bytes);
    }
  }
}

/** Options of the pooling ops. */
export interface PoolOptions {
  /** [poolY, poolX]. */
  poolSize: [number, number];
  /** [strideY, strideX] (default: the pool size). */
  strides?: [number, number];
}

function poolGeometry(op: string, x: Tensor, poolOptions: PoolOptions) {
  const options = checkOptions(op, poolOptions, ['poolSize', 'strides']);
  if (x.shape.length !== 4) {
    throw shapeError(`${op}: x must be [batch, height, width, channels], got ${fmtShape(x.shape)}`);
  }
  const [batch, h, w, c] = x.shape as [number, number, number, number];
  const [ph, pw] = checkStrides(op, options.poolSize);
  const [sh, sw] = checkStrides(op, options.strides ?? [ph, pw]);
  const { oh, ow } = geometry(op, h, w, ph, pw, sh, sw, 'valid');
  return { batch, h, w, c, ph, pw, sh, sw, oh, ow };
}

/** Max over windows ('valid'): x [batch, h, w, c] → [batch, oh, ow, c]. */
export function maxPool2d(x: Tensor, options: PoolOptions): Tensor {
  const g = poolGeometry('maxPool2d', x, options);
  const out = Tensor.empty([g.batch, g.oh, g.ow, g.c]);
  const argmaxBytes = out.size * 4;
  const argmax = heap().alloc(argmaxBytes);
  out.onDispose(() => heap().free(argmax, argmaxBytes));
  compute(() => wasm().maxpool_forward_f32(out.ptr, argmax, x.ptr, g.batch, g.h, g.w, g.c, g.ph, g.pw, g.sh, g.sw, g.oh, g.ow, 0, g.batch));
  // The fifth argument, one image's outputs, is for the threaded build's wrapper (src/threads.ts), which
  // splits a call by whole images; the kernel itself takes four.
  return out.recordBackward([x], () => (wasm().maxpool_backward_f32 as (dinp: number, argmax: number, dout: number, n: number, image: number) => void)(
    x.gradPtr(), argmax, out.gradPtr(), out.size, g.oh * g.ow * g.c));
}

/** Mean over windows ('valid'): x [batch, h, w, c] → [batch, oh, ow, c]. */
export function avgPool2d(x: Tensor, options: PoolOptions): Tensor {
  const g = poolGeometry('avgPool2d', x, options);
  const out = Tensor.empty([g.batch, g.oh, g.ow, g.c]);
  compute(() => wasm().avgpool_forward_f32(out.ptr, x.ptr, g.batch, g.h, g.w, g.c, g.ph, g.pw, g.sh, g.sw, g.oh, g.ow));
  return out.recordBackward([x], () =>
    wasm().avgpool_backward_f32(x.gradPtr(), out.gradPtr(), g.batch, g.h, g.w, g.c, g.ph, g.pw, g.sh, g.sw, g.oh, g.ow));
}

/** The same values with another shape of the same size (one dimension may be -1: inferred). */
export function reshape(x: Tensor, shape: readonly number[]): Tensor {
  return x.reshape(shape);
}

/** Options of conv2dTranspose. */
export interface Conv2dTransposeOptions {
  /** [strideY, strideX] (default [1, 1]). */
  strides?: [number, number];
  /** 'valid' (default): out = (in - 1)·stride + kernel; 'same': out = in·stride. */
  padding?: Padding;
}

/**
 * Transposed 2-D convolution (the gradient of conv2d with respect to its input, run forward: a
 * generator's learned upsampling): x [batch, h, w, c] with filter [kh, kw, filters, c] (Keras' layout)
 * → [batch, oh, ow, filters]. out = col2im(x · filterᵀ); dx = im2col(dout) · filter;
 * dfilter += im2col(dout)ᵀ · x; a few images at a time, as conv2d.
 */
export function conv2dTranspose(x: Tensor, filter: Tensor, convOptions?: Conv2dTransposeOptions): Tensor {
  const options = checkOptions('conv2dTranspose', convOptions, ['strides', 'padding']);
  const k = wasm();
  if (x.shape.length !== 4 || filter.shape.length !== 4) {
    throw shapeError(`conv2dTranspose: x must be [batch, height, width, channels] and filter [kh, kw, filters, channels], got x ${fmtShape(x.shape)} and filter ${fmtShape(filter.shape)}`);
  }
  const [batch, h, w, c] = x.shape as [number, number, number, number];
  const [kh, kw, f, fc] = filter.shape as [number, number, number, number];
  if (fc !== c) {
    throw shapeError(`conv2dTranspose: filter ${fmtShape(filter.shape)} expects ${fc} input channels (its last axis), x ${fmtShape(x.shape)} has ${c}`);
  }
  const [sh, sw] = checkStrides('conv2dTranspose', options.strides ?? [1, 1]);
  const padding = options.padding ?? 'valid';
  const { oh, ow } = transposeSize('conv2dTranspose', h, w, kh, kw, sh, sw, padding);
  // The convolution this one is the transpose of: input [oh, ow, f], output [h, w, c].
  const { pt, pl } = geometry('conv2dTranspose', oh, ow, kh, kw, sh, sw, padding);
  const depth = kh * kw * f;
  const imageCols = h * w * depth * 4;
  const step = Math.max(1, Math.min(batch, Math.floor(COLS_CHUNK_BYTES / imageCols)));
  const colsBytes = step * imageCols;
  const chunks = (body: ChunkBody) => forChunks(batch, step, h * w * c, oh * ow * f, h * w, body);
  const out = Tensor.filled([batch, oh, ow, f], 0);
  const cols = heap().alloc(colsBytes);
  try {
    chunks((xo, oo, n, images) => {
      gemm(NT, cols, x.ptr + xo, filter.ptr, n, depth, c, false);
      k.col2im_backward_f32(out.ptr + oo, cols, images, oh, ow, f, kh, kw, sh, sw, pt, pl, h, w);
    });
  } catch (e) {
    out.dispose();
    throw e;
  } finally {
    heap().free(cols, colsBytes);
  }
  return out.recordBackward([x, filter], () => {
    const dcols = heap().alloc(colsBytes);
    try {
      chunks((xo, oo, n, images) => {
        k.im2col_f32(dcols, out.gradPtr() + oo, images, oh, ow, f, kh, kw, sh, sw, pt, pl, h, w);
        if (x.requiresGrad) gemm(NN, x.gradPtr() + xo, dcols, filter.ptr, n, c, depth, true);
        if (filter.requiresGrad) gemm(TN, filter.gradPtr(), dcols, x.ptr + xo, depth, c, n, true);
      });
    } finally {
      heap().free(dcols, colsBytes);
    }
  });
}

/** The output height and width of a transposed convolution, as Keras computes them. */
export function transposeSize(op: string, h: number, w: number, kh: number, kw: number, sh: number, sw: number, padding: Padding): { oh: number; ow: number } {
  if (padding !== 'valid' && padding !== 'same') throw invalid(`${op}: padding must be 'valid' or 'same', got ${JSON.stringify(padding)}`);
  return padding === 'same' ? { oh: h * sh, ow: w * sw } : { oh: (h - 1) * sh + Math.max(kh, sh), ow: (w - 1) * sw + Math.max(kw, sw) };
}
