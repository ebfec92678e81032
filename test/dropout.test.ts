import { describe, expect, test } from 'vitest';
import { Dropout, Tensor, fromArtifacts, layers, memory, sequential, sum, tensor, tidy, variable } from '../src/index.js';
import { Rng } from '../src/random.js';

describe('dropout', () => {
  test('in training: drops about rate of the inputs, scales the rest by 1/(1 - rate), and passes gradients through the kept ones', () => {
    const layer = new Dropout({ rate: 0.25 });
    const rng = new Rng(5);
    tidy(() => {
      const x = variable(new Float32Array(4000).fill(2));
      const y = layer.call(x, { training: true, rng });
      const out = y.toArray();
      const dropped = out.filter((v) => v === 0).length / out.length;
      expect(Math.abs(dropped - 0.25)).toBeLessThan(4 * Math.sqrt(0.25 * 0.75 / 4000)); // 4σ
      expect(out.every((v) => v === 0 || Math.abs(v - 2 / 0.75) < 1e-6)).toBe(true);
      sum(y).backward();
      const g = x.grad!.toArray();
      expect(g.every((v, i) => (out[i] === 0 ? v === 0 : Math.abs(v - 1 / 0.75) < 1e-6))).toBe(true);
    });
    rng.dispose();
  });

  test('at inference it is the identity', () => tidy(() => {
    const x = tensor([1, 2, 3]);
    expect(new Dropout({ rate: 0.5 }).call(x, { training: false, rng: null })).toBe(x);
    expect(() => layers.dropout({ rate: 1 })).toThrow(/rate must be in \[0, 1\), got 1/);
  }));

  test('fit({ seed }) fixes the masks: same seed, same weights; another seed, others; no arena growth; save/load keeps it', async () => {
    const x = Array.from({ length: 32 }, (_, i) => [Math.sin(i), Math.cos(i), (i % 3) - 1]);
    const y = x.map(([a, b]) => [a! * b! > 0 ? 1 : 0]);
    const train = async (seed: number) => {
      const model = sequential([
        layers.dense({ units: 16, activation: 'relu', inputShape: [3] }),
        layers.dropout({ rate: 0.3 }),
        layers.dense({ units: 1, activation: 'sigmoid' }),
      ]);
      model.compile({ optimizer: 'adam', loss: 'binaryCrossentropy' });
      const seen: number[] = [];
      await model.fit(x, y, { epochs: 6, batchSize: 8, seed, verbose: 0, callbacks: { onBatchEnd: () => { seen.push(memory().bytes); } } });
      expect(new Set(seen.slice(4)).size).toBe(1);
      return model;
    };
    const a = await train(1), b = await train(1), c = await train(2);
    expect(a.getWeights()).toEqual(b.getWeights());
    expect(a.getWeights()).not.toEqual(c.getWeights());
    const loaded = fromArtifacts(a.toArtifacts());
    expect((loaded.predict(x) as Tensor).toArray()).toEqual(a.predict(x).toArray());
    for (const m of [a, b, c, loaded]) m.dispose();
  });
});
