// A restricted Boltzmann machine on binarized MNIST: CD-1 with Hinton's momentum schedule, then a
// softmax classifier (logistic regression) on its hidden features, and two pictures: the learned
// filters and digits sampled by Gibbs sampling.
// Run: npm run example:rbm [-- --out ./out/rbm] (HIDDEN=256 EPOCHS=10 by default)
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { data, init, layers, models, sequential, tensor } from 'wasmgrad';

const HIDDEN = Number(process.env.HIDDEN ?? 256), EPOCHS = Number(process.env.EPOCHS ?? 10);
const outArg = process.argv.indexOf('--out');
const out = path.resolve(outArg > 0 ? process.argv[outArg + 1]! : './out/rbm');

await init();
const { train, test } = await data.loadMnist();
const binarize = (images: Float32Array, n: number) => tensor(images.map((p) => (p > 0.5 ? 1 : 0)), [n, 784]);
const x = binarize(train.images, train.count), xTest = binarize(test.images, test.count);

const rbm = models.rbm({ visible: 784, hidden: HIDDEN, seed: 1 });
const started = performance.now();
// Hinton's guide: momentum 0.5 while the reconstruction error falls fast, then 0.9.
const warm = Math.min(EPOCHS, 2);
const h1 = await rbm.fit(x, { epochs: warm, batchSize: 32, k: 1, learningRate: 0.1, momentum: 0.5, seed: 2, verbose: 1 });
const h2 = await rbm.fit(x, { epochs: EPOCHS - warm, batchSize: 32, k: 1, learningRate: 0.1, momentum: 0.9, seed: 3, verbose: 1 });
const seconds = (performance.now() - started) / 1000;
const errors = [...h1.history.reconstructionError!, ...h2.history.reconstructionError!];
console.log(`RBM(${HIDDEN}): ${EPOCHS} epochs of CD-1 in ${seconds.toFixed(1)} s (${(seconds / EPOCHS).toFixed(1)} s an epoch); ` +
  `reconstruction error ${errors[0]!.toFixed(4)} → ${errors.at(-1)!.toFixed(4)}`);

// Logistic regression on the hidden probabilities.
const features = rbm.transform(x), featuresTest = rbm.transform(xTest);
const classifier = sequential([layers.dense({ units: 10, activation: 'softmax', inputShape: [HIDDEN] })]);
classifier.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
await classifier.fit(features, train.labels, { epochs: 10, batchSize: 64, seed: 4, verbose: 0 });
const { accuracy } = classifier.evaluate(featuresTest, test.labels, { batchSize: 1000 });
console.log(`softmax on the RBM's ${HIDDEN} hidden features: ${(accuracy! * 100).toFixed(2)}% test accuracy on ${test.count} digits`);

// Pictures: the first 100 hidden units' weights as 28×28 filters, and 100 digits sampled after 1,000 Gibbs steps.
await mkdir(out, { recursive: true });
const w = rbm.weights.toArray();
// Each filter scaled by its own largest weight, so that every one shows its shape.
const filters = new Float32Array(100 * 784);
for (let f = 0; f < 100; f++) {
  let bound = 1e-12;
  for (let p = 0; p < 784; p++) bound = Math.max(bound, Math.abs(w[p * HIDDEN + f]!));
  for (let p = 0; p < 784; p++) filters[f * 784 + p] = w[p * HIDDEN + f]! / bound;
}
await writeFile(path.join(out, 'filters.png'), data.imageGrid(tensor(filters, [100, 28, 28]), { cols: 10, scale: 2, range: [-1, 1] }));
const samples = rbm.sample(100, { gibbsSteps: 1000, seed: 5 });
await writeFile(path.join(out, 'samples.png'), data.imageGrid(samples.reshape([100, 28, 28]), { cols: 10, scale: 2 }));
console.log(`wrote ${path.join(out, 'filters.png')} and ${path.join(out, 'samples.png')}`);
