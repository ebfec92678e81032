// Initializers: the variance each promises, orthogonality, seeds, and saving configured ones.
import { describe, expect, test } from 'vitest';
import { WasmgradError, fromArtifacts, initializers, layers, sequential, type InitializerSpec } from '../src/index.js';

function kernelOf(init: InitializerSpec, inputs: number, units: number): Float32Array {
  const model = sequential([layers.dense({ units, inputShape: [inputs], kernelInitializer: init, biasInitializer: init })]);
  model.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
  const w = model.getWeights()[0]!;
  model.dispose();
  return w;
}

const mean = (v: ArrayLike<number>) => Array.from(v).reduce((a, b) => a + b, 0) / v.length;
const variance = (v: ArrayLike<number>) => { const m = mean(v); return Array.from(v).reduce((a, b) => a + (b - m) ** 2, 0) / v.length; };

describe('named initializers', () => {
  test('ones', () => {
    expect(Array.from(kernelOf('ones', 3, 5))).toEqual(new Array(15).fill(1));
  });

  test('lecunNormal and lecunUniform have variance 1 / fanIn', () => {
    for (const name of ['lecunNormal', 'lecunUniform'] as const) {
      const w = kernelOf(name, 200, 300);
      expect(Math.abs(mean(w))).toBeLessThan(0.002);
      expect(variance(w) * 200).toBeGreaterThan(0.95);
      expect(variance(w) * 200).toBeLessThan(1.05);
    }
    const u = kernelOf('lecunUniform', 200, 300);
    const limit = Math.sqrt(3 / 200);
    expect(Math.max(...u)).toBeLessThanOrEqual(limit);
    expect(Math.min(...u)).toBeGreaterThanOrEqual(-limit);
  });

  for (const [rows, cols] of [[40, 7], [7, 40], [16, 16], [1, 5]] as const) {
    test(`orthogonal: the shorter side is orthonormal, ${rows}×${cols}`, () => {
      const w = kernelOf('orthogonal', rows, cols);
      const n = Math.min(rows, cols);
      for (let a = 0; a < n; a++) {
        for (let b = 0; b < n; b++) {
          let dot = 0;
          for (let j = 0; j < Math.max(rows, cols); j++) {
            dot += rows >= cols ? w[j * cols + a]! * w[j * cols + b]! : w[a * cols + j]! * w[b * cols + j]!;
          }
          expect(Math.abs(dot - (a === b ? 1 : 0))).toBeLessThan(1e-5);
        }
      }
    });
  }
});

describe('configured initializers', () => {
  test('randomNormal and randomUniform draw what they say; a seed fixes the values', () => {
    const n = initializers.randomNormal({ mean: 2, stddev: 0.5, seed: 42 });
    const a = kernelOf(n, 100, 200), b = kernelOf(n, 100, 200);
    expect(b).toEqual(a);
    expect(mean(a)).toBeCloseTo(2, 1);
    expect(Math.sqrt(variance(a))).toBeCloseTo(0.5, 1);
    const u = kernelOf(initializers.randomUniform({ minval: -3, maxval: -1, seed: 1 }), 50, 50);
    expect(Math.min(...u)).toBeGreaterThanOrEqual(-3);
    expect(Math.max(...u)).toBeLessThan(-1);
    expect(mean(u)).toBeCloseTo(-2, 1);
    expect(Array.from(kernelOf(initializers.constant({ value: 0.25 }), 2, 2))).toEqual([0.25, 0.25, 0.25, 0.25]);
    const g = kernelOf(initializers.orthogonal({ gain: 2, seed: 3 }), 6, 6);
    let s = 0;
    for (let j = 0; j < 6; j++) s += g[j * 6]! ** 2;
    expect(s).toBeCloseTo(4, 4);
  });

  test('bad configs are refused with the option named', () => {
    expect(() => initializers.randomUniform({ minval: 1, maxval: 1 })).toThrow(/minval < maxval/);
    expect(() => initializers.randomNormal({ stddev: -1 })).toThrow(/stddev must be >= 0/);
    expect(() => initializers.randomNormal({ seed: 1.5 })).toThrow(/seed must be a finite number \(a safe integer\)/);
    expect(() => layers.dense({ units: 1, kernelInitializer: 'nope' as never })).toThrow(WasmgradError);
    expect(() => layers.dense({ units: 1, kernelInitializer: { name: 'constant', value: 1, extra: 2 } as never })).toThrow(/unknown option "extra"; constant takes name, value$/);
  });

  test('a configured initializer is saved in the topology and rebuilt on load', () => {
    const model = sequential([layers.dense({ units: 3, inputShape: [2], kernelInitializer: initializers.randomNormal({ stddev: 1, seed: 9 }) })]);
    const artifacts = model.toArtifacts();
    const loaded = fromArtifacts(artifacts);
    expect(loaded.getWeights()).toEqual(model.getWeights());
    expect(JSON.parse(artifacts.topology).layers[0].config.kernelInitializer).toEqual({ name: 'randomNormal', mean: 0, stddev: 1, seed: 9 });
    model.dispose();
    loaded.dispose();
  });
});
