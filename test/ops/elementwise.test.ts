import { describe, expect, test } from 'vitest';
import { WasmgradError, add, mean, mul, sub, sum, tensor, tidy } from '../../src/index.js';
import { SIZES, expectClose, gradcheck, randArray } from '../helpers.js';
import * as ref from '../ref.js';

const f64 = (a: Float32Array) => Float64Array.from(a);

describe('add, sub, mul', () => {
  for (const n of SIZES) {
    test(`same shape, n=${n}`, () => tidy(() => {
      const a = randArray(n, n), b = randArray(n, n + 1);
      const ta = tensor(a), tb = tensor(b);
      expectClose(add(ta, tb).toArray(), ref.add(f64(a), f64(b)));
      expectClose(sub(ta, tb).toArray(), ref.sub(f64(a), f64(b)));
      expectClose(mul(ta, tb).toArray(), ref.mul(f64(a), f64(b)));
      if (n <= 17) {
        gradcheck(add, ref.add, [{ data: a, shape: [n] }, { data: b, shape: [n] }]);
        gradcheck(sub, ref.sub, [{ data: a, shape: [n] }, { data: b, shape: [n] }]);
        gradcheck(mul, ref.mul, [{ data: a, shape: [n] }, { data: b, shape: [n] }]);
      }
    }));
  }

  for (const [rows, cols] of [[1, 1], [3, 5], [4, 4], [7, 17], [2, 1023]] as const) {
    test(`row broadcast [${rows}, ${cols}] + [${cols}]`, () => tidy(() => {
      const a = randArray(rows * cols, 1), b = randArray(cols, 2);
      expectClose(add(tensor(a, [rows, cols]), tensor(b, [cols])).toArray(), ref.add(f64(a), f64(b)));
      expectClose(sub(tensor(a, [rows, cols]), tensor(b, [cols])).toArray(), ref.sub(f64(a), f64(b)));
      if (rows * cols < 200) {
        gradcheck(add, ref.add, [{ data: a, shape: [rows, cols] }, { data: b, shape: [cols] }]);
        gradcheck(sub, ref.sub, [{ data: a, shape: [rows, cols] }, { data: b, shape: [cols] }]);
      }
    }));
  }

  test('scalar broadcast', () => tidy(() => {
    const a = randArray(6, 3), b = Float32Array.of(0.5);
    expectClose(add(tensor(a, [2, 3]), tensor(b, [])).toArray(), ref.add(f64(a), f64(b)));
    gradcheck(sub, ref.sub, [{ data: a, shape: [2, 3] }, { data: b, shape: [] }]);
  }));

  test('shape errors name the op and both shapes', () => tidy(() => {
    expect(() => add(tensor([1, 2, 3]), tensor([1, 2]))).toThrow(/add: b's shape \[2\] must equal a's shape \[3\]/);
    expect(() => mul(tensor([[1, 2]]), tensor([1, 2]))).toThrow(WasmgradError);
    expect(() => mul(tensor([[1, 2]]), tensor([1, 2]))).toThrow(/mul: a \[1, 2\] and b \[2\]/);
  }));
});

describe('sum, mean', () => {
  for (const n of SIZES) {
    test(`n=${n}`, () => tidy(() => {
      const a = randArray(n, 7 * n);
      expectClose(sum(tensor(a)).toArray(), ref.sum(f64(a)), 1e-6, 1e-6);
      expectClose(mean(tensor(a)).toArray(), ref.mean(f64(a)), 1e-6, 1e-6);
      if (n <= 17) {
        gradcheck(sum, ref.sum, [{ data: a, shape: [n] }]);
        gradcheck(mean, ref.mean, [{ data: a, shape: [n] }]);
      }
    }));
  }
});
