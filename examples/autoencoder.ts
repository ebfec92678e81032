// Autoencoders on MNIST: a dense autoencoder and a denoising one (encoder and decoder are models of
// their own, built with the functional API), and a variational autoencoder with a 2-D code trained
// by a custom step (its KL term added to the loss, gradients from variableGrads through minimize).
// Reports test MSE per pixel against predicting the mean image, and the VAE's test ELBO in nats;
// writes pictures. Run: npm run example:autoencoder [-- --out ./out/autoencoder] (EPOCHS=10 by default)
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import {
  add, data, init, input, layers, model, noGrad, optimizers, scale, setSeed, sigmoidCrossEntropy, sub, sum, mul, exp, tensor, tidy,
  type SymbolicTensor, type Tensor,
} from 'wasmgrad';

const EPOCHS = Number(process.env.EPOCHS ?? 10), SAMPLES = Number(process.env.SAMPLES ?? 60000);
const outArg = process.argv.indexOf('--out');
const out = path.resolve(outArg > 0 ? process.argv[outArg + 1]! : './out/autoencoder');
const NOISE = 0.5; // the denoising autoencoder's Gaussian noise (standard deviation, pixels in [0, 1])

await init();
setSeed(1);
const { train, test } = await data.loadMnist();
const n = Math.min(SAMPLES, train.count);
const x = tensor(train.images.subarray(0, n * 784), [n, 784]), xTest = tensor(test.images, [test.count, 784]);

/** A seeded generator for the example's own noise and shuffling (mulberry32). */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const random = mulberry32(7);
const gaussian = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
// The test digits with the noise the denoising autoencoder trains on (gaussianNoise: not clipped).
const noisyTest = tensor(test.images.map((p) => p + NOISE * gaussian()), [test.count, 784]);

/** Encoder 784 → 256 → code and decoder code → 256 → 784 as models, and the autoencoder joining them. */
function autoencoder(code: number, noise: number) {
  const pixels = input({ shape: [784] });
  const corrupted = noise > 0 ? layers.gaussianNoise({ stddev: noise }).apply(pixels) as SymbolicTensor : pixels;
  const hidden = layers.dense({ units: 256, activation: 'relu' }).apply(corrupted) as SymbolicTensor;
  const encoder = model({ inputs: pixels, outputs: layers.dense({ units: code, activation: 'relu' }).apply(hidden) as SymbolicTensor });
  const codes = input({ shape: [code] });
  const up = layers.dense({ units: 256, activation: 'relu' }).apply(codes) as SymbolicTensor;
  const decoder = model({ inputs: codes, outputs: layers.dense({ units: 784, activation: 'sigmoid' }).apply(up) as SymbolicTensor });
  const full = model({ inputs: pixels, outputs: decoder.apply(encoder.apply(pixels) as SymbolicTensor) as SymbolicTensor });
  full.compile({ optimizer: optimizers.adam(1e-3), loss: 'meanSquaredError' });
  return { encoder, decoder, full };
}

// The baseline: every test digit predicted as the mean training image.
const meanImage = new Float32Array(784);
for (let i = 0; i < n * 784; i++) meanImage[i % 784]! += train.images[i]! / n;
let baseline = 0;
for (let i = 0; i < test.count * 784; i++) baseline += (test.images[i]! - meanImage[i % 784]!) ** 2;
baseline /= test.count * 784;

const results: string[] = [];
const ae = autoencoder(32, 0), dae = autoencoder(32, NOISE);
for (const [name, m] of [['autoencoder', ae], ['denoising autoencoder', dae]] as const) {
  const t0 = performance.now();
  await m.full.fit(x, x, { epochs: EPOCHS, batchSize: 128, seed: 2, verbose: 1 });
  const seconds = (performance.now() - t0) / 1000;
  const mse = m.full.evaluate(m === dae ? noisyTest : xTest, xTest, { batchSize: 1000 }).loss!;
  results.push(`${name} (code of 32): test MSE ${mse.toFixed(4)} per pixel${m === dae ? ` from inputs with N(0, ${NOISE}²) noise` : ''}, ` +
    `${(mse / baseline).toFixed(3)} of the mean image's ${baseline.toFixed(4)} (${(seconds / EPOCHS).toFixed(1)} s an epoch)`);
}

// ── the variational autoencoder: a 2-D code, the KL term added to the loss in a custom step
const LATENT = 2;
const pixels = input({ shape: [784] });
const h = layers.dense({ units: 256, activation: 'relu' }).apply(pixels) as SymbolicTensor;
const zMean = layers.dense({ units: LATENT, name: 'z_mean' }).apply(h) as SymbolicTensor;
const zLogVar = layers.dense({ units: LATENT, name: 'z_log_var' }).apply(h) as SymbolicTensor;
const z = layers.sampling().apply([zMean, zLogVar]) as SymbolicTensor;
const encoder = model({ inputs: pixels, outputs: [zMean, zLogVar, z], name: 'vae_encoder' });
const codes = input({ shape: [LATENT] });
const up = layers.dense({ units: 256, activation: 'relu' }).apply(codes) as SymbolicTensor;
const decoder = model({ inputs: codes, outputs: layers.dense({ units: 784 }).apply(up) as SymbolicTensor, name: 'vae_decoder' }); // logits
const weights = [...encoder.trainableWeights, ...decoder.trainableWeights];
const optimizer = optimizers.adam(1e-3);

/** The negative ELBO per digit of a batch (a scalar tensor): Bernoulli cross-entropy summed over pixels + KL(q(z|x) ‖ N(0, I)), without KL's constant. */
function vaeLoss(batch: Tensor, training: boolean): { loss: Tensor; constant: number } {
  const [mean, logVar, code] = encoder.apply(batch, { training }) as Tensor[];
  const logits = decoder.apply(code!, { training }) as Tensor;
  const rows = batch.shape[0]!;
  const reconstruction = scale(sigmoidCrossEntropy(logits, batch).loss, 784); // mean over pixels → sum per digit
  // KL = -½ Σ (1 + logVar − mean² − e^logVar) per digit; the Σ 1 part is a constant, added as a number.
  const kl = scale(add(sub(sum(mul(mean!, mean!)), sum(logVar!)), sum(exp(logVar!))), 0.5 / rows);
  return { loss: add(reconstruction, kl), constant: -0.5 * LATENT };
}

const B = 128, order = Array.from({ length: n }, (_, i) => i);
const batchOf = (images: Float32Array, idx: number[]) => {
  const rows = new Float32Array(idx.length * 784);
  idx.forEach((r, i) => rows.set(images.subarray(r * 784, r * 784 + 784), i * 784));
  return tensor(rows, [idx.length, 784]);
};
const VAE_EPOCHS = EPOCHS;
const t0 = performance.now();
for (let epoch = 0; epoch < VAE_EPOCHS; epoch++) {
  for (let i = n - 1; i > 0; i--) { const j = Math.floor(random() * (i + 1)); [order[i], order[j]] = [order[j]!, order[i]!]; }
  let total = 0, steps = 0;
  for (let start = 0; start + B <= n; start += B) {
    const batch = batchOf(train.images, order.slice(start, start + B));
    let constant = 0;
    total += optimizer.minimize(() => { const r = vaeLoss(batch, true); constant = r.constant; return r.loss; }, { varList: weights }) + constant;
    steps++;
    batch.dispose();
  }
  console.log(`VAE epoch ${epoch + 1}/${VAE_EPOCHS}: loss ${(total / steps).toFixed(2)} nats per digit`);
}
const vaeSeconds = (performance.now() - t0) / 1000;
// The test ELBO: one code sampled per digit, in batches of 1,000.
let elbo = 0;
for (let start = 0; start < test.count; start += 1000) {
  elbo += tidy(() => noGrad(() => {
    const batch = tensor(test.images.subarray(start * 784, (start + 1000) * 784), [1000, 784]);
    const { loss, constant } = vaeLoss(batch, false);
    return -(loss.toArray()[0]! + constant) * 1000;
  }));
}
elbo /= test.count;
results.push(`variational autoencoder (code of ${LATENT}): test ELBO ${elbo.toFixed(1)} nats per digit (${(vaeSeconds / VAE_EPOCHS).toFixed(1)} s an epoch)`);

// ── pictures
await mkdir(out, { recursive: true });
const first = 12;
const rows = tidy(() => noGrad(() => {
  const originals = xTest.toArray().subarray(0, first * 784), noisy = noisyTest.toArray().subarray(0, first * 784);
  const part = (t: Tensor) => t.toArray().subarray(0, first * 784);
  return [originals, part(ae.full.predict(tensor(originals, [first, 784])) as Tensor), noisy, part(dae.full.predict(tensor(noisy, [first, 784])) as Tensor)];
}));
const grid = new Float32Array(4 * first * 784);
rows.forEach((r, i) => grid.set(r, i * first * 784));
await writeFile(path.join(out, 'reconstructions.png'), data.imageGrid(tensor(grid, [4 * first, 28, 28]), { cols: first, scale: 2 }));
// The VAE's decoder over a 15 × 15 grid of codes in [-2.5, 2.5]².
const side = 15, plane = new Float32Array(side * side * 2);
for (let r = 0; r < side; r++) for (let c = 0; c < side; c++) { plane[(r * side + c) * 2] = -2.5 + 5 * c / (side - 1); plane[(r * side + c) * 2 + 1] = 2.5 - 5 * r / (side - 1); }
const manifold = tidy(() => noGrad(() => (decoder.predict(tensor(plane, [side * side, 2])) as Tensor).toArray()));
await writeFile(path.join(out, 'vae-manifold.png'), data.imageGrid(tensor(manifold.map((v) => 1 / (1 + Math.exp(-v))), [side * side, 28, 28]), { cols: side, padding: 0 }));
for (const line of results) console.log(line);
console.log(`wrote ${path.join(out, 'reconstructions.png')} (rows: test digits, autoencoder, noisy, denoising autoencoder) and ${path.join(out, 'vae-manifold.png')}`);
