import { describe, expect, test } from 'vitest';
import { matmul, tensor, tidy } from '../../src/index.js';
import { expectClose, gradcheck, randArray } from '../helpers.js';
import * as ref from '../ref.js';
import { dense } from '../../src/ops/matmul.js';

// The packed GEMM has a 4×8 register tile, K blocks of at most 256 (equal ones: 300 is 2 × 150), M blocks of 128 and N blocks of 1024:
// these shapes hit full tiles, edge tiles in M and N, K shorter than and across a K block,
// several M blocks and several N blocks. In the backward case 130×5·5×3, the gradient of b is
// aᵀ·dout with K = 130 rows: the narrow path, accumulating.
const SHAPES: [number, number, number][] = [
  [1, 1, 1], [1, 8, 1], [4, 8, 4], [3, 5, 7], [5, 9, 3], [8, 16, 2], [17, 13, 19],
  [33, 70, 300], [130, 9, 5], [5, 1030, 3], [3, 300, 2], [64, 10, 128], [2, 3, 513],
  // The narrow path (Aᵀ·B, N ≤ 8, K ≥ 128, M ≥ 4): every column count, M a multiple of 4 or not
  // (the last strip overlaps), K across blocks; B read in place (N = 1, 2, 3, 4, 6, 8) or padded.
  [4, 1, 128], [5, 2, 300], [7, 3, 129], [25, 6, 600], [9, 4, 257], [6, 5, 200], [13, 7, 140], [16, 8, 513],
];
const FORMS = [[false, false], [false, true], [true, false], [true, true]] as const;

describe('matmul forward against the float64 reference', () => {
  for (const [m, n, k] of SHAPES) {
    for (const [ta, tb] of FORMS) {
      test(`${m}×${k} · ${k}×${n}${ta ? ' transposeA' : ''}${tb ? ' transposeB' : ''}`, () => tidy(() => {
        const a = randArray(m * k, m * 31 + k), b = randArray(k * n, n * 17 + k);
        const out = matmul(tensor(a, ta ? [k, m] : [m, k]), tensor(b, tb ? [n, k] : [k, n]), { transposeA: ta, transposeB: tb });
        expect(out.shape).toEqual([m, n]);
        // float32 sums of k products of values in [-1, 1]: error grows like √k·2^-24.
        expectClose(out.toArray(), ref.matmul(Float64Array.from(a), Float64Array.from(b), m, n, k, ta, tb), 1e-4, 1e-5 * Math.sqrt(k));
      }));
    }
  }
});

describe('matmul backward against central differences', () => {
  for (const [m, n, k] of [[1, 1, 1], [3, 5, 7], [5, 9, 4], [2, 3, 9], [130, 3, 5]] as [number, number, number][]) {
    for (const [ta, tb] of FORMS) {
      test(`${m}×${k} · ${k}×${n}${ta ? ' transposeA' : ''}${tb ? ' transposeB' : ''}`, () => {
        gradcheck(
          (a, b) => matmul(a!, b!, { transposeA: ta, transposeB: tb }),
          (a, b) => ref.matmul(a!, b!, m, n, k, ta, tb),
          [{ data: randArray(m * k, 5), shape: ta ? [k, m] : [m, k] }, { data: randArray(k * n, 6), shape: tb ? [n, k] : [k, n] }],
        );
      });
    }
  }
});

test('matmul errors name both shapes', () => tidy(() => {
  expect(() => matmul(tensor([[1, 2, 3]]), tensor([[1, 2]]))).toThrow(/matmul: inner dimensions differ: op\(a\) is 1×3 and op\(b\) is 1×2/);
  expect(() => matmul(tensor([1, 2]), tensor([[1, 2]]))).toThrow(/matmul: a and b must be 2-D, got a \[2\] and b \[1, 2\]/);
}));

describe('dense: relu?(x·w + bias) in one GEMM', () => {
  // Row and column counts around the 4×8 tile, K over one block of 256 (the epilogue runs on the
  // last), M and N over one block (128 rows, 256 columns).
  for (const [m, k, n] of [[1, 1, 1], [5, 3, 7], [17, 300, 10], [64, 784, 33], [130, 20, 260]] as const) {
    test(`${m}×${k} · ${k}×${n}`, () => {
      const xd = randArray(m * k, 1), wd = randArray(k * n, 2), bd = randArray(n, 3);
      for (const relu of [false, true]) {
        const r = (a: Float64Array, b: Float64Array, c: Float64Array | null) => ref.biasRelu(ref.matmul(a, b, m, n, k), c, relu);
        for (const withBias of [false, true]) {
          tidy(() => {
            const out = dense(tensor(xd, [m, k]), tensor(wd, [k, n]), withBias ? tensor(bd, [n]) : null, relu);
            expectClose(out.toArray(), r(Float64Array.from(xd), Float64Array.from(wd), withBias ? Float64Array.from(bd) : null), 1e-5, 1e-5);
          });
        }
        if (m * k * n < 1e5) {
          gradcheck((a, b, c) => dense(a!, b!, c!, relu), (a, b, c) => r(a!, b!, c!),
            [{ data: xd, shape: [m, k] }, { data: wd, shape: [k, n] }, { data: bd, shape: [n] }]);
        }
      }
    });
  }

  test('shape errors name the shapes', () => tidy(() => {
    expect(() => dense(tensor(new Float32Array(6), [2, 3]), tensor(new Float32Array(8), [4, 2]), null, false))
      .toThrow(/dense: x must be \[batch, n\] and w \[n, units\], got x \[2, 3\] and w \[4, 2\]/);
    expect(() => dense(tensor(new Float32Array(6), [2, 3]), tensor(new Float32Array(6), [3, 2]), tensor([1, 2, 3], [3]), true))
      .toThrow(/dense: bias must have shape \[2\], got \[3\]/);
  }));
});
