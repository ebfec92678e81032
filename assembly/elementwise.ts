// Elementwise arithmetic and the row-broadcast (bias) family. Pointers are byte addresses, n, rows
// and cols are elements. Backward kernels accumulate (+=) into their gradient outputs.

/** out = a + b */
export function add_forward_f32(out: usize, a: usize, b: usize, n: i32): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(out + o, f32x4.add(v128.load(a + o), v128.load(b + o)));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(out + o, load<f32>(a + o) + load<f32>(b + o));
  }
}

/** out = a - b */
export function sub_forward_f32(out: usize, a: usize, b: usize, n: i32): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(out + o, f32x4.sub(v128.load(a + o), v128.load(b + o)));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(out + o, load<f32>(a + o) - load<f32>(b + o));
  }
}

/** out = a * b */
export function mul_forward_f32(out: usize, a: usize, b: usize, n: i32): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(out + o, f32x4.mul(v128.load(a + o), v128.load(b + o)));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(out + o, load<f32>(a + o) * load<f32>(b + o));
  }
}

/** dinp += dout * other (the backward of mul for one operand) */
export function mul_backward_f32(dinp: usize, dout: usize, other: usize, n: i32): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(dinp + o, f32x4.add(v128.load(dinp + o), f32x4.mul(v128.load(dout + o), v128.load(other + o))));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(dinp + o, load<f32>(dinp + o) + load<f32>(dout + o) * load<f32>(other + o));
  }
}

/** out = inp * alpha */
export function scale_forward_f32(out: usize, inp: usize, n: i32, alpha: f32): void {
  const va = f32x4.splat(alpha);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(out + o, f32x4.mul(v128.load(inp + o), va));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(out + o, load<f32>(inp + o) * alpha);
  }
}

/** y += alpha * x: the backward of add, sub and scale */
export function axpy_f32(y: usize, x: usize, n: i32, alpha: f32): void {
  const va = f32x4.splat(alpha);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(y + o, f32x4.add(v128.load(y + o), f32x4.mul(v128.load(x + o), va)));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(y + o, load<f32>(y + o) + load<f32>(x + o) * alpha);
  }
}

/** out[r][c] = inp[r][c] + alpha * row[c]: bias add (alpha 1) and row-broadcast sub (alpha -1) */
export function add_rows_forward_f32(out: usize, inp: usize, row: usize, rows: i32, cols: i32, alpha: f32): void {
  const va = f32x4.splat(alpha);
  const rowBytes = <usize>cols << 2;
  for (let r = 0; r < rows; r++) {
    const o0 = rowBytes * r;
    let c = 0;
    for (; c + 4 <= cols; c += 4) {
      const o = <usize>c << 2;
      v128.store(out + o0 + o, f32x4.add(v128.load(inp + o0 + o), f32x4.mul(v128.load(row + o), va)));
    }
    for (; c < cols; c++) {
      const o = <usize>c << 2;
      store<f32>(out + o0 + o, load<f32>(inp + o0 + o) + load<f32>(row + o) * alpha);
    }
  }
}

/** drow[c] += alpha * Σ_r dout[r][c]: the bias gradient (column sums) */
export function colsum_backward_f32(drow: usize, dout: usize, rows: i32, cols: i32, alpha: f32): void {
  const va = f32x4.splat(alpha);
  const rowBytes = <usize>cols << 2;
  let c = 0;
  for (; c + 4 <= cols; c += 4) {
    const o = <usize>c << 2;
    let s = f32x4.splat(0);
    for (let r = 0; r < rows; r++) s = f32x4.add(s, v128.load(dout + rowBytes * r + o));
    v128.store(drow + o, f32x4.add(v128.load(drow + o), f32x4.mul(s, va)));
  }
  for (; c < cols; c++) {
    const o = <usize>c << 2;
    let s: f32 = 0;
    for (let r = 0; r < rows; r++) s += load<f32>(dout + rowBytes * r + o);
    store<f32>(drow + o, load<f32>(drow + o) + s * alpha);
  }
}

/** out = Σ inp (a scalar), summed in f64 */
export function sum_forward_f32(out: usize, inp: usize, n: i32): void {
  let s: f64 = 0;
  for (let i = 0; i < n; i++) s += <f64>load<f32>(inp + (<usize>i << 2));
  store<f32>(out, <f32>s);
}

/** dinp += dout[0] * alpha: the backward of sum (alpha 1) and mean (alpha 1/n) */
export function sum_backward_f32(dinp: usize, dout: usize, n: i32, alpha: f32): void {
  const g = load<f32>(dout) * alpha;
  const vg = f32x4.splat(g);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(dinp + o, f32x4.add(v128.load(dinp + o), vg));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(dinp + o, load<f32>(dinp + o) + g);
  }
}

/** out = l1·Σ|w| + l2·Σw² (a scalar, summed in f64): the L1/L2 penalty on a weight. */
export function l1l2_forward_f32(out: usize, w: usize, n: i32, l1: f32, l2: f32): void {
  let a: f64 = 0, b: f64 = 0;
  for (let i = 0; i < n; i++) {
    const x = <f64>load<f32>(w + (<usize>i << 2));
    a += Math.abs(x);
    b += x * x;
  }
  store<f32>(out, <f32>(<f64>l1 * a + <f64>l2 * b));
}

/** dw += dout[0]·(l1·sign(w) + 2·l2·w) */
export function l1l2_backward_f32(dw: usize, w: usize, dout: usize, n: i32, l1: f32, l2: f32): void {
  const g = load<f32>(dout);
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 2;
    const x = load<f32>(w + o);
    const s: f32 = x > 0 ? 1 : x < 0 ? -1 : 0;
    store<f32>(dw + o, load<f32>(dw + o) + g * (l1 * s + 2 * l2 * x));
  }
}

/** out = max(a, b) (isMax) or min(a, b), elementwise. */
export function minmax_forward_f32(out: usize, a: usize, b: usize, n: i32, isMax: i32): void {
  let i = 0;
  if (isMax) {
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      v128.store(out + o, f32x4.pmax(v128.load(a + o), v128.load(b + o)));
    }
  } else {
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      v128.store(out + o, f32x4.pmin(v128.load(a + o), v128.load(b + o)));
    }
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const x = load<f32>(a + o), y = load<f32>(b + o);
    store<f32>(out + o, isMax ? (x < y ? y : x) : (y < x ? y : x));
  }
}

/**
 * Backward of minmax_forward_f32, as TensorFlow routes it: for max, da += dout where a >= b and
 * db += dout where a < b; for min, da += dout where a <= b and db += dout where a > b. A null
 * gradient pointer skips that operand.
 */
export function minmax_backward_f32(da: usize, db: usize, a: usize, b: usize, dout: usize, n: i32, isMax: i32): void {
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 2;
    const x = load<f32>(a + o), y = load<f32>(b + o), g = load<f32>(dout + o);
    const toA = isMax ? x >= y : x <= y;
    if (toA) {
      if (da != 0) store<f32>(da + o, load<f32>(da + o) + g);
    } else if (db != 0) {
      store<f32>(db + o, load<f32>(db + o) + g);
    }
  }
}
