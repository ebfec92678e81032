import { expect, test } from 'vitest';
import { fromArtifacts, layers, optimizers, regularizers, sequential, tensor, tidy } from '../src/index.js';
import { penalty } from '../src/regularizers.js';
import { expectClose, gradcheck, randArray } from './helpers.js';

const ref = (w: Float64Array, l1: number, l2: number) => [w.reduce((s, v) => s + l1 * Math.abs(v) + l2 * v * v, 0)];

test('the L1/L2 penalty against a float64 reference, and its gradient', () => {
  for (const n of [1, 5, 17]) {
    const w = randArray(n, n);
    tidy(() => expectClose(penalty(tensor(w), { l1: 0.3, l2: 0.2 }).toArray(), ref(Float64Array.from(w), 0.3, 0.2), 1e-6, 1e-7));
    gradcheck((a) => penalty(a!, { l1: 0.3, l2: 0.2 }), (a) => ref(a!, 0.3, 0.2), [{ data: w, shape: [n] }]);
  }
  expect(regularizers.l1()).toEqual({ l1: 0.01, l2: 0 });
  expect(regularizers.l1l2({ l1: 0.1, l2: 0.2 })).toEqual({ l1: 0.1, l2: 0.2 });
  expect(() => regularizers.l2({ l2: -1 })).toThrow(/l2 must be a finite number >= 0, got -1/);
  expect(() => layers.dense({ units: 1, kernelRegularizer: { l3: 1 } as never })).toThrow(/kernelRegularizer: unknown option "l3"; a regularizer takes l1, l2$/);
});

test('the penalty is part of the reported loss; L2 shrinks the weights; save/load keeps it', async () => {
  const x = Array.from({ length: 32 }, (_, i) => [Math.sin(i), Math.cos(i), i / 32]);
  const y = x.map(([a, b, c]) => [3 * a! - 2 * b! + c!]);
  const make = (l2?: number) => {
    const m = sequential([layers.dense({ units: 8, activation: 'tanh', inputShape: [3], kernelRegularizer: l2 ? regularizers.l2({ l2 }) : undefined }), layers.dense({ units: 1 })]);
    m.compile({ optimizer: optimizers.adam({ learningRate: 0.05 }), loss: 'meanSquaredError' });
    return m;
  };
  const plain = make(), reg = make(0.5);
  reg.setWeights(plain.getWeights());
  const kernel = plain.getWeights()[0]!;
  const expected = plain.evaluate(x, y).loss! + 0.5 * kernel.reduce((s, v) => s + v * v, 0);
  expect(reg.evaluate(x, y).loss).toBeCloseTo(expected, 5);
  await plain.fit(x, y, { epochs: 40, batchSize: 8, seed: 2, verbose: 0 });
  await reg.fit(x, y, { epochs: 40, batchSize: 8, seed: 2, verbose: 0 });
  const norm = (w: Float32Array) => Math.sqrt(w.reduce((s, v) => s + v * v, 0));
  expect(norm(reg.getWeights()[0]!)).toBeLessThan(0.5 * norm(plain.getWeights()[0]!));
  const loaded = fromArtifacts(reg.toArtifacts());
  expect(loaded.evaluate(x, y)).toEqual(reg.evaluate(x, y));
  for (const m of [plain, reg, loaded]) m.dispose();
});
