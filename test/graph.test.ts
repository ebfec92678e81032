// Graph models: the functional API (input / apply / model), shared layers and nested models, several
// inputs and outputs, freezing, trainOnBatch, custom steps (variableGrads / applyGradients), and the
// regressions issue #14 found (shared optimizer, one layer in two sequential models).
import { describe, expect, test, vi } from 'vitest';
import {
  Tensor, WasmgradError, input, layers, memory, model, optimizers, sequential, sum, tensor, tidy, variableGrads, type Model,
} from '../src/index.js';
import { meanSquaredError } from '../src/ops/losses.js';
import { randArray } from './helpers.js';

/** summary()'s printFn that prints nothing. */
const quiet = { printFn: () => {} };

const rows = (data: Float32Array, cols: number) => Array.from({ length: data.length / cols }, (_, i) => Array.from(data.subarray(i * cols, (i + 1) * cols)));
const X = rows(randArray(64 * 4, 1), 4);
const Y = X.map((r) => [r[0]! * r[1]! - r[2]!, Math.sin(r[3]!)]);
const same = (a: Float32Array[], b: Float32Array[]) => a.length === b.length && a.every((w, i) => w.length === b[i]!.length && w.every((v, j) => Object.is(v, b[i]![j])));

describe('regressions found in issue #14', () => {
  test('one optimizer compiled into two models keeps each model\'s moments apart', async () => {
    const make = async (seed: number, optimizer: ReturnType<typeof optimizers.adam>) => {
      const m = sequential([layers.dense({ units: 6, activation: 'tanh', inputShape: [4] }), layers.dense({ units: 2 })]);
      m.compile({ optimizer, loss: 'meanSquaredError' });
      await m.fit(X.slice(0, 1), Y.slice(0, 1), { epochs: 0, seed, verbose: 0 }); // weights from the seed, no step
      return m;
    };
    const epoch = (m: Model) => m.fit(X, Y, { epochs: 1, batchSize: 16, shuffle: false, verbose: 0 });
    // Alone: m1 with an optimizer of its own, 3 epochs.
    const alone = await make(1, optimizers.adam({ learningRate: 0.01 }));
    for (let e = 0; e < 3; e++) await epoch(alone);
    // Shared: the same steps for m1, with m2 trained by the same optimizer object in between.
    const shared = optimizers.adam({ learningRate: 0.01 });
    const m1 = await make(1, shared), m2 = await make(2, shared);
    for (let e = 0; e < 3; e++) {
      await epoch(m1);
      await epoch(m2);
    }
    expect(same(m1.getWeights(), alone.getWeights())).toBe(true);
    for (const m of [alone, m1, m2]) m.dispose();
    shared.dispose();
  });

  test('a layer placed in two sequential models has one set of weights, and each model computes with it', () => {
    const shared = layers.dense({ units: 3, inputShape: [4] });
    const m1 = sequential([shared, layers.dense({ units: 2 })]);
    const m2 = sequential([shared, layers.dense({ units: 1 })]);
    m2.getWeights(); // m2 builds too: before #14 this rebound the layer to m2's buffer
    const w = m1.getWeights().map((a) => a.map((_, i) => (i % 7) / 10 - 0.3));
    m1.setWeights(w);
    const x = tensor([[1, 2, 3, 4]]);
    // out = (x·K1 + b1)·K2 + b2 with the weights just set.
    const h = [0, 1, 2].map((j) => [1, 2, 3, 4].reduce((s, v, i) => s + v * w[0]![i * 3 + j]!, 0) + w[1]![j]!);
    const want = [0, 1].map((j) => h.reduce((s, v, i) => s + v * w[2]![i * 2 + j]!, 0) + w[3]![j]!);
    const got = m1.predict(x);
    want.forEach((v, i) => expect(got.toArray()[i]).toBeCloseTo(v, 5));
    expect(Array.from(m2.getWeights()[0]!)).toEqual(Array.from(w[0]!)); // shared, by design
    m2.dispose();
    // m1 still owns its weights after m2 is gone.
    expect(Array.from(m1.predict(x).toArray())).toEqual(Array.from(got.toArray()));
    got.dispose();
    x.dispose();
    m1.dispose();
    expect(shared.weights).toEqual([]);
  });

  test('a disposed model throws DISPOSED on every use', async () => {
    const m = sequential([layers.dense({ units: 1, inputShape: [2] })]);
    m.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
    m.dispose();
    const code = { code: 'DISPOSED' };
    expect(() => m.predict([[1, 2]])).toThrow(expect.objectContaining(code));
    expect(() => m.evaluate([[1, 2]], [[1]])).toThrow(expect.objectContaining(code));
    expect(() => m.getWeights()).toThrow(expect.objectContaining(code));
    await expect(m.fit([[1, 2]], [[1]], { verbose: 0 })).rejects.toThrow(expect.objectContaining(code));
  });
});

describe('the functional API', () => {
  test('input / apply / model: a residual MLP trains, and its parts are named and reachable', async () => {
    const x = input({ shape: [4], name: 'features' });
    const h = layers.dense({ units: 4, activation: 'relu', name: 'block' }).apply(x) as ReturnType<typeof input>;
    const sum = layers.add({ name: 'skip' }).apply([x, h]) as ReturnType<typeof input>;
    const y = layers.dense({ units: 2, name: 'head' }).apply(sum) as ReturnType<typeof input>;
    const m = model({ inputs: x, outputs: y, name: 'resmlp' });
    expect(m.layers.map((l) => l.name)).toEqual(['features', 'block', 'skip', 'head']);
    expect(m.getLayer('skip').className).toBe('Add');
    expect(m.inputs[0]!.shape).toEqual([null, 4]);
    expect(m.outputs[0]!.shape).toEqual([null, 2]);
    expect(m.summary(quiet)).toMatch(/skip \(Add\)\s+\(None, 4\)\s+0\s+features\[0\]\[0\], block\[0\]\[0\]/);
    m.compile({ optimizer: optimizers.adam({ learningRate: 0.02 }), loss: 'meanSquaredError' });
    const hist = await m.fit(X, Y, { epochs: 30, batchSize: 16, seed: 3, verbose: 0 });
    expect(hist.history.loss!.at(-1)!).toBeLessThan(hist.history.loss![0]! / 2);
    m.dispose();
  });

  test('shape mismatches name both layers and both shapes; disconnected graphs and clashing names are refused', () => {
    const x = input({ shape: [4] });
    const a = layers.dense({ units: 3, name: 'left' }).apply(x) as ReturnType<typeof input>;
    const b = layers.dense({ units: 5, name: 'right' }).apply(x) as ReturnType<typeof input>;
    const err = (() => { try { layers.add({ name: 'join' }).apply([a, b]); } catch (e) { return e as WasmgradError; } return null; })();
    expect(err?.code).toBe('SHAPE_MISMATCH');
    expect(err?.message).toMatch(/join: Add needs inputs of one shape; input 0 is \[3\] and input 1 is \[5\].*left \[3\], right \[5\]/);
    const other = input({ shape: [4], name: 'other' });
    const c = layers.add().apply([a, layers.dense({ units: 3 }).apply(other) as ReturnType<typeof input>]) as ReturnType<typeof input>;
    expect(() => model({ inputs: x, outputs: c })).toThrow(/graph is disconnected: output .* depends on input other, which is not in the model's inputs/);
    const d1 = layers.dense({ units: 3, name: 'twin' }).apply(x) as ReturnType<typeof input>;
    const d2 = layers.dense({ units: 3, name: 'twin' }).apply(d1) as ReturnType<typeof input>;
    expect(() => model({ inputs: x, outputs: d2 })).toThrow(/two different layers are named "twin"/);
    expect(() => model({ inputs: a, outputs: b })).toThrow(/inputs\[0\] must be a symbolic tensor made by input\(\), got the output of left/);
    expect(() => layers.dense({ units: 2 }).apply([a, b])).toThrow(/takes one input, got a list of 2/);
    // A shared layer keeps the input shape it was first applied to.
    const shared = layers.dense({ units: 2, name: 'shared' });
    shared.apply(a);
    expect(() => shared.apply(b)).toThrow(/shared: was built for inputs of shape \[3\], so it cannot take \[5\].*right \[5\]/);
  });

  test('a layer applied twice shares its weights; the gradient adds both uses', () => {
    const x = input({ shape: [3] });
    const shared = layers.dense({ units: 3, useBias: false, name: 'twice' });
    const y = shared.apply(shared.apply(x) as ReturnType<typeof input>) as ReturnType<typeof input>;
    const m = model({ inputs: x, outputs: y });
    expect(m.countParams()).toBe(9);
    const w = [0.5, -0.2, 0.1, 0.3, 0.8, -0.4, -0.6, 0.2, 0.9];
    m.setWeights([Float32Array.from(w)]);
    const xs = [1, -2, 0.5];
    const target = () => tensor([[0, 0, 0]]);
    const { value, grads } = variableGrads(() => meanSquaredError(m.apply(tensor([xs]), { training: true }) as Tensor, target()), m.trainableWeights);
    const { value: v2, grads: g2 } = variableGrads(() => meanSquaredError(m.apply(tensor([xs])) as Tensor, target()), m.trainableWeights);
    expect(Object.keys(grads)).toEqual(['twice/kernel']);
    // L = Σ ((x·W)·W)² / 3, by central differences in float64.
    const num = w.map((_, idx) => {
      const f = (ww: number[]) => {
        const hh = [0, 1, 2].map((j) => xs.reduce((s, v, i) => s + v * ww[i * 3 + j]!, 0));
        const yy = [0, 1, 2].map((j) => hh.reduce((s, v, i) => s + v * ww[i * 3 + j]!, 0));
        return yy.reduce((s, v) => s + v * v, 0) / 3;
      };
      const up = w.slice(), down = w.slice();
      up[idx]! += 1e-6;
      down[idx]! -= 1e-6;
      return (f(up) - f(down)) / 2e-6;
    });
    Array.from(grads['twice/kernel']!.toArray()).forEach((v, i) => expect(v).toBeCloseTo(num[i]!, 3));
    expect(Array.from(g2['twice/kernel']!.toArray())).toEqual(Array.from(grads['twice/kernel']!.toArray()));
    for (const t of [value, v2, ...Object.values(grads), ...Object.values(g2)]) t.dispose();
    m.dispose();
  });

  test('dense on samples of rank > 1 applies to the last axis, as in Keras', () => {
    const x = input({ shape: [3, 4] });
    const d = layers.dense({ units: 2, name: 'rowwise' });
    const m = model({ inputs: x, outputs: d.apply(x) });
    expect(m.outputs[0]!.shape).toEqual([null, 3, 2]);
    const data = randArray(2 * 3 * 4, 31);
    const out = m.predict({ data, shape: [2, 3, 4] }) as Tensor;
    const [k, b] = m.getWeights() as [Float32Array, Float32Array];
    expect(out.shape).toEqual([2, 3, 2]);
    const got = out.toArray();
    for (let r = 0; r < 6; r++) for (let u = 0; u < 2; u++) {
      expect(got[r * 2 + u]).toBeCloseTo(b[u]! + [0, 1, 2, 3].reduce((s, i) => s + data[r * 4 + i]! * k[i * 2 + u]!, 0), 5);
    }
    out.dispose();
    m.dispose();
  });

  test('nested models: an encoder and a decoder used apart and as one autoencoder share their weights', async () => {
    const xi = input({ shape: [4] });
    const encoder = model({ inputs: xi, outputs: layers.dense({ units: 2, activation: 'tanh' }).apply(xi) as ReturnType<typeof input>, name: 'encoder' });
    const zi = input({ shape: [2] });
    const decoder = model({ inputs: zi, outputs: layers.dense({ units: 4 }).apply(zi) as ReturnType<typeof input>, name: 'decoder' });
    const ai = input({ shape: [4] });
    const auto = model({ inputs: ai, outputs: decoder.apply(encoder.apply(ai) as ReturnType<typeof input>) as ReturnType<typeof input>, name: 'autoencoder' });
    expect(auto.layers.map((l) => l.name).slice(1)).toEqual(['encoder', 'decoder']);
    auto.compile({ optimizer: optimizers.adam({ learningRate: 0.05 }), loss: 'meanSquaredError' });
    const before = encoder.getWeights();
    await auto.fit(X, X, { epochs: 5, batchSize: 16, seed: 1, verbose: 0 });
    const after = encoder.getWeights();
    expect(same(before, after)).toBe(false);
    expect(same(auto.getWeights().slice(0, 2), after)).toBe(true);
    const code = encoder.predict(X) as Tensor;
    const full = auto.predict(X) as Tensor, again = decoder.predict(code) as Tensor;
    expect(Array.from(again.toArray())).toEqual(Array.from(full.toArray()));
    for (const t of [code, full, again]) t.dispose();
    const trained = encoder.getWeights();
    auto.dispose();
    expect(same(encoder.getWeights(), trained)).toBe(true); // the encoder still holds its (trained) weights
    encoder.dispose();
    decoder.dispose();
  });
});

// Two inputs (the first two and the last two features) and two heads: a 3-class label and its parity.
function twoHeads(): { m: Model; digits: number[][]; parity: number[][] } {
  const a = input({ shape: [2], name: 'xa' }), b = input({ shape: [2], name: 'xb' });
  const joined = layers.concatenate({ name: 'joined' }).apply([a, b]);
  const trunk = layers.dense({ units: 8, activation: 'relu', name: 'trunk' }).apply(joined);
  const c = layers.dense({ units: 3, activation: 'softmax', name: 'cls' }).apply(trunk);
  const o = layers.dense({ units: 1, activation: 'sigmoid', name: 'odd' }).apply(trunk);
  const m = model({ inputs: [a, b], outputs: [c, o] });
  const labels = X.map((r) => (r[0]! > 0.3 ? 0 : r[3]! > 0 ? 1 : 2));
  return { m, digits: labels.map((l) => [0, 1, 2].map((k) => +(k === l))), parity: labels.map((l) => [l % 2]) };
}
const XA = X.map((r) => r.slice(0, 2)), XB = X.map((r) => r.slice(2));

describe('several inputs and outputs', () => {
  test('two inputs, two outputs: losses and metrics per output, logs named as Keras names them, lossWeights change training', async () => {
    const run = async (lossWeights?: Record<string, number>) => {
      const { m, digits, parity } = twoHeads();
      m.compile({
        optimizer: optimizers.adam({ learningRate: 0.01 }), loss: { cls: 'categoricalCrossentropy', odd: 'binaryCrossentropy' },
        metrics: { cls: ['accuracy'], odd: 'accuracy' }, ...(lossWeights ? { lossWeights } : {}),
      });
      const h = await m.fit({ xa: XA, xb: XB }, { cls: digits, odd: parity }, { epochs: 3, batchSize: 16, seed: 5, verbose: 0 });
      const logs = m.evaluate([XA, XB], [digits, parity]);
      const w = m.getWeights();
      m.dispose();
      return { h, logs, w };
    };
    const plain = await run(), weighted = await run({ cls: 1, odd: 0 });
    expect(Object.keys(plain.h.history).sort()).toEqual(['cls_accuracy', 'cls_loss', 'loss', 'odd_accuracy', 'odd_loss']);
    // The total is the weighted sum of the heads' losses (no penalties here).
    expect(plain.logs.loss).toBeCloseTo(plain.logs.cls_loss! + plain.logs.odd_loss!, 5);
    expect(weighted.logs.loss).toBeCloseTo(weighted.logs.cls_loss!, 5);
    // Weighting the parity head out changes every trained weight of the shared trunk.
    expect(same(plain.w, weighted.w)).toBe(false);
    expect(plain.w[0]!.some((v, i) => v !== weighted.w[0]![i])).toBe(true);
  });

  test('two inputs by name or in order; bad data names the input', () => {
    const a = input({ shape: [2], name: 'a' }), b = input({ shape: [3], name: 'b' });
    const joined = layers.concatenate().apply([a, b]) as ReturnType<typeof input>;
    const m = model({ inputs: [a, b], outputs: layers.dense({ units: 1 }).apply(joined) as ReturnType<typeof input> });
    const xa = [[1, 2], [3, 4]], xb = [[1, 2, 3], [4, 5, 6]];
    const p1 = m.predict([xa, xb]) as Tensor, p2 = m.predict({ b: xb, a: xa }) as Tensor;
    expect(Array.from(p1.toArray())).toEqual(Array.from(p2.toArray()));
    p1.dispose();
    p2.dispose();
    expect(() => m.predict({ a: xa })).toThrow(/x has no entry for "b"/);
    expect(() => m.predict([xb, xa])).toThrow(/the model takes samples of shape \[2\] \(x\[0\] \(a\) of shape \[n, 2\]\), got x\[0\] \(a\) of shape \[2, 3\]/);
    expect(() => m.predict({ data: new Float32Array(4), shape: [2, 2] })).toThrow(/the model has 2 inputs \(a, b\)/);
    m.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
    expect(() => m.evaluate([xa, [[1, 2, NaN], [4, 5, 6]]], [[1], [2]])).toThrow(/evaluate: x\[1\] \(b\) holds NaN at sample 0, element 2/);
    m.dispose();
  });

  test('no arena growth over 500 steps of a graph with a shared layer and two outputs', async () => {
    const x = input({ shape: [4] });
    const shared = layers.dense({ units: 4, activation: 'tanh' });
    const h = shared.apply(shared.apply(x) as ReturnType<typeof input>) as ReturnType<typeof input>;
    const o1 = layers.dense({ units: 2 }).apply(h) as ReturnType<typeof input>;
    const o2 = layers.dense({ units: 1 }).apply(layers.add().apply([h, x]) as ReturnType<typeof input>) as ReturnType<typeof input>;
    const m = model({ inputs: x, outputs: [o1, o2] });
    m.compile({ optimizer: 'adam', loss: ['meanSquaredError', 'meanAbsoluteError'], lossWeights: [1, 0.5] });
    const at: Record<number, ReturnType<typeof memory>> = {};
    let step = 0;
    await m.fit(X, [Y, Y.map((r) => [r[0]!])], {
      epochs: 125, batchSize: 16, seed: 2, verbose: 0,
      callbacks: { onBatchEnd: () => { step++; if (step === 10 || step === 500) at[step] = memory(); } },
    });
    expect(step).toBe(500);
    expect(at[500]!.tensors).toBe(at[10]!.tensors);
    expect(at[500]!.bytes).toBe(at[10]!.bytes);
    m.dispose();
  });
});

describe('freezing, trainOnBatch and custom training steps', () => {
  // A tiny GAN: g maps noise to 2-D points, d scores points; combined = d(g(z)) with d frozen.
  function gan() {
    const z = input({ shape: [3], name: 'z' });
    const g = model({ inputs: z, outputs: layers.dense({ units: 2, name: 'g_out' }).apply(layers.dense({ units: 8, activation: 'relu', name: 'g_h' }).apply(z) as ReturnType<typeof input>) as ReturnType<typeof input>, name: 'generator' });
    const p = input({ shape: [2], name: 'p' });
    const dh = layers.dense({ units: 8, activation: 'relu', name: 'd_h' }).apply(p) as ReturnType<typeof input>;
    const dn = layers.batchNormalization({ name: 'd_bn' }).apply(dh) as ReturnType<typeof input>;
    const d = model({ inputs: p, outputs: layers.dense({ units: 1, activation: 'sigmoid', name: 'd_out' }).apply(dn) as ReturnType<typeof input>, name: 'discriminator' });
    return { g, d };
  }
  const noise = rows(randArray(32 * 3, 7), 3);
  const real = rows(randArray(32 * 2, 8, 1, 2), 2);

  test('a combined model with a frozen discriminator leaves its bytes unchanged over 100 steps (trainOnBatch)', () => {
    const { g, d } = gan();
    d.compile({ optimizer: optimizers.adam({ learningRate: 2e-4, beta1: 0.5 }), loss: 'binaryCrossentropy' });
    d.trainable = false;
    const zi = input({ shape: [3] });
    const combined = model({ inputs: zi, outputs: d.apply(g.apply(zi) as ReturnType<typeof input>) as ReturnType<typeof input> });
    combined.compile({ optimizer: optimizers.adam({ learningRate: 2e-4, beta1: 0.5 }), loss: 'binaryCrossentropy' });
    expect(combined.countTrainableParams()).toBe(g.countParams());
    const dBefore = d.getWeights(), gBefore = g.getWeights();
    const ones = noise.map(() => [1]);
    for (let i = 0; i < 100; i++) {
      const logs = combined.trainOnBatch(noise, ones);
      expect(Object.keys(logs)).toEqual(['loss']);
      expect(Number.isFinite(logs.loss)).toBe(true);
    }
    expect(same(d.getWeights(), dBefore)).toBe(true); // moving statistics too: a frozen BN runs in inference mode
    expect(same(g.getWeights(), gBefore)).toBe(false);
    // The discriminator still trains in its own model: compile saw it trainable.
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    d.trainOnBatch(real, real.map(() => [1]));
    d.trainOnBatch(real, real.map(() => [1]));
    expect(warn).toHaveBeenCalledTimes(1);
    expect(String(warn.mock.calls[0]![0])).toMatch(/trainable changed on d_h, d_bn, d_out after compile\(\)/);
    warn.mockRestore();
    expect(same(d.getWeights(), dBefore)).toBe(false);
    combined.dispose();
    g.dispose();
    d.dispose();
  });

  test('variableGrads + applyGradients train only the variables listed, one model leaving the other bit for bit', () => {
    const { g, d } = gan();
    const zi = input({ shape: [3] });
    const combined = model({ inputs: zi, outputs: d.apply(g.apply(zi) as ReturnType<typeof input>) as ReturnType<typeof input> });
    const gOpt = optimizers.adam({ learningRate: 2e-4, beta1: 0.5 });
    const dBefore = d.getWeights(), gBefore = g.getWeights();
    const before = memory();
    for (let i = 0; i < 20; i++) {
      // variableGrads runs f in a tidy() of its own and needs f's intermediates for the backward pass.
      const { value, grads } = variableGrads(() => meanSquaredError(combined.apply(tensor(noise)) as Tensor, tensor(noise.map(() => [1]))), g.trainableWeights);
      expect(Object.keys(grads).sort()).toEqual(['g_h/bias', 'g_h/kernel', 'g_out/bias', 'g_out/kernel']);
      gOpt.applyGradients(grads);
      value.dispose();
      for (const t of Object.values(grads)) t.dispose();
    }
    expect(same(d.getWeights(), dBefore)).toBe(true);
    expect(same(g.getWeights(), gBefore)).toBe(false);
    const loss = gOpt.minimize(() => meanSquaredError(combined.apply(tensor(noise)) as Tensor, tensor(noise.map(() => [1]))), { varList: g.trainableWeights });
    expect(Number.isFinite(loss)).toBe(true);
    expect(memory().tensors).toBe(before.tensors);
    expect(() => gOpt.applyGradients({ 'nope/kernel': tensor([1]) })).toThrow(/no live variable is named "nope\/kernel"/);
    combined.dispose();
    g.dispose();
    d.dispose();
    gOpt.dispose();
  });
});

describe('lifetimes, flags and state (found reviewing #14)', () => {
  test('weights made inside a tidy() outlive it: eager apply and minimize on a fresh model', () => {
    const m = sequential([layers.dense({ units: 2, inputShape: [3] })]);
    const x = tensor([[1, 2, 3]]);
    tidy(() => m.apply(x));
    expect(() => m.predict(x).dispose()).not.toThrow();
    const m2 = sequential([layers.dense({ units: 1, inputShape: [3] })]);
    const opt = optimizers.sgd({ learningRate: 0.01 });
    const f = () => meanSquaredError(m2.apply(x), tensor([[1]]));
    const first = opt.minimize(f), second = opt.minimize(f);
    expect(second).toBeLessThan(first);
    x.dispose();
    for (const t of [m, m2]) t.dispose();
    opt.dispose();
  });

  test('recompiling with a new optimizer frees the old one\'s state; disposing every model frees everything', async () => {
    const start = memory();
    const m = sequential([layers.dense({ units: 8, activation: 'relu', inputShape: [4] }), layers.dense({ units: 2 })]);
    m.compile({ optimizer: 'adam', loss: 'meanSquaredError' });
    await m.fit(X, Y, { epochs: 1, seed: 1, verbose: 0 });
    const after = memory().bytes;
    for (let i = 0; i < 3; i++) {
      m.compile({ optimizer: 'adam', loss: 'meanSquaredError' });
      await m.fit(X, Y, { epochs: 1, seed: 1, verbose: 0 });
      expect(memory().bytes).toBe(after);
    }
    // Two models over shared layers, each with an optimizer of its own.
    const x = input({ shape: [4] });
    const inner = layers.dense({ units: 3, name: 'shared_inner' });
    const a = model({ inputs: x, outputs: layers.dense({ units: 2 }).apply(inner.apply(x)) });
    const b = model({ inputs: x, outputs: layers.dense({ units: 2 }).apply(inner.apply(x)) });
    a.compile({ optimizer: 'adam', loss: 'meanSquaredError' });
    b.compile({ optimizer: 'rmsprop', loss: 'meanSquaredError' });
    await a.fit(X, Y, { epochs: 1, seed: 1, verbose: 0 });
    await b.fit(X, Y, { epochs: 1, seed: 1, verbose: 0 });
    for (const t of [m, a, b]) t.dispose();
    expect(memory().tensors).toBe(start.tensors);
    expect(memory().bytes - start.bytes).toBeLessThanOrEqual(64 * 1024); // the GEMM workspace, made on first use
  });

  test('variableGrads without a list follows the layers trainable now, whatever fit left on the weights', async () => {
    const x = input({ shape: [4] });
    const frozen = layers.dense({ units: 3, name: 'vg_frozen', trainable: false });
    const head = layers.dense({ units: 2, name: 'vg_head' });
    const m = model({ inputs: x, outputs: head.apply(frozen.apply(x)) });
    const loss = () => meanSquaredError(m.apply(tensor(X.slice(0, 4))) as Tensor, tensor(Y.slice(0, 4)));
    const names = () => { const { value, grads } = variableGrads(loss); const k = Object.keys(grads).sort(); value.dispose(); for (const g of Object.values(grads)) g.dispose(); return k; };
    expect(names()).toEqual(['vg_head/bias', 'vg_head/kernel']);
    m.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
    await m.fit(X, Y, { epochs: 1, verbose: 0 });
    frozen.trainable = true;
    expect(names()).toEqual(['vg_frozen/bias', 'vg_frozen/kernel', 'vg_head/bias', 'vg_head/kernel']);
    m.dispose();
  });

  test('eager apply frees what it makes on the way, refuses a disposed model, runs a frozen batch norm in inference mode', () => {
    const x = input({ shape: [4] });
    const bn = layers.batchNormalization({ name: 'eager_bn' });
    const m = model({ inputs: x, outputs: layers.dense({ units: 2 }).apply(bn.apply(layers.dense({ units: 4, activation: 'tanh' }).apply(x))) });
    const xs = tensor(X.slice(0, 8));
    (m.apply(xs) as Tensor).dispose(); // weights made
    const before = memory();
    (m.apply(xs, { training: true }) as Tensor).dispose();
    expect(memory().tensors).toBe(before.tensors);
    expect(memory().bytes).toBe(before.bytes);
    bn.trainable = false;
    const stats = bn.weights.slice(2).map((w) => w.toArray());
    (m.apply(xs, { training: true }) as Tensor).dispose();
    expect(bn.weights.slice(2).map((w) => w.toArray())).toEqual(stats);
    m.dispose();
    expect(() => m.apply(xs)).toThrow(expect.objectContaining({ code: 'DISPOSED' }));
    xs.dispose();
  });

  test('gradients from variableGrads apply to their own weights even when two live models share layer names', () => {
    const make = () => sequential([layers.dense({ units: 2, inputShape: [3], name: 'twin_dense' })]);
    const a = make(), b = make();
    const x = tensor([[1, 2, 3]]);
    const before = b.getWeights();
    const opt = optimizers.sgd({ learningRate: 0.5 });
    const { value, grads } = variableGrads(() => meanSquaredError(a.apply(x), tensor([[1, -1]])), a.trainableWeights);
    opt.applyGradients(grads);
    expect(same(b.getWeights(), before)).toBe(true);
    expect(() => opt.applyGradients({ 'twin_dense/kernel': grads['twin_dense/kernel']!.toArray().length ? tensor(new Float32Array(6), [3, 2]) : x }))
      .toThrow(/2 live weights are named "twin_dense\/kernel"/);
    for (const t of [value, ...Object.values(grads), x]) t.dispose();
    a.dispose();
    b.dispose();
    opt.dispose();
    // A given name of the counter's form moves the counter past it.
    const named = layers.dense({ units: 1, name: 'dense_9000' });
    expect(layers.dense({ units: 1 }).name).toBe('dense_9001');
    void named;
  });

  test('a sequential model whose first fit was refused takes another sample shape; add() after compile asks for compile again', async () => {
    const m = sequential([layers.dense({ units: 2 })]);
    m.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
    const img = Array.from({ length: 4 }, () => [[1, 2], [3, 4]]);
    await expect(m.fit(img, [[1, 2], [3, 4], [5, 6], [7, 8]], { verbose: 0 })).rejects.toThrow(/y must have shape \[n, 2, 2\]/);
    await m.fit(img.map((r) => r.flat()), [[1, 2], [3, 4], [5, 6], [7, 8]], { epochs: 1, verbose: 0 });
    expect(m.countParams()).toBe(4 * 2 + 2);
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const s = sequential([layers.dense({ units: 4, inputShape: [3] })]);
    s.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
    s.add(layers.dense({ units: 1 }));
    expect(warn).toHaveBeenCalledTimes(1);
    warn.mockRestore();
    await expect(s.fit([[1, 2, 3]], [[1]], { verbose: 0 })).rejects.toThrow(expect.objectContaining({ code: 'NOT_COMPILED' }));
    // A sequential model without an input shape takes its shape from where it is applied.
    const xi = input({ shape: [5] });
    const inner = sequential([layers.dense({ units: 3 }), layers.dense({ units: 1 })]);
    const outer = model({ inputs: xi, outputs: inner.apply(xi) });
    expect(outer.countParams()).toBe(5 * 3 + 3 + 3 + 1);
    for (const t of [m, s, outer, inner]) t.dispose();
  });

  test('a second fit while one runs is refused; predict during a fit sees the weights of the last step', async () => {
    const m = sequential([layers.dense({ units: 2, inputShape: [4] })]);
    m.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
    let during: Float32Array | null = null;
    const running = m.fit(X, Y, {
      epochs: 2, batchSize: 8, verbose: 0,
      callbacks: { onBatchEnd: async (b) => { if (b === 3) { const p = m.predict(X.slice(0, 2)); during = p.toArray(); p.dispose(); } } },
    });
    await expect(m.fit(X, Y, { verbose: 0 })).rejects.toThrow(/fit: sequential_\d+ is already training; await the running fit\(\) before starting another/);
    expect(() => m.trainOnBatch(X, Y)).toThrow(/trainOnBatch: .* is training in fit\(\)/);
    await running;
    expect(during).not.toBeNull();
    await m.fit(X, Y, { epochs: 1, verbose: 0 }); // allowed again once the first has finished
    m.dispose();
  });

  test('a refused call undoes only the shapes it gave: layers another model built, and graphs other models hold, stay', async () => {
    // A layer built by a graph model, then placed in a sequential model without an input shape.
    const xi = input({ shape: [3] });
    const d = layers.dense({ units: 2, name: 'kept_dense' });
    const m = model({ inputs: xi, outputs: d.apply(xi) });
    const s = sequential([d]);
    s.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
    expect(() => s.trainOnBatch([[1, 2, 3]], [[1, 2, 3]])).toThrow(/y must have shape \[n, 2\]/);
    expect(m.countParams()).toBe(8);
    (m.predict([[1, 2, 3]]) as Tensor).dispose();
    // A sequential model whose shape came from a call that passed its checks, then nested in a graph.
    const inner = sequential([layers.dense({ units: 2 })]);
    inner.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
    await expect(inner.fit([[1, 2, 3]], [[1, 2]], { validationSplit: 0.5, verbose: 0 })).rejects.toThrow(/validationSplit/);
    const yi = input({ shape: [3] });
    const outer = model({ inputs: yi, outputs: inner.apply(yi) });
    (outer.predict([[1, 2, 3]]) as Tensor).dispose();
    expect(() => inner.evaluate([[1, 2, 3]], [[1, 2, 3]])).toThrow(/y must have shape/);
    (outer.predict([[1, 2, 3]]) as Tensor).dispose();
    // Nested lazy sequential models forget their shapes together with the outer one's.
    const deep = sequential([sequential([layers.dense({ units: 2 })]), layers.dense({ units: 1 })]);
    deep.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
    await expect(deep.fit([[1, 2]], [[1, 2]], { verbose: 0 })).rejects.toThrow(/y must have shape \[n, 1\]/);
    await deep.fit([[1, 2, 3, 4]], [[1]], { verbose: 0 });
    expect(deep.countParams()).toBe(4 * 2 + 2 + 2 + 1);
    for (const t of [m, s, inner, outer, deep]) t.dispose();
  });

  test('backward() through an eager apply outside any tidy reaches the weights; disposing the result frees the rest', () => {
    const d = layers.dense({ units: 2, activation: 'sigmoid', useBias: false });
    const x = tensor([[1, 2, 3]]);
    d.apply(x).dispose(); // weights made
    const before = memory();
    const y = d.apply(x);
    const loss = sum(y);
    loss.backward();
    expect(Array.from(d.weights[0]!.grad!.toArray()).some((v) => v !== 0)).toBe(true);
    loss.dispose();
    y.dispose();
    expect(memory().tensors).toBe(before.tensors);
    x.dispose();
    d.dispose();
  });

  test('an optimizer keeps its state for a model that trains through another one that is disposed', async () => {
    const opt = optimizers.adam({ learningRate: 0.01 });
    const xi = input({ shape: [4] });
    const base = model({ inputs: xi, outputs: layers.dense({ units: 2 }).apply(xi) });
    base.compile({ optimizer: opt, loss: 'meanSquaredError' });
    const zi = input({ shape: [4] });
    const full = model({ inputs: zi, outputs: base.apply(zi) });
    full.compile({ optimizer: opt, loss: 'meanSquaredError' });
    await full.fit(X, Y, { epochs: 1, verbose: 0 });
    full.dispose();
    expect(opt.getState(base.paramGroups('test'))).not.toBeNull();
    base.dispose();
    opt.dispose();
  });

  test('a given name with a huge number does not move the name counter', () => {
    layers.dense({ units: 1, name: 'dense_9007199254740993' });
    expect(layers.dense({ units: 1 }).name).toMatch(/^dense_\d{1,6}$/);
  });

  test('compile takes partial metrics and lossWeights objects, and a bare metric name', () => {
    const { m } = twoHeads();
    m.compile({ optimizer: 'sgd', loss: ['categoricalCrossentropy', 'binaryCrossentropy'], metrics: { odd: 'accuracy' }, lossWeights: { odd: 0.5 } });
    const c = m.trainingConfig()!;
    expect(c.heads.map((h) => [h.name, h.metricNames, h.weight])).toEqual([['cls', [], 1], ['odd', ['accuracy'], 0.5]]);
    m.dispose();
  });
});
