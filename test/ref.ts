// Float64 references in plain TypeScript, one per op: the truth the kernels are checked against.

export const add = (a: Float64Array, b: Float64Array) => a.map((x, i) => x + b[i % b.length]!);
export const sub = (a: Float64Array, b: Float64Array) => a.map((x, i) => x - b[i % b.length]!);
export const mul = (a: Float64Array, b: Float64Array) => a.map((x, i) => x * b[i]!);
export const sum = (a: Float64Array) => [a.reduce((s, x) => s + x, 0)];
export const mean = (a: Float64Array) => [a.reduce((s, x) => s + x, 0) / a.length];

export const relu = (x: Float64Array) => x.map((v) => Math.max(v, 0));
export const leakyRelu = (x: Float64Array, alpha = 0.2) => x.map((v) => (v > 0 ? v : alpha * v));
export const sigmoid = (x: Float64Array) => x.map((v) => 1 / (1 + Math.exp(-v)));
export const tanh = (x: Float64Array) => x.map((v) => Math.tanh(v));
export const elu = (x: Float64Array, alpha = 1) => x.map((v) => (v > 0 ? v : alpha * Math.expm1(v)));
// erf by its Maclaurin series (converges for the |x| ≤ 4 used here), independent of the kernel's formula.
function erf(x: number): number {
  let term = x, sum = x;
  for (let n = 1; n < 200; n++) {
    term *= -x * x / n;
    sum += term / (2 * n + 1);
  }
  return 2 / Math.sqrt(Math.PI) * sum;
}
export const gelu = (x: Float64Array) => x.map((v) => 0.5 * v * (1 + erf(v / Math.SQRT2)));
export const swish = (x: Float64Array) => x.map((v) => v / (1 + Math.exp(-v)));
export const softplus = (x: Float64Array) => x.map((v) => Math.log(1 + Math.exp(v)));

export function softmax(x: Float64Array, cols: number): Float64Array {
  const out = new Float64Array(x.length);
  for (let r = 0; r < x.length / cols; r++) {
    const row = x.subarray(r * cols, (r + 1) * cols);
    const m = Math.max(...row);
    let s = 0;
    for (let c = 0; c < cols; c++) s += Math.exp(row[c]! - m);
    for (let c = 0; c < cols; c++) out[r * cols + c] = Math.exp(row[c]! - m) / s;
  }
  return out;
}

/** out[M×N] = op(a)·op(b); a stored M×K (or K×M if ta), b stored K×N (or N×K if tb). */
export function matmul(a: Float64Array, b: Float64Array, m: number, n: number, k: number, ta = false, tb = false): Float64Array {
  const out = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) s += (ta ? a[p * m + i]! : a[i * k + p]!) * (tb ? b[j * k + p]! : b[p * n + j]!);
      out[i * n + j] = s;
    }
  }
  return out;
}

export const mse = (p: Float64Array, t: Float64Array) => [p.reduce((s, v, i) => s + (v - t[i]!) ** 2, 0) / p.length];
export const mae = (p: Float64Array, t: Float64Array) => [p.reduce((s, v, i) => s + Math.abs(v - t[i]!), 0) / p.length];
export const huber = (p: Float64Array, t: Float64Array, delta = 1) =>
  [p.reduce((s, v, i) => { const a = Math.abs(v - t[i]!); return s + (a <= delta ? 0.5 * a * a : delta * (a - 0.5 * delta)); }, 0) / p.length];
export const hinge = (p: Float64Array, t: Float64Array) =>
  [p.reduce((s, v, i) => s + Math.max(1 - (t[i] === 0 ? -1 : t[i]!) * v, 0), 0) / p.length];

const EPS = 1e-7;
const clip = (p: number) => Math.min(Math.max(p, EPS), 1 - EPS);

export function cce(p: Float64Array, t: Float64Array, cols: number): number[] {
  let s = 0;
  for (let i = 0; i < p.length; i++) if (t[i] !== 0) s -= t[i]! * Math.log(clip(p[i]!));
  return [s / (p.length / cols)];
}

export function softmaxCce(logits: Float64Array, t: Float64Array, cols: number): number[] {
  const p = softmax(logits, cols);
  let s = 0;
  for (let i = 0; i < p.length; i++) if (t[i] !== 0) s -= t[i]! * Math.log(p[i]!);
  return [s / (p.length / cols)];
}

export function bce(p: Float64Array, t: Float64Array): number[] {
  let s = 0;
  for (let i = 0; i < p.length; i++) s -= t[i]! * Math.log(clip(p[i]!)) + (1 - t[i]!) * Math.log(1 - clip(p[i]!));
  return [s / p.length];
}

export function sigmoidBce(x: Float64Array, t: Float64Array): number[] {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += Math.max(x[i]!, 0) - x[i]! * t[i]! + Math.log1p(Math.exp(-Math.abs(x[i]!)));
  return [s / x.length];
}

/** Conv2d NHWC, filter [kh, kw, c, f], TensorFlow's padding arithmetic. */
export function conv2d(x: Float64Array, f: Float64Array, xs: number[], fs: number[], ss: number[], padding: 'valid' | 'same'): Float64Array {
  const [b, h, w, c] = xs as [number, number, number, number];
  const [kh, kw, , nf] = fs as [number, number, number, number];
  const [sh, sw] = ss as [number, number];
  const oh = padding === 'same' ? Math.ceil(h / sh) : Math.floor((h - kh) / sh) + 1;
  const ow = padding === 'same' ? Math.ceil(w / sw) : Math.floor((w - kw) / sw) + 1;
  const pt = padding === 'same' ? Math.floor(Math.max((oh - 1) * sh + kh - h, 0) / 2) : 0;
  const pl = padding === 'same' ? Math.floor(Math.max((ow - 1) * sw + kw - w, 0) / 2) : 0;
  const out = new Float64Array(b! * oh * ow * nf!);
  for (let n = 0; n < b!; n++) for (let oy = 0; oy < oh; oy++) for (let ox = 0; ox < ow; ox++) for (let o = 0; o < nf!; o++) {
    let s = 0;
    for (let ky = 0; ky < kh!; ky++) for (let kx = 0; kx < kw!; kx++) {
      const y = oy * sh! + ky - pt, xx = ox * sw! + kx - pl;
      if (y < 0 || y >= h! || xx < 0 || xx >= w!) continue;
      for (let ch = 0; ch < c!; ch++) s += x[((n * h! + y) * w! + xx) * c! + ch]! * f[((ky * kw! + kx) * c! + ch) * nf! + o]!;
    }
    out[((n * oh + oy) * ow + ox) * nf! + o] = s;
  }
  return out;
}

/** Max or mean pooling NHWC with 'valid' windows. */
export function pool(x: Float64Array, xs: number[], ps: number[], ss: number[], kind: 'max' | 'avg'): Float64Array {
  const [b, h, w, c] = xs as [number, number, number, number];
  const [ph, pw] = ps as [number, number];
  const [sh, sw] = ss as [number, number];
  const oh = Math.floor((h! - ph!) / sh!) + 1, ow = Math.floor((w! - pw!) / sw!) + 1;
  const out = new Float64Array(b! * oh * ow * c!);
  for (let n = 0; n < b!; n++) for (let oy = 0; oy < oh; oy++) for (let ox = 0; ox < ow; ox++) for (let ch = 0; ch < c!; ch++) {
    let m = -Infinity, s = 0;
    for (let ky = 0; ky < ph!; ky++) for (let kx = 0; kx < pw!; kx++) {
      const v = x[((n * h! + oy * sh! + ky) * w! + ox * sw! + kx) * c! + ch]!;
      m = Math.max(m, v);
      s += v;
    }
    out[((n * oh + oy) * ow + ox) * c! + ch] = kind === 'max' ? m : s / (ph! * pw!);
  }
  return out;
}

export function sparseCce(p: Float64Array, labels: Float64Array, cols: number): number[] {
  let s = 0;
  for (let r = 0; r < labels.length; r++) s -= Math.log(clip(p[r * cols + labels[r]!]!));
  return [s / labels.length];
}

export function sparseSoftmaxCce(logits: Float64Array, labels: Float64Array, cols: number): number[] {
  const p = softmax(logits, cols);
  let s = 0;
  for (let r = 0; r < labels.length; r++) s -= Math.log(p[r * cols + labels[r]!]!);
  return [s / labels.length];
}

/** Batch norm in training over [rows, cols]: per column, biased variance. Returns out, batch mean and variance. */
export function batchNorm(x: Float64Array, g: Float64Array, b: Float64Array, cols: number, eps: number): { out: Float64Array; mean: Float64Array; variance: Float64Array } {
  const rows = x.length / cols;
  const mean = new Float64Array(cols), variance = new Float64Array(cols), out = new Float64Array(x.length);
  for (let c = 0; c < cols; c++) {
    let s = 0;
    for (let r = 0; r < rows; r++) s += x[r * cols + c]!;
    mean[c] = s / rows;
    let q = 0;
    for (let r = 0; r < rows; r++) q += (x[r * cols + c]! - mean[c]!) ** 2;
    variance[c] = q / rows;
    for (let r = 0; r < rows; r++) out[r * cols + c] = g[c]! * (x[r * cols + c]! - mean[c]!) / Math.sqrt(variance[c]! + eps) + b[c]!;
  }
  return { out, mean, variance };
}

/** Layer norm over the rows of [rows, cols]. */
export function layerNorm(x: Float64Array, g: Float64Array, b: Float64Array, cols: number, eps: number): Float64Array {
  const rows = x.length / cols, out = new Float64Array(x.length);
  for (let r = 0; r < rows; r++) {
    let s = 0, q = 0;
    for (let c = 0; c < cols; c++) s += x[r * cols + c]!;
    const m = s / cols;
    for (let c = 0; c < cols; c++) q += (x[r * cols + c]! - m) ** 2;
    const inv = 1 / Math.sqrt(q / cols + eps);
    for (let c = 0; c < cols; c++) out[r * cols + c] = g[c]! * (x[r * cols + c]! - m) * inv + b[c]!;
  }
  return out;
}

/** relu?(y + bias) with bias broadcast over the rows of y (cols = bias.length). */
export function biasRelu(y: Float64Array, bias: Float64Array | null, relu: boolean): Float64Array {
  const out = new Float64Array(y.length);
  const cols = bias?.length ?? 1;
  for (let i = 0; i < y.length; i++) {
    const v = y[i]! + (bias ? bias[i % cols]! : 0);
    out[i] = relu ? Math.max(v, 0) : v;
  }
  return out;
}

/** Transposed convolution NHWC with filter [kh, kw, filters, c]: the adjoint of conv2d's input product. */
export function conv2dTranspose(x: Float64Array, f: Float64Array, xs: number[], fs: number[], ss: number[], padding: 'valid' | 'same'): Float64Array {
  const [b, h, w, c] = xs as [number, number, number, number];
  const [kh, kw, nf] = fs as [number, number, number, number];
  const [sh, sw] = ss as [number, number];
  const oh = padding === 'same' ? h * sh : (h - 1) * sh + Math.max(kh, sh);
  const ow = padding === 'same' ? w * sw : (w - 1) * sw + Math.max(kw, sw);
  const pt = padding === 'same' ? Math.floor(Math.max((h - 1) * sh + kh - oh, 0) / 2) : 0;
  const pl = padding === 'same' ? Math.floor(Math.max((w - 1) * sw + kw - ow, 0) / 2) : 0;
  const out = new Float64Array(b * oh * ow * nf);
  for (let n = 0; n < b; n++) for (let y = 0; y < h; y++) for (let xx = 0; xx < w; xx++) for (let ky = 0; ky < kh; ky++) for (let kx = 0; kx < kw; kx++) {
    const oy = y * sh + ky - pt, ox = xx * sw + kx - pl;
    if (oy < 0 || oy >= oh || ox < 0 || ox >= ow) continue;
    for (let o = 0; o < nf; o++) {
      let s = 0;
      for (let ch = 0; ch < c; ch++) s += x[((n * h + y) * w + xx) * c + ch]! * f[((ky * kw + kx) * nf + o) * c + ch]!;
      out[((n * oh + oy) * ow + ox) * nf + o]! += s;
    }
  }
  return out;
}

/** Tensors of shape [rows, cols_i] (flattened around `axis`) joined along their columns. */
export function concat(xs: Float64Array[], rows: number): Float64Array {
  const cols = xs.map((x) => x.length / rows), total = cols.reduce((a, b) => a + b, 0);
  const out = new Float64Array(rows * total);
  for (let r = 0; r < rows; r++) {
    let at = r * total;
    xs.forEach((x, i) => { for (let c = 0; c < cols[i]!; c++) out[at++] = x[r * cols[i]! + c]!; });
  }
  return out;
}

/** Zero padding NHWC. */
export function zeroPad2d(x: Float64Array, xs: number[], [[t, bt], [l, r]]: [[number, number], [number, number]]): Float64Array {
  const [b, h, w, c] = xs as [number, number, number, number];
  const oh = h + t! + bt!, ow = w + l! + r!;
  const out = new Float64Array(b * oh * ow * c);
  for (let n = 0; n < b; n++) for (let y = 0; y < h; y++) for (let xx = 0; xx < w; xx++) for (let ch = 0; ch < c; ch++) {
    out[((n * oh + y + t!) * ow + xx + l!) * c + ch] = x[((n * h + y) * w + xx) * c + ch]!;
  }
  return out;
}

/** Nearest-neighbour upsampling NHWC. */
export function upSample2d(x: Float64Array, xs: number[], [sh, sw]: number[]): Float64Array {
  const [b, h, w, c] = xs as [number, number, number, number];
  const oh = h * sh!, ow = w * sw!;
  const out = new Float64Array(b * oh * ow * c);
  for (let n = 0; n < b; n++) for (let y = 0; y < oh; y++) for (let xx = 0; xx < ow; xx++) for (let ch = 0; ch < c; ch++) {
    out[((n * oh + y) * ow + xx) * c + ch] = x[((n * h + Math.floor(y / sh!)) * w + Math.floor(xx / sw!)) * c + ch]!;
  }
  return out;
}
