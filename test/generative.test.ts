// The layers generative models use: gaussianNoise (a denoising autoencoder's corruption) and
// sampling (a VAE's reparameterization), exp, and a small autoencoder and VAE trained on MNIST
// digits in every runtime (the examples' small versions).
import { expect, test } from 'vitest';
import {
  add, data, exp, fromArtifacts, input, layers, memory, model, mul, noGrad, optimizers, scale, sequential, setSeed, sigmoidCrossEntropy, sub, sum,
  tensor, tidy, variableGrads, type SymbolicTensor, type Tensor,
} from '../src/index.js';
import { RUNTIME, expectClose } from './helpers.js';

const moments = (v: Float32Array) => {
  const m = v.reduce((a, b) => a + b, 0) / v.length;
  return [m, Math.sqrt(v.reduce((a, b) => a + (b - m) ** 2, 0) / v.length)] as const;
};

test('gaussianNoise: N(0, stddev²) added in training only, seeded; its gradient is the identity; saved and loaded', () => {
  const noise = layers.gaussianNoise({ stddev: 0.3 });
  const x = tensor(new Float32Array(20000).fill(2), [100, 200]);
  expect((noise.apply(x) as Tensor).toArray()).toEqual(x.toArray()); // inference: the identity
  setSeed(1);
  const a = noise.apply(x, { training: true }) as Tensor;
  const [m, s] = moments(a.toArray().map((v) => v - 2));
  expect(Math.abs(m)).toBeLessThan(0.01);
  expect(Math.abs(s - 0.3)).toBeLessThan(0.01);
  setSeed(1);
  expect((noise.apply(x, { training: true }) as Tensor).toArray()).toEqual(a.toArray());
  const v = tensor(new Float32Array(6).fill(1), [2, 3], { requiresGrad: true });
  const small = layers.gaussianNoise({ stddev: 0.3 }); // a layer keeps the shape it was first applied to
  const { grads, value } = variableGrads(() => sum(mul(small.apply(v, { training: true }) as Tensor, tensor([[1, 2, 3], [4, 5, 6]]))), [v]);
  expect(Array.from(Object.values(grads)[0]!.toArray())).toEqual([1, 2, 3, 4, 5, 6]);
  const i = input({ shape: [3] }), m1 = model({ inputs: i, outputs: layers.dense({ units: 2 }).apply(layers.gaussianNoise({ stddev: 0.1 }).apply(i) as SymbolicTensor) as SymbolicTensor });
  const m2 = fromArtifacts(m1.toArtifacts());
  expect(m2.layers.map((l) => l.className)).toContain('GaussianNoise');
  expect(() => layers.gaussianNoise({ stddev: -1 })).toThrow(/stddev must be a number >= 0, got -1/);
  for (const t of [x, a, v, value, ...Object.values(grads), m1, m2]) t.dispose();
});

test('sampling: mean + e^(logVar/2)·ε, ε ~ N(0, 1); gradients reach mean and logVar', () => {
  setSeed(2);
  const sampling = layers.sampling();
  const mean = tensor(new Float32Array(20000).fill(1.5), [200, 100]), logVar = tensor(new Float32Array(20000).fill(Math.log(0.25)), [200, 100]);
  const z = sampling.apply([mean, logVar]) as Tensor;
  const [m, s] = moments(z.toArray());
  expect(Math.abs(m - 1.5)).toBeLessThan(0.01);
  expect(Math.abs(s - 0.5)).toBeLessThan(0.01);
  // dz/dmean = 1; dz/dlogVar = ½·e^(logVar/2)·ε = ½·(z − mean), for the ε this pass drew.
  const mv = tensor([[0.5, -1]], undefined, { requiresGrad: true }), lv = tensor([[0.2, -0.4]], undefined, { requiresGrad: true });
  let drawn: Float32Array = new Float32Array(0);
  const small = layers.sampling();
  const { grads, value } = variableGrads(() => { const out = small.apply([mv, lv]) as Tensor; drawn = out.toArray(); return sum(out); }, [mv, lv]);
  const [gm, gl] = Object.values(grads);
  expect(Array.from(gm!.toArray())).toEqual([1, 1]);
  expectClose(gl!.toArray(), [0.5 * (drawn[0]! - 0.5), 0.5 * (drawn[1]! + 1)], 1e-6, 1e-7);
  expect(() => layers.sampling().apply([mean, tensor(new Float32Array(4), [2, 2])])).toThrow(/Sampling takes \[mean, logVar\] of one shape/);
  for (const t of [mean, logVar, z, mv, lv, value, gm!, gl!]) t.dispose();
});

test(`a small autoencoder and a VAE learn MNIST digits (${RUNTIME})`, async () => {
  const { train, test: t } = await data.loadMnist(RUNTIME === 'chromium' ? '/' : undefined);
  const n = 4096, m = 1000;
  const x = tensor(train.images.subarray(0, n * 784), [n, 784]), xt = tensor(t.images.subarray(0, m * 784), [m, 784]);
  setSeed(3);
  // The autoencoder: encoder and decoder models, joined.
  const pixels = input({ shape: [784] });
  const encoder = model({ inputs: pixels, outputs: layers.dense({ units: 32, activation: 'relu' }).apply(layers.dense({ units: 128, activation: 'relu' }).apply(pixels) as SymbolicTensor) as SymbolicTensor });
  const codes = input({ shape: [32] });
  const decoder = model({ inputs: codes, outputs: layers.dense({ units: 784, activation: 'sigmoid' }).apply(layers.dense({ units: 128, activation: 'relu' }).apply(codes) as SymbolicTensor) as SymbolicTensor });
  const ae = model({ inputs: pixels, outputs: decoder.apply(encoder.apply(pixels) as SymbolicTensor) as SymbolicTensor });
  ae.compile({ optimizer: optimizers.adam(2e-3), loss: 'meanSquaredError' });
  await ae.fit(x, x, { epochs: 8, batchSize: 64, seed: 4, verbose: 0 });
  const mse = ae.evaluate(xt, xt).loss!;
  const meanImage = new Float32Array(784);
  for (let i = 0; i < n * 784; i++) meanImage[i % 784]! += train.images[i]! / n;
  let baseline = 0;
  for (let i = 0; i < m * 784; i++) baseline += (t.images[i]! - meanImage[i % 784]!) ** 2;
  baseline /= m * 784;
  // The VAE: a custom step whose loss adds the KL term.
  const h = layers.dense({ units: 128, activation: 'relu' }).apply(pixels) as SymbolicTensor;
  const zm = layers.dense({ units: 2 }).apply(h) as SymbolicTensor, zl = layers.dense({ units: 2 }).apply(h) as SymbolicTensor;
  const venc = model({ inputs: pixels, outputs: [zm, zl, layers.sampling().apply([zm, zl]) as SymbolicTensor] });
  const c2 = input({ shape: [2] });
  const vdec = model({ inputs: c2, outputs: layers.dense({ units: 784 }).apply(layers.dense({ units: 128, activation: 'relu' }).apply(c2) as SymbolicTensor) as SymbolicTensor });
  const negElbo = (b: Tensor, training: boolean) => {
    const [mu, lv, z] = venc.apply(b, { training }) as Tensor[];
    const rec = scale(sigmoidCrossEntropy(vdec.apply(z!, { training }) as Tensor, b).loss, 784);
    return add(rec, scale(add(sub(sum(mul(mu!, mu!)), sum(lv!)), sum(exp(lv!))), 0.5 / b.shape[0]!));
  };
  const opt = optimizers.adam(1e-3), vars = [...venc.trainableWeights, ...vdec.trainableWeights];
  const before = tidy(() => noGrad(() => negElbo(xt, false).toArray()[0]!)) - 1;
  let bytes = 0;
  for (let epoch = 0; epoch < 4; epoch++) {
    if (epoch === 1) bytes = memory().bytes; // after the first epoch made the optimizer's state
    for (let s = 0; s + 64 <= n; s += 64) {
      const b = tensor(train.images.subarray(s * 784, (s + 64) * 784), [64, 784]);
      opt.minimize(() => negElbo(b, true), { varList: vars });
      b.dispose();
    }
  }
  expect(memory().bytes).toBe(bytes); // no arena growth over three epochs of custom steps
  const elbo = -(tidy(() => noGrad(() => negElbo(xt, false).toArray()[0]!)) - 1); // −½·Σ1 over 2 dims = −1
  console.log(`autoencoder (32), 4,096 digits × 8 epochs (${RUNTIME}): test MSE ${mse.toFixed(4)} per pixel vs the mean image's ${baseline.toFixed(4)}; ` +
    `VAE (2), 4 epochs: test ELBO ${-before.toFixed(1)} → ${elbo.toFixed(1)} nats per digit`);
  expect(mse).toBeLessThan(baseline / 2);
  expect(elbo).toBeGreaterThan(-before + 200); // from ~-545 (untrained) to above ~-220
  for (const d of [x, xt, ae, venc, vdec]) d.dispose();
});

test(`a small GAN (Keras' recipe: a frozen discriminator inside the combined model) moves its digits toward the data (${RUNTIME})`, async () => {
  const { train } = await data.loadMnist(RUNTIME === 'chromium' ? '/' : undefined);
  const n = 2048, B = 32, Z = 16;
  const real = train.images.subarray(0, n * 784).map((p) => p * 2 - 1);
  const meanOf = (images: Float32Array, rows: number) => Float32Array.from({ length: 784 }, (_, p) => { let s = 0; for (let r = 0; r < rows; r++) s += images[r * 784 + p]!; return s / rows; });
  const realMean = meanOf(real, n);
  setSeed(6);
  const generator = sequential([layers.dense({ units: 128, activation: 'relu', inputShape: [Z] }), layers.dense({ units: 784, activation: 'tanh' })]);
  const discriminator = sequential([layers.dense({ units: 128, inputShape: [784] }), layers.activation({ activation: 'leakyRelu' }), layers.dense({ units: 1, activation: 'sigmoid' })]);
  discriminator.compile({ optimizer: optimizers.adam({ learningRate: 1e-3, beta1: 0.5 }), loss: 'binaryCrossentropy' });
  discriminator.trainable = false;
  const z = input({ shape: [Z] });
  const combined = model({ inputs: z, outputs: discriminator.apply(generator.apply(z) as SymbolicTensor) as SymbolicTensor });
  combined.compile({ optimizer: optimizers.adam({ learningRate: 1e-3, beta1: 0.5 }), loss: 'binaryCrossentropy' });
  let seed = 1;
  const noise = (rows: number) => tensor(Float32Array.from({ length: rows * Z }, () => { seed = (seed * 1103515245 + 12345) >>> 0; return seed / 2 ** 31 - 1; }), [rows, Z]);
  const fixed = noise(256);
  const distance = () => tidy(() => { const g = meanOf((generator.predict(fixed) as Tensor).toArray(), 256); return g.reduce((s, v, p) => s + Math.abs(v - realMean[p]!), 0) / 784; });
  const before = distance();
  const ones = tensor(new Float32Array(B).fill(1), [B, 1]), zeros = tensor(new Float32Array(B), [B, 1]);
  let bytes = 0;
  for (let epoch = 0; epoch < 8; epoch++) {
    if (epoch === 1) bytes = memory().bytes;
    for (let s = 0; s + B <= n; s += B) {
      const xr = tensor(real.subarray(s * 784, (s + B) * 784), [B, 784]), zf = noise(B), zg = noise(B);
      const fake = generator.predictOnBatch(zf) as Tensor;
      discriminator.trainOnBatch(xr, ones);
      discriminator.trainOnBatch(fake, zeros);
      combined.trainOnBatch(zg, ones);
      for (const t of [xr, zf, zg, fake]) t.dispose();
    }
  }
  expect(memory().bytes).toBe(bytes);
  const after = distance();
  console.log(`GAN (16 → 128 → 784), 8 epochs of 2,048 digits (${RUNTIME}): mean |generated − real| mean image ${before.toFixed(3)} → ${after.toFixed(3)}`);
  expect(after).toBeLessThan(before / 2);
  for (const t of [fixed, ones, zeros, generator, discriminator, combined]) t.dispose();
});
