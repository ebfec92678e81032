// A generative adversarial network on MNIST, Keras' recipe: the discriminator trains on its own, the
// generator through a combined model in which the discriminator is frozen; Adam (lr 2e-4, beta1 0.5)
// for both. After each epoch a PNG of the same 100 noise vectors' digits. At the end a LeNet-5
// (trained here first, as `npm run demo` trains it) labels 1,000 generated digits: the share it
// labels with probability >= 0.9, and how many classes those cover.
// Run: npm run example:gan [-- --out ./out/gan] (EPOCHS=20 by default)
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { data, init, input, layers, model, optimizers, sequential, setSeed, tensor, type SymbolicTensor, type Tensor } from 'wasmgrad';

const EPOCHS = Number(process.env.EPOCHS ?? 20), NOISE = 100, B = 64;
const outArg = process.argv.indexOf('--out');
const out = path.resolve(outArg > 0 ? process.argv[outArg + 1]! : './out/gan');

await init();
setSeed(1);
const { train, test } = await data.loadMnist();
const real = train.images.map((p) => p * 2 - 1); // pixels in [-1, 1], as the generator's tanh gives

/** A seeded generator for the example's noise and shuffling (mulberry32 and Box-Muller). */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const random = mulberry32(11);
const noise = (rows: number) => tensor(Float32Array.from({ length: rows * NOISE }, () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random())), [rows, NOISE]);

// The judge first: LeNet-5 as in `npm run demo`, 2 epochs.
const lenet = sequential([
  layers.conv2d({ filters: 6, kernelSize: 5, padding: 'same', activation: 'relu', inputShape: [28, 28, 1] }), layers.maxPooling2d({ poolSize: 2 }),
  layers.conv2d({ filters: 16, kernelSize: 5, activation: 'relu' }), layers.maxPooling2d({ poolSize: 2 }), layers.flatten(),
  layers.dense({ units: 120, activation: 'relu' }), layers.dense({ units: 84, activation: 'relu' }), layers.dense({ units: 10, activation: 'softmax' }),
]);
lenet.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
console.log('training the judge (LeNet-5, 2 epochs)');
await lenet.fit(tensor(train.images, [train.count, 28, 28, 1]), train.labels, { epochs: 2, batchSize: 64, seed: 2, verbose: 0 });
const judgeAccuracy = lenet.evaluate(tensor(test.images, [test.count, 28, 28, 1]), test.labels, { batchSize: 1000 }).accuracy!;
console.log(`judge: ${(judgeAccuracy * 100).toFixed(2)}% on the test digits`);

// The generator (noise → 784 pixels in [-1, 1]) and the discriminator (784 pixels → P(real)).
const generator = sequential({ name: 'generator', layers: [
  layers.dense({ units: 256, inputShape: [NOISE] }), layers.activation({ activation: 'leakyRelu' }),
  layers.dense({ units: 512 }), layers.activation({ activation: 'leakyRelu' }),
  layers.dense({ units: 784, activation: 'tanh' }),
] });
const discriminator = sequential({ name: 'discriminator', layers: [
  layers.dense({ units: 512, inputShape: [784] }), layers.activation({ activation: 'leakyRelu' }), layers.dropout({ rate: 0.3 }),
  layers.dense({ units: 256 }), layers.activation({ activation: 'leakyRelu' }), layers.dropout({ rate: 0.3 }),
  layers.dense({ units: 1, activation: 'sigmoid' }),
] });
discriminator.compile({ optimizer: optimizers.adam({ learningRate: 2e-4, beta1: 0.5 }), loss: 'binaryCrossentropy' });
discriminator.trainable = false; // in the combined model only: compile() above saw it trainable
const z = input({ shape: [NOISE] });
const combined = model({ inputs: z, outputs: discriminator.apply(generator.apply(z) as SymbolicTensor) as SymbolicTensor });
combined.compile({ optimizer: optimizers.adam({ learningRate: 2e-4, beta1: 0.5 }), loss: 'binaryCrossentropy' });

await mkdir(out, { recursive: true });
const fixed = noise(100);
const ones = tensor(new Float32Array(B).fill(1), [B, 1]), smooth = tensor(new Float32Array(B).fill(0.9), [B, 1]), zeros = tensor(new Float32Array(B), [B, 1]);
const order = Array.from({ length: train.count }, (_, i) => i);
const started = performance.now();
for (let epoch = 0; epoch < EPOCHS; epoch++) {
  const t0 = performance.now();
  for (let i = order.length - 1; i > 0; i--) { const j = Math.floor(random() * (i + 1)); [order[i], order[j]] = [order[j]!, order[i]!]; }
  let dLoss = 0, gLoss = 0, steps = 0;
  for (let start = 0; start + B <= order.length; start += B) {
    const batch = new Float32Array(B * 784);
    for (let r = 0; r < B; r++) batch.set(real.subarray(order[start + r]! * 784, order[start + r]! * 784 + 784), r * 784);
    const xr = tensor(batch, [B, 784]), zf = noise(B), zg = noise(B);
    const fake = generator.predictOnBatch(zf) as Tensor;
    dLoss += discriminator.trainOnBatch(xr, smooth).loss! / 2 + discriminator.trainOnBatch(fake, zeros).loss! / 2; // one-sided label smoothing
    gLoss += combined.trainOnBatch(zg, ones).loss!;
    steps++;
    for (const t of [xr, zf, zg, fake]) t.dispose();
  }
  const samples = generator.predictOnBatch(fixed) as Tensor;
  await writeFile(path.join(out, `epoch-${String(epoch + 1).padStart(3, '0')}.png`), data.imageGrid(samples.reshape([100, 28, 28]), { cols: 10, range: [-1, 1], scale: 2 }));
  samples.dispose();
  console.log(`epoch ${epoch + 1}/${EPOCHS}: discriminator loss ${(dLoss / steps).toFixed(3)}, generator loss ${(gLoss / steps).toFixed(3)} (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
}
const minutes = (performance.now() - started) / 60000;

// The judge's verdict on 1,000 generated digits.
const judged = noise(1000);
const digits = generator.predict(judged, { batchSize: 250 }) as Tensor;
const images = tensor(digits.toArray().map((p) => (p + 1) / 2), [1000, 28, 28, 1]);
const probs = (lenet.predict(images, { batchSize: 250 }) as Tensor).toArray();
let confident = 0;
const classes = new Set<number>();
for (let i = 0; i < 1000; i++) {
  let best = 0;
  for (let c = 1; c < 10; c++) if (probs[i * 10 + c]! > probs[i * 10 + best]!) best = c;
  if (probs[i * 10 + best]! >= 0.9) { confident++; classes.add(best); }
}
console.log(`GAN, ${EPOCHS} epochs in ${minutes.toFixed(1)} min: the judge labels ${(confident / 10).toFixed(1)}% of 1,000 generated digits with probability >= 0.9, ` +
  `covering ${classes.size} of the 10 classes`);
console.log(`wrote ${EPOCHS} grids of the same 100 noise vectors to ${out}/epoch-NNN.png`);
