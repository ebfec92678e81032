// Batch and layer normalization over the last axis: x is seen as [rows, channels]. Batch norm
// normalizes each channel over the rows (batch × height × width), layer norm each row over its
// channels; both then scale by γ and shift by β (one per channel).
import { checkOptions } from '../options.js';
import { fmtShape, shapeError } from '../errors.js';
import { Tensor } from '../tensor.js';
import { heap, wasm } from '../wasm.js';

function channels(op: string, x: Tensor, params: Record<string, Tensor>): number {
  const c = x.shape[x.shape.length - 1];
  if (x.shape.length < 2 || c === undefined) throw shapeError(`${op}: x must have a batch axis and a channel axis, got ${fmtShape(x.shape)}`);
  for (const [name, t] of Object.entries(params)) {
    if (t.size !== c) throw shapeError(`${op}: ${name} must have shape [${c}] (x's last axis), got ${fmtShape(t.shape)}`);
  }
  return c;
}

// A null gradient pointer tells a kernel to skip that gradient.
const gradOf = (t: Tensor): number => (t.requiresGrad ? t.gradPtr() : 0);

/** Options of batchNorm(). */
export interface BatchNormOptions {
  /** Normalize with the batch's statistics and update the moving ones (true), or use the moving ones. */
  training: boolean;
  /** Weight of the old moving statistics in each update (default 0.99). */
  momentum?: number;
  /** Added to the variance (default 0.001). */
  epsilon?: number;
}

/**
 * γ·(x - mean)/√(var + ε) + β per channel (the last axis). In training the mean and (biased) variance
 * are the batch's, and movingMean / movingVariance are updated in place; otherwise they are used.
 */
export function batchNorm(x: Tensor, gamma: Tensor, beta: Tensor, movingMean: Tensor, movingVariance: Tensor, bnOptions: BatchNormOptions): Tensor {
  const options = checkOptions('batchNorm', bnOptions, ['training', 'momentum', 'epsilon']);
  const k = wasm();
  const c = channels('batchNorm', x, { gamma, beta, movingMean, movingVariance });
  const rows = x.size / c, eps = options.epsilon ?? 1e-3, momentum = options.momentum ?? 0.99;
  const out = Tensor.empty(x.shape);
  const workBytes = c * 32, work = heap().alloc(workBytes);
  try {
    if (!options.training) {
      k.batchnorm_infer_f32(out.ptr, x.ptr, gamma.ptr, beta.ptr, movingMean.ptr, movingVariance.ptr, rows, c, eps, work);
      // The moving statistics are constants: the backward pass is that of a per-channel affine map
      // (a frozen batch norm inside a network that trains, as when fine-tuning or in a GAN).
      return out.recordBackward([x, gamma, beta], () => {
        const scratch = heap().alloc(workBytes);
        try {
          k.batchnorm_infer_backward_f32(gradOf(x), gradOf(gamma), gradOf(beta), x.ptr, out.gradPtr(), gamma.ptr, movingMean.ptr, movingVariance.ptr, rows, c, eps, scratch);
        } finally {
          heap().free(scratch, workBytes);
        }
      });
    }
    const statsBytes = c * 8, stats = heap().alloc(statsBytes);
    out.onDispose(() => heap().free(stats, statsBytes));
    k.batchnorm_forward_f32(out.ptr, stats, movingMean.ptr, movingVariance.ptr, x.ptr, gamma.ptr, beta.ptr, rows, c, momentum, eps, work);
    return out.recordBackward([x, gamma, beta], () => {
      const scratch = heap().alloc(workBytes);
      try {
        k.batchnorm_backward_f32(gradOf(x), gradOf(gamma), gradOf(beta), x.ptr, out.gradPtr(), stats, gamma.ptr, rows, c, scratch);
      } finally {
        heap().free(scratch, workBytes);
      }
    });
  } catch (e) {
    out.dispose();
    throw e;
  } finally {
    heap().free(work, workBytes);
  }
}

/** γ·(x - mean)/√(var + ε) + β with the mean and (biased) variance of each row over the last axis. */
export function layerNorm(x: Tensor, gamma: Tensor, beta: Tensor, lnOptions?: { epsilon?: number }): Tensor {
  const options = checkOptions('layerNorm', lnOptions, ['epsilon']);
  const k = wasm();
  const c = channels('layerNorm', x, { gamma, beta });
  const rows = x.size / c;
  const out = Tensor.empty(x.shape);
  const statsBytes = rows * 8, stats = heap().alloc(statsBytes);
  out.onDispose(() => heap().free(stats, statsBytes));
  k.layernorm_forward_f32(out.ptr, stats, x.ptr, gamma.ptr, beta.ptr, rows, c, options.epsilon ?? 1e-3);
  return out.recordBackward([x, gamma, beta], () =>
    k.layernorm_backward_f32(gradOf(x), gradOf(gamma), gradOf(beta), x.ptr, out.gradPtr(), stats, gamma.ptr, rows, c));
}
