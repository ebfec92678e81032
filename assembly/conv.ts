// Convolution by im2col + GEMM, and pooling, channels-last (NHWC) like Keras. Pointers are byte
// addresses, sizes are elements.
//
// im2col turns the input [B, H, W, C] into cols [B·OH·OW, KH·KW·C]: one row per output position,
// holding its receptive field in (ky, kx, c) order, zeros where it hangs over the padding. A filter
// [KH, KW, C, F] is then a [KH·KW·C, F] matrix and the convolution is one GEMM whose result
// [B·OH·OW, F] is already the NHWC output. col2im is the adjoint: it adds each row's values back to
// the input positions they came from (the input gradient).

/** cols[b·OH·OW + oy·OW + ox][(ky·KW + kx)·C + c] = inp[b][oy·SH + ky - PT][ox·SW + kx - PL][c] or 0 */
export function im2col_f32(cols: usize, inp: usize, batch: i32, h: i32, w: i32, c: i32,
                           kh: i32, kw: i32, sh: i32, sw: i32, pt: i32, pl: i32, oh: i32, ow: i32): void {
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
      for (let ky = 0; ky < kh; ky++) {
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
                                    ph: i32, pw: i32, sh: i32, sw: i32, oh: i32, ow: i32): void {
  const lanes = i32x4(0, 1, 2, 3);
  let o = 0;
  for (let b = 0; b < batch; b++) {
    const base = b * h * w * c;
    for (let oy = 0; oy < oh; oy++) {
      for (let ox = 0; ox < ow; ox++) {
        const first = base + ((oy * sh) * w + ox * sw) * c;
        let ch = 0;
        for (; ch < c && c >= 4; ch += 4) {
          // With C not a multiple of 4 the last group overlaps the one before (same values stored twice).
          if (ch + 4 > c) ch = c - 4;
          let best = v128.load(inp + (<usize>(first + ch) << 2));
          let bestIndex = i32x4.add(i32x4.splat(first + ch), lanes);
          for (let ky = 0; ky < ph; ky++) {
            for (let kx = 0; kx < pw; kx++) {
              const i = base + ((oy * sh + ky) * w + ox * sw + kx) * c + ch;
              const v = v128.load(inp + (<usize>i << 2));
              const greater = f32x4.gt(v, best);
              best = v128.bitselect(v, best, greater);
              bestIndex = v128.bitselect(i32x4.add(i32x4.splat(i), lanes), bestIndex, greater);
            }
          }
          v128.store(out + (<usize>(o + ch) << 2), best);
          v128.store(argmax + (<usize>(o + ch) << 2), bestIndex);
        }
        for (; ch < c; ch++) {
          let best = first + ch;
          let bestValue = load<f32>(inp + (<usize>best << 2));
          for (let ky = 0; ky < ph; ky++) {
            for (let kx = 0; kx < pw; kx++) {
              const i = base + ((oy * sh + ky) * w + ox * sw + kx) * c + ch;
              const v = load<f32>(inp + (<usize>i << 2));
              if (v > bestValue) { bestValue = v; best = i; }
            }
          }
          store<f32>(out + (<usize>(o + ch) << 2), bestValue);
          store<i32>(argmax + (<usize>(o + ch) << 2), best);
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
