// The residual CNN of `npm run example:resnet`, small: the same graph (skip connections with add,
// batch normalization, global average pooling) trained on 4,096 MNIST digits for 3 epochs in every
// runtime, checked on 1,000 test digits. Batch norm's moving statistics use momentum 0.9 here: 192 steps
// are too few for Keras' 0.99 to forget their starting values; the rate decays as in the example.
import { expect, test } from 'vitest';
import { data, input, layers, model, optimizers, readIdx, schedules, tensor, toUnit, type SymbolicTensor } from '../src/index.js';
import { RUNTIME, readBytes } from './helpers.js';

async function mnist() {
  if (RUNTIME !== 'chromium') return data.loadMnist();
  const split = async (images: string, labels: string) => {
    const x = readIdx(await readBytes(new URL(`/${images}`, location.href)));
    const y = readIdx(await readBytes(new URL(`/${labels}`, location.href)));
    return { images: toUnit(x.data as Uint8Array), labels: y.data as Uint8Array, count: x.shape[0]! };
  };
  return { train: await split('train-images-idx3-ubyte', 'train-labels-idx1-ubyte'), test: await split('t10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte') };
}

const apply = (layer: { apply(x: SymbolicTensor | SymbolicTensor[]): unknown }, t: SymbolicTensor | SymbolicTensor[]) => layer.apply(t) as SymbolicTensor;
const convBn = (t: SymbolicTensor, filters: number, strides = 1, relu = true) => {
  const b = apply(layers.batchNormalization({ momentum: 0.9 }), apply(layers.conv2d({ filters, kernelSize: 3, strides, padding: 'same', useBias: false }), t));
  return relu ? apply(layers.activation({ activation: 'relu' }), b) : b;
};
const residual = (t: SymbolicTensor, filters: number) =>
  apply(layers.activation({ activation: 'relu' }), apply(layers.add(), [t, convBn(convBn(t, filters), filters, 1, false)]));

test(`a residual CNN learns MNIST digits (${RUNTIME})`, async () => {
  const { train, test: t } = await mnist();
  const n = 4096, m = 1000;
  const inp = input({ shape: [28, 28, 1] });
  let h = apply(layers.maxPooling2d({ poolSize: 2 }), apply(layers.conv2d({ filters: 16, kernelSize: 3, padding: 'same', activation: 'relu' }), inp));
  h = convBn(residual(h, 16), 32, 2);
  h = apply(layers.globalAveragePooling2d(), residual(h, 32));
  const resnet = model({ inputs: inp, outputs: apply(layers.dense({ units: 10, activation: 'softmax' }), h) });
  resnet.compile({ optimizer: optimizers.adam({ learningRate: schedules.cosineDecay({ initialLearningRate: 0.003, decaySteps: 192 }) }), loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
  const x = tensor(train.images.subarray(0, n * 784), [n, 28, 28, 1]);
  const y = tensor(Float32Array.from(train.labels.subarray(0, n)), [n]);
  await resnet.fit(x, y, { epochs: 3, batchSize: 64, seed: 1, verbose: 0 });
  const { accuracy } = resnet.evaluate({ data: t.images.subarray(0, m * 784), shape: [m, 28, 28, 1] }, { data: Float32Array.from(t.labels.subarray(0, m)), shape: [m] });
  console.log(`residual CNN, 4,096 digits × 3 epochs (${RUNTIME}): test accuracy ${(accuracy! * 100).toFixed(1)}% on ${m}`);
  expect(accuracy).toBeGreaterThan(0.93);
  x.dispose();
  y.dispose();
  resnet.dispose();
});
