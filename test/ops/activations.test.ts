import { describe, test } from 'vitest';
import { elu, exp, gelu, leakyRelu, relu, sigmoid, softmax, softplus, swish, tanh, tensor, tidy } from '../../src/index.js';
import { SIZES, expectClose, gradcheck, randArray } from '../helpers.js';
import * as ref from '../ref.js';

const elementwise = {
  relu: [relu, ref.relu], leakyRelu: [leakyRelu, ref.leakyRelu], sigmoid: [sigmoid, ref.sigmoid], tanh: [tanh, ref.tanh],
  elu: [elu, ref.elu], gelu: [gelu, ref.gelu], swish: [swish, ref.swish], softplus: [softplus, ref.softplus],
  exp: [exp, (x: Float64Array) => x.map(Math.exp)],
} as const;

for (const [name, [op, reference]] of Object.entries(elementwise)) {
  describe(name, () => {
    for (const n of SIZES) {
      test(`n=${n}`, () => tidy(() => {
        const x = randArray(n, n * 13, -4, 4);
        expectClose(op(tensor(x)).toArray(), reference(Float64Array.from(x)), 1e-5, 1e-6);
        if (n <= 17) gradcheck((t) => op(t!), (t) => reference(t!), [{ data: x, shape: [n] }]);
      }));
    }
  });
}

describe('activations saturate without NaN or overflow', () => {
  test('large inputs', () => tidy(() => {
    const x = Float32Array.of(-100, -30, 0, 30, 100);
    expectClose(sigmoid(tensor(x)).toArray(), ref.sigmoid(Float64Array.from(x)), 1e-6, 1e-30);
    expectClose(tanh(tensor(x)).toArray(), ref.tanh(Float64Array.from(x)), 1e-6, 1e-30);
    expectClose(softplus(tensor(x)).toArray(), [0, 9.357623e-14, Math.LN2, 30, 100], 1e-6, 1e-30);
    expectClose(swish(tensor(x)).toArray(), ref.swish(Float64Array.from(x)), 1e-6, 1e-30);
    expectClose(elu(tensor(x)).toArray(), ref.elu(Float64Array.from(x)), 1e-6, 1e-30);
    expectClose(gelu(tensor(x)).toArray(), [-0, -0, 0, 30, 100], 1e-6, 1e-30);
  }));
});

describe('softmax over the last axis', () => {
  for (const [rows, cols] of [[1, 1], [1, 3], [3, 4], [5, 5], [2, 17], [4, 1023]] as const) {
    test(`[${rows}, ${cols}]`, () => tidy(() => {
      const x = randArray(rows * cols, rows * cols, -5, 5);
      expectClose(softmax(tensor(x, [rows, cols])).toArray(), ref.softmax(Float64Array.from(x), cols), 1e-5, 1e-7);
      if (rows * cols <= 25) gradcheck((t) => softmax(t!), (t) => ref.softmax(t!, cols), [{ data: x, shape: [rows, cols] }]);
    }));
  }
  test('huge logits stay finite (max subtracted)', () => tidy(() => {
    expectClose(softmax(tensor([[1000, 1000, -1000]])).toArray(), [0.5, 0.5, 0], 1e-6, 1e-7);
  }));
});
