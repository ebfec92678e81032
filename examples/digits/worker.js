// The draw-a-digit page's model, in a module Web Worker: it loads the LeNet-5 that `npm run demo`
// saved (loadModel), or trains one from scratch on the MNIST files when asked, and answers each
// drawing with the ten probabilities. The page never blocks on either.
// In your app import from 'wasmgrad' (with a bundler) or from '/node_modules/wasmgrad/build/index.js'
// (without one: a worker does not see the page's import map). Here: the repository's own build.
import { data, init, layers, loadModel, readIdx, sequential, tensor, toUnit } from '../../build/index.js';

await init();
let model = null;

async function mnist(name) {
  return readIdx(new Uint8Array(await (await fetch(`/mnist/${name}`)).arrayBuffer()));
}

async function train(epochs, samples) {
  postMessage({ type: 'status', text: 'Loading the MNIST training digits…' });
  const [images, labels] = await Promise.all([mnist('train-images-idx3-ubyte'), mnist('train-labels-idx1-ubyte')]);
  const n = Math.min(samples ?? images.shape[0], images.shape[0]);
  const x = { data: toUnit(images.data).subarray(0, n * 784), shape: [n, 28, 28, 1] };
  const y = data.oneHot(labels.data.subarray(0, n), 10);
  const next = sequential([
    layers.conv2d({ filters: 6, kernelSize: 5, padding: 'same', activation: 'relu', inputShape: [28, 28, 1] }),
    layers.maxPooling2d({ poolSize: 2 }),
    layers.conv2d({ filters: 16, kernelSize: 5, activation: 'relu' }),
    layers.maxPooling2d({ poolSize: 2 }),
    layers.flatten(),
    layers.dense({ units: 120, activation: 'relu' }),
    layers.dense({ units: 84, activation: 'relu' }),
    layers.dense({ units: 10, activation: 'softmax' }),
  ]);
  next.compile({ optimizer: 'adam', loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
  const batches = Math.ceil(n / 64), started = performance.now();
  let epoch = 0;
  await next.fit(x, y, {
    epochs, batchSize: 64, seed: 1, verbose: 0,
    callbacks: {
      onEpochBegin: (e) => { epoch = e; },
      onBatchEnd: (b, logs) => {
        if (b % 20 === 19 || b === batches - 1) postMessage({ type: 'progress', done: (epoch * batches + b + 1) / (epochs * batches), loss: logs.loss, accuracy: logs.accuracy });
      },
    },
  });
  y.dispose();
  model?.dispose();
  model = next;
  return (performance.now() - started) / 1000;
}

onmessage = async ({ data: m }) => {
  try {
    if (m.type === 'load') {
      model?.dispose();
      model = await loadModel(new URL(m.url, m.base));
      postMessage({ type: 'loaded', source: m.url });
    } else if (m.type === 'train') {
      const seconds = await train(m.epochs, m.samples);
      postMessage({ type: 'trained', seconds });
    } else if (m.type === 'predict' && model) {
      const x = tensor(m.pixels, [1, 28, 28, 1]);
      try {
        const p = model.predict(x);
        postMessage({ type: 'probabilities', id: m.id, probabilities: p.toArray() });
        p.dispose();
      } finally {
        x.dispose();
      }
    }
  } catch (e) {
    postMessage({ type: m.type === 'load' ? 'noModel' : 'error', message: e.message });
  }
};
postMessage({ type: 'ready' });
