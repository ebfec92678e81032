import { expect, test } from 'vitest';
import { callbacks, layers, optimizers, sequential } from '../src/index.js';

test('earlyStopping stops after `patience` epochs without improvement and restores the best weights', async () => {
  // Validation labels are the training labels flipped, so val_loss rises once training takes hold.
  const x = Array.from({ length: 24 }, (_, i) => [Math.sin(i), Math.cos(2 * i)]);
  const y = x.map(([a]) => [a! > 0 ? 1 : 0]);
  const yFlipped = y.map(([v]) => [1 - v!]);
  const model = sequential([layers.dense({ units: 8, activation: 'tanh', inputShape: [2] }), layers.dense({ units: 1, activation: 'sigmoid' })]);
  model.compile({ optimizer: optimizers.adam({ learningRate: 0.05 }), loss: 'binaryCrossentropy' });
  const snapshots: Float32Array[][] = [];
  const h = await model.fit(x, y, {
    epochs: 50, batchSize: 8, seed: 3, verbose: 0, validationData: [x, yFlipped],
    callbacks: [{ onEpochEnd: () => { snapshots.push(model.getWeights()); } }, callbacks.earlyStopping({ patience: 2, restoreBestWeights: true })],
  });
  const val = h.history.val_loss!;
  const best = val.indexOf(Math.min(...val));
  expect(val.length).toBe(best + 3); // the best epoch, then patience + 1 epochs without improvement
  expect(val.length).toBeLessThan(50);
  expect(model.getWeights()).toEqual(snapshots[best]);
  expect(() => callbacks.earlyStopping({ patience: -1 })).toThrow(/patience must be an integer >= 0/);
  await expect(model.fit(x, y, { epochs: 2, verbose: 0, callbacks: callbacks.earlyStopping() })).rejects.toThrow(/fit logs have no 'val_loss'/);
  model.dispose();
});
