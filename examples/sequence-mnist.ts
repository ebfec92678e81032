// Sequence MNIST: each digit read row by row, as 28 steps of 28 pixels, by an LSTM(128) and a dense
// softmax layer; trains on the 60,000 training digits for 3 epochs with a progress bar, then reports
// accuracy on the 10,000 test digits and the time per epoch.
// Run: npm run example:sequence-mnist   (EPOCHS=1, CELL=gru or CELL=simpleRNN, SAMPLES=n to change it)
import { data, init, layers, optimizers, sequential, tensor } from 'wasmgrad';

const EPOCHS = Number(process.env.EPOCHS ?? 3);
const CELL = (process.env.CELL ?? 'lstm') as 'lstm' | 'gru' | 'simpleRNN';
const UNITS = Number(process.env.UNITS ?? 128);

await init();
const { train, test } = await data.loadMnist();
const n = Math.min(train.count, Number(process.env.SAMPLES ?? train.count));
const x = tensor(train.images.subarray(0, n * 784), [n, 28, 28]); // [samples, steps (rows), features (pixels)]
const y = data.oneHot(train.labels.subarray(0, n), 10);
const xTest = tensor(test.images, [test.count, 28, 28]);
const yTest = data.oneHot(test.labels, 10);

const model = sequential([
  layers[CELL]({ units: UNITS, inputShape: [28, 28] }),
  layers.dense({ units: 10, activation: 'softmax' }),
]);
model.compile({ optimizer: optimizers.adam({ learningRate: 0.002 }), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
model.summary();

const seconds: number[] = [];
let started = 0;
await model.fit(x, y, {
  epochs: EPOCHS, batchSize: 64, seed: 1,
  callbacks: {
    onEpochBegin: () => { started = performance.now(); },
    onEpochEnd: () => { seconds.push((performance.now() - started) / 1000); },
  },
});

const { loss, accuracy } = model.evaluate(xTest, yTest, { batchSize: 256 });
const perEpoch = seconds.reduce((a, b) => a + b, 0) / seconds.length;
console.log(`${CELL}(${UNITS}) on sequence MNIST: test accuracy ${(accuracy! * 100).toFixed(2)}% (loss ${loss!.toFixed(4)}) on ${test.count} digits; ` +
  `${perEpoch.toFixed(1)} s per epoch (${Math.round(n / perEpoch)} samples/s)`);
