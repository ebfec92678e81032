// The ops of the graph layers against float64 references, with gradient checks at odd shapes:
// conv2dTranspose, concat, zeroPad2d, upSample2d, maximum / minimum, scale; and the merge layers.
import { describe, expect, test } from 'vitest';
import {
  Layer, add, concat, conv2dTranspose, layers, maximum, memory, minimum, scale, sum, tensor, tidy, upSample2d, zeroPad2d, type Tensor,
} from '../../src/index.js';
import { SIZES, expectClose, gradcheck, randArray } from '../helpers.js';
import * as ref from '../ref.js';

const size = (s: number[]) => s.reduce((a, b) => a * b, 1);

describe('conv2dTranspose against the float64 reference', () => {
  type Case = { x: number[]; f: number[]; s: [number, number]; p: 'valid' | 'same' };
  const CASES: Case[] = [
    { x: [1, 1, 1, 1], f: [1, 1, 1, 1], s: [1, 1], p: 'valid' },
    { x: [2, 3, 4, 3], f: [3, 3, 5, 3], s: [2, 2], p: 'same' },  // a generator's doubling, odd channels
    { x: [2, 3, 2, 2], f: [4, 4, 3, 2], s: [2, 2], p: 'same' },  // even window: asymmetric padding
    { x: [1, 3, 3, 4], f: [3, 2, 2, 4], s: [1, 2], p: 'valid' },
    { x: [2, 2, 3, 1], f: [2, 2, 7, 1], s: [3, 3], p: 'valid' }, // stride larger than the window: gaps
    { x: [1, 4, 4, 5], f: [5, 5, 3, 5], s: [1, 1], p: 'same' },
    { x: [3, 2, 2, 17], f: [3, 3, 4, 17], s: [2, 1], p: 'valid' },
  ];
  for (const { x, f, s, p } of CASES) {
    test(`x [${x}] filter [${f}] strides [${s}] ${p}`, () => {
      const xd = randArray(size(x), size(x) + 1), fd = randArray(size(f), size(f) + 2);
      const want = ref.conv2dTranspose(Float64Array.from(xd), Float64Array.from(fd), x, f, s, p);
      tidy(() => expectClose(conv2dTranspose(tensor(xd, x), tensor(fd, f), { strides: s, padding: p }).toArray(), want, 1e-4, 1e-5));
      gradcheck((xt, ft) => conv2dTranspose(xt!, ft!, { strides: s, padding: p }),
        (xf, ff) => ref.conv2dTranspose(xf!, ff!, x, f, s, p), [{ data: xd, shape: x }, { data: fd, shape: f }]);
    });
  }

  test('the backward pass accumulates: x and the filter used twice get both gradients', () => {
    const x = [2, 3, 2, 3], f = [3, 3, 2, 3], s: [number, number] = [2, 2];
    const xd = randArray(size(x), 40), fd = randArray(size(f), 41);
    gradcheck((xt, ft) => add(conv2dTranspose(xt!, ft!, { strides: s, padding: 'same' }), conv2dTranspose(xt!, ft!, { strides: s, padding: 'same' })),
      (xf, ff) => ref.conv2dTranspose(xf!, ff!, x, f, s, 'same').map((v) => 2 * v), [{ data: xd, shape: x }, { data: fd, shape: f }]);
  });

  test('refuses a filter whose last axis is not the input channels, leaving the arena as it was', () => {
    const before = memory();
    tidy(() => {
      expect(() => conv2dTranspose(tensor(new Float32Array(2 * 3 * 3 * 4), [2, 3, 3, 4]), tensor(new Float32Array(3 * 3 * 5 * 2), [3, 3, 5, 2])))
        .toThrow(/conv2dTranspose: filter \[3, 3, 5, 2\] expects 2 input channels \(its last axis\), x \[2, 3, 3, 4\] has 4/);
    });
    expect(memory().bytes).toBe(before.bytes);
  });
});

describe('concat, zeroPad2d, upSample2d', () => {
  for (const [shapes, axis] of [[[[2, 3], [2, 5]], -1], [[[3, 1], [3, 4], [3, 3]], 1], [[[2, 3, 2, 3], [2, 1, 2, 3]], 1], [[[2, 3, 5, 1], [2, 3, 5, 4]], -1], [[[1, 17], [1, 1023]], -1]] as [number[][], number][]) {
    test(`concat [${shapes.map((s) => `[${s}]`).join(', ')}] along ${axis}`, () => {
      const data = shapes.map((s, i) => randArray(size(s), i + 3));
      const ax = axis < 0 ? shapes[0]!.length + axis : axis;
      const rowsOf = size(shapes[0]!.slice(0, ax));
      const f = (...xs: Float64Array[]) => ref.concat(xs, rowsOf);
      tidy(() => expectClose(concat(data.map((d, i) => tensor(d, shapes[i]!)), axis).toArray(), f(...data.map((d) => Float64Array.from(d)))));
      gradcheck((...xs: Tensor[]) => concat(xs, axis), f, data.map((d, i) => ({ data: d, shape: shapes[i]! })));
    });
  }

  for (const [x, pad] of [[[1, 1, 1, 1], [[1, 1], [1, 1]]], [[2, 3, 4, 3], [[0, 2], [1, 0]]], [[1, 5, 2, 17], [[2, 1], [3, 2]]]] as [number[], [[number, number], [number, number]]][]) {
    test(`zeroPad2d [${x}] by ${JSON.stringify(pad)}`, () => {
      const d = randArray(size(x), 5);
      tidy(() => expectClose(zeroPad2d(tensor(d, x), pad).toArray(), ref.zeroPad2d(Float64Array.from(d), x, pad)));
      gradcheck((t) => zeroPad2d(t!, pad), (f) => ref.zeroPad2d(f!, x, pad), [{ data: d, shape: x }]);
    });
  }

  for (const [x, s] of [[[1, 1, 1, 1], [2, 2]], [[2, 3, 2, 5], [2, 3]], [[1, 2, 3, 17], [1, 2]], [[2, 3, 3, 4], [3, 1]]] as [number[], [number, number]][]) {
    test(`upSample2d [${x}] by [${s}]`, () => {
      const d = randArray(size(x), 6);
      tidy(() => expectClose(upSample2d(tensor(d, x), s).toArray(), ref.upSample2d(Float64Array.from(d), x, s)));
      gradcheck((t) => upSample2d(t!, s), (f) => ref.upSample2d(f!, x, s), [{ data: d, shape: x }]);
    });
  }
});

describe('maximum, minimum and scale', () => {
  for (const n of SIZES) {
    test(`n=${n}`, () => {
      const a = randArray(n, n), b = randArray(n, n + 1);
      const max = (x: Float64Array, y: Float64Array) => x.map((v, i) => Math.max(v, y[i]!));
      const min = (x: Float64Array, y: Float64Array) => x.map((v, i) => Math.min(v, y[i]!));
      tidy(() => {
        expectClose(maximum(tensor(a, [n]), tensor(b, [n])).toArray(), max(Float64Array.from(a), Float64Array.from(b)));
        expectClose(minimum(tensor(a, [n]), tensor(b, [n])).toArray(), min(Float64Array.from(a), Float64Array.from(b)));
      });
      gradcheck((x, y) => maximum(x!, y!), (x, y) => max(x!, y!), [{ data: a, shape: [n] }, { data: b, shape: [n] }]);
      gradcheck((x, y) => minimum(x!, y!), (x, y) => min(x!, y!), [{ data: a, shape: [n] }, { data: b, shape: [n] }]);
      gradcheck((x) => scale(x!, -0.75), (x) => x!.map((v) => -0.75 * v), [{ data: a, shape: [n] }]);
    });
  }

  test('ties: the gradient goes to the first operand, as TensorFlow routes it', () => tidy(() => {
    for (const [op, wantA, wantB] of [[maximum, [1, 0], [0, 1]], [minimum, [1, 1], [0, 0]]] as const) {
      const a = tensor([1, 2]), b = tensor([1, 3]);
      a.requiresGrad = true;
      b.requiresGrad = true;
      sum(op(a, b)).backward();
      expect(Array.from(a.grad!.toArray())).toEqual(wantA);
      expect(Array.from(b.grad!.toArray())).toEqual(wantB);
    }
  }));
});

describe('merge layers on Tensors (eager apply) against float64', () => {
  const shape = [3, 5];
  const xs = [randArray(15, 11), randArray(15, 12), randArray(15, 13)];
  const cases: [string, () => Layer, (v: number[]) => number][] = [
    ['add', () => layers.add(), (v) => v.reduce((a, b) => a + b, 0)],
    ['multiply', () => layers.multiply(), (v) => v.reduce((a, b) => a * b, 1)],
    ['average', () => layers.average(), (v) => v.reduce((a, b) => a + b, 0) / v.length],
    ['maximum', () => layers.maximum(), (v) => Math.max(...v)],
    ['minimum', () => layers.minimum(), (v) => Math.min(...v)],
  ];
  for (const [name, make, f] of cases) {
    test(`${name} of three inputs, with gradients`, () => {
      const layer = make();
      const refFn = (...ins: Float64Array[]) => ins[0]!.map((_, i) => f(ins.map((x) => x[i]!)));
      gradcheck((...ts: Tensor[]) => layer.apply(ts, { training: true }) as Tensor, refFn, xs.map((d) => ({ data: d, shape })));
    });
  }
  test('subtract takes exactly two; concatenate joins along an axis', () => {
    const sub = layers.subtract();
    gradcheck((a, b) => sub.apply([a!, b!]) as Tensor, (a, b) => a!.map((v, i) => v - b![i]!), xs.slice(0, 2).map((d) => ({ data: d, shape })));
    expect(() => layers.subtract().apply(xs.map((d) => tensor(d, shape)))).toThrow(/Subtract takes exactly two inputs, got 3/);
    const cat = layers.concatenate({ axis: 1 });
    gradcheck((a, b) => cat.apply([a!, b!]) as Tensor, (a, b) => ref.concat([a!, b!], 3), xs.slice(0, 2).map((d) => ({ data: d, shape })));
    expect(() => layers.concatenate({ axis: 0 })).toThrow(/axis must be a nonzero integer/);
  });
});
