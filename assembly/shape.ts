// Data movement of the graph layers: concatenation, zero padding and nearest-neighbour upsampling.
// Pointers are byte addresses, sizes are elements; backward kernels accumulate into their gradient.

/** d[0..n) += s[0..n) (recurrent.ts uses it too). */
// @ts-ignore: decorator
@inline export function add_into(d: usize, s: usize, n: i32): void {
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

/**
 * Concatenation: out is [rows, outCols]; inp [rows, inCols] goes to columns [offset, offset + inCols)
 * of every row (any axis of an NHWC tensor is such a view: rows = the product of the axes before it).
 */
export function concat_forward_f32(out: usize, inp: usize, rows: i32, inCols: i32, outCols: i32, offset: i32): void {
  const inBytes = <usize>inCols << 2, outBytes = <usize>outCols << 2, at = <usize>offset << 2;
  for (let r = 0; r < rows; r++) memory.copy(out + outBytes * r + at, inp + inBytes * r, inBytes);
}

/** dinp [rows, inCols] += columns [offset, offset + inCols) of dout [rows, outCols]. */
export function concat_backward_f32(dinp: usize, dout: usize, rows: i32, inCols: i32, outCols: i32, offset: i32): void {
  for (let r = 0; r < rows; r++) {
    add_into(dinp + (<usize>r * <usize>inCols << 2), dout + ((<usize>r * <usize>outCols + <usize>offset) << 2), inCols);
  }
}

/**
 * Zero padding of images: inp [batch, h, w, c] → out [batch, h + top + bottom, w + left + right, c]
 * (oh = h + top + bottom, ow = w + left + right), zeros around.
 */
export function pad2d_forward_f32(out: usize, inp: usize, batch: i32, h: i32, w: i32, c: i32, top: i32, left: i32, oh: i32, ow: i32): void {
  memory.fill(out, 0, <usize>batch * <usize>oh * <usize>ow * <usize>c << 2);
  const rowBytes = <usize>w * <usize>c << 2;
  for (let b = 0; b < batch; b++) {
    for (let y = 0; y < h; y++) {
      const src = inp + ((<usize>(b * h + y) * <usize>w * <usize>c) << 2);
      const dst = out + (((<usize>(b * oh + y + top) * <usize>ow + <usize>left) * <usize>c) << 2);
      memory.copy(dst, src, rowBytes);
    }
  }
}

/** Backward of pad2d_forward_f32: dinp += the inner [h, w] part of each image of dout. */
export function pad2d_backward_f32(dinp: usize, dout: usize, batch: i32, h: i32, w: i32, c: i32, top: i32, left: i32, oh: i32, ow: i32): void {
  const n = w * c;
  for (let b = 0; b < batch; b++) {
    for (let y = 0; y < h; y++) {
      const d = dinp + ((<usize>(b * h + y) * <usize>n) << 2);
      add_into(d, dout + (((<usize>(b * oh + y + top) * <usize>ow + <usize>left) * <usize>c) << 2), n);
    }
  }
}

/** Nearest-neighbour upsampling: out[b, y, x, :] = inp[b, y / sh, x / sw, :]; out is [batch, h·sh, w·sw, c]. */
export function upsample_forward_f32(out: usize, inp: usize, batch: i32, h: i32, w: i32, c: i32, sh: i32, sw: i32): void {
  const pixel = <usize>c << 2, ow = w * sw;
  for (let b = 0; b < batch; b++) {
    for (let y = 0; y < h; y++) {
      const row = out + ((<usize>(b * h * sh + y * sh) * <usize>ow * <usize>c) << 2);
      for (let x = 0; x < w; x++) {
        const src = inp + ((<usize>((b * h + y) * w + x) * <usize>c) << 2);
        for (let j = 0; j < sw; j++) memory.copy(row + <usize>(x * sw + j) * pixel, src, pixel);
      }
      // The other sh - 1 rows repeat the first.
      const rowBytes = <usize>ow * pixel;
      for (let i = 1; i < sh; i++) memory.copy(row + <usize>i * rowBytes, row, rowBytes);
    }
  }
}

/** Backward of upsample_forward_f32: dinp[b, y, x, :] += Σ of dout over its sh × sw block. */
export function upsample_backward_f32(dinp: usize, dout: usize, batch: i32, h: i32, w: i32, c: i32, sh: i32, sw: i32): void {
  const ow = w * sw;
  for (let b = 0; b < batch; b++) {
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const d = dinp + ((<usize>((b * h + y) * w + x) * <usize>c) << 2);
        for (let i = 0; i < sh; i++) {
          for (let j = 0; j < sw; j++) {
            add_into(d, dout + ((<usize>((b * h * sh + y * sh + i) * ow + x * sw + j) * <usize>c) << 2), c);
          }
        }
      }
    }
  }
}

/**
 * out[o, i] = the index k < n of the largest x[o, k, i] (x seen as [outer, n, inner]; the first of
 * equal values; a NaN counts as largest, so it is not hidden), stored as f32.
 */
export function argmax_axis_f32(out: usize, x: usize, outer: i32, n: i32, inner: i32): void {
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const base = x + ((<usize>o * <usize>n * <usize>inner + <usize>i) << 2);
      let best = load<f32>(base), at = 0;
      for (let k = 1; k < n && !isNaN(best); k++) {
        const v = load<f32>(base + ((<usize>k * <usize>inner) << 2));
        if (v > best || isNaN(v)) { best = v; at = k; }
      }
      store<f32>(out + ((<usize>o * <usize>inner + <usize>i) << 2), <f32>at);
    }
  }
}
