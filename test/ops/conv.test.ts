import { describe, expect, test } from 'vitest';
import { avgPool2d, conv2d, maxPool2d, memory, mul, reshape, sum, tensor, tidy, variable } from '../../src/index.js';
import { expectClose, gradcheck, randArray } from '../helpers.js';
import * as ref from '../ref.js';

type Case = { x: number[]; f: number[]; s: [number, number]; p: 'valid' | 'same' };
const CASES: Case[] = [
  { x: [1, 1, 1, 1], f: [1, 1, 1, 1], s: [1, 1], p: 'valid' },
  { x: [2, 7, 5, 3], f: [3, 3, 3, 4], s: [2, 2], p: 'same' }, // odd image, 3 channels, stride 2, 'same'
  { x: [2, 7, 5, 3], f: [3, 2, 3, 5], s: [1, 2], p: 'valid' },
  { x: [1, 6, 6, 2], f: [5, 5, 2, 3], s: [1, 1], p: 'same' },
  { x: [3, 4, 4, 5], f: [1, 1, 5, 7], s: [1, 1], p: 'valid' }, // 1×1: no im2col
  { x: [1, 8, 9, 1], f: [4, 4, 1, 2], s: [3, 2], p: 'same' },
  // One channel at stride 1 (LeNet's first layer): filter counts around the narrow GEMM path's
  // column counts, 'same' with even and odd windows (asymmetric padding), windows as large as the image.
  { x: [2, 7, 6, 1], f: [5, 5, 1, 6], s: [1, 1], p: 'same' },
  { x: [2, 5, 9, 1], f: [3, 4, 1, 5], s: [1, 1], p: 'valid' },
  { x: [1, 4, 3, 1], f: [2, 3, 1, 9], s: [1, 1], p: 'same' },
  { x: [3, 3, 5, 1], f: [5, 5, 1, 3], s: [1, 1], p: 'same' },
  { x: [1, 5, 5, 1], f: [5, 5, 1, 4], s: [1, 1], p: 'valid' },
  // im2col splits each row of outputs into left edge, inside and right edge: windows wider than the
  // image at stride 2 (no inside part), and the 5-float copy of a 5×5 one-channel window at stride 2.
  { x: [1, 3, 3, 2], f: [7, 7, 2, 2], s: [2, 2], p: 'same' },
  { x: [2, 9, 11, 1], f: [5, 5, 1, 3], s: [2, 2], p: 'same' },
  // The direct one-channel kernels: windows wider than 5 (taps in groups of 5), 7, 8 and 13 filters
  // (groups of 8, the last one of 5).
  { x: [2, 9, 8, 1], f: [3, 7, 1, 8], s: [1, 1], p: 'same' },
  { x: [1, 6, 10, 1], f: [2, 6, 1, 7], s: [1, 1], p: 'valid' },
  { x: [2, 5, 6, 1], f: [3, 3, 1, 13], s: [1, 1], p: 'same' },
  // Stride 1, 'valid': the GEMM reads the windows in place. 27 output pixels (the last strip of 4 short,
  // strips crossing rows and images), 7 filters; then a window of 275 floats, over the 256 it takes.
  { x: [3, 5, 6, 2], f: [3, 4, 2, 7], s: [1, 1], p: 'valid' },
  { x: [1, 7, 7, 11], f: [5, 5, 11, 2], s: [1, 1], p: 'valid' },
  // 'same' with a 2×2 window pads only below and to the right: no top/left padding, yet not 'valid'.
  { x: [2, 5, 4, 3], f: [2, 2, 3, 4], s: [1, 1], p: 'same' },
];

describe('conv2d against the float64 reference', () => {
  for (const { x, f, s, p } of CASES) {
    const label = `x [${x}] filter [${f}] strides [${s}] ${p}`;
    test(`${label}: forward`, () => tidy(() => {
      const xd = randArray(x.reduce((a, b) => a * b), 1), fd = randArray(f.reduce((a, b) => a * b), 2);
      const out = conv2d(tensor(xd, x), tensor(fd, f), { strides: s, padding: p });
      expectClose(out.toArray(), ref.conv2d(Float64Array.from(xd), Float64Array.from(fd), x, f, s, p), 1e-5, 1e-5);
    }));
    test(`${label}: gradients`, () => {
      gradcheck((a, b) => conv2d(a!, b!, { strides: s, padding: p }), (a, b) => ref.conv2d(a!, b!, x, f, s, p),
        [{ data: randArray(x.reduce((a, b) => a * b), 3), shape: x }, { data: randArray(f.reduce((a, b) => a * b), 4), shape: f }]);
    });
  }

  // The bias and ReLU in the product's epilogue: the one-channel direct kernel, im2col + GEMM, 1×1, and
  // windows read in place.
  for (const { x, f, s, p } of [CASES[6]!, CASES[1]!, CASES[4]!, CASES[14]!, CASES[16]!]) {
    test(`x [${x}] filter [${f}] with bias and ReLU: forward and gradients`, () => {
      const xd = randArray(x.reduce((a, b) => a * b), 7), fd = randArray(f.reduce((a, b) => a * b), 8), bd = randArray(f[3]!, 9);
      const refOut = (a: Float64Array, b: Float64Array, c: Float64Array, relu: boolean) => ref.biasRelu(ref.conv2d(a, b, x, f, s, p), c, relu);
      for (const relu of [false, true]) {
        tidy(() => {
          const out = conv2d(tensor(xd, x), tensor(fd, f), { strides: s, padding: p, bias: tensor(bd, [f[3]!]), relu });
          expectClose(out.toArray(), refOut(Float64Array.from(xd), Float64Array.from(fd), Float64Array.from(bd), relu), 1e-5, 1e-5);
        });
        gradcheck((a, b, c) => conv2d(a!, b!, { strides: s, padding: p, bias: c!, relu }), (a, b, c) => refOut(a!, b!, c!, relu),
          [{ data: xd, shape: x }, { data: fd, shape: f }, { data: bd, shape: [f[3]!] }]);
      }
    });
  }

  // An input without a gradient (the first layer): the one-channel filter kernel applies the ReLU mask
  // and sums the bias gradient itself. 6 filters (one group), 13 (8 + 5), 3 ('same', more taps than outputs).
  for (const { x, f, s, p } of [CASES[6]!, CASES[15]!, CASES[9]!]) {
    test(`x [${x}] filter [${f}] as a first layer, bias and ReLU: filter and bias gradients`, () => {
      const xd = randArray(x.reduce((a, b) => a * b), 14), fd = randArray(f.reduce((a, b) => a * b), 15), bd = randArray(f[3]!, 16);
      for (const relu of [false, true]) {
        gradcheck((a, b, c) => conv2d(a!, b!, { strides: s, padding: p, bias: c!, relu }),
          (a, b, c) => ref.biasRelu(ref.conv2d(a!, b!, x, f, s, p), c!, relu),
          [{ data: xd, shape: x }, { data: fd, shape: f }, { data: bd, shape: [f[3]!] }], { constant: [true, false, false] });
      }
    });
  }

  test('a bias of the wrong shape is refused before anything is allocated', () => tidy(() => {
    const x = tensor(new Float32Array(2 * 5 * 5), [2, 5, 5, 1]), f = tensor(new Float32Array(9 * 4), [3, 3, 1, 4]), bias = tensor([1, 2, 3], [3]);
    const before = memory();
    expect(() => conv2d(x, f, { bias })).toThrow(/conv2d: bias must have shape \[4\], got \[3\]/);
    expect(memory()).toEqual(before);
  }));

  // One 26×26 image of 5×5×4 windows is 270 KB of columns, over the 256 KB chunk: three chunks.
  test('im2col + GEMM a chunk of images at a time: the same as image by image', () => {
    const xs = [3, 30, 30, 4], fs = [5, 5, 4, 2];
    const xd = randArray(3 * 3600, 10), fd = randArray(200, 11), bd = randArray(2, 12);
    const wd = randArray(3 * 26 * 26 * 2, 13);
    const run = (images: number[]) => tidy(() => {
      const x = variable(xd.slice(images[0]! * 3600, (images.at(-1)! + 1) * 3600), [images.length, 30, 30, 4]);
      const f = variable(fd, fs), b = variable(bd, [2]);
      const y = conv2d(x, f, { bias: b, relu: true });
      sum(mul(y, tensor(wd.slice(images[0]! * 1352, (images.at(-1)! + 1) * 1352), y.shape))).backward();
      return { y: y.toArray(), dx: x.grad!.toArray(), df: f.grad!.toArray(), db: b.grad!.toArray() };
    });
    const all = run([0, 1, 2]), each = [[0], [1], [2]].map(run);
    expectClose(all.y, ref.biasRelu(ref.conv2d(Float64Array.from(xd), Float64Array.from(fd), xs, fs, [1, 1], 'valid'), Float64Array.from(bd), true), 1e-5, 1e-5);
    expectClose(all.dx, Float32Array.from(each.flatMap((e) => [...e.dx])), 1e-6, 1e-6);
    const sumOf = (k: 'df' | 'db') => each[0]![k].map((v, i) => v + each[1]![k][i]! + each[2]![k][i]!);
    expectClose(all.df, sumOf('df'), 1e-4, 1e-4);
    expectClose(all.db, sumOf('db'), 1e-4, 1e-4);
  });

  test('shape errors name both shapes', () => tidy(() => {
    expect(() => conv2d(tensor(new Float32Array(2 * 4 * 4 * 3), [2, 4, 4, 3]), tensor(new Float32Array(9 * 2), [3, 3, 2, 1])))
      .toThrow(/conv2d: filter \[3, 3, 2, 1\] expects 2 input channels, x \[2, 4, 4, 3\] has 3/);
    expect(() => conv2d(tensor(new Float32Array(4), [1, 2, 2, 1]), tensor(new Float32Array(9), [3, 3, 1, 1])))
      .toThrow(/a 3×3 window does not fit a 2×2 input/);
  }));

  test('the saved columns are freed with the output', () => {
    const before = memory();
    tidy(() => {
      const out = conv2d(tensor(randArray(2 * 7 * 5 * 3, 1), [2, 7, 5, 3]), tensor(randArray(36, 2), [2, 2, 3, 3]));
      expect(memory().bytes).toBeGreaterThan(before.bytes + out.size * 4);
    });
    expect(memory().bytes).toBe(before.bytes);
  });
});

describe('pooling against the float64 reference', () => {
  const CASES_P: { x: number[]; p: [number, number]; s: [number, number] }[] = [
    { x: [1, 2, 2, 1], p: [2, 2], s: [2, 2] },
    { x: [2, 7, 5, 3], p: [2, 2], s: [2, 2] },
    { x: [2, 7, 5, 6], p: [3, 2], s: [1, 2] },
    { x: [1, 6, 6, 5], p: [2, 3], s: [2, 1] },
    // 2×2 windows (unrolled in the max-pool kernel), apart and overlapping, with a channel group overlap.
    { x: [2, 6, 4, 6], p: [2, 2], s: [2, 2] },
    { x: [1, 5, 5, 4], p: [2, 2], s: [1, 1] },
  ];
  for (const { x, p, s } of CASES_P) {
    test(`max and average x [${x}] pool [${p}] strides [${s}]`, () => tidy(() => {
      const xd = randArray(x.reduce((a, b) => a * b), 5);
      expectClose(maxPool2d(tensor(xd, x), { poolSize: p, strides: s }).toArray(), ref.pool(Float64Array.from(xd), x, p, s, 'max'));
      expectClose(avgPool2d(tensor(xd, x), { poolSize: p, strides: s }).toArray(), ref.pool(Float64Array.from(xd), x, p, s, 'avg'), 1e-5, 1e-6);
      gradcheck((a) => maxPool2d(a!, { poolSize: p, strides: s }), (a) => ref.pool(a!, x, p, s, 'max'), [{ data: xd, shape: x }]);
      gradcheck((a) => avgPool2d(a!, { poolSize: p, strides: s }), (a) => ref.pool(a!, x, p, s, 'avg'), [{ data: xd, shape: x }]);
    }));
  }

  // The backward pass finds the max again: on ties only the first place in the window gets the
  // gradient (as TF.js), in the SIMD groups (4 and 6 channels, the last group overlapping) and one by one.
  for (const c of [1, 4, 6]) {
    test(`max pooling ties and NaN, ${c} channels: the gradient goes to the first place`, () => tidy(() => {
      const xd = new Float32Array(2 * 2 * c).fill(3); // four equal places in every channel
      xd[0] = NaN; // channel 0's first place: the max is NaN, and the gradient goes there
      const x = variable(xd, [1, 2, 2, c]);
      const y = maxPool2d(x, { poolSize: [2, 2] });
      expect(Number.isNaN(y.toArray()[0]!)).toBe(true);
      expect([...y.toArray().slice(1)]).toEqual(new Array(c - 1).fill(3));
      sum(mul(y, tensor(Float32Array.from({ length: c }, (_, i) => i + 1), [1, 1, 1, c]))).backward();
      const want = new Float32Array(4 * c);
      for (let i = 0; i < c; i++) want[i] = i + 1;
      expect([...x.grad!.toArray()]).toEqual([...want]);
    }));
  }

  test('reshape keeps values and passes gradients through', () => {
    gradcheck((a) => reshape(a!, [3, 4]), (a) => a!, [{ data: randArray(12, 6), shape: [2, 6] }]);
  });
});
