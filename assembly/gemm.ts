// gemm: out[M×N] (= or +=) op(A)[M×K] · op(B)[K×N], row-major f32. Pointers are byte addresses,
// sizes are elements. op(A) is A (stored M×K) or Aᵀ (stored K×M); op(B) is B (K×N) or Bᵀ (N×K).
//
// The BLIS loop nest (Van Zee & van de Geijn, "BLIS: A Framework for Rapidly Instantiating BLAS
// Functionality", 2015). B is always packed. A is packed into k-major strips when each strip is
// reused across enough panels of B (N ≥ PACK_A_MIN_N) and read in place otherwise, as XNNPACK's
// wasmsimd GEMMs do: each micro-kernel step broadcasts one element from each of the rows of its tile
// of op(A), so a row stride and a k stride describe packed strips, A and Aᵀ alike.
//
//   jc over N by NC ─ pc over K by KC ─ pack B[KC×NC] into panels of NR columns
//                                      └ ic over M by MC ─ (pack A[MC×KC] into strips of PR rows)
//                                                         └ ir over strips ─ jr over panels
//                                                                           └ micro-kernel PR×NR
//
//   packed B panel (KC×NR, k-major)   packed A strip (KC×PR, k-major; PR = 4 here, 6 relaxed)
//   ┌────────── NR=8 ──────────┐      ┌── PR=4 ───┐
//   │ b[k][0] ........ b[k][7] │      │ a[k][0..3]│   k = 0 .. kc-1, zero-padded at the edges
//   └──────────────────────────┘      └───────────┘
//
// Measured here (bench/run.ts and a kernel-level comparison): packing A wins for wide products
// (64×128×784: 10.0 vs 8.5 GFLOP/s), reading in place wins for narrow ones such as a convolution
// with 6 filters (25×6×50176 Aᵀ·B: 4.1 vs 3.3). The workspace (host-allocated,
// gemm_workspace_bytes) holds the packed B block and the packed A block. Edge tiles (fewer than
// MR rows or NR columns left) run the 4×8 micro-kernel and store only their part of the tile.
// The relaxed build takes strips of PR = 6 rows, packed or read in place, for a 6×8 micro-kernel (see
// PR), its edge tiles as two 4×8 ones (edge_6); the convolutions reading windows in place keep 4×8.

// c + a·b, lane-wise: a multiply and an add in the baseline build; in the relaxed build
// (asconfig target "relaxed", `--enable relaxed-simd`) f32x4.relaxed_madd, which the CPU runs as one
// fused multiply-add where it has one (rounded once: results may differ in the last bit from the
// baseline build, and between CPUs with and without FMA). Only the GEMM and direct-convolution inner
// loops use it; every other kernel is the same code in both builds.
// @ts-ignore: decorator
@inline export function madd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(c, f32x4.mul(a, b));
}

// @ts-ignore: decorator
@inline const MR = 4;
// @ts-ignore: decorator
@inline const NR = 8;
// The longest K block (the diagram's "by KC": kblock makes a product's blocks equal).
// @ts-ignore: decorator
@inline const KC = 256;
// Rows of a packed strip of A (and of the micro-tile that reads it): 4 in the baseline build; 6 in
// the relaxed build, whose fused multiply-adds (4 cycles each, two pipes) need more than 8 chains in
// flight: a 6×8 tile (12 accumulators, 2 rows of B and a broadcast, 15 of V8's 16 xmm registers) ran
// at 58-61 GFLOP/s against 50 for 4×8 in L1 here, and is as fast as 4×8 with mul + add. A tile's lanes
// never mix and each element sums k in order, so the strip height does not change the bits.
// @ts-ignore: decorator
@inline const PR: i32 = ASC_FEATURE_RELAXED_SIMD ? 6 : 4;
// @ts-ignore: decorator
@inline const MC: i32 = ASC_FEATURE_RELAXED_SIMD ? 132 : 128;
// @ts-ignore: decorator
@inline const NC = 256;
// @ts-ignore: decorator
@inline const PACK_A_MIN_N = 32;
// @ts-ignore: decorator
@inline const NARROW_N = 8;
// @ts-ignore: decorator
@inline const NARROW_MIN_K = 128;

// Whether gemm_narrow takes the product: Aᵀ·B with few columns and a long reduction (the filter
// gradient of a convolution with few filters). Measured here: 25×6×50176 6.8 → 11.7 GFLOP/s; with
// K = 64, or A not transposed (four loads per k), the 4×8 tiles were as fast or faster.
// @ts-ignore: decorator
@inline function narrow(m: i32, n: i32, k: i32, transA: bool): bool {
  return transA && n <= NARROW_N && k >= NARROW_MIN_K && m >= MR;
}

// K goes in the fewest blocks of at most KC, all as long (the last one shorter by what does not divide):
// each element is summed block by block (a block's sum is added to the ones before it), so these
// blocks fix the bits, and a K-split product (gemm_ksplit_f32) gives its threads whole blocks of equal size.
// @ts-ignore: decorator
@inline function kblock(k: i32): i32 {
  const blocks = (k + KC - 1) / KC;
  return (k + blocks - 1) / blocks;
}

// @ts-ignore: decorator
@inline function roundUp(x: i32, m: i32): i32 {
  return (x + m - 1) / m * m;
}

/** Bytes of workspace gemm_*_f32 needs for these sizes. */
export function gemm_workspace_bytes(m: i32, n: i32, k: i32): i32 {
  if (narrow(m, n, k, true)) return k * NARROW_N << 2; // B packed k-major
  const kc = min(k, KC);
  const nc = roundUp(min(n, NC), NR);
  const mc = roundUp(min(m, MC), PR);
  return (kc * nc + mc * kc) << 2;
}

// B stored K×N (ldb = N): panel[k][j] = B[pc + k][jc + jr + j]; contiguous rows, two v128 per k.
function pack_b(dst: usize, b: usize, ldb: i32, jc: i32, pc: i32, nc: i32, kc: i32): void {
  for (let jr = 0; jr < nc; jr += NR) {
    const nr = min(NR, nc - jr);
    let src = b + ((<usize>pc * ldb + jc + jr) << 2);
    if (nr == NR) {
      for (let k = 0; k < kc; k++) {
        v128.store(dst, v128.load(src));
        v128.store(dst, v128.load(src, 16), 16);
        src += <usize>ldb << 2;
        dst += NR << 2;
      }
    } else {
      // The edge panel: nr < 8 floats of each row, zero-padded (reading nothing past them).
      for (let k = 0; k < kc; k++) {
        v128.store(dst, load_part(src, nr));
        v128.store(dst, load_part(src + 16, nr - 4), 16);
        src += <usize>ldb << 2;
        dst += NR << 2;
      }
    }
  }
}

// Four rows at p, p + rb, p + 2rb, p + 3rb, 4 floats each, transposed: d[k·stride + i] = row_i[k].
// @ts-ignore: decorator
@inline function transpose4(d: usize, stride: usize, p: usize, rb: usize): void {
  const x0 = v128.load(p), x1 = v128.load(p + rb), x2 = v128.load(p + rb * 2), x3 = v128.load(p + rb * 3);
  const t0 = v128.shuffle<f32>(x0, x1, 0, 4, 1, 5), t1 = v128.shuffle<f32>(x2, x3, 0, 4, 1, 5);
  const t2 = v128.shuffle<f32>(x0, x1, 2, 6, 3, 7), t3 = v128.shuffle<f32>(x2, x3, 2, 6, 3, 7);
  v128.store(d, v128.shuffle<f64>(t0, t1, 0, 2));
  v128.store(d + stride, v128.shuffle<f64>(t0, t1, 1, 3));
  v128.store(d + stride * 2, v128.shuffle<f64>(t2, t3, 0, 2));
  v128.store(d + stride * 3, v128.shuffle<f64>(t2, t3, 1, 3));
}

// B stored N×K (ldb = K), i.e. op(B) = Bᵀ: panel[k][j] = B[jc + jr + j][pc + k]. Full panels
// transpose 4×4 blocks in registers, four k at a time; the rest goes element by element.
function pack_b_t(dst: usize, b: usize, ldb: i32, jc: i32, pc: i32, nc: i32, kc: i32): void {
  const rb = <usize>ldb << 2;
  for (let jr = 0; jr < nc; jr += NR) {
    const nr = min(NR, nc - jr);
    if (nr == NR && kc >= 4) {
      const r0 = b + ((<usize>(jc + jr) * ldb + pc) << 2);
      let k = 0;
      for (; k + 4 <= kc; k += 4) {
        const d = dst + (<usize>k * NR << 2);
        transpose4(d, NR << 2, r0 + (<usize>k << 2), rb); // columns 0-3
        transpose4(d + 16, NR << 2, r0 + rb * 4 + (<usize>k << 2), rb); // columns 4-7
      }
      for (; k < kc; k++) {
        for (let j = 0; j < NR; j++) store<f32>(dst + ((<usize>k * NR + j) << 2), load<f32>(r0 + rb * j + (<usize>k << 2)));
      }
      dst += <usize>kc * NR << 2;
      continue;
    }
    for (let j = 0; j < NR; j++) {
      let d = dst + (j << 2);
      if (j < nr) {
        let src = b + ((<usize>(jc + jr + j) * ldb + pc) << 2);
        for (let k = 0; k < kc; k++) {
          store<f32>(d, load<f32>(src));
          src += 4;
          d += NR << 2;
        }
      } else {
        for (let k = 0; k < kc; k++) {
          store<f32>(d, 0);
          d += NR << 2;
        }
      }
    }
    dst += <usize>kc * NR << 2;
  }
}

// A stored M×K (lda = K): strip[k][i] = A[ic + ir + i][pc + k]. Full strips transpose 4×4 blocks
// in registers; the rest goes element by element.
function pack_a(dst: usize, a: usize, lda: i32, ic: i32, pc: i32, mc: i32, kc: i32): void {
  const rowBytes = <usize>lda << 2;
  for (let ir = 0; ir < mc; ir += PR) {
    const mr = min(PR, mc - ir);
    const r0 = a + ((<usize>(ic + ir) * lda + pc) << 2);
    let k = 0;
    if (PR == 6 && mr == PR) {
      // Rows 0-3 as 4×4 blocks, rows 4-5 as pairs: each k's 6 floats are 24 bytes.
      for (; k + 4 <= kc; k += 4) {
        const s = r0 + (<usize>k << 2);
        transpose4(dst, 24, s, rowBytes);
        const x4 = v128.load(s + rowBytes * 4), x5 = v128.load(s + rowBytes * 5);
        const p01 = v128.shuffle<f32>(x4, x5, 0, 4, 1, 5), p23 = v128.shuffle<f32>(x4, x5, 2, 6, 3, 7);
        v128.store64_lane(dst + 16, p01, 0);
        v128.store64_lane(dst + 40, p01, 1);
        v128.store64_lane(dst + 64, p23, 0);
        v128.store64_lane(dst + 88, p23, 1);
        dst += 96;
      }
    } else if (mr == PR) {
      for (; k + 4 <= kc; k += 4) {
        const s = r0 + (<usize>k << 2);
        const x0 = v128.load(s);
        const x1 = v128.load(s + rowBytes);
        const x2 = v128.load(s + rowBytes * 2);
        const x3 = v128.load(s + rowBytes * 3);
        // 4×4 transpose: t0 = x0[0] x1[0] x0[1] x1[1], t1 = x2[0] x3[0] x2[1] x3[1], ...
        const t0 = v128.shuffle<f32>(x0, x1, 0, 4, 1, 5);
        const t1 = v128.shuffle<f32>(x2, x3, 0, 4, 1, 5);
        const t2 = v128.shuffle<f32>(x0, x1, 2, 6, 3, 7);
        const t3 = v128.shuffle<f32>(x2, x3, 2, 6, 3, 7);
        v128.store(dst, v128.shuffle<f64>(t0, t1, 0, 2));
        v128.store(dst, v128.shuffle<f64>(t0, t1, 1, 3), 16);
        v128.store(dst, v128.shuffle<f64>(t2, t3, 0, 2), 32);
        v128.store(dst, v128.shuffle<f64>(t2, t3, 1, 3), 48);
        dst += 64;
      }
    }
    for (; k < kc; k++) {
      let i = 0;
      for (; i < mr; i++) store<f32>(dst + (i << 2), load<f32>(r0 + rowBytes * i + (<usize>k << 2)));
      for (; i < PR; i++) store<f32>(dst + (i << 2), 0);
      dst += PR << 2;
    }
  }
}

// A stored K×M (lda = M), i.e. op(A) = Aᵀ: strip[k][i] = A[pc + k][ic + ir + i]; contiguous.
function pack_a_t(dst: usize, a: usize, lda: i32, ic: i32, pc: i32, mc: i32, kc: i32): void {
  for (let ir = 0; ir < mc; ir += PR) {
    const mr = min(PR, mc - ir);
    let src = a + ((<usize>pc * lda + ic + ir) << 2);
    if (mr == PR) {
      for (let k = 0; k < kc; k++) {
        v128.store(dst, v128.load(src));
        if (PR == 6) store<u64>(dst + 16, load<u64>(src + 16));
        src += <usize>lda << 2;
        dst += PR << 2;
      }
    } else {
      for (let k = 0; k < kc; k++) {
        let i = 0;
        for (; i < mr; i++) store<f32>(dst + (i << 2), load<f32>(src + (i << 2)));
        for (; i < PR; i++) store<f32>(dst + (i << 2), 0);
        src += <usize>lda << 2;
        dst += PR << 2;
      }
    }
  }
}

// The 4×8 micro-kernel: 8 f32x4 accumulators stay in registers for the whole K loop; each k step
// loads one row of the B panel (2 v128) and broadcasts one element of each of the 4 rows of A.
// Row r of A starts at a + o_r (o_0 = 0) and steps by cs bytes per k; c is the tile's top-left, ldc
// its row stride in bytes.
// @ts-ignore: decorator
@inline function micro_4x8(c: usize, ldc: usize, a: usize, o1: usize, o2: usize, o3: usize, cs: usize,
                           pb: usize, kc: i32, accumulate: bool, packed: bool, mr: i32, nr: i32, half: bool = false,
                           seg: i32 = 0, jump: usize = 0): void {
  // seg (a literal at each call) > 0: A is a convolution's windows read in place, seg contiguous floats
  // per window row, the next row `jump` bytes after the end of one; the k loop runs a window row at a
  // time. Against im2col + GEMM on LeNet's second layer: this 10% faster, one loop testing for the row
  // end 5% faster, a table of k offsets 12% slower. GEMMs (seg = 0) keep their loop as it was.
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0);
  let c10 = f32x4.splat(0), c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0);
  let c30 = f32x4.splat(0), c31 = f32x4.splat(0);
  if (seg > 0) {
    for (let p = 0; p < kc; p += seg) {
      for (let q = 0; q < seg; q++) {
        const b0 = v128.load(pb), b1 = v128.load(pb, 16);
        let x = v128.load32_splat(a);
        c00 = madd(x, b0, c00); c01 = madd(x, b1, c01);
        x = v128.load32_splat(a + o1);
        c10 = madd(x, b0, c10); c11 = madd(x, b1, c11);
        x = v128.load32_splat(a + o2);
        c20 = madd(x, b0, c20); c21 = madd(x, b1, c21);
        x = v128.load32_splat(a + o3);
        c30 = madd(x, b0, c30); c31 = madd(x, b1, c31);
        a += 4;
        pb += NR << 2;
      }
      a += jump;
    }
  } else {
    for (let p = 0; p < kc; p++) {
      // half (a literal): an edge panel of at most 4 columns, computed as 4×4.
      const b0 = v128.load(pb);
      const b1 = half ? b0 : v128.load(pb, 16);
      let x = v128.load32_splat(a);
      c00 = madd(x, b0, c00);
      if (!half) c01 = madd(x, b1, c01);
      // Packed strips (packed is a literal at each call site) use immediate offsets: no address adds.
      x = packed ? v128.load32_splat(a, 4) : v128.load32_splat(a + o1);
      c10 = madd(x, b0, c10);
      if (!half) c11 = madd(x, b1, c11);
      x = packed ? v128.load32_splat(a, 8) : v128.load32_splat(a + o2);
      c20 = madd(x, b0, c20);
      if (!half) c21 = madd(x, b1, c21);
      x = packed ? v128.load32_splat(a, 12) : v128.load32_splat(a + o3);
      c30 = madd(x, b0, c30);
      if (!half) c31 = madd(x, b1, c31);
      a += packed ? <usize>(PR << 2) : cs;
      pb += NR << 2;
    }
  }
  if (mr == MR && nr == NR) {
    if (accumulate) {
      c00 = f32x4.add(c00, v128.load(c)); c01 = f32x4.add(c01, v128.load(c, 16));
      c10 = f32x4.add(c10, v128.load(c + ldc)); c11 = f32x4.add(c11, v128.load(c + ldc, 16));
      c20 = f32x4.add(c20, v128.load(c + ldc * 2)); c21 = f32x4.add(c21, v128.load(c + ldc * 2, 16));
      c30 = f32x4.add(c30, v128.load(c + ldc * 3)); c31 = f32x4.add(c31, v128.load(c + ldc * 3, 16));
    }
    v128.store(c, c00); v128.store(c, c01, 16);
    v128.store(c + ldc, c10); v128.store(c + ldc, c11, 16);
    v128.store(c + ldc * 2, c20); v128.store(c + ldc * 2, c21, 16);
    v128.store(c + ldc * 3, c30); v128.store(c + ldc * 3, c31, 16);
  } else {
    // An edge tile: only its mr rows and nr columns are written.
    store_row(c, c00, c01, nr, accumulate);
    if (mr > 1) store_row(c + ldc, c10, c11, nr, accumulate);
    if (mr > 2) store_row(c + ldc * 2, c20, c21, nr, accumulate);
    if (mr > 3) store_row(c + ldc * 3, c30, c31, nr, accumulate);
  }
}

// The relaxed build's 6×8 micro-kernel: 12 accumulators, each the same sum in the same order as
// micro_4x8's. On a packed strip (packed, a literal) the 6 floats of a k are adjacent; A read in place
// has row r at a + r·rs, the next k cs bytes on.
// @ts-ignore: decorator
@inline function micro_6x8(c: usize, ldc: usize, a: usize, rs: usize, cs: usize, pb: usize, kc: i32, accumulate: bool, packed: bool): void {
  const o2 = rs * 2, o3 = rs * 3, o4 = rs * 4, o5 = rs * 5;
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0), c10 = f32x4.splat(0), c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0), c30 = f32x4.splat(0), c31 = f32x4.splat(0);
  let c40 = f32x4.splat(0), c41 = f32x4.splat(0), c50 = f32x4.splat(0), c51 = f32x4.splat(0);
  for (let p = 0; p < kc; p++) {
    const b0 = v128.load(pb), b1 = v128.load(pb, 16);
    let x = v128.load32_splat(a);
    c00 = madd(x, b0, c00); c01 = madd(x, b1, c01);
    x = packed ? v128.load32_splat(a, 4) : v128.load32_splat(a + rs);
    c10 = madd(x, b0, c10); c11 = madd(x, b1, c11);
    x = packed ? v128.load32_splat(a, 8) : v128.load32_splat(a + o2);
    c20 = madd(x, b0, c20); c21 = madd(x, b1, c21);
    x = packed ? v128.load32_splat(a, 12) : v128.load32_splat(a + o3);
    c30 = madd(x, b0, c30); c31 = madd(x, b1, c31);
    x = packed ? v128.load32_splat(a, 16) : v128.load32_splat(a + o4);
    c40 = madd(x, b0, c40); c41 = madd(x, b1, c41);
    x = packed ? v128.load32_splat(a, 20) : v128.load32_splat(a + o5);
    c50 = madd(x, b0, c50); c51 = madd(x, b1, c51);
    a += packed ? 24 : cs;
    pb += NR << 2;
  }
  store_row(c, c00, c01, NR, accumulate);
  store_row(c + ldc, c10, c11, NR, accumulate);
  store_row(c + ldc * 2, c20, c21, NR, accumulate);
  store_row(c + ldc * 3, c30, c31, NR, accumulate);
  store_row(c + ldc * 4, c40, c41, NR, accumulate);
  store_row(c + ldc * 5, c50, c51, NR, accumulate);
}

// An edge tile of a 6-row strip (mr < 6 rows or nr < 8 columns): rows 0-3, then 4-5, as 4×8 tiles
// (row r of A at a + r·rs, the next k cs bytes on). Rows past the tile read its part's first row
// again, in bounds (and columns past it read the zero-padded panel); only the tile is stored.
function edge_6(c: usize, ldc: usize, a: usize, rs: usize, cs: usize, pb: usize, kc: i32, accumulate: bool, mr: i32, nr: i32): void {
  for (let r = 0; r < mr; r += 4) {
    const rows = min(4, mr - r);
    micro_4x8(c + ldc * r, ldc, a + rs * r, rows > 1 ? rs : 0, rows > 2 ? rs * 2 : 0, rows > 3 ? rs * 3 : 0, cs, pb, kc, accumulate, false, rows, nr);
  }
}

// Stores the first nr (1 .. 8) of the 8 values lo:hi at p, or adds them to what is there.
// @ts-ignore: decorator
@inline export function store_row(p: usize, lo: v128, hi: v128, nr: i32, accumulate: bool): void {
  if (nr >= 4) {
    v128.store(p, accumulate ? f32x4.add(lo, v128.load(p)) : lo);
    if (nr > 4) store_part(p + 16, hi, nr - 4, accumulate);
  } else {
    store_part(p, lo, nr, accumulate);
  }
}

// Stores the first n (1 .. 4) lanes of v at p, or adds them to what is there.
// @ts-ignore: decorator
@inline function store_part(p: usize, v: v128, n: i32, accumulate: bool): void {
  if (n == 4) {
    v128.store(p, accumulate ? f32x4.add(v, v128.load(p)) : v);
    return;
  }
  if (accumulate) v = f32x4.add(v, n == 1 ? v128.load32_zero(p) : v128.load64_zero(p));
  if (n == 1) {
    v128.store32_lane(p, v, 0);
  } else {
    v128.store64_lane(p, v, 0);
    if (n == 3) {
      // load64_zero added lanes 0 and 1 only.
      store<f32>(p + 8, accumulate ? f32x4.extract_lane(v, 2) + load<f32>(p + 8) : f32x4.extract_lane(v, 2));
    }
  }
}

// Rows i0 .. i1 and columns j0 .. j1 of out (all of it: 0, m, 0, n). Each output element is the same
// sum in the same order whatever the block (the K blocks and the kernel chosen depend on m, n and k
// only, and a tile's lanes do not mix), so threads that take blocks starting at multiples of MR rows
// or NR columns give the bits one thread gives.
export function gemm(out: usize, a: usize, b: usize, m: i32, n: i32, k: i32,
              transA: bool, transB: bool, accumulate: bool, work: usize, bias: usize = 0, relu: bool = false,
              i0: i32 = 0, i1: i32 = m, j0: i32 = 0, j1: i32 = n): void {
  if (i1 <= i0 || j1 <= j0) return;
  const epi = bias != 0 || relu;
  if (k <= 0) {
    const ldc = <usize>n << 2, cols = j1 - j0;
    for (let i = i0; i < i1; i++) {
      const row = out + ldc * i + (<usize>j0 << 2);
      if (!accumulate) memory.fill(row, 0, <usize>cols << 2);
      if (epi) epilogue(row, ldc, 1, cols, bias == 0 ? 0 : bias + (<usize>j0 << 2), relu);
    }
    return;
  }
  if (narrow(m, n, k, transA)) {
    gemm_narrow(out, a, b, m, n, k, transB, accumulate, work, i0, i1);
    return;
  }
  const pb = work;
  const pa = pb + (<usize>min(k, KC) * roundUp(min(n, NC), NR) << 2);
  const ldb = transB ? k : n;
  for (let jc = j0; jc < j1; jc += NC) {
    const nc = min(NC, j1 - jc);
    for (let pc = 0, kb = kblock(k); pc < k; pc += kb) {
      const kc = min(kb, k - pc);
      if (transB) pack_b_t(pb, b, ldb, jc, pc, nc, kc);
      else pack_b(pb, b, ldb, jc, pc, nc, kc);
      for (let ic = i0; ic < i1; ic += MC) block(out, a, pa, pb, m, n, k, transA, accumulate, bias, relu, ic, min(MC, i1 - ic), jc, nc, pc, kc);
    }
  }
}

// Rows ic .. ic + mc, columns jc .. jc + nc of out, K block pc .. pc + kc, B's block packed at pb: A's
// rows packed at pa (or read in place), then the micro-kernels; the bias and ReLU go on in the last
// block of K, strip by strip while the strip is in L1.
function block(out: usize, a: usize, pa: usize, pb: usize, m: i32, n: i32, k: i32, transA: bool, accumulate: bool,
               bias: usize, relu: bool, ic: i32, mc: i32, jc: i32, nc: i32, pc: i32, kc: i32): void {
  const packA = n >= PACK_A_MIN_N;
  // Element (i, p) of op(A) is at a + i·rs + p·cs (in a packed strip: at strip + i·4 + p·4·PR).
  const rs: usize = packA ? 4 : transA ? 4 : <usize>k << 2;
  const cs: usize = packA ? <usize>(PR << 2) : transA ? <usize>m << 2 : 4;
  const ldc = <usize>n << 2, acc = accumulate || pc > 0;
  if (packA) {
    if (transA) pack_a_t(pa, a, m, ic, pc, mc, kc);
    else pack_a(pa, a, k, ic, pc, mc, kc);
  }
  const c0 = out + ldc * ic + (<usize>jc << 2);
  const bj: usize = bias == 0 ? 0 : bias + (<usize>jc << 2);
  const last = (bias != 0 || relu) && pc + kc >= k;
  if (packA) panels_packed(c0, ldc, pa, pb, mc, nc, kc, acc, last, bj, relu);
  else panels_direct(c0, ldc, a + rs * ic + cs * pc, rs, cs, pb, mc, nc, kc, acc, last, bj, relu);
}

/**
 * Share t of `shares` of op(A)·op(B) (flags as gemm_tile_f32's) split along K (threaded build only;
 * op(B) = B, N ≤ 256, K in at least `shares` blocks: more than 256·(shares - 1)): its whole K blocks
 * (kblock), for all M rows, added to what share t - 1 left in out, in chunks of `rows` rows (rounded
 * up to whole strips of PR rows: the host's 4 are 6 in the relaxed build; measured at 2 threads on the
 * MLP's 64×128×784, the first chunk being share 1's wait and the last share 0's idle: on a 2-core AMD
 * EPYC VM 4 or 8 rows 157 µs, 12 166, 24 188; on a 2-core Intel Xeon VM 4 rows 188-194 µs, 8 rows
 * 199-203, and in the relaxed build under Node 24 6 rows 136-143 µs, 12 rows 146-148). Before
 * chunk c (from 1) it waits until the i32 at `wait` (0: none) reaches c, share t - 1 having summed its
 * blocks for those rows; after it, it stores c at `post` (0: none). Each element is summed block after
 * block as one thread sums it, so the bits are one thread's, and a thread reads only its rows of B (a
 * layer's weights, which the optimizer's split updates by rows on the same thread). B's rows are packed
 * once: work holds (its K range)·roundUp(N, 8) floats, then 12·256 floats for A's strips (rows ≤ 12).
 */
export function gemm_ksplit_f32(out: usize, a: usize, b: usize, bias: usize, m: i32, n: i32, k: i32, flags: i32, work: usize,
                                t: i32, shares: i32, rows: i32, wait: usize, post: usize): void {
  if (!ASC_FEATURE_THREADS) return;
  const kb = kblock(k), blocks = (k + kb - 1) / kb;
  const p0 = t * blocks / shares * kb, p1 = min(k, (t + 1) * blocks / shares * kb);
  const ncr = roundUp(n, NR), pa = work + (<usize>(p1 - p0) * ncr << 2), chunk = roundUp(rows, PR);
  for (let pc = p0; pc < p1; pc += kb) pack_b(work + (<usize>(pc - p0) * ncr << 2), b, n, 0, pc, n, min(kb, p1 - pc));
  for (let i = 0, c = 1; i < m; i += chunk, c++) {
    if (wait != 0) while (atomic.load<i32>(wait) < c) {}
    for (let pc = p0; pc < p1; pc += kb) {
      block(out, a, pa, work + (<usize>(pc - p0) * ncr << 2), m, n, k, (flags & 1) != 0, (flags & 4) != 0, bias, (flags & 8) != 0,
        i, min(chunk, m - i), 0, n, pc, min(kb, p1 - pc));
    }
    if (post != 0) atomic.store<i32>(post, c);
  }
}

// ── Narrow products: Aᵀ·B with N ≤ 8 and a long K. A 4×8 tile wastes lanes on them (6 filters use
// 6 of 8), so these keep a vector of 4 rows of Aᵀ per column instead: acc[j] += Aᵀ[i..i+3][k] · B[k][j],
// one accumulator per column. The 4 rows of Aᵀ at a k are adjacent in A (one load); B is read as
// k-major rows of cols floats: B itself when N is 1, 2, 3, 4, 6 or 8, else (and for Bᵀ) packed
// once, zero-padded to cols. K goes in blocks of KC so that the rows a block touches stay in L1
// across the strips of M.
function gemm_narrow(out: usize, a: usize, b: usize, m: i32, n: i32, k: i32, transB: bool, accumulate: bool, work: usize,
                     i0: i32, i1: i32): void {
  const cols = n <= 4 ? n : n <= 6 ? 6 : 8;
  let bk = b;
  if (transB || cols != n) { // → [K][cols], zero-padded
    bk = work;
    for (let p = 0; p < k; p++) {
      for (let j = 0; j < cols; j++) {
        const v: f32 = j >= n ? 0 : transB ? load<f32>(b + ((<usize>j * k + p) << 2)) : load<f32>(b + ((<usize>p * n + j) << 2));
        store<f32>(bk + ((<usize>p * cols + j) << 2), v);
      }
    }
  }
  const ldc = <usize>n << 2, bs = <usize>cols << 2, cs = <usize>m << 2;
  for (let pc = 0; pc < k; pc += KC) {
    const kc = min(KC, k - pc);
    const acc = accumulate || pc > 0;
    const bp = bk + bs * pc;
    // Strips of 4 rows (m ≥ 4 here); when m is not a multiple of 4, the last strip is the last 4 rows
    // and stores only the rows no earlier strip did.
    for (let i = i0; i < i1; i += MR) {
      const top = min(i, m - MR);
      const ap = a + (<usize>top << 2) + cs * pc, cp = out + ldc * top;
      const skip = i - top; // rows of this strip already stored
      switch (cols) {
        case 1: narrow_cols(cp, ldc, n, skip, ap, cs, bp, bs, kc, acc, 1); break;
        case 2: narrow_cols(cp, ldc, n, skip, ap, cs, bp, bs, kc, acc, 2); break;
        case 3: narrow_cols(cp, ldc, n, skip, ap, cs, bp, bs, kc, acc, 3); break;
        case 4: narrow_cols(cp, ldc, n, skip, ap, cs, bp, bs, kc, acc, 4); break;
        case 6: narrow_cols(cp, ldc, n, skip, ap, cs, bp, bs, kc, acc, 6); break;
        default: narrow_cols(cp, ldc, n, skip, ap, cs, bp, bs, kc, acc, 8);
      }
    }
  }
}

// The 4×cols tile at c: rows of Aᵀ at a (4 adjacent floats per k, cs bytes apart), B rows of cols
// floats bs bytes apart; rows skip .. 3 and the first n ≤ cols columns are stored (cols is a literal
// at each call).
// @ts-ignore: decorator
@inline function narrow_cols(c: usize, ldc: usize, n: i32, skip: i32, a: usize, cs: usize, b: usize, bs: usize, kc: i32,
                             accumulate: bool, cols: i32): void {
  let c0 = f32x4.splat(0), c1 = f32x4.splat(0), c2 = f32x4.splat(0), c3 = f32x4.splat(0);
  let c4 = f32x4.splat(0), c5 = f32x4.splat(0), c6 = f32x4.splat(0), c7 = f32x4.splat(0);
  for (let p = 0; p < kc; p++) {
    const x = v128.load(a);
    c0 = madd(x, v128.load32_splat(b), c0);
    if (cols > 1) c1 = madd(x, v128.load32_splat(b, 4), c1);
    if (cols > 2) c2 = madd(x, v128.load32_splat(b, 8), c2);
    if (cols > 3) c3 = madd(x, v128.load32_splat(b, 12), c3);
    if (cols > 4) c4 = madd(x, v128.load32_splat(b, 16), c4);
    if (cols > 5) c5 = madd(x, v128.load32_splat(b, 20), c5);
    if (cols > 6) c6 = madd(x, v128.load32_splat(b, 24), c6);
    if (cols > 7) c7 = madd(x, v128.load32_splat(b, 28), c7);
    a += cs;
    b += bs;
  }
  // Column j of the tile is c_j (lane r = row r).
  store_columns(c, ldc, skip, MR, n, accumulate, f32x4.splat(0), f32x4.splat(0), false, c0, c1, c2, c3, c4, c5, c6, c7);
}

/**
 * Stores a 4×8 tile held by columns (c_j's lane r is row r, column j) as rows from .. to-1 of C at c
 * (row stride ldc bytes), first n columns: plus bias lo:hi, then max(·, 0) with relu, or added to C
 * with accumulate. Transposed in registers: going through memory (vector stores, then scalar loads)
 * stalled store forwarding and took longer than a short product.
 */
// @ts-ignore: decorator (global: conv.ts calls it without an import; v128 parameters must not be exported)
@global function store_columns(c: usize, ldc: usize, from: i32, to: i32, n: i32, accumulate: bool, bl: v128, bh: v128, relu: bool,
                              c0: v128, c1: v128, c2: v128, c3: v128, c4: v128, c5: v128, c6: v128, c7: v128): void {
  const t0 = v128.shuffle<f32>(c0, c1, 0, 4, 1, 5), t1 = v128.shuffle<f32>(c2, c3, 0, 4, 1, 5);
  const t2 = v128.shuffle<f32>(c0, c1, 2, 6, 3, 7), t3 = v128.shuffle<f32>(c2, c3, 2, 6, 3, 7);
  const u0 = v128.shuffle<f32>(c4, c5, 0, 4, 1, 5), u1 = v128.shuffle<f32>(c6, c7, 0, 4, 1, 5);
  const u2 = v128.shuffle<f32>(c4, c5, 2, 6, 3, 7), u3 = v128.shuffle<f32>(c6, c7, 2, 6, 3, 7);
  for (let r = from; r < to; r++) {
    let lo: v128, hi: v128;
    if (r == 0) { lo = v128.shuffle<f64>(t0, t1, 0, 2); hi = v128.shuffle<f64>(u0, u1, 0, 2); }
    else if (r == 1) { lo = v128.shuffle<f64>(t0, t1, 1, 3); hi = v128.shuffle<f64>(u0, u1, 1, 3); }
    else if (r == 2) { lo = v128.shuffle<f64>(t2, t3, 0, 2); hi = v128.shuffle<f64>(u2, u3, 0, 2); }
    else { lo = v128.shuffle<f64>(t2, t3, 1, 3); hi = v128.shuffle<f64>(u2, u3, 1, 3); }
    lo = f32x4.add(lo, bl);
    hi = f32x4.add(hi, bh);
    if (relu) {
      lo = f32x4.max(lo, f32x4.splat(0));
      hi = f32x4.max(hi, f32x4.splat(0));
    }
    store_row(c + ldc * r, lo, hi, n, accumulate);
  }
}

// The jr/ir loops over one block, in two copies (packed A or A in place) so that each holds one
// inlined micro-kernel: with both in one loop body V8 ran the packed case 30-40% slower here.
function panels_packed(c0: usize, ldc: usize, pa: usize, pb: usize, mc: i32, nc: i32, kc: i32, acc: bool,
                       epi: bool, bias: usize, relu: bool): void {
  panels(c0, ldc, pa, 4, <usize>(PR << 2), pb, mc, nc, kc, acc, epi, bias, relu, true);
}

function panels_direct(c0: usize, ldc: usize, a: usize, rs: usize, cs: usize, pb: usize, mc: i32, nc: i32, kc: i32, acc: bool,
                       epi: bool, bias: usize, relu: bool): void {
  panels(c0, ldc, a, rs, cs, pb, mc, nc, kc, acc, epi, bias, relu, false);
}

// @ts-ignore: decorator
@inline function panels(c0: usize, ldc: usize, a: usize, rs: usize, cs: usize, pb: usize,
                        mc: i32, nc: i32, kc: i32, acc: bool, epi: bool, bias: usize, relu: bool, packed: bool): void {
  // Strips outside, panels inside: a strip of A stays in L1 across the panels (the whole packed B
  // block is in L2 either way). Measured here: conv-shaped products with few panels (6400×16×150,
  // 150×16×6400 Aᵀ·B, 6400×150×16 A·Bᵀ) 2-9% faster, square and MLP products unchanged.
  for (let ir = 0; ir < mc; ir += PR) {
    const mr = min(PR, mc - ir);
    for (let jr = 0; jr < nc; jr += NR) {
      const nr = min(NR, nc - jr);
      const bp = pb + (<usize>jr * kc << 2);
      // A packed strip is PR·kc floats; unpacked, strip ir starts ir rows down.
      const ap = packed ? a + (<usize>ir * kc << 2) : a + rs * ir;
      const cp = c0 + ldc * ir + (<usize>jr << 2);
      if (PR == 6) {
        if (mr == PR && nr == NR) micro_6x8(cp, ldc, ap, rs, cs, bp, kc, acc, packed);
        else edge_6(cp, ldc, ap, rs, cs, bp, kc, acc, mr, nr);
      } else if (mr == MR && nr == NR) {
        micro_4x8(cp, ldc, ap, rs, rs * 2, rs * 3, cs, bp, kc, acc, packed, MR, NR);
      } else {
        // Unpacked, rows past M read row 0 again (in bounds); their results are not stored.
        const pad = packed || mr == MR;
        const o1: usize = pad || mr > 1 ? rs : 0, o2: usize = pad || mr > 2 ? rs * 2 : 0, o3: usize = pad || mr > 3 ? rs * 3 : 0;
        if (nr <= 4) micro_4x8(cp, ldc, ap, o1, o2, o3, cs, bp, kc, acc, packed, mr, nr, true);
        else micro_4x8(cp, ldc, ap, o1, o2, o3, cs, bp, kc, acc, packed, mr, nr);
      }
    }
    if (epi) epilogue(c0 + ldc * ir, ldc, mr, nc, bias, relu);
  }
}

// rows × cols of C at c (row stride ldc bytes): += bias[j] when bias is not 0, then max(·, 0) with relu
// (the same operations as add_rows_forward_f32 and relu_forward_f32, so fused and unfused agree).
function epilogue(c: usize, ldc: usize, rows: i32, cols: i32, bias: usize, relu: bool): void {
  const zero = f32x4.splat(0);
  for (let r = 0; r < rows; r++) {
    const row = c + ldc * r;
    let j = 0;
    for (; j + 4 <= cols; j += 4) {
      const o = <usize>j << 2;
      let v = v128.load(row + o);
      if (bias != 0) v = f32x4.add(v, v128.load(bias + o));
      if (relu) v = f32x4.max(v, zero);
      v128.store(row + o, v);
    }
    for (; j < cols; j++) {
      const o = <usize>j << 2;
      let v = load<f32>(row + o);
      if (bias != 0) v += load<f32>(bias + o);
      if (relu) v = max<f32>(v, 0);
      store<f32>(row + o, v);
    }
  }
}

/**
 * out[B·OH·OW × F] = relu?(windows(inp) · filter + bias): a convolution at stride 1 with 'valid' windows
 * KH×KW over inp [B][H][W][C], read in place (no im2col), filter [KH·KW·C][F], KH·KW·C ≤ 256. bias may
 * be 0. work: gemm_workspace_bytes(B·OH·OW, F, KH·KW·C).
 */
export function gemm_conv_f32(out: usize, inp: usize, filter: usize, bias: usize, batch: i32, h: i32, w: i32, c: i32,
                              kh: i32, kw: i32, oh: i32, ow: i32, f: i32, relu: i32, work: usize): void {
  const m = batch * oh * ow, k = kh * kw * c, seg = kw * c, pixel = <usize>c << 2, ldc = <usize>f << 2;
  const jump = <usize>(w - kw) * pixel;
  for (let jc = 0; jc < f; jc += NC) {
    const nc = min(NC, f - jc);
    pack_b(work, filter, f, jc, 0, nc, k);
    const c0 = out + (<usize>jc << 2), bj: usize = bias == 0 ? 0 : bias + (<usize>jc << 2);
    for (let i = 0; i < m; i += MR) {
      const mr = min(MR, m - i);
      // The window of output pixel p starts at its top-left input pixel; rows past M repeat row 0.
      const a = inp + window(i, oh, ow, h, w) * pixel;
      const o1: usize = mr > 1 ? inp + window(i + 1, oh, ow, h, w) * pixel - a : 0;
      const o2: usize = mr > 2 ? inp + window(i + 2, oh, ow, h, w) * pixel - a : 0;
      const o3: usize = mr > 3 ? inp + window(i + 3, oh, ow, h, w) * pixel - a : 0;
      const cp = c0 + ldc * i;
      for (let jr = 0; jr < nc; jr += NR) {
        const nr = min(NR, nc - jr), bp = work + (<usize>jr * k << 2), t = cp + (<usize>jr << 2);
        micro_4x8(t, ldc, a, o1, o2, o3, 4, bp, k, false, false, mr, nr, false, seg, jump);
      }
      if (bias != 0 || relu != 0) epilogue(cp, ldc, mr, nc, bj, relu != 0);
    }
  }
}

// The top-left input pixel (flat index) of output pixel p's window, stride 1, no padding.
// @ts-ignore: decorator
@inline function window(p: i32, oh: i32, ow: i32, h: i32, w: i32): usize {
  const b = p / (oh * ow), r = p - b * oh * ow, oy = r / ow;
  return <usize>((b * h + oy) * w + r - oy * ow);
}

/**
 * The backward of out = relu?(x·W + bias) up to the product: dpre = relu ? (out > 0) · dout : dout,
 * written (dpre is scratch, not a gradient), and dbias += Σ_rows dpre when dbias is not 0.
 */
export function bias_relu_backward_f32(dpre: usize, dbias: usize, out: usize, dout: usize, rows: i32, cols: i32, relu: i32): void {
  const rowBytes = <usize>cols << 2;
  // Blocks of 8 columns, their sums in registers down all the rows (adding to dbias in memory row
  // after row would chain every row's store to the next row's load).
  for (let j = 0; j < cols; j += 8) {
    const n = min(8, cols - j), o = <usize>j << 2;
    let slo = f32x4.splat(0), shi = f32x4.splat(0);
    for (let r = 0; r < rows; r++) {
      const at = rowBytes * r + o;
      let lo = load_part(dout + at, n), hi = load_part(dout + at + 16, n - 4);
      if (relu) {
        lo = v128.and(lo, f32x4.gt(load_part(out + at, n), f32x4.splat(0)));
        hi = v128.and(hi, f32x4.gt(load_part(out + at + 16, n - 4), f32x4.splat(0)));
      }
      store_row(dpre + at, lo, hi, n, false);
      slo = f32x4.add(slo, lo);
      shi = f32x4.add(shi, hi);
    }
    if (dbias) store_row(dbias + o, slo, shi, n, true);
  }
}

// The first min(n, 4) floats at p in the low lanes (none for n ≤ 0), zeros above; reads nothing past them.
// @ts-ignore: decorator
@inline export function load_part(p: usize, n: i32): v128 {
  if (n >= 4) return v128.load(p);
  if (n <= 0) return f32x4.splat(0);
  if (n == 1) return v128.load32_zero(p);
  const v = v128.load64_zero(p);
  return n == 2 ? v : f32x4.replace_lane(v, 2, load<f32>(p, 8));
}

/**
 * out[M×N] (+)= relu?(op(A)·op(B) + bias), rows i0 .. i1 and columns j0 .. j1 of it (all: 0, M, 0, N;
 * a thread's share: i0 a multiple of 4, j0 of 8, and the narrow kernel, N ≤ 8, takes all columns).
 * flags: bit 0 op(A) = Aᵀ (A stored K×M), bit 1 op(B) = Bᵀ (B stored N×K), bit 2 accumulate into out,
 * bit 3 ReLU (with bias, not with accumulate); bias may be 0. work: gemm_workspace_bytes(M, N, K), a
 * thread's own.
 */
export function gemm_tile_f32(out: usize, a: usize, b: usize, bias: usize, m: i32, n: i32, k: i32, flags: i32, work: usize,
                              i0: i32, i1: i32, j0: i32, j1: i32): void {
  gemm(out, a, b, m, n, k, (flags & 1) != 0, (flags & 2) != 0, (flags & 4) != 0, work, bias, (flags & 8) != 0, i0, i1, j0, j1);
}
