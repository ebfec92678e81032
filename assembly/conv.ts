// Convolution by im2col + GEMM, and pooling, channels-last (NHWC) like Keras. Pointers are byte
// addresses, sizes are elements.
//
// im2col turns the input [B, H, W, C] into cols [B·OH·OW, KH·KW·C]: one row per output position,
// holding its receptive field in (ky, kx, c) order, zeros where it hangs over the padding. A filter
// [KH, KW, C, F] is then a [KH·KW·C, F] matrix and the convolution is one GEMM whose result
// [B·OH·OW, F] is already the NHWC output. col2im is the adjoint: it adds each row's values back to
// the input positions they came from (the input gradient). A one-channel input at stride 1 skips
// im2col: conv1_* below work on the image directly.

import { gemm, load_part, madd, store_row } from './gemm';

/** cols[b·OH·OW + oy·OW + ox][(ky·KW + kx)·C + c] = inp[b][oy·SH + ky - PT][ox·SW + kx - PL][c] or 0 */
export function im2col_f32(cols: usize, inp: usize, batch: i32, h: i32, w: i32, c: i32,
                           kh: i32, kw: i32, sh: i32, sw: i32, pt: i32, pl: i32, oh: i32, ow: i32): void {
  if (ASC_FEATURE_THREADS) im2col_range(cols, inp, batch, h, w, c, kh, kw, sh, sw, pt, pl, oh, ow, 0, kh);
  else im2col_rows(cols, inp, batch, h, w, c, kh, kw, sh, sw, pt, pl, oh, ow, 0, kh);
}

/** im2col_rows as a function of its own: the threaded builds call it from two places. */
function im2col_range(cols: usize, inp: usize, batch: i32, h: i32, w: i32, c: i32, kh: i32, kw: i32,
                      sh: i32, sw: i32, pt: i32, pl: i32, oh: i32, ow: i32, ky0: i32, ky1: i32): void {
  im2col_rows(cols, inp, batch, h, w, c, kh, kw, sh, sw, pt, pl, oh, ow, ky0, ky1);
}

/** im2col_f32 writing window rows ky0 .. ky1 of each cols row only (the others left as they were). */
// @ts-ignore: decorator
@inline function im2col_rows(cols: usize, inp: usize, batch: i32, h: i32, w: i32, c: i32, kh: i32, kw: i32,
                             sh: i32, sw: i32, pt: i32, pl: i32, oh: i32, ow: i32, ky0: i32, ky1: i32): void {
  const pixel = <usize>c << 2;
  const run = kw * c; // floats of one window row
  const rowBytes = <usize>kh * run << 2; // one cols row
  // Output columns whose window row lies wholly inside the input: ox in [inLo, inHi).
  const inLo = inside_from(ow, sw, pl), inHi = inside_to(ow, w, kw, sw, pl, inLo);
  for (let b = 0; b < batch; b++) {
    const image = inp + <usize>b * h * w * pixel;
    for (let oy = 0; oy < oh; oy++) {
      const block = cols + <usize>(b * oh + oy) * ow * rowBytes;
      // One window row (ky) for every ox at a time: the loop over ox has no branches inside, and
      // the block of OW cols rows it writes stays in L1 across the KH passes.
      for (let ky = ky0; ky < ky1; ky++) {
        const y = oy * sh + ky - pt;
        let dst = block + (<usize>(ky * run) << 2);
        if (y < 0 || y >= h) {
          for (let ox = 0; ox < ow; ox++) { zero(dst, run); dst += rowBytes; }
          continue;
        }
        const line = image + <usize>y * w * pixel;
        for (let ox = 0; ox < inLo; ox++) { edge(dst, line, ox * sw - pl, kw, w, c); dst += rowBytes; }
        let src = line + <usize>(inLo * sw - pl) * pixel;
        const step = <usize>sw * pixel;
        if (run == 5) { // 5×5 filters over one channel: MNIST's first layer
          for (let ox = inLo; ox < inHi; ox++) {
            v128.store(dst, v128.load(src));
            store<f32>(dst, load<f32>(src, 16), 16);
            dst += rowBytes; src += step;
          }
        } else {
          for (let ox = inLo; ox < inHi; ox++) { copy(dst, src, run); dst += rowBytes; src += step; }
        }
        for (let ox = inHi; ox < ow; ox++) { edge(dst, line, ox * sw - pl, kw, w, c); dst += rowBytes; }
      }
    }
  }
}

/**
 * The filter gradient of a convolution through im2col: dfilter [KH·KW·C][F] += Σ_r cols[r][d] · dout[r][f],
 * rows d0 .. d1 of it (all: 0, KH·KW·C), the batch taken `step` images at a time: each chunk's columns
 * are built in `cols` (step·OH·OW·KH·KW·C floats; in the threaded builds only the window rows holding
 * columns d0 .. d1) and its product added in turn. That order is one thread's whatever d0 .. d1, so
 * threads sharing out the rows (each with its own cols and work) give its bits.
 * work: gemm_workspace_bytes(KH·KW·C, F, step·OH·OW).
 */
export function conv_filter_backward_f32(dfilter: usize, inp: usize, dout: usize, cols: usize, work: usize, batch: i32, step: i32,
                                         h: i32, w: i32, c: i32, kh: i32, kw: i32, sh: i32, sw: i32, pt: i32, pl: i32,
                                         oh: i32, ow: i32, f: i32, d0: i32, d1: i32): void {
  const depth = kh * kw * c, pixels = oh * ow;
  for (let b = 0; b < batch; b += step) {
    const images = min(step, batch - b);
    const at = inp + (<usize>b * h * w * c << 2);
    // A share's rows d0 .. d1 of dfilter read columns d0 .. d1 of cols only: the window rows holding
    // them are all it builds (the same values, so the same bits).
    if (ASC_FEATURE_THREADS) im2col_range(cols, at, images, h, w, c, kh, kw, sh, sw, pt, pl, oh, ow, d0 / (kw * c), min(kh, (d1 + kw * c - 1) / (kw * c)));
    else im2col_f32(cols, at, images, h, w, c, kh, kw, sh, sw, pt, pl, oh, ow);
    gemm(dfilter, cols, dout + (<usize>b * pixels * f << 2), depth, f, images * pixels, true, false, true, work, 0, false, d0, d1, 0, f);
  }
}

/**
 * The input gradient of a convolution through im2col, image by image: dcols = dout_b · filterᵀ
 * (OH·OW × KH·KW·C floats), then col2im adds it to dinp_b. Images are independent: threads share them
 * out, each with its own dcols and work. work: gemm_workspace_bytes(OH·OW, KH·KW·C, F).
 */
export function conv_input_backward_f32(dinp: usize, dout: usize, filter: usize, dcols: usize, work: usize, batch: i32,
                                        h: i32, w: i32, c: i32, kh: i32, kw: i32, sh: i32, sw: i32, pt: i32, pl: i32,
                                        oh: i32, ow: i32, f: i32): void {
  const depth = kh * kw * c, pixels = oh * ow;
  for (let b = 0; b < batch; b++) {
    gemm(dcols, dout + (<usize>b * pixels * f << 2), filter, pixels, depth, f, false, true, false, work);
    col2im_backward_f32(dinp + (<usize>b * h * w * c << 2), dcols, 1, h, w, c, kh, kw, sh, sw, pt, pl, oh, ow);
  }
}

// The first ox whose window row starts inside the input (x0 = ox·SW - PL ≥ 0) ...
// @ts-ignore: decorator
@inline function inside_from(ow: i32, sw: i32, pl: i32): i32 {
  return min(ow, (pl + sw - 1) / sw);
}

// ... and one past the last whose window row ends inside it (x0 + KW ≤ W), at least from.
// @ts-ignore: decorator
@inline function inside_to(ow: i32, w: i32, kw: i32, sw: i32, pl: i32, from: i32): i32 {
  const last = w - kw + pl; // ox·SW ≤ last
  return last < 0 ? from : max(from, min(ow, last / sw + 1));
}

// One window row that hangs over the left or right edge of its input row: zeros outside.
// @ts-ignore: decorator
@inline function edge(dst: usize, line: usize, x0: i32, kw: i32, w: i32, c: i32): void {
  const pixel = <usize>c << 2;
  const lo = min(kw, max(0, -x0)), hi = max(lo, min(kw, w - x0));
  zero(dst, lo * c);
  copy(dst + pixel * lo, line + <usize>(x0 + lo) * pixel, (hi - lo) * c);
  zero(dst + pixel * hi, (kw - hi) * c);
}

/** The adjoint of im2col: dinp[b][y][x][c] += every dcols entry that im2col copied from there. */
export function col2im_backward_f32(dinp: usize, dcols: usize, batch: i32, h: i32, w: i32, c: i32,
                                    kh: i32, kw: i32, sh: i32, sw: i32, pt: i32, pl: i32, oh: i32, ow: i32): void {
  const pixel = <usize>c << 2;
  let src = dcols;
  for (let b = 0; b < batch; b++) {
    const image = dinp + <usize>b * h * w * pixel;
    for (let oy = 0; oy < oh; oy++) {
      for (let ox = 0; ox < ow; ox++) {
        for (let ky = 0; ky < kh; ky++) {
          const y = oy * sh + ky - pt;
          if (y >= 0 && y < h) {
            const x0 = ox * sw - pl;
            const lo = max(0, -x0), hi = min(kw, w - x0);
            if (hi > lo) add_into(image + (<usize>y * w + x0 + lo) * pixel, src + pixel * lo, (hi - lo) * c);
          }
          src += pixel * kw;
        }
      }
    }
  }
}

// Rows of a few floats are the common case here (a 5×5 window over one channel copies 5 floats):
// plain loops beat memory.copy/fill, which cost a call each.
// @ts-ignore: decorator
@inline function copy(dst: usize, src: usize, n: i32): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) v128.store(dst + (<usize>i << 2), v128.load(src + (<usize>i << 2)));
  for (; i < n; i++) store<f32>(dst + (<usize>i << 2), load<f32>(src + (<usize>i << 2)));
}

// @ts-ignore: decorator
@inline function zero(dst: usize, n: i32): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) v128.store(dst + (<usize>i << 2), f32x4.splat(0));
  for (; i < n; i++) store<f32>(dst + (<usize>i << 2), 0);
}

// @ts-ignore: decorator
@inline function add_into(y: usize, x: usize, n: i32): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(y + o, f32x4.add(v128.load(y + o), v128.load(x + o)));
  }
  if (i + 2 <= n) { // two floats in one 64-bit lane (a 6-channel window row ends so)
    const o = <usize>i << 2;
    v128.store64_lane(y + o, f32x4.add(v128.load64_zero(y + o), v128.load64_zero(x + o)), 0);
    i += 2;
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(y + o, load<f32>(y + o) + load<f32>(x + o));
  }
}

/**
 * Max pooling, 'valid' windows PH×PW with strides SH×SW: out[b][oy][ox][c] = the window's max; argmax
 * (i32) records the flat input index of each max for the backward pass (the first one on ties).
 * Channels go four at a time, in SIMD lanes (with C ≥ 4 the last four overlap the group before); fewer
 * than four one by one.
 */
export function maxpool_forward_f32(out: usize, argmax: usize, inp: usize, batch: i32, h: i32, w: i32, c: i32,
                                    ph: i32, pw: i32, sh: i32, sw: i32, oh: i32, ow: i32, b0: i32, b1: i32): void {
  // Images b0 .. b1 of the batch (a thread's share; all: 0, batch): argmax stays a flat index into inp.
  const wc = w * c, two = ph == 2 && pw == 2, row = <usize>wc << 2, px = <usize>c << 2;
  let o: usize = <usize>b0 * oh * ow * c;
  for (let b = b0; b < b1; b++) {
    for (let oy = 0; oy < oh; oy++) {
      for (let ox = 0; ox < ow; ox++) {
        const first = ((b * h + oy * sh) * w + ox * sw) * c; // the window's top-left, as a flat index
        let ch = 0;
        for (; ch < c && c >= 4; ch += 4) {
          if (ch + 4 > c) ch = c - 4; // the overlapping last group: the same values stored twice
          const at = inp + (<usize>(first + ch) << 2), index = i32x4.add(i32x4.splat(first + ch), i32x4(0, 1, 2, 3));
          let best = v128.load(at), bestIndex = index;
          if (two) {
            // 2×2 windows (nearly every network's): the three other places, unrolled. pmax(a, b) is
            // a < b ? b : a, the same as the select below it.
            let v = v128.load(at + px), greater = f32x4.gt(v, best);
            best = f32x4.pmax(best, v);
            bestIndex = v128.bitselect(i32x4.add(index, i32x4.splat(c)), bestIndex, greater);
            v = v128.load(at + row); greater = f32x4.gt(v, best);
            best = f32x4.pmax(best, v);
            bestIndex = v128.bitselect(i32x4.add(index, i32x4.splat(wc)), bestIndex, greater);
            v = v128.load(at + row + px); greater = f32x4.gt(v, best);
            best = f32x4.pmax(best, v);
            bestIndex = v128.bitselect(i32x4.add(index, i32x4.splat(wc + c)), bestIndex, greater);
          } else {
            for (let ky = 0; ky < ph; ky++) {
              for (let kx = 0; kx < pw; kx++) {
                const d = ky * wc + kx * c;
                const v = v128.load(at + (<usize>d << 2));
                const greater = f32x4.gt(v, best);
                best = v128.bitselect(v, best, greater);
                bestIndex = v128.bitselect(i32x4.add(index, i32x4.splat(d)), bestIndex, greater);
              }
            }
          }
          v128.store(out + ((o + ch) << 2), best);
          v128.store(argmax + ((o + ch) << 2), bestIndex);
        }
        for (; ch < c; ch++) {
          let bestIndex = first + ch, best = load<f32>(inp + (<usize>bestIndex << 2));
          for (let ky = 0; ky < ph; ky++) {
            for (let kx = 0; kx < pw; kx++) {
              const i = first + ch + ky * wc + kx * c;
              const v = load<f32>(inp + (<usize>i << 2));
              if (v > best) { best = v; bestIndex = i; }
            }
          }
          store<f32>(out + ((o + ch) << 2), best);
          store<i32>(argmax + ((o + ch) << 2), bestIndex);
        }
        o += c;
      }
    }
  }
}

/** dinp[argmax[i]] += dout[i] for the n pooled outputs */
export function maxpool_backward_f32(dinp: usize, argmax: usize, dout: usize, n: i32): void {
  for (let i = 0; i < n; i++) {
    const at = dinp + (<usize>load<i32>(argmax + (<usize>i << 2)) << 2);
    store<f32>(at, load<f32>(at) + load<f32>(dout + (<usize>i << 2)));
  }
}

/** Average pooling, 'valid' windows: out[b][oy][ox][c] = the window's mean. */
export function avgpool_forward_f32(out: usize, inp: usize, batch: i32, h: i32, w: i32, c: i32,
                                    ph: i32, pw: i32, sh: i32, sw: i32, oh: i32, ow: i32): void {
  const scale: f32 = 1 / <f32>(ph * pw);
  const pixel = <usize>c << 2;
  for (let b = 0; b < batch; b++) {
    const image = inp + <usize>b * h * w * pixel;
    for (let oy = 0; oy < oh; oy++) {
      for (let ox = 0; ox < ow; ox++) {
        const dst = out + ((<usize>(b * oh + oy) * ow + ox) * pixel);
        memory.fill(dst, 0, pixel);
        for (let ky = 0; ky < ph; ky++) {
          for (let kx = 0; kx < pw; kx++) add_into(dst, image + (<usize>(oy * sh + ky) * w + ox * sw + kx) * pixel, c);
        }
        scale_in_place(dst, c, scale);
      }
    }
  }
}

/** dinp[window] += dout / (PH·PW) for every window */
export function avgpool_backward_f32(dinp: usize, dout: usize, batch: i32, h: i32, w: i32, c: i32,
                                     ph: i32, pw: i32, sh: i32, sw: i32, oh: i32, ow: i32): void {
  const scale: f32 = 1 / <f32>(ph * pw);
  const pixel = <usize>c << 2;
  for (let b = 0; b < batch; b++) {
    const image = dinp + <usize>b * h * w * pixel;
    for (let oy = 0; oy < oh; oy++) {
      for (let ox = 0; ox < ow; ox++) {
        const src = dout + ((<usize>(b * oh + oy) * ow + ox) * pixel);
        for (let ky = 0; ky < ph; ky++) {
          for (let kx = 0; kx < pw; kx++) {
            axpy_into(image + (<usize>(oy * sh + ky) * w + ox * sw + kx) * pixel, src, c, scale);
          }
        }
      }
    }
  }
}

// @ts-ignore: decorator
@inline function scale_in_place(y: usize, n: i32, s: f32): void {
  for (let i = 0; i < n; i++) store<f32>(y + (<usize>i << 2), load<f32>(y + (<usize>i << 2)) * s);
}

// @ts-ignore: decorator
@inline function axpy_into(y: usize, x: usize, n: i32, s: f32): void {
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(y + o, load<f32>(y + o) + load<f32>(x + o) * s);
  }
}

// ── One input channel at stride 1 (the first layer over grayscale images), without im2col.
// The image is copied once into a zero-padded plane P (rows oy + ky, columns ox + kx, both starting
// at the top-left of the padding), wide enough that every group of 4 outputs reads inside it. The
// forward pass and the filter gradient keep 4 adjacent outputs of a row in the lanes of one vector per
// filter (all lanes useful, however few the filters).

// @ts-ignore: decorator
@inline function plane_width(ow: i32, kw: i32): i32 {
  return ((ow + 3) & ~3) + kw - 1;
}

/** Bytes of workspace conv1_forward_f32 and conv1_filter_backward_f32 need. */
export function conv1_workspace_bytes(kh: i32, kw: i32, oh: i32, ow: i32): i32 {
  // The zero-padded plane, then a group of 8 filters' weights (forward) or output gradients (backward).
  return ((oh + kh - 1) * plane_width(ow, kw) + max(kh * kw, oh * ((ow + 3) & ~3)) * 8) << 2;
}

// P[y][x] = image[y - pt][x - pl], 0 outside; P is (oh + kh - 1) × pw.
function pad_plane(p: usize, image: usize, h: i32, w: i32, pt: i32, pl: i32, rows: i32, pw: i32): void {
  const rowBytes = <usize>pw << 2;
  memory.fill(p, 0, rowBytes * rows);
  const x0 = max(0, pl), from = max(0, -pl), n = min(w - from, pw - x0);
  if (n <= 0) return;
  for (let y = max(0, pt); y < min(rows, h + pt); y++) {
    memory.copy(p + rowBytes * y + (<usize>x0 << 2), image + ((<usize>(y - pt) * w + from) << 2), <usize>n << 2);
  }
}

/**
 * out[b][oy][ox][f] = relu?(bias[f] + Σ inp[b][oy + ky - pt][ox + kx - pl] · filter[ky][kx][0][f]) for a
 * one-channel input at stride 1 (bias may be 0). work: conv1_workspace_bytes.
 */
export function conv1_forward_f32(out: usize, inp: usize, filter: usize, bias: usize, batch: i32, h: i32, w: i32,
                                  kh: i32, kw: i32, pt: i32, pl: i32, oh: i32, ow: i32, f: i32, relu: i32, work: usize): void {
  const pw = plane_width(ow, kw), rows = oh + kh - 1, taps = kh * kw;
  const wg = work + (<usize>rows * pw << 2);
  for (let f0 = 0; f0 < f; f0 += 8) {
    const nf = min(8, f - f0);
    // Few filter counts get their own code (wasm size): up to 4, 6 and 8. The group's weights are
    // copied to rows of `cols` floats, zeros past nf.
    const cols = nf <= 4 ? 4 : nf <= 6 ? 6 : 8;
    for (let t = 0; t < taps; t++) {
      for (let j = 0; j < cols; j++) {
        store<f32>(wg + (<usize>(t * cols + j) << 2), j < nf ? load<f32>(filter + (<usize>(t * f + f0 + j) << 2)) : 0);
      }
    }
    const bp: usize = bias == 0 ? 0 : bias + (<usize>f0 << 2);
    for (let b = 0; b < batch; b++) {
      pad_plane(work, inp + (<usize>b * h * w << 2), h, w, pt, pl, rows, pw);
      for (let oy = 0; oy < oh; oy++) {
        for (let ox = 0; ox < ow; ox += 4) {
          const nx = min(4, ow - ox);
          const p = work + ((<usize>oy * pw + ox) << 2);
          const o = out + ((<usize>((b * oh + oy) * ow + ox) * f + f0) << 2);
          // The relaxed build takes 8 outputs at a time when it has them (see conv1_tile2).
          if (ASC_FEATURE_RELAXED_SIMD && cols == 6 && ox + 8 <= ow) {
            conv1_tile2(o, p, pw, wg, f, kh, kw, bp, nf, relu != 0);
            ox += 4;
          } else if (cols == 4) conv1_tile(o, p, pw, wg, f, kh, kw, bp, nx, nf, relu != 0, 4);
          else if (cols == 6) conv1_tile(o, p, pw, wg, f, kh, kw, bp, nx, nf, relu != 0, 6);
          else conv1_tile(o, p, pw, wg, f, kh, kw, bp, nx, nf, relu != 0, 8);
        }
      }
    }
  }
}

// Two of conv1_tile's 6-filter tiles side by side (8 outputs): 12 chains of fused multiply-adds in
// flight where one tile has 6, which left the relaxed build's FMA pipes waiting on their latency.
// Each output's sum is conv1_tile's, in its order: the same bits.
// @ts-ignore: decorator
@inline function conv1_tile2(o: usize, p: usize, pw: i32, wp: usize, f: i32, kh: i32, kw: i32, bias: usize, nf: i32, relu: bool): void {
  const zero = f32x4.splat(0);
  let c0 = zero, c1 = zero, c2 = zero, c3 = zero, c4 = zero, c5 = zero;
  let d0 = zero, d1 = zero, d2 = zero, d3 = zero, d4 = zero, d5 = zero;
  const ps = <usize>pw << 2;
  for (let ky = 0; ky < kh; ky++) {
    for (let kx = 0; kx < kw; kx++) {
      const q = p + (<usize>kx << 2), x = v128.load(q), y = v128.load(q, 16);
      let v = v128.load32_splat(wp);
      c0 = madd(x, v, c0); d0 = madd(y, v, d0);
      v = v128.load32_splat(wp, 4);
      c1 = madd(x, v, c1); d1 = madd(y, v, d1);
      v = v128.load32_splat(wp, 8);
      c2 = madd(x, v, c2); d2 = madd(y, v, d2);
      v = v128.load32_splat(wp, 12);
      c3 = madd(x, v, c3); d3 = madd(y, v, d3);
      v = v128.load32_splat(wp, 16);
      c4 = madd(x, v, c4); d4 = madd(y, v, d4);
      v = v128.load32_splat(wp, 20);
      c5 = madd(x, v, c5); d5 = madd(y, v, d5);
      wp += 24;
    }
    p += ps;
  }
  const bl = bias == 0 ? zero : load_part(bias, nf), bh = bias == 0 || nf <= 4 ? zero : load_part(bias + 16, nf - 4);
  store_columns(o, <usize>f << 2, 0, 4, nf, false, bl, bh, relu, c0, c1, c2, c3, c4, c5, zero, zero);
  store_columns(o + (<usize>f << 4), <usize>f << 2, 0, 4, nf, false, bl, bh, relu, d0, d1, d2, d3, d4, d5, zero, zero);
}

// 4 outputs (lanes) × `cols` filters (a literal at each call), nf ≤ cols of them stored, nx ≤ 4 outputs.
// The weights of tap t = ky·KW + kx are the `cols` floats at wp + t·cols·4.
// @ts-ignore: decorator
@inline function conv1_tile(o: usize, p: usize, pw: i32, wp: usize, f: i32, kh: i32, kw: i32, bias: usize,
                            nx: i32, nf: i32, relu: bool, cols: i32): void {
  let c0 = f32x4.splat(0), c1 = f32x4.splat(0), c2 = f32x4.splat(0), c3 = f32x4.splat(0);
  let c4 = f32x4.splat(0), c5 = f32x4.splat(0), c6 = f32x4.splat(0), c7 = f32x4.splat(0);
  const ws = <usize>cols << 2, ps = <usize>pw << 2;
  for (let ky = 0; ky < kh; ky++) {
    for (let kx = 0; kx < kw; kx++) {
      const x = v128.load(p + (<usize>kx << 2));
      c0 = madd(x, v128.load32_splat(wp), c0);
      if (cols > 1) c1 = madd(x, v128.load32_splat(wp, 4), c1);
      if (cols > 2) c2 = madd(x, v128.load32_splat(wp, 8), c2);
      if (cols > 3) c3 = madd(x, v128.load32_splat(wp, 12), c3);
      if (cols > 4) c4 = madd(x, v128.load32_splat(wp, 16), c4);
      if (cols > 5) c5 = madd(x, v128.load32_splat(wp, 20), c5);
      if (cols > 6) c6 = madd(x, v128.load32_splat(wp, 24), c6);
      if (cols > 7) c7 = madd(x, v128.load32_splat(wp, 28), c7);
      wp += ws;
    }
    p += ps;
  }
  // Filter j's 4 outputs are the lanes of c_j: output r's filters are row r of the tile.
  const bl = bias == 0 ? f32x4.splat(0) : load_part(bias, nf), bh = bias == 0 || nf <= 4 ? f32x4.splat(0) : load_part(bias + 16, nf - 4);
  store_columns(o, <usize>f << 2, 0, nx, nf, false, bl, bh, relu, c0, c1, c2, c3, c4, c5, c6, c7); // @global in gemm.ts
}

/**
 * The backward of conv1_forward_f32 for the filter and bias: with d = relu ? (out > 0) · dout : dout,
 * the sums Σ inp[b][oy + ky - pt][ox + kx - pl] · d[b][oy][ox][f] ([ky][kx][f]) and Σ d[b][oy][ox][f]
 * over the images of each block of CONV1_BLOCK, in order, added to that block's rows of partials
 * (KH·KW·F floats a block) and of biases (F floats a block; 0: none), which the caller zeroes and sums
 * in block order, so the result does not depend on how threads share out the blocks (whole
 * blocks of images, pointers advanced). work: conv1_workspace_bytes.
 *
 * Four adjacent outputs sit in the lanes (all lanes useful, however few the filters): d is copied, a
 * group of 8 filters at a time, to G[oy][ox / 4][j] = the vector of filter j's d at ox .. ox + 3 (zeros
 * past OW), with the ReLU mask and the bias sums on the way; then each tap t and filter j keeps a
 * vector sum of P[oy + ky][ox + kx .. + 3] · G[oy][ox / 4][j], added across its lanes at the end.
 */
export function conv1_filter_backward_f32(partials: usize, biases: usize, inp: usize, out: usize, dout: usize, relu: i32,
                                          batch: i32, h: i32, w: i32, kh: i32, kw: i32, pt: i32, pl: i32,
                                          oh: i32, ow: i32, f: i32, work: usize): void {
  const pw = plane_width(ow, kw), rows = oh + kh - 1, taps = kh * kw;
  const g = work + (<usize>rows * pw << 2), part = <usize>(taps * f) << 2, bpart = <usize>f << 2;
  for (let b = 0; b < batch; b++) {
    const k = <usize>(b / CONV1_BLOCK);
    const dfilter = partials + part * k, dbias: usize = biases == 0 ? 0 : biases + bpart * k;
    pad_plane(work, inp + (<usize>b * h * w << 2), h, w, pt, pl, rows, pw);
    for (let f0 = 0; f0 < f; f0 += 8) {
      const nf = min(8, f - f0), cols = nf <= 4 ? 4 : nf <= 6 ? 6 : 8;
      const at = (<usize>b * oh * ow * f + f0) << 2;
      conv1_gather(g, dbias == 0 ? 0 : dbias + (<usize>f0 << 2), out + at, dout + at, relu != 0, oh, ow, f, nf, cols);
      const df = dfilter + (<usize>f0 << 2);
      for (let t = 0; t < taps; t++) {
        const p = work + ((<usize>(t / kw) * pw + t % kw) << 2);
        // The relaxed build takes two taps of a row at a time when it has them (see conv1_tap2).
        if (ASC_FEATURE_RELAXED_SIMD && cols == 6 && t % kw + 1 < kw) {
          conv1_tap2(df + (<usize>t * f << 2), df + (<usize>(t + 1) * f << 2), p, pw, g, oh, ow, nf);
          t++;
        } else if (cols == 4) conv1_tap(df + (<usize>t * f << 2), p, pw, g, oh, ow, nf, 4);
        else if (cols == 6) conv1_tap(df + (<usize>t * f << 2), p, pw, g, oh, ow, nf, 6);
        else conv1_tap(df + (<usize>t * f << 2), p, pw, g, oh, ow, nf, 8);
      }
    }
  }
}

/** Images per block of conv1_filter_backward_f32's partial sums (the host and the threads use it). */
// @ts-ignore: decorator
@inline const CONV1_BLOCK = 8;

// G (see above) for one image and one group of nf ≤ cols filters of d (row stride f floats): cols
// vectors per 4 outputs. Adds Σ d to dbias (nf floats) unless it is 0.
function conv1_gather(g: usize, dbias: usize, out: usize, dout: usize, relu: bool, oh: i32, ow: i32, f: i32, nf: i32, cols: i32): void {
  const zero = f32x4.splat(0), fb = <usize>f << 2;
  let slo = zero, shi = zero;
  for (let oy = 0; oy < oh; oy++) {
    for (let ox = 0; ox < ow; ox += 4) {
      const o = (<usize>(oy * ow + ox)) * fb, n = min(4, ow - ox);
      // Row i: the nf filters of output ox + i (zeros past OW), masked.
      let l0 = zero, h0 = zero, l1 = zero, h1 = zero, l2 = zero, h2 = zero, l3 = zero, h3 = zero;
      l0 = load_part(dout + o, nf); h0 = load_part(dout + o + 16, nf - 4);
      if (relu) { l0 = v128.and(l0, f32x4.gt(load_part(out + o, nf), zero)); h0 = v128.and(h0, f32x4.gt(load_part(out + o + 16, nf - 4), zero)); }
      if (n > 1) {
        l1 = load_part(dout + o + fb, nf); h1 = load_part(dout + o + fb + 16, nf - 4);
        if (relu) { l1 = v128.and(l1, f32x4.gt(load_part(out + o + fb, nf), zero)); h1 = v128.and(h1, f32x4.gt(load_part(out + o + fb + 16, nf - 4), zero)); }
      }
      if (n > 2) {
        l2 = load_part(dout + o + fb * 2, nf); h2 = load_part(dout + o + fb * 2 + 16, nf - 4);
        if (relu) { l2 = v128.and(l2, f32x4.gt(load_part(out + o + fb * 2, nf), zero)); h2 = v128.and(h2, f32x4.gt(load_part(out + o + fb * 2 + 16, nf - 4), zero)); }
      }
      if (n > 3) {
        l3 = load_part(dout + o + fb * 3, nf); h3 = load_part(dout + o + fb * 3 + 16, nf - 4);
        if (relu) { l3 = v128.and(l3, f32x4.gt(load_part(out + o + fb * 3, nf), zero)); h3 = v128.and(h3, f32x4.gt(load_part(out + o + fb * 3 + 16, nf - 4), zero)); }
      }
      slo = f32x4.add(slo, f32x4.add(f32x4.add(l0, l1), f32x4.add(l2, l3)));
      shi = f32x4.add(shi, f32x4.add(f32x4.add(h0, h1), f32x4.add(h2, h3)));
      // Transposed: vector j holds filter j of the 4 outputs.
      let t0 = v128.shuffle<f32>(l0, l1, 0, 4, 1, 5), t1 = v128.shuffle<f32>(l2, l3, 0, 4, 1, 5);
      let t2 = v128.shuffle<f32>(l0, l1, 2, 6, 3, 7), t3 = v128.shuffle<f32>(l2, l3, 2, 6, 3, 7);
      v128.store(g, v128.shuffle<f64>(t0, t1, 0, 2));
      v128.store(g, v128.shuffle<f64>(t0, t1, 1, 3), 16);
      v128.store(g, v128.shuffle<f64>(t2, t3, 0, 2), 32);
      v128.store(g, v128.shuffle<f64>(t2, t3, 1, 3), 48);
      if (cols > 4) {
        t0 = v128.shuffle<f32>(h0, h1, 0, 4, 1, 5); t1 = v128.shuffle<f32>(h2, h3, 0, 4, 1, 5);
        v128.store(g, v128.shuffle<f64>(t0, t1, 0, 2), 64);
        v128.store(g, v128.shuffle<f64>(t0, t1, 1, 3), 80);
        if (cols > 6) {
          t2 = v128.shuffle<f32>(h0, h1, 2, 6, 3, 7); t3 = v128.shuffle<f32>(h2, h3, 2, 6, 3, 7);
          v128.store(g, v128.shuffle<f64>(t2, t3, 0, 2), 96);
          v128.store(g, v128.shuffle<f64>(t2, t3, 1, 3), 112);
        }
      }
      g += <usize>cols << 4;
    }
  }
  if (dbias) store_row(dbias, slo, shi, nf, true);
}

// One tap (P from p on) × `cols` filters (a literal; nf of them stored) over one image's G:
// acc_j += P[oy][ox .. + 3] · G[oy][ox / 4][j], then df[j] += the lanes of acc_j.
// @ts-ignore: decorator
@inline function conv1_tap(df: usize, p: usize, pw: i32, g: usize, oh: i32, ow: i32, nf: i32, cols: i32): void {
  const zero = f32x4.splat(0);
  let a0 = zero, a1 = zero, a2 = zero, a3 = zero, a4 = zero, a5 = zero, a6 = zero, a7 = zero;
  const ps = <usize>pw << 2;
  for (let oy = 0; oy < oh; oy++) {
    let q = p + ps * oy;
    for (let ox = 0; ox < ow; ox += 4) {
      const x = v128.load(q);
      a0 = madd(x, v128.load(g), a0);
      a1 = madd(x, v128.load(g, 16), a1);
      a2 = madd(x, v128.load(g, 32), a2);
      a3 = madd(x, v128.load(g, 48), a3);
      if (cols > 4) {
        a4 = madd(x, v128.load(g, 64), a4);
        a5 = madd(x, v128.load(g, 80), a5);
      }
      if (cols > 6) {
        a6 = madd(x, v128.load(g, 96), a6);
        a7 = madd(x, v128.load(g, 112), a7);
      }
      q += 16;
      g += <usize>cols << 4;
    }
  }
  add_lanes(df, nf, a0, a1, a2, a3, a4, a5, a6, a7);
}

// Two adjacent taps of a window row (the second reads the plane one float on) for 6 filters: 12
// chains of fused multiply-adds in flight where one tap has 6, which left the relaxed build's FMA
// pipes waiting on their latency. Each tap's sums are conv1_tap's, in its order: the same bits.
// @ts-ignore: decorator
@inline function conv1_tap2(df: usize, df2: usize, p: usize, pw: i32, g: usize, oh: i32, ow: i32, nf: i32): void {
  const zero = f32x4.splat(0);
  let a0 = zero, a1 = zero, a2 = zero, a3 = zero, a4 = zero, a5 = zero;
  let b0 = zero, b1 = zero, b2 = zero, b3 = zero, b4 = zero, b5 = zero;
  const ps = <usize>pw << 2;
  for (let oy = 0; oy < oh; oy++) {
    let q = p + ps * oy;
    for (let ox = 0; ox < ow; ox += 4) {
      const x = v128.load(q), y = v128.load(q, 4);
      let v = v128.load(g);
      a0 = madd(x, v, a0); b0 = madd(y, v, b0);
      v = v128.load(g, 16);
      a1 = madd(x, v, a1); b1 = madd(y, v, b1);
      v = v128.load(g, 32);
      a2 = madd(x, v, a2); b2 = madd(y, v, b2);
      v = v128.load(g, 48);
      a3 = madd(x, v, a3); b3 = madd(y, v, b3);
      v = v128.load(g, 64);
      a4 = madd(x, v, a4); b4 = madd(y, v, b4);
      v = v128.load(g, 80);
      a5 = madd(x, v, a5); b5 = madd(y, v, b5);
      q += 16;
      g += 96;
    }
  }
  add_lanes(df, nf, a0, a1, a2, a3, a4, a5, zero, zero);
  add_lanes(df2, nf, b0, b1, b2, b3, b4, b5, zero, zero);
}

// d[j] += the sum of v_j's lanes, j < n (≤ 8): a 4×4 transpose of each four, then three adds.
// @ts-ignore: decorator
@inline function add_lanes(d: usize, n: i32, v0: v128, v1: v128, v2: v128, v3: v128, v4: v128, v5: v128, v6: v128, v7: v128): void {
  store_row(d, sum_lanes(v0, v1, v2, v3), sum_lanes(v4, v5, v6, v7), n, true);
}

// The vector of the four lane sums of v0 .. v3.
// @ts-ignore: decorator
@inline function sum_lanes(v0: v128, v1: v128, v2: v128, v3: v128): v128 {
  const s01 = f32x4.add(v128.shuffle<f32>(v0, v1, 0, 4, 1, 5), v128.shuffle<f32>(v0, v1, 2, 6, 3, 7)); // v0 and v1, pairwise
  const s23 = f32x4.add(v128.shuffle<f32>(v2, v3, 0, 4, 1, 5), v128.shuffle<f32>(v2, v3, 2, 6, 3, 7));
  return f32x4.add(v128.shuffle<f64>(s01, s23, 0, 2), v128.shuffle<f64>(s01, s23, 1, 3));
}
