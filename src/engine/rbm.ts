// A Bernoulli-Bernoulli restricted Boltzmann machine trained by contrastive divergence (CD-k) or
// persistent CD, as in Hinton's practical guide (2010). Its products run on the GEMM; sampling and
// the update are kernels (assembly/random.ts, assembly/rbm.ts); nothing loops over floats here.
import { WasmgradError, fmtShape, invalid, shapeError } from '../errors.js';
import { biasGemm, gemm, NN, NT, TN } from '../ops/matmul.js';
import { booleanOption, checkOptions, describe, numberOption } from '../options.js';
import { Rng, globalRng } from '../random.js';
import { Tensor, keep, tensor, type TensorLike } from '../tensor.js';
import { heap, wasm } from '../wasm.js';
import type { History } from './training.js';

/** Options of models.rbm(). */
export interface RbmConfig {
  /** Visible units (e.g. 784 for MNIST digits). */
  visible: number;
  /** Hidden units. */
  hidden: number;
  /** Seed of the weights' initialization (default: the global generator, setSeed). */
  seed?: number;
}

/** Options of rbm.fit(). */
export interface RbmFitOptions {
  /** Passes over the data (default 1). */
  epochs?: number;
  /** Samples per update (default 32). */
  batchSize?: number;
  /** Gibbs steps per update: CD-k (default 1). */
  k?: number;
  /** Learning rate (default 0.1). */
  learningRate?: number;
  /** Momentum of the updates (default 0.5; Hinton raises it to 0.9 once learning settles). */
  momentum?: number;
  /** L2 weight decay on the weights, not the biases (default 2e-4). */
  weightDecay?: number;
  /** Persistent CD: the negative phase continues one chain per batch row across updates (default false). */
  persistent?: boolean;
  /** Shuffle the samples every epoch (default true). */
  shuffle?: boolean;
  /** Seed of the shuffling and sampling (default: the global generator). */
  seed?: number;
  /** 0: silent (default), 1: a line per epoch. */
  verbose?: 0 | 1;
}

/** Options of rbm.sample(). */
export interface RbmSampleOptions {
  /** Gibbs steps from random visible states (default 1000). */
  gibbsSteps?: number;
  /** Seed of the chains (default: the global generator). */
  seed?: number;
}

/**
 * A restricted Boltzmann machine with binary visible and hidden units. Its weights: `weights`
 * [visible, hidden], `visibleBias` [visible], `hiddenBias` [hidden].
 */
export class RBM {
  readonly visible: number;
  readonly hidden: number;
  readonly weights: Tensor;
  readonly visibleBias: Tensor;
  readonly hiddenBias: Tensor;
  #velocity: Tensor[];
  #chain: Tensor | null = null;
  #fitted = false;
  #fitting = false;
  #disposed = false;

  constructor(config: RbmConfig) {
    const c = checkOptions('rbm', config, ['visible', 'hidden', 'seed']);
    const units = (name: string, v: unknown) => numberOption('rbm', name, v, 'a positive integer', (x) => Number.isInteger(x) && x > 0);
    this.visible = units('visible', c.visible);
    this.hidden = units('hidden', c.hidden);
    const rng = c.seed === undefined ? null : new Rng(numberOption('rbm', 'seed', c.seed, 'a safe integer', Number.isSafeInteger));
    // Hinton's start: weights N(0, 0.01²), biases 0 (the visible bias is set from the data at the first fit).
    this.weights = keep(Tensor.empty([this.visible, this.hidden]));
    (rng ?? globalRng()).normal(this.weights, 0, 0.01);
    rng?.dispose();
    this.visibleBias = keep(Tensor.filled([this.visible], 0));
    this.hiddenBias = keep(Tensor.filled([this.hidden], 0));
    this.#velocity = [this.weights, this.visibleBias, this.hiddenBias].map((t) => keep(Tensor.filled(t.shape, 0)));
  }

  /**
   * Trains by CD-k (or PCD); returns the mean squared error of one pass up and down from the data per
   * epoch. Each epoch runs n / batchSize whole batches: the last n mod batchSize samples of its
   * (shuffled) order sit that epoch out.
   */
  async fit(x: Tensor | TensorLike, options?: RbmFitOptions): Promise<History> {
    this.#live('fit');
    const o = checkOptions('rbm.fit', options, ['epochs', 'batchSize', 'k', 'learningRate', 'momentum', 'weightDecay', 'persistent', 'shuffle', 'seed', 'verbose']);
    const int = (name: string, v: unknown, d: number, min: number) => v === undefined ? d : numberOption('rbm.fit', name, v, `an integer >= ${min}`, (n) => Number.isInteger(n) && n >= min);
    const num = (name: string, v: unknown, d: number, what: string, ok: (n: number) => boolean) => v === undefined ? d : numberOption('rbm.fit', name, v, what, ok);
    const epochs = int('epochs', o.epochs, 1, 0), batchSize = int('batchSize', o.batchSize, 32, 1), k = int('k', o.k, 1, 1);
    const lr = num('learningRate', o.learningRate, 0.1, 'a positive number', (n) => n > 0);
    const momentum = num('momentum', o.momentum, 0.5, 'in [0, 1)', (n) => n >= 0 && n < 1);
    const decay = num('weightDecay', o.weightDecay, 2e-4, '>= 0', (n) => n >= 0);
    const persistent = booleanOption('rbm.fit', 'persistent', o.persistent), shuffle = o.shuffle === undefined || booleanOption('rbm.fit', 'shuffle', o.shuffle);
    if (o.verbose !== undefined && o.verbose !== 0 && o.verbose !== 1) throw invalid(`rbm.fit: verbose must be 0 or 1, got ${describe(o.verbose)}`);
    const seed = o.seed === undefined ? undefined : numberOption('rbm.fit', 'seed', o.seed, 'a safe integer', Number.isSafeInteger);
    if (this.#fitting) throw invalid('rbm.fit: this RBM is already training; await the running fit() before starting another');
    const history: History = { epoch: [], history: { reconstructionError: [] } };
    if (epochs === 0) return history;
    const data = this.#data('fit', x);
    const n = data.shape[0]!, V = this.visible, H = this.hidden, kw = wasm();
    const rng = seed === undefined ? null : new Rng(seed);
    const gen = rng ?? globalRng();
    const B = Math.min(batchSize, n);
    const made: Tensor[] = [];
    const take = (shape: number[]) => { const t = keep(Tensor.empty(shape)); made.push(t); return t; };
    const idxBytes = n * 4;
    let idx = 0;
    this.#fitting = true;
    try {
      const v0 = take([B, V]), ph0 = take([B, H]), h = take([B, H]), pv = take([B, V]), v = take([B, V]), ph = take([B, H]);
      const pos = take([V, H]), neg = take([V, H]), posB = take([V]), negB = take([V]), posC = take([H]), negC = take([H]);
      // The reported error is one pass up and down from the data: CD-1's own reconstruction, or (PCD,
      // k > 1) the mean-field one, p(v | p(h | v0)), computed for the figure only.
      const rec = persistent || k > 1 ? take([B, V]) : pv;
      idx = heap().alloc(idxBytes);
      if (!this.#fitted) this.#initVisibleBias(data);
      if (persistent && this.#chain && this.#chain.shape[0] !== B) this.resetChains();
      if (persistent && !this.#chain) {
        this.#chain = keep(Tensor.empty([B, V]));
        const start = this.#chainStart(B);
        gen.bernoulli(this.#chain, start);
        start.dispose();
      }
      new Int32Array(heap().memory.buffer, idx, n).forEach((_, i, a) => { a[i] = i; });
      for (let epoch = 0; epoch < epochs; epoch++) {
        const t0 = performance.now();
        if (shuffle) gen.shuffle(idx, n);
        let errorSum = 0, count = 0;
        for (let start = 0; start + B <= n; start += B) {
          kw.gather_rows_f32(v0.ptr, data.ptr, idx + start * 4, B, V);
          // Positive phase: p(h | v0), and a sample of h to start the chain (or the persistent chain's).
          this.#up(ph0, v0, B);
          if (persistent) { this.#up(ph, this.#chain!, B); gen.bernoulli(h, ph); } else gen.bernoulli(h, ph0);
          // k Gibbs steps: p(v | h), a sample of v (the last step keeps the probabilities), p(h | v).
          for (let step = 0; step < k; step++) {
            this.#down(pv, h, B);
            const last = step === k - 1;
            if (last) { if (persistent) gen.bernoulli(this.#chain!, pv); } else gen.bernoulli(v, pv);
            this.#up(ph, last ? pv : v, B);
            if (!last) gen.bernoulli(h, ph);
          }
          // Statistics: <v h>_data − <v h>_model, the biases' likewise; then the update.
          gemm(TN, pos.ptr, v0.ptr, ph0.ptr, V, H, B, false);
          gemm(TN, neg.ptr, pv.ptr, ph.ptr, V, H, B, false);
          kw.fill_f32(posB.ptr, V, 0); kw.fill_f32(negB.ptr, V, 0); kw.fill_f32(posC.ptr, H, 0); kw.fill_f32(negC.ptr, H, 0);
          kw.colsum_backward_f32(posB.ptr, v0.ptr, B, V, 1); kw.colsum_backward_f32(negB.ptr, pv.ptr, B, V, 1);
          kw.colsum_backward_f32(posC.ptr, ph0.ptr, B, H, 1); kw.colsum_backward_f32(negC.ptr, ph.ptr, B, H, 1);
          const [dw, db, dc] = this.#velocity as [Tensor, Tensor, Tensor];
          kw.rbm_update_f32(this.weights.ptr, dw.ptr, pos.ptr, neg.ptr, V * H, 1 / B, lr, momentum, decay);
          kw.rbm_update_f32(this.visibleBias.ptr, db.ptr, posB.ptr, negB.ptr, V, 1 / B, lr, momentum, 0);
          kw.rbm_update_f32(this.hiddenBias.ptr, dc.ptr, posC.ptr, negC.ptr, H, 1 / B, lr, momentum, 0);
          if (rec !== pv) this.#down(rec, ph0, B);
          errorSum += kw.error_sum_f32(rec.ptr, v0.ptr, B * V, 2);
          count += B * V;
        }
        this.#fitted = true;
        const err = errorSum / Math.max(1, count);
        if (!Number.isFinite(err)) throw new WasmgradError('NON_FINITE', `rbm.fit: the reconstruction error became ${err} in epoch ${epoch + 1}; lower the learningRate`);
        history.epoch.push(epoch);
        history.history.reconstructionError!.push(err);
        if (o.verbose === 1) console.log(`Epoch ${epoch + 1}/${epochs} - ${((performance.now() - t0) / 1000).toFixed(1)}s - reconstruction error ${err.toFixed(5)}`);
        await new Promise((r) => setTimeout(r, 0)); // let the event loop breathe between epochs
        this.#live('fit'); // disposed while it waited
      }
    } finally {
      this.#fitting = false;
      if (idx) heap().free(idx, idxBytes);
      for (const t of made) t.dispose();
      if (data !== x) data.dispose();
      rng?.dispose();
    }
    return history;
  }

  /** p(h = 1 | v) for each row of x: the hidden features [n, hidden]. */
  transform(x: Tensor | TensorLike): Tensor {
    this.#live('transform');
    const data = this.#data('transform', x);
    const out = Tensor.empty([data.shape[0]!, this.hidden]);
    this.#up(out, data, data.shape[0]!);
    if (data !== x) data.dispose();
    return out;
  }

  /** One pass up and down: p(v | h = p(h | v)) for each row of x [n, visible]. */
  reconstruct(x: Tensor | TensorLike): Tensor {
    this.#live('reconstruct');
    const data = this.#data('reconstruct', x), n = data.shape[0]!;
    const hidden = this.transform(data), out = Tensor.empty([n, this.visible]);
    this.#down(out, hidden, n);
    hidden.dispose();
    if (data !== x) data.dispose();
    return out;
  }

  /** The free energy F(v) = −v·b − Σ_j log(1 + e^(c_j + v·W_j)) of each row of x [n]. */
  freeEnergy(x: Tensor | TensorLike): Tensor {
    this.#live('freeEnergy');
    const data = this.#data('freeEnergy', x), n = data.shape[0]!, kw = wasm();
    const pre = Tensor.empty([n, this.hidden]), vb = Tensor.empty([n]), out = Tensor.empty([n]);
    biasGemm(pre.ptr, data.ptr, this.weights.ptr, this.hiddenBias, false, n, this.hidden, this.visible);
    gemm(NN, vb.ptr, data.ptr, this.visibleBias.ptr, n, 1, this.visible, false);
    kw.rbm_free_energy_f32(out.ptr, pre.ptr, vb.ptr, n, this.hidden);
    pre.dispose(); vb.dispose();
    if (data !== x) data.dispose();
    return out;
  }

  /** n fantasies: Gibbs chains from random visible states; returns p(v | h) after the last step [n, visible]. */
  sample(n: number, options?: RbmSampleOptions): Tensor {
    this.#live('sample');
    const o = checkOptions('rbm.sample', options, ['gibbsSteps', 'seed']);
    numberOption('rbm.sample', 'n', n, 'a positive integer', (v) => Number.isInteger(v) && v > 0);
    const steps = o.gibbsSteps === undefined ? 1000 : numberOption('rbm.sample', 'gibbsSteps', o.gibbsSteps, 'an integer >= 1', (v) => Number.isInteger(v) && v >= 1);
    const rng = o.seed === undefined ? null : new Rng(numberOption('rbm.sample', 'seed', o.seed, 'a safe integer', Number.isSafeInteger));
    const gen = rng ?? globalRng();
    const v = Tensor.empty([n, this.visible]), ph = Tensor.empty([n, this.hidden]), h = Tensor.empty([n, this.hidden]), pv = Tensor.empty([n, this.visible]);
    let ok = false;
    try {
      const start = this.#chainStart(n);
      gen.bernoulli(v, start);
      start.dispose();
      for (let s = 0; s < steps; s++) {
        this.#up(ph, v, n);
        gen.bernoulli(h, ph);
        this.#down(pv, h, n);
        if (s < steps - 1) gen.bernoulli(v, pv);
      }
      ok = true;
    } finally {
      for (const t of [v, ph, h]) t.dispose();
      if (!ok) pv.dispose();
      rng?.dispose();
    }
    return pv;
  }

  /** Starts the persistent chains again (the next PCD fit draws them anew). */
  resetChains(): void {
    if (this.#fitting) throw invalid('rbm.resetChains: this RBM is training; call it after fit() resolves');
    this.#chain?.dispose();
    this.#chain = null;
  }

  /** Frees the weights, velocities and chains (a fit() running stops at its next epoch, throwing DISPOSED). */
  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    for (const t of [this.weights, this.visibleBias, this.hiddenBias, ...this.#velocity]) t.dispose();
    this.#chain?.dispose();
    this.#chain = null;
  }

  /** Whether dispose() was called. */
  get isDisposed(): boolean {
    return this.#disposed;
  }

  // out = sigmoid(v·W + c): [rows, hidden].
  #up(out: Tensor, v: Tensor, rows: number): void {
    biasGemm(out.ptr, v.ptr, this.weights.ptr, this.hiddenBias, false, rows, this.hidden, this.visible);
    wasm().sigmoid_forward_f32(out.ptr, out.ptr, rows * this.hidden);
  }

  // out = sigmoid(h·Wᵀ + b): [rows, visible].
  #down(out: Tensor, h: Tensor, rows: number): void {
    const kw = wasm();
    gemm(NT, out.ptr, h.ptr, this.weights.ptr, rows, this.visible, this.hidden, false);
    kw.add_rows_forward_f32(out.ptr, out.ptr, this.visibleBias.ptr, rows, this.visible, 1);
    kw.sigmoid_forward_f32(out.ptr, out.ptr, rows * this.visible);
  }

  // Random visible states to start chains from: p = sigmoid(b) (the data's mean once fitted).
  #chainStart(rows: number): Tensor {
    const p = Tensor.empty([rows, this.visible]), kw = wasm();
    kw.fill_f32(p.ptr, rows * this.visible, 0);
    kw.add_rows_forward_f32(p.ptr, p.ptr, this.visibleBias.ptr, rows, this.visible, 1);
    kw.sigmoid_forward_f32(p.ptr, p.ptr, rows * this.visible);
    return p;
  }

  // Hinton 8.1: visible bias log(p / (1 − p)) with p the data's mean of each unit (clamped to [0.001, 0.999]).
  #initVisibleBias(data: Tensor): void {
    const n = data.shape[0]!, kw = wasm();
    kw.fill_f32(this.visibleBias.ptr, this.visible, 0);
    kw.colsum_backward_f32(this.visibleBias.ptr, data.ptr, n, this.visible, 1 / n);
    const bias = new Float32Array(heap().memory.buffer, this.visibleBias.ptr, this.visible);
    bias.set(bias.map((m) => { const p = Math.min(0.999, Math.max(0.001, m)); return Math.log(p / (1 - p)); }));
  }

  #data(op: string, x: Tensor | TensorLike): Tensor {
    const t = x instanceof Tensor ? x : tensor(x);
    if (t.isDisposed) throw new WasmgradError('DISPOSED', `rbm.${op}: x was disposed`);
    if (t.shape.length !== 2 || t.shape[1] !== this.visible) {
      if (t !== x) t.dispose();
      throw shapeError(`rbm.${op}: x must be [n, ${this.visible}] (visible units), got ${fmtShape(t.shape)}`);
    }
    if (t.shape[0] === 0) {
      if (t !== x) t.dispose();
      throw invalid(`rbm.${op}: x has no rows`);
    }
    const bad = wasm().nonfinite_index_f32(t.ptr, t.size);
    if (bad >= 0) {
      const v = t.toArray()[bad];
      if (t !== x) t.dispose();
      throw new WasmgradError('NON_FINITE', `rbm.${op}: x[${Math.floor(bad / this.visible)}][${bad % this.visible}] is ${v}`);
    }
    return t;
  }

  #live(op: string): void {
    if (this.#disposed) throw new WasmgradError('DISPOSED', `rbm.${op}: the RBM was disposed`);
  }
}

/** A Bernoulli-Bernoulli restricted Boltzmann machine: `models.rbm({ visible: 784, hidden: 256 })`. */
export function rbm(config: RbmConfig): RBM {
  return new RBM(config);
}

/** Model types that are not layer graphs. */
export const models = { rbm };
