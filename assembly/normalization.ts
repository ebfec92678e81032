// Batch and layer normalization. Inputs are [rows, cols]: batch norm normalizes each column (a
// channel: rows are batch × height × width), layer norm each row. Sums run in f64; the elementwise
// passes are SIMD across columns. `work` is scratch of 8 × cols floats the host provides.

/** out[r][c] = inp[r][c] · scale[c] + shift[c] */
function affine_columns(out: usize, inp: usize, scale: usize, shift: usize, rows: i32, cols: i32): void {
  const rowBytes = <usize>cols << 2;
  for (let r = 0; r < rows; r++) {
    const o0 = rowBytes * r;
    let c = 0;
    for (; c + 4 <= cols; c += 4) {
      const o = <usize>c << 2;
      v128.store(out + o0 + o, f32x4.add(f32x4.mul(v128.load(inp + o0 + o), v128.load(scale + o)), v128.load(shift + o)));
    }
    for (; c < cols; c++) {
      const o = <usize>c << 2;
      store<f32>(out + o0 + o, load<f32>(inp + o0 + o) * load<f32>(scale + o) + load<f32>(shift + o));
    }
  }
}

// work[c] (f64) = Σ_r inp[r][c]
function column_sums(work: usize, inp: usize, rows: i32, cols: i32): void {
  for (let c = 0; c < cols; c++) store<f64>(work + (<usize>c << 3), 0);
  for (let r = 0; r < rows; r++) {
    const row = inp + (<usize>r * <usize>cols << 2);
    for (let c = 0; c < cols; c++) {
      const w = work + (<usize>c << 3);
      store<f64>(w, load<f64>(w) + <f64>load<f32>(row + (<usize>c << 2)));
    }
  }
}

// work[c] (f64) = Σ_r (inp[r][c] - mean[c])²
function column_sq_dev(work: usize, inp: usize, mean: usize, rows: i32, cols: i32): void {
  for (let c = 0; c < cols; c++) store<f64>(work + (<usize>c << 3), 0);
  for (let r = 0; r < rows; r++) {
    const row = inp + (<usize>r * <usize>cols << 2);
    for (let c = 0; c < cols; c++) {
      const w = work + (<usize>c << 3);
      const d = <f64>load<f32>(row + (<usize>c << 2)) - <f64>load<f32>(mean + (<usize>c << 2));
      store<f64>(w, load<f64>(w) + d * d);
    }
  }
}

/**
 * Batch norm in training: per column, mean and biased variance of the batch; out = γ·(x - mean)/√(var + ε) + β.
 * stats gets [mean (cols), 1/√(var + ε) (cols)] for the backward pass; the moving statistics become
 * moving·momentum + batch·(1 - momentum).
 */
export function batchnorm_forward_f32(out: usize, stats: usize, movingMean: usize, movingVar: usize, inp: usize,
  gamma: usize, beta: usize, rows: i32, cols: i32, momentum: f32, epsilon: f32, work: usize): void {
  const invstd = stats + (<usize>cols << 2);
  column_sums(work, inp, rows, cols);
  for (let c = 0; c < cols; c++) store<f32>(stats + (<usize>c << 2), <f32>(load<f64>(work + (<usize>c << 3)) / <f64>rows));
  column_sq_dev(work, inp, stats, rows, cols);
  const scale = work + (<usize>cols << 3), shift = scale + (<usize>cols << 2);
  for (let c = 0; c < cols; c++) {
    const o = <usize>c << 2;
    const variance = load<f64>(work + (<usize>c << 3)) / <f64>rows;
    const mean = load<f32>(stats + o);
    const s = <f32>(1 / Math.sqrt(variance + <f64>epsilon));
    store<f32>(invstd + o, s);
    store<f32>(movingMean + o, load<f32>(movingMean + o) * momentum + mean * (1 - momentum));
    store<f32>(movingVar + o, load<f32>(movingVar + o) * momentum + <f32>variance * (1 - momentum));
    const g = load<f32>(gamma + o) * s;
    store<f32>(scale + o, g);
    store<f32>(shift + o, load<f32>(beta + o) - mean * g);
  }
  affine_columns(out, inp, scale, shift, rows, cols);
}

/** Batch norm at inference: out = γ·(x - movingMean)/√(movingVar + ε) + β. */
export function batchnorm_infer_f32(out: usize, inp: usize, gamma: usize, beta: usize, movingMean: usize, movingVar: usize,
  rows: i32, cols: i32, epsilon: f32, work: usize): void {
  const scale = work, shift = work + (<usize>cols << 2);
  for (let c = 0; c < cols; c++) {
    const o = <usize>c << 2;
    const g = <f32>(<f64>load<f32>(gamma + o) / Math.sqrt(<f64>load<f32>(movingVar + o) + <f64>epsilon));
    store<f32>(scale + o, g);
    store<f32>(shift + o, load<f32>(beta + o) - load<f32>(movingMean + o) * g);
  }
  affine_columns(out, inp, scale, shift, rows, cols);
}

/**
 * Backward of batchnorm_infer_f32, the per-column affine map out = x·a + b with a = γ/√(movingVar + ε):
 * dβ += Σ dy, dγ += Σ dy·(x - movingMean)/√(movingVar + ε), dx += a·dy. The moving statistics are
 * constants here (a frozen batch norm inside a trained network). A null gradient pointer skips that
 * gradient; `work` holds 4 × cols floats.
 */
export function batchnorm_infer_backward_f32(dinp: usize, dgamma: usize, dbeta: usize, inp: usize, dout: usize,
  gamma: usize, movingMean: usize, movingVar: usize, rows: i32, cols: i32, epsilon: f32, work: usize): void {
  const scale = work, invstd = work + (<usize>cols << 2);
  for (let c = 0; c < cols; c++) {
    const o = <usize>c << 2;
    const s = 1 / Math.sqrt(<f64>load<f32>(movingVar + o) + <f64>epsilon);
    store<f32>(invstd + o, <f32>s);
    store<f32>(scale + o, <f32>(<f64>load<f32>(gamma + o) * s));
  }
  if (dgamma != 0 || dbeta != 0) {
    for (let c = 0; c < cols; c++) {
      const o = <usize>c << 2;
      const m = <f64>load<f32>(movingMean + o), s = <f64>load<f32>(invstd + o);
      let sd: f64 = 0, sdx: f64 = 0;
      for (let r = 0; r < rows; r++) {
        const at = (<usize>r * <usize>cols << 2) + o;
        const dy = <f64>load<f32>(dout + at);
        sd += dy;
        sdx += dy * (<f64>load<f32>(inp + at) - m) * s;
      }
      if (dbeta != 0) store<f32>(dbeta + o, load<f32>(dbeta + o) + <f32>sd);
      if (dgamma != 0) store<f32>(dgamma + o, load<f32>(dgamma + o) + <f32>sdx);
    }
  }
  if (dinp == 0) return;
  const rowBytes = <usize>cols << 2;
  for (let r = 0; r < rows; r++) {
    const o0 = rowBytes * r;
    let c = 0;
    for (; c + 4 <= cols; c += 4) {
      const o = <usize>c << 2;
      v128.store(dinp + o0 + o, f32x4.add(v128.load(dinp + o0 + o), f32x4.mul(v128.load(scale + o), v128.load(dout + o0 + o))));
    }
    for (; c < cols; c++) {
      const o = <usize>c << 2;
      store<f32>(dinp + o0 + o, load<f32>(dinp + o0 + o) + load<f32>(scale + o) * load<f32>(dout + o0 + o));
    }
  }
}

/**
 * Backward of batchnorm_forward_f32 (x̂ = (x - mean)·s): dβ += Σ dy, dγ += Σ dy·x̂,
 * dx += γ·s/n · (n·dy - Σ dy - x̂·Σ dy·x̂). A null gradient pointer skips that gradient.
 */
export function batchnorm_backward_f32(dinp: usize, dgamma: usize, dbeta: usize, inp: usize, dout: usize, stats: usize,
  gamma: usize, rows: i32, cols: i32, work: usize): void {
  const invstd = stats + (<usize>cols << 2);
  const sdy = work, sdyx = work + (<usize>cols << 3);
  for (let c = 0; c < cols; c++) {
    store<f64>(sdy + (<usize>c << 3), 0);
    store<f64>(sdyx + (<usize>c << 3), 0);
  }
  for (let r = 0; r < rows; r++) {
    const at = <usize>r * <usize>cols << 2;
    for (let c = 0; c < cols; c++) {
      const o = <usize>c << 2, w = <usize>c << 3;
      const dy = <f64>load<f32>(dout + at + o);
      const xhat = (<f64>load<f32>(inp + at + o) - <f64>load<f32>(stats + o)) * <f64>load<f32>(invstd + o);
      store<f64>(sdy + w, load<f64>(sdy + w) + dy);
      store<f64>(sdyx + w, load<f64>(sdyx + w) + dy * xhat);
    }
  }
  // dx = k1·dy + k2·x + k3 per column.
  const k1 = work + (<usize>cols << 4), k2 = k1 + (<usize>cols << 2), k3 = k2 + (<usize>cols << 2);
  const n = <f64>rows;
  for (let c = 0; c < cols; c++) {
    const o = <usize>c << 2, w = <usize>c << 3;
    const sd = load<f64>(sdy + w), sdx = load<f64>(sdyx + w);
    if (dbeta != 0) store<f32>(dbeta + o, load<f32>(dbeta + o) + <f32>sd);
    if (dgamma != 0) store<f32>(dgamma + o, load<f32>(dgamma + o) + <f32>sdx);
    const s = <f64>load<f32>(invstd + o);
    const a = <f64>load<f32>(gamma + o) * s;
    const b = -a * sdx * s / n;
    store<f32>(k1 + o, <f32>a);
    store<f32>(k2 + o, <f32>b);
    store<f32>(k3 + o, <f32>(-a * sd / n - b * <f64>load<f32>(stats + o)));
  }
  if (dinp == 0) return;
  const rowBytes = <usize>cols << 2;
  for (let r = 0; r < rows; r++) {
    const o0 = rowBytes * r;
    let c = 0;
    for (; c + 4 <= cols; c += 4) {
      const o = <usize>c << 2;
      const d = f32x4.add(f32x4.add(f32x4.mul(v128.load(k1 + o), v128.load(dout + o0 + o)),
        f32x4.mul(v128.load(k2 + o), v128.load(inp + o0 + o))), v128.load(k3 + o));
      v128.store(dinp + o0 + o, f32x4.add(v128.load(dinp + o0 + o), d));
    }
    for (; c < cols; c++) {
      const o = <usize>c << 2;
      const d = load<f32>(k1 + o) * load<f32>(dout + o0 + o) + load<f32>(k2 + o) * load<f32>(inp + o0 + o) + load<f32>(k3 + o);
      store<f32>(dinp + o0 + o, load<f32>(dinp + o0 + o) + d);
    }
  }
}

/**
 * Layer norm: per row, out = γ·(x - mean)/√(var + ε) + β (biased variance, γ and β per column).
 * stats gets [mean (rows), 1/√(var + ε) (rows)].
 */
export function layernorm_forward_f32(out: usize, stats: usize, inp: usize, gamma: usize, beta: usize,
  rows: i32, cols: i32, epsilon: f32): void {
  const invstd = stats + (<usize>rows << 2);
  for (let r = 0; r < rows; r++) {
    const row = inp + (<usize>r * <usize>cols << 2), dst = out + (<usize>r * <usize>cols << 2);
    let sum: f64 = 0;
    for (let c = 0; c < cols; c++) sum += <f64>load<f32>(row + (<usize>c << 2));
    const mean = sum / <f64>cols;
    let sq: f64 = 0;
    for (let c = 0; c < cols; c++) {
      const d = <f64>load<f32>(row + (<usize>c << 2)) - mean;
      sq += d * d;
    }
    const m = <f32>mean, s = <f32>(1 / Math.sqrt(sq / <f64>cols + <f64>epsilon));
    store<f32>(stats + (<usize>r << 2), m);
    store<f32>(invstd + (<usize>r << 2), s);
    const vm = f32x4.splat(m), vs = f32x4.splat(s);
    let c = 0;
    for (; c + 4 <= cols; c += 4) {
      const o = <usize>c << 2;
      const xhat = f32x4.mul(f32x4.sub(v128.load(row + o), vm), vs);
      v128.store(dst + o, f32x4.add(f32x4.mul(xhat, v128.load(gamma + o)), v128.load(beta + o)));
    }
    for (; c < cols; c++) {
      const o = <usize>c << 2;
      store<f32>(dst + o, (load<f32>(row + o) - m) * s * load<f32>(gamma + o) + load<f32>(beta + o));
    }
  }
}

/**
 * Backward of layernorm_forward_f32: g = dy·γ; dx += s·(g - mean(g) - x̂·mean(g·x̂)); dγ += Σ_r dy·x̂; dβ += Σ_r dy.
 * A null gradient pointer skips that gradient.
 */
export function layernorm_backward_f32(dinp: usize, dgamma: usize, dbeta: usize, inp: usize, dout: usize, stats: usize,
  gamma: usize, rows: i32, cols: i32): void {
  const invstd = stats + (<usize>rows << 2);
  for (let r = 0; r < rows; r++) {
    const at = <usize>r * <usize>cols << 2;
    const m = load<f32>(stats + (<usize>r << 2)), s = load<f32>(invstd + (<usize>r << 2));
    let sg: f64 = 0, sgx: f64 = 0;
    for (let c = 0; c < cols; c++) {
      const o = <usize>c << 2;
      const dy = load<f32>(dout + at + o);
      const xhat = (load<f32>(inp + at + o) - m) * s;
      const g = <f64>(dy * load<f32>(gamma + o));
      sg += g;
      sgx += g * <f64>xhat;
      if (dgamma != 0) store<f32>(dgamma + o, load<f32>(dgamma + o) + dy * xhat);
      if (dbeta != 0) store<f32>(dbeta + o, load<f32>(dbeta + o) + dy);
    }
    if (dinp == 0) continue;
    const mg = <f32>(sg / <f64>cols), mgx = <f32>(sgx / <f64>cols);
    for (let c = 0; c < cols; c++) {
      const o = <usize>c << 2;
      const xhat = (load<f32>(inp + at + o) - m) * s;
      const g = load<f32>(dout + at + o) * load<f32>(gamma + o);
      store<f32>(dinp + at + o, load<f32>(dinp + at + o) + s * (g - mg - xhat * mgx));
    }
  }
}
