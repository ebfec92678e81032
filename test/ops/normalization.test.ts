// batchNorm and layerNorm: forward against the float64 reference, backward against central
// differences (input, gamma and beta), moving statistics, inference mode.
import { describe, expect, test } from 'vitest';
import { batchNorm, layerNorm, sum, tensor, tidy, variable, WasmgradError } from '../../src/index.js';
import * as ref from '../ref.js';
import { SIZES, expectClose, gradcheck, randArray } from '../helpers.js';

const EPS = 1e-3;

describe('batchNorm', () => {
  for (const cols of SIZES.filter((c) => c < 100).concat([33])) {
    test(`forward, moving statistics and gradients, [6, ${cols}]`, () => {
      const rows = 6;
      const x = randArray(rows * cols, cols, -2, 3), g = randArray(cols, cols + 1, 0.5, 1.5), b = randArray(cols, cols + 2);
      const mm = randArray(cols, cols + 3), mv = randArray(cols, cols + 4, 0.5, 2);
      const want = ref.batchNorm(Float64Array.from(x), Float64Array.from(g), Float64Array.from(b), cols, EPS);
      tidy(() => {
        const movingMean = tensor(mm, [cols]), movingVar = tensor(mv, [cols]);
        const y = batchNorm(tensor(x, [rows, cols]), tensor(g, [cols]), tensor(b, [cols]), movingMean, movingVar, { training: true, momentum: 0.9 });
        expectClose(y.toArray(), want.out, 1e-4, 1e-5);
        expectClose(movingMean.toArray(), Array.from(mm, (v, c) => v * 0.9 + want.mean[c]! * 0.1), 1e-5, 1e-6);
        expectClose(movingVar.toArray(), Array.from(mv, (v, c) => v * 0.9 + want.variance[c]! * 0.1), 1e-5, 1e-6);
      });
      gradcheck(
        (xt, gt, bt) => batchNorm(xt!, gt!, bt!, tensor(new Float32Array(cols), [cols]), tensor(new Float32Array(cols).fill(1), [cols]), { training: true }),
        (xf, gf, bf) => ref.batchNorm(xf!, gf!, bf!, cols, EPS).out,
        [{ data: x, shape: [rows, cols] }, { data: g, shape: [cols] }, { data: b, shape: [cols] }],
        { rtol: 2e-3, atol: 2e-4 },
      );
    });
  }

  test('over [batch, h, w, c] it normalizes each channel over batch, height and width', () => {
    const shape = [2, 3, 5, 3], cols = 3, n = 90;
    const x = randArray(n, 5, -1, 4), g = randArray(cols, 6), b = randArray(cols, 7);
    gradcheck(
      (xt, gt, bt) => batchNorm(xt!, gt!, bt!, tensor(new Float32Array(cols), [cols]), tensor(new Float32Array(cols).fill(1), [cols]), { training: true }),
      (xf, gf, bf) => ref.batchNorm(xf!, gf!, bf!, cols, EPS).out,
      [{ data: x, shape }, { data: g, shape: [cols] }, { data: b, shape: [cols] }],
      { rtol: 2e-3, atol: 2e-4 },
    );
  });

  // Inference mode is a per-channel affine map of x, γ and β (the moving statistics are constants):
  // a frozen batch norm inside a network that trains needs its gradients.
  for (const cols of [1, 3, 4, 5, 8, 17]) {
    test(`inference uses the moving statistics; its gradients are the affine map's, [4, ${cols}]`, () => {
      const rows = 4;
      const x = randArray(rows * cols, 1 + cols), g = randArray(cols, 2 + cols), b = randArray(cols, 3 + cols);
      const mm = randArray(cols, 4 + cols), mv = randArray(cols, 5 + cols, 0.5, 2);
      const affine = (xf: Float64Array, gf: Float64Array, bf: Float64Array) =>
        Array.from(xf, (v, i) => gf[i % cols]! * (v - mm[i % cols]!) / Math.sqrt(mv[i % cols]! + EPS) + bf[i % cols]!);
      tidy(() => {
        const y = batchNorm(tensor(x, [rows, cols]), tensor(g, [cols]), tensor(b, [cols]), tensor(mm, [cols]), tensor(mv, [cols]), { training: false });
        expectClose(y.toArray(), affine(Float64Array.from(x), Float64Array.from(g), Float64Array.from(b)), 1e-5, 1e-6);
      });
      gradcheck(
        (xt, gt, bt) => batchNorm(xt!, gt!, bt!, tensor(mm, [cols]), tensor(mv, [cols]), { training: false }),
        (xf, gf, bf) => affine(xf!, gf!, bf!),
        [{ data: x, shape: [rows, cols] }, { data: g, shape: [cols] }, { data: b, shape: [cols] }],
      );
    });
  }

  test('names the parameter whose shape is wrong', () => {
    tidy(() => {
      const c = tensor([1, 1, 1], [3]);
      expect(() => batchNorm(tensor([1, 2, 3, 4], [2, 2]), c, c, c, c, { training: true })).toThrow(WasmgradError);
      expect(() => batchNorm(tensor([1, 2, 3, 4], [2, 2]), c, c, c, c, { training: true })).toThrow(/gamma must have shape \[2\]/);
    });
  });
});

describe('layerNorm', () => {
  for (const cols of SIZES.filter((c) => c < 100 && c > 1).concat([33])) {
    test(`forward and gradients, [5, ${cols}]`, () => {
      const rows = 5;
      const x = randArray(rows * cols, cols + 10, -2, 3), g = randArray(cols, cols + 11, 0.5, 1.5), b = randArray(cols, cols + 12);
      tidy(() => {
        const y = layerNorm(tensor(x, [rows, cols]), tensor(g, [cols]), tensor(b, [cols]));
        expectClose(y.toArray(), ref.layerNorm(Float64Array.from(x), Float64Array.from(g), Float64Array.from(b), cols, EPS), 1e-4, 1e-5);
      });
      gradcheck(
        (xt, gt, bt) => layerNorm(xt!, gt!, bt!),
        (xf, gf, bf) => ref.layerNorm(xf!, gf!, bf!, cols, EPS),
        [{ data: x, shape: [rows, cols] }, { data: g, shape: [cols] }, { data: b, shape: [cols] }],
        { rtol: 2e-3, atol: 2e-4 },
      );
    });
  }
});
