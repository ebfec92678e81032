// The restricted Boltzmann machine: CD-k and PCD updates against a float64 reference that draws the
// same random numbers, the free energy against brute-force enumeration, its outputs, bad input,
// leaks, and a small MNIST run whose hidden features a softmax classifier reads.
import { describe, expect, test } from 'vitest';
import { Rng } from '../src/random.js';
import { Tensor, WasmgradError, data, layers, memory, models, sequential, tensor } from '../src/index.js';
import { RUNTIME, expectClose } from './helpers.js';

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

/** The uniforms fit({ seed }) draws, in order: Rng(seed) filling `n` floats in [0, 1). */
function uniforms(rng: Rng, n: number): Float32Array {
  const t = Tensor.empty([n]);
  rng.uniform(t, 0, 1);
  const u = t.toArray();
  t.dispose();
  return u;
}

/**
 * One epoch of CD-k / PCD in float64 with the fit's random numbers (no shuffling): Hinton's update
 * with momentum and weight decay, the visible bias first set to the data's log-odds.
 */
function referenceFit(x: Float64Array, n: number, V: number, H: number, w0: Float32Array, seed: number,
  o: { batchSize: number; k: number; lr: number; momentum: number; decay: number; persistent: boolean }) {
  const W = Float64Array.from(w0), b = new Float64Array(V), c = new Float64Array(H);
  const vW = new Float64Array(V * H), vb = new Float64Array(V), vc = new Float64Array(H);
  for (let i = 0; i < V; i++) {
    let m = 0;
    for (let r = 0; r < n; r++) m += x[r * V + i]!;
    const p = Math.min(0.999, Math.max(0.001, Math.fround(m / n)));
    b[i] = Math.fround(Math.log(p / (1 - p)));
  }
  const rng = new Rng(seed);
  const B = o.batchSize;
  const up = (v: Float64Array) => Float64Array.from({ length: B * H }, (_, k) => {
    const r = Math.floor(k / H), j = k % H;
    let s = c[j]!;
    for (let i = 0; i < V; i++) s += v[r * V + i]! * W[i * H + j]!;
    return sigmoid(s);
  });
  const down = (h: Float64Array) => Float64Array.from({ length: B * V }, (_, k) => {
    const r = Math.floor(k / V), i = k % V;
    let s = b[i]!;
    for (let j = 0; j < H; j++) s += h[r * H + j]! * W[i * H + j]!;
    return sigmoid(s);
  });
  const sample = (p: Float64Array) => { const u = uniforms(rng, p.length); return p.map((q, i) => (u[i]! < q ? 1 : 0)); };
  let chain = o.persistent ? sample(Float64Array.from({ length: B * V }, (_, k) => sigmoid(b[k % V]!))) : null;
  for (let start = 0; start + B <= n; start += B) {
    const v0 = x.slice(start * V, (start + B) * V);
    const ph0 = up(v0);
    let h = sample(chain ? up(chain) : ph0);
    let pv = new Float64Array(0), ph = new Float64Array(0);
    for (let step = 0; step < o.k; step++) {
      pv = down(h);
      const last = step === o.k - 1;
      if (last) { if (chain) chain = sample(pv); ph = up(pv); } else { const v = sample(pv); ph = up(v); h = sample(ph); }
    }
    const update = (param: Float64Array, vel: Float64Array, grad: (k: number) => number, decay: number) => {
      for (let k = 0; k < param.length; k++) { vel[k] = o.momentum * vel[k]! + o.lr * (grad(k) / B - decay * param[k]!); param[k] = param[k]! + vel[k]!; }
    };
    update(W, vW, (k) => { const i = Math.floor(k / H), j = k % H; let s = 0; for (let r = 0; r < B; r++) s += v0[r * V + i]! * ph0[r * H + j]! - pv[r * V + i]! * ph[r * H + j]!; return s; }, o.decay);
    update(b, vb, (i) => { let s = 0; for (let r = 0; r < B; r++) s += v0[r * V + i]! - pv[r * V + i]!; return s; }, 0);
    update(c, vc, (j) => { let s = 0; for (let r = 0; r < B; r++) s += ph0[r * H + j]! - ph[r * H + j]!; return s; }, 0);
  }
  rng.dispose();
  return { W, b, c };
}

describe('restricted Boltzmann machine', () => {
  const cases = [
    { name: 'CD-1, two batches (momentum carries over)', k: 1, persistent: false },
    { name: 'CD-3', k: 3, persistent: false },
    { name: 'PCD-1', k: 1, persistent: true },
  ];
  for (const c of cases) {
    test(`the ${c.name} update equals a float64 reference drawing the same random numbers`, async () => {
      const V = 7, H = 5, n = 8;
      const x = Float64Array.from({ length: n * V }, (_, i) => ((i * 7919) % 13) < 6 ? 1 : 0);
      const r = models.rbm({ visible: V, hidden: H, seed: 3 });
      const w0 = r.weights.toArray();
      const o = { batchSize: 4, k: c.k, lr: 0.1, momentum: 0.5, decay: 0.05, persistent: c.persistent };
      await r.fit(tensor(Float32Array.from(x), [n, V]), { epochs: 1, batchSize: 4, k: c.k, learningRate: 0.1, momentum: 0.5, weightDecay: 0.05, persistent: c.persistent, shuffle: false, seed: 11 });
      const ref = referenceFit(x, n, V, H, w0, 11, o);
      expectClose(r.weights.toArray(), ref.W, 1e-4, 1e-6);
      expectClose(r.visibleBias.toArray(), ref.b, 1e-4, 1e-6);
      expectClose(r.hiddenBias.toArray(), ref.c, 1e-4, 1e-6);
      // The update moved the weights (a reference that did nothing would not pass either).
      expect(Math.max(...r.weights.toArray().map((v, i) => Math.abs(v - w0[i]!)))).toBeGreaterThan(1e-3);
      r.dispose();
    });
  }

  test('the free energy equals −log Σ_h e^(−E(v, h)) by brute force over the 16 hidden states (8 visible × 4 hidden)', async () => {
    const V = 8, H = 4;
    const r = models.rbm({ visible: V, hidden: H, seed: 5 });
    // Larger weights than the initial 0.01 so that the terms matter: one fit step at a high rate.
    const train = Float32Array.from({ length: 16 * V }, (_, i) => ((i * 31) % 7) < 3 ? 1 : 0);
    await r.fit(tensor(train, [16, V]), { epochs: 5, batchSize: 4, learningRate: 2, seed: 1 });
    const W = r.weights.toArray(), b = r.visibleBias.toArray(), c = r.hiddenBias.toArray();
    const vs = Array.from({ length: 256 }, (_, m) => Array.from({ length: V }, (_, i) => (m >> i) & 1));
    const F = r.freeEnergy(vs).toArray();
    let worst = 0;
    for (const [m, v] of vs.entries()) {
      let z = 0;
      for (let hm = 0; hm < 16; hm++) {
        let e = 0;
        for (let i = 0; i < V; i++) e -= v[i]! * b[i]!;
        for (let j = 0; j < H; j++) {
          const hj = (hm >> j) & 1;
          if (!hj) continue;
          e -= c[j]!;
          for (let i = 0; i < V; i++) e -= v[i]! * W[i * H + j]! * hj;
        }
        z += Math.exp(-e);
      }
      worst = Math.max(worst, Math.abs(F[m]! - -Math.log(z)) / (1 + Math.abs(Math.log(z))));
    }
    expect(worst).toBeLessThan(1e-5);
    r.dispose();
  });

  test('transform, reconstruct and sample: shapes and values; bad input refused by name; nothing leaks', async () => {
    const V = 6, H = 3;
    const r = models.rbm({ visible: V, hidden: H, seed: 2 });
    const x = [[1, 0, 1, 0, 1, 0], [0, 1, 0, 1, 0, 1]];
    await r.fit(x, { epochs: 2, batchSize: 2, seed: 4 });
    const W = r.weights.toArray(), b = r.visibleBias.toArray(), c = r.hiddenBias.toArray();
    const ph = Array.from({ length: 2 * H }, (_, k) => { let s = c[k % H]!; for (let i = 0; i < V; i++) s += x[Math.floor(k / H)]![i]! * W[i * H + k % H]!; return sigmoid(s); });
    expectClose(r.transform(x).toArray(), ph, 1e-5, 1e-6);
    const pv = Array.from({ length: 2 * V }, (_, k) => { let s = b[k % V]!; for (let j = 0; j < H; j++) s += ph[Math.floor(k / V) * H + j]! * W[(k % V) * H + j]!; return sigmoid(s); });
    expectClose(r.reconstruct(x).toArray(), pv, 1e-5, 1e-6);
    const s = r.sample(5, { gibbsSteps: 10, seed: 1 });
    expect(s.shape).toEqual([5, V]);
    expect(s.toArray().every((p) => p > 0 && p < 1)).toBe(true);
    expect(r.sample(5, { gibbsSteps: 10, seed: 1 }).toArray()).toEqual(s.toArray()); // seeded
    expect(() => r.transform([[1, 0, 1]])).toThrow(/rbm.transform: x must be \[n, 6\] \(visible units\), got \[1, 3\]/);
    expect(() => r.freeEnergy([[1, 0, 1, NaN, 0, 0]])).toThrow(/rbm.freeEnergy: x\[0\]\[3\] is NaN/);
    await expect(r.fit(x, { epochs: 1, k: 0 })).rejects.toThrow(/rbm.fit: k must be an integer >= 1, got 0/);
    await expect(r.fit(x, { epoch: 1 } as never)).rejects.toThrow(/unknown option "epoch" \(did you mean "epochs"\?\)/);
    expect(() => models.rbm({ visible: 0, hidden: 2 })).toThrow(/rbm: visible must be a positive integer, got 0/);
    // An epoch allocates only what it frees (PCD's chains stay, once, until resetChains).
    const big = tensor(Float32Array.from({ length: 64 * V }, (_, i) => (i % 3 ? 1 : 0)), [64, V]);
    const start = memory().bytes;
    await r.fit(big, { epochs: 1, batchSize: 8, persistent: true, seed: 1 });
    r.resetChains();
    expect(memory().bytes).toBe(start);
    await r.fit(big, { epochs: 1, batchSize: 8, persistent: true, seed: 1 });
    const bytes = memory().bytes;
    await r.fit(big, { epochs: 3, batchSize: 8, persistent: true, seed: 2 });
    expect(memory().bytes).toBe(bytes);
    // epochs: 0 changes nothing; a second fit while one runs is refused; dispose() mid-fit stops it.
    const w = r.weights.toArray();
    await r.fit(big, { epochs: 0 });
    expect(r.weights.toArray()).toEqual(w);
    const running = r.fit(big, { epochs: 3, batchSize: 8, seed: 3 });
    await expect(r.fit(big, { epochs: 1 })).rejects.toThrow(/rbm.fit: this RBM is already training/);
    expect(() => r.resetChains()).toThrow(/rbm.resetChains: this RBM is training/);
    r.dispose();
    await expect(running).rejects.toThrow(/rbm.fit: the RBM was disposed/);
    expect(() => r.transform(x)).toThrow(WasmgradError);
    expect(() => r.transform(x)).toThrow(/rbm.transform: the RBM was disposed/);
    big.dispose(); s.dispose();
  });

  test(`an RBM's hidden features of MNIST digits feed a softmax classifier (${RUNTIME})`, async () => {
    const { train, test: t } = await data.loadMnist(RUNTIME === 'chromium' ? '/' : undefined);
    const n = 4096, m = 1000, V = 784;
    const binarize = (images: Float32Array, count: number) => tensor(images.subarray(0, count * V).map((p) => (p > 0.5 ? 1 : 0)), [count, V]);
    const x = binarize(train.images, n), xt = binarize(t.images, m);
    const r = models.rbm({ visible: V, hidden: 128, seed: 1 });
    const h = await r.fit(x, { epochs: 5, batchSize: 16, k: 1, learningRate: 0.1, seed: 2 });
    const errors = h.history.reconstructionError!;
    expect(errors.at(-1)!).toBeLessThan(errors[0]!);
    const clf = sequential([layers.dense({ units: 10, activation: 'softmax', inputShape: [128] })]);
    clf.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
    const [fx, ft] = [r.transform(x), r.transform(xt)];
    await clf.fit(fx, train.labels.subarray(0, n), { epochs: 30, batchSize: 32, seed: 3, verbose: 0 });
    const acc = clf.evaluate(ft, t.labels.subarray(0, m)).accuracy!;
    console.log(`RBM(128), 4,096 binarized digits × 5 epochs (${RUNTIME}): reconstruction error ${errors.map((e) => e.toFixed(4)).join(' → ')}, softmax on its features ${(acc * 100).toFixed(1)}% on ${m}`);
    expect(acc).toBeGreaterThan(0.85);
    for (const d of [x, xt, fx, ft, clf]) d.dispose();
    r.dispose();
  });
});
