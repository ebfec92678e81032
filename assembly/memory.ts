// Memory helpers for the host's arena: where the heap starts, fills, row gathers, finiteness scans.
// Pointers are byte addresses, n, rows and cols are elements.

/** First byte the host may allocate: everything below is the module's static data. */
export function heap_base(): usize {
  return __heap_base;
}

/** 1 in the relaxed-SIMD build (fused multiply-adds in GEMM and convolution), 0 in the baseline build. */
export function relaxed_simd(): i32 {
  return ASC_FEATURE_RELAXED_SIMD ? 1 : 0;
}

/** out[0..n) = value */
export function fill_f32(out: usize, n: i32, value: f32): void {
  const v = f32x4.splat(value);
  let i = 0;
  for (; i + 4 <= n; i += 4) v128.store(out + (<usize>i << 2), v);
  for (; i < n; i++) store<f32>(out + (<usize>i << 2), value);
}

/** out[r] = inp[idx[r]] for r < rows, each row cols elements; idx holds i32 row numbers. */
export function gather_rows_f32(out: usize, inp: usize, idx: usize, rows: i32, cols: i32): void {
  const rowBytes = <usize>cols << 2;
  for (let r = 0; r < rows; r++) {
    const src = load<i32>(idx + (<usize>r << 2));
    memory.copy(out + rowBytes * r, inp + rowBytes * src, rowBytes);
  }
}

/** Index of the first NaN or ±Infinity in inp[0..n), or -1 when all are finite. */
export function nonfinite_index_f32(inp: usize, n: i32): i32 {
  // x - x is 0 for finite x and NaN for NaN and ±Infinity; NaN is the only value not equal to itself.
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const x = v128.load(inp + (<usize>i << 2));
    const d = f32x4.sub(x, x);
    if (v128.any_true(f32x4.ne(d, d))) break;
  }
  for (; i < n; i++) {
    const x = load<f32>(inp + (<usize>i << 2));
    if (x - x != 0) return i;
  }
  return -1;
}
