// Column statistics for the scalers and the scaling itself (transform is (x - center) / scale, its
// inverse x · scale + center, per column of [rows, cols] data), and orthonormalization for the
// orthogonal initializer. Statistics and dot products are computed in f64.

/** center = column means, scale = population standard deviations (1 for a constant column, as scikit-learn). */
export function column_moments_f32(center: usize, scale: usize, inp: usize, rows: i32, cols: i32): void {
  for (let c = 0; c < cols; c++) {
    let s: f64 = 0;
    for (let r = 0; r < rows; r++) s += <f64>load<f32>(inp + (<usize>(r * cols + c) << 2));
    const mean = s / <f64>rows;
    let q: f64 = 0;
    for (let r = 0; r < rows; r++) {
      const d = <f64>load<f32>(inp + (<usize>(r * cols + c) << 2)) - mean;
      q += d * d;
    }
    const std = Math.sqrt(q / <f64>rows);
    store<f32>(center + (<usize>c << 2), <f32>mean);
    store<f32>(scale + (<usize>c << 2), std > 0 ? <f32>std : 1);
  }
}

/**
 * For the feature range [lo, hi]: scale = (max - min) / (hi - lo) (1 for a constant column) and
 * center = min - lo · scale, so (x - center) / scale maps [min, max] to [lo, hi].
 */
export function column_min_max_f32(center: usize, scale: usize, inp: usize, rows: i32, cols: i32, lo: f32, hi: f32): void {
  for (let c = 0; c < cols; c++) {
    let mn = load<f32>(inp + (<usize>c << 2)), mx = mn;
    for (let r = 1; r < rows; r++) {
      const x = load<f32>(inp + (<usize>(r * cols + c) << 2));
      mn = Mathf.min(mn, x);
      mx = Mathf.max(mx, x);
    }
    const range = <f64>mx - <f64>mn;
    const s = range > 0 ? range / (<f64>hi - <f64>lo) : 1;
    store<f32>(scale + (<usize>c << 2), <f32>s);
    store<f32>(center + (<usize>c << 2), <f32>(<f64>mn - <f64>lo * s));
  }
}

/** out = (inp - center) / scale per column, or with inverse = 1, out = inp · scale + center. */
export function column_scale_f32(out: usize, inp: usize, center: usize, scale: usize, rows: i32, cols: i32, inverse: i32): void {
  for (let r = 0; r < rows; r++) {
    const at = <usize>r * <usize>cols << 2;
    let c = 0;
    for (; c + 4 <= cols; c += 4) {
      const o = <usize>c << 2;
      const x = v128.load(inp + at + o), m = v128.load(center + o), s = v128.load(scale + o);
      v128.store(out + at + o, inverse ? f32x4.add(f32x4.mul(x, s), m) : f32x4.div(f32x4.sub(x, m), s));
    }
    for (; c < cols; c++) {
      const o = <usize>c << 2;
      const x = load<f32>(inp + at + o), m = load<f32>(center + o), s = load<f32>(scale + o);
      store<f32>(out + at + o, inverse ? x * s + m : (x - m) / s);
    }
  }
}

/**
 * Orthonormalizes `count` vectors of `length` elements in place (modified Gram-Schmidt, run twice,
 * dot products in f64); element j of vector i is at base + 4·(i·vstride + j·estride). Gram-Schmidt is
 * QR with a positive diagonal of R, so random normal vectors become a uniformly random orthonormal set.
 */
export function orthonormalize_f32(base: usize, count: i32, length: i32, vstride: i32, estride: i32, gain: f32): void {
  for (let i = 0; i < count; i++) {
    const vi = base + (<usize>(i * vstride) << 2);
    for (let pass = 0; pass < 2; pass++) {
      for (let p = 0; p < i; p++) {
        const vp = base + (<usize>(p * vstride) << 2);
        let d: f64 = 0;
        for (let j = 0; j < length; j++) {
          const o = <usize>(j * estride) << 2;
          d += <f64>load<f32>(vi + o) * <f64>load<f32>(vp + o);
        }
        for (let j = 0; j < length; j++) {
          const o = <usize>(j * estride) << 2;
          store<f32>(vi + o, <f32>(<f64>load<f32>(vi + o) - d * <f64>load<f32>(vp + o)));
        }
      }
    }
    let q: f64 = 0;
    for (let j = 0; j < length; j++) {
      const x = <f64>load<f32>(vi + (<usize>(j * estride) << 2));
      q += x * x;
    }
    const inv = q > 0 ? 1 / Math.sqrt(q) : 0;
    for (let j = 0; j < length; j++) {
      const o = <usize>(j * estride) << 2;
      store<f32>(vi + o, <f32>(<f64>load<f32>(vi + o) * inv));
    }
  }
  if (gain != 1) {
    for (let i = 0; i < count; i++) {
      for (let j = 0; j < length; j++) {
        const o = <usize>(i * vstride + j * estride) << 2;
        store<f32>(base + o, load<f32>(base + o) * gain);
      }
    }
  }
}
