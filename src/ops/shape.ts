// Data movement: concat along an axis, zero padding and nearest-neighbour upsampling of images
// ([batch, height, width, channels]). The gradient of each is the matching slice or block sum.
import { fmtShape, invalid, shapeError } from '../errors.js';
import { Tensor } from '../tensor.js';
import { wasm } from '../wasm.js';

/** Joins tensors along `axis` (negative counts from the end); all other dimensions must agree. */
export function concat(xs: readonly Tensor[], axis = -1): Tensor {
  const k = wasm();
  if (!Array.isArray(xs) || xs.length === 0) throw invalid('concat: expected a non-empty list of tensors');
  const rank = xs[0]!.shape.length;
  const ax = axis < 0 ? rank + axis : axis;
  if (!Number.isInteger(axis) || ax < 0 || ax >= rank) throw invalid(`concat: axis ${axis} is outside a tensor of rank ${rank}`);
  xs.forEach((x, i) => {
    if (x.shape.length !== rank || x.shape.some((d: number, j: number) => j !== ax && d !== xs[0]!.shape[j])) {
      throw shapeError(`concat: tensor ${i} has shape ${fmtShape(x.shape)}; every tensor must match ${fmtShape(xs[0]!.shape)} except along axis ${ax}`);
    }
  });
  const shape = xs[0]!.shape.slice();
  shape[ax] = xs.reduce((n, x) => n + x.shape[ax]!, 0);
  const rows = shape.slice(0, ax).reduce((a: number, b: number) => a * b, 1);
  const outCols = rows === 0 ? 0 : shape.reduce((a: number, b: number) => a * b, 1) / rows;
  const out = Tensor.empty(shape);
  const cols = xs.map((x) => (rows === 0 ? 0 : x.size / rows));
  let offset = 0;
  const offsets = cols.map((c) => (offset += c) - c);
  xs.forEach((x, i) => k.concat_forward_f32(out.ptr, x.ptr, rows, cols[i]!, outCols, offsets[i]!));
  return out.recordBackward(xs, () => xs.forEach((x, i) => {
    if (x.requiresGrad) k.concat_backward_f32(x.gradPtr(), out.gradPtr(), rows, cols[i]!, outCols, offsets[i]!);
  }));
}

function images(op: string, x: Tensor): [number, number, number, number] {
  if (x.shape.length !== 4) throw shapeError(`${op}: x must be [batch, height, width, channels], got ${fmtShape(x.shape)}`);
  return x.shape as [number, number, number, number];
}

/** Zeros around images: padding [[top, bottom], [left, right]]. */
export function zeroPad2d(x: Tensor, padding: [[number, number], [number, number]]): Tensor {
  const k = wasm();
  const [batch, h, w, c] = images('zeroPad2d', x);
  const [[top, bottom], [left, right]] = padding;
  if (![top, bottom, left, right].every((p) => Number.isInteger(p) && p >= 0)) throw invalid(`zeroPad2d: padding must be non-negative integers, got ${JSON.stringify(padding)}`);
  const oh = h + top + bottom, ow = w + left + right;
  const out = Tensor.empty([batch, oh, ow, c]);
  k.pad2d_forward_f32(out.ptr, x.ptr, batch, h, w, c, top, left, oh, ow);
  return out.recordBackward([x], () => k.pad2d_backward_f32(x.gradPtr(), out.gradPtr(), batch, h, w, c, top, left, oh, ow));
}

/** Nearest-neighbour upsampling of images by [sy, sx]: each pixel becomes an sy × sx block. */
export function upSample2d(x: Tensor, size: [number, number]): Tensor {
  const k = wasm();
  const [batch, h, w, c] = images('upSample2d', x);
  const [sh, sw] = size;
  if (!(Number.isInteger(sh) && sh > 0 && Number.isInteger(sw) && sw > 0)) throw invalid(`upSample2d: size must be two positive integers, got ${JSON.stringify(size)}`);
  const out = Tensor.empty([batch, h * sh, w * sw, c]);
  k.upsample_forward_f32(out.ptr, x.ptr, batch, h, w, c, sh, sw);
  return out.recordBackward([x], () => k.upsample_backward_f32(x.gradPtr(), out.gradPtr(), batch, h, w, c, sh, sw));
}

/** The index of the largest value along `axis` (default the last), as TF.js' tf.argMax; no gradient. */
export function argMax(x: Tensor, axis = -1): Tensor {
  return x.argMax(axis);
}
