// Optimizers against float64 versions of Keras' update rules, schedules at chosen steps, clipping.
import { describe, expect, test } from 'vitest';
import { layers, optimizers, schedules, sequential, type Optimizer } from '../src/index.js';
import type { ParamGroup } from '../src/optimizers.js';
import { heap } from '../src/wasm.js';
import { expectClose, randArray } from './helpers.js';

const N = 17; // crosses the SIMD width with a tail

/**
 * Runs fn on one group of n parameters and gradients in the arena (segments: its weights' places,
 * one by default); disposes the optimizer and frees them after.
 */
function withGroup(opt: Optimizer, n: number, fn: (groups: ParamGroup[], view: () => Float32Array, p: number, g: number) => void,
                   segments = [{ offset: 0, size: n }]): void {
  const p = heap().alloc(n * 4), g = heap().alloc(n * 4);
  try {
    fn([{ key: { onDispose: () => {} }, params: p, grads: g, count: n, runs: [{ offset: 0, size: n }], segments }],
      () => new Float32Array(heap().memory.buffer), p, g);
  } finally {
    opt.dispose();
    heap().free(p, n * 4);
    heap().free(g, n * 4);
  }
}

/** Runs `steps` updates with fixed gradients on params in the arena; returns the params after each step. */
function run(opt: Optimizer, params: Float32Array, grads: Float32Array[], segments?: { offset: number; size: number }[]): Float32Array[] {
  let out: Float32Array[] = [];
  withGroup(opt, params.length, (groups, view, p, g) => {
    view().set(params, p / 4);
    out = grads.map((grad) => {
      view().set(grad, g / 4);
      opt.apply(groups);
      return view().slice(p / 4, p / 4 + params.length);
    });
  }, segments);
  return out;
}

const params0 = randArray(N, 1), grads = [randArray(N, 2), randArray(N, 3), randArray(N, 4)];
const f64 = (a: Float32Array) => Array.from(a);

describe('updates against float64 references of the Keras formulas (3 steps, n = 17)', () => {
  test('sgd with Nesterov momentum', () => {
    const lr = 0.1, m = 0.9, p = f64(params0), v = p.map(() => 0);
    const got = run(optimizers.sgd({ learningRate: lr, momentum: m, nesterov: true }), params0, grads);
    grads.forEach((g, s) => {
      for (let i = 0; i < N; i++) { v[i] = m * v[i]! - lr * g[i]!; p[i] = p[i]! + m * v[i]! - lr * g[i]!; }
      expectClose(got[s]!, p, 1e-5, 1e-6);
    });
    const plain = run(optimizers.sgd({ learningRate: lr, momentum: m }), params0, grads);
    expect(plain[2]).not.toEqual(got[2]);
  });

  test('adamw: decoupled decay, then Adam', () => {
    const lr = 0.01, b1 = 0.9, b2 = 0.999, eps = 1e-7, wd = 0.1, p = f64(params0), m = p.map(() => 0), v = p.map(() => 0);
    const got = run(optimizers.adamw({ learningRate: lr, weightDecay: wd }), params0, grads);
    grads.forEach((g, s) => {
      const t = s + 1, lrt = lr * Math.sqrt(1 - b2 ** t) / (1 - b1 ** t);
      for (let i = 0; i < N; i++) {
        p[i] = p[i]! * (1 - lr * wd);
        m[i] = b1 * m[i]! + (1 - b1) * g[i]!;
        v[i] = b2 * v[i]! + (1 - b2) * g[i]! ** 2;
        p[i] = p[i]! - lrt * m[i]! / (Math.sqrt(v[i]!) + eps);
      }
      expectClose(got[s]!, p, 1e-5, 1e-6);
    });
  });

  for (const [centered, momentum] of [[false, 0], [true, 0], [false, 0.5], [true, 0.5]] as const) {
    test(`rmsprop centered=${centered} momentum=${momentum}`, () => {
      const lr = 0.01, rho = 0.9, eps = 1e-7, p = f64(params0), v = p.map(() => 0), a = p.map(() => 0), mo = p.map(() => 0);
      const got = run(optimizers.rmsprop({ learningRate: lr, rho, centered, momentum }), params0, grads);
      grads.forEach((g, s) => {
        for (let i = 0; i < N; i++) {
          v[i] = rho * v[i]! + (1 - rho) * g[i]! ** 2;
          let denominator = v[i]! + eps;
          if (centered) { a[i] = rho * a[i]! + (1 - rho) * g[i]!; denominator = v[i]! - a[i]! ** 2 + eps; }
          const increment = lr * g[i]! / Math.sqrt(denominator);
          if (momentum > 0) { mo[i] = momentum * mo[i]! + increment; p[i] = p[i]! - mo[i]!; } else p[i] = p[i]! - increment;
        }
        expectClose(got[s]!, p, 1e-4, 1e-6);
      });
    });
  }

  test('adagrad', () => {
    const lr = 0.1, eps = 1e-7, p = f64(params0), acc = p.map(() => 0.1);
    const got = run(optimizers.adagrad({ learningRate: lr }), params0, grads);
    grads.forEach((g, s) => {
      for (let i = 0; i < N; i++) { acc[i] = acc[i]! + g[i]! ** 2; p[i] = p[i]! - lr * g[i]! / Math.sqrt(acc[i]! + eps); }
      expectClose(got[s]!, p, 1e-5, 1e-6);
    });
  });
});

// State that decays while its gradient is 0 (a blank pixel's weights, a dead unit's) is flushed to 0
// below 2^-126 instead of running through the subnormal floats, where it would stick at the smallest
// one (0.9 × 2^-149 rounds back to it) and each multiply takes a microcode assist on x86 (Adam's
// update ran 30x slower); NaN and infinities stay. n = 19: the SIMD body (0-15) and its tail (16-18).
const decaying: [string, (f: number) => Optimizer][] = [
  ['sgd momentum', (f) => optimizers.sgd({ learningRate: 0.1, momentum: f })],
  ['sgd nesterov', (f) => optimizers.sgd({ learningRate: 0.1, momentum: f, nesterov: true })],
  ['adam', (f) => optimizers.adam({ learningRate: 0.1, beta1: f, beta2: f })],
  ['adamw', (f) => optimizers.adamw({ learningRate: 0.1, beta1: f, beta2: f, weightDecay: 0.01 })],
  ['rmsprop', (f) => optimizers.rmsprop({ learningRate: 0.1, rho: f, momentum: f, centered: true })],
];

test('decaying optimizer state is flushed to zero below the smallest normal float; NaN and infinities kept', () => {
  const n = 19, TINY = 2 ** -126, special = new Map([[5, NaN], [17, NaN], [9, Infinity], [18, -Infinity]]);
  const wrong: string[] = [];
  for (const [name, make] of decaying) {
    const opt = make(0.9);
    withGroup(opt, n, (groups, view, p, g) => {
      view().set(randArray(n, 1), p / 4);
      view().set(randArray(n, 2).map((v, i) => special.get(i) ?? v * 1e-2), g / 4); // one step of gradient
      opt.apply(groups);
      view().fill(0, g / 4, g / 4 + n); // then none: the state decays by 0.9 a step, past 2^-126 after ~850 steps
      let subnormal = 0, zero = 0;
      for (let s = 0; s < 1200; s++) {
        opt.apply(groups);
        for (const slot of Object.values(opt.getState(groups)!.slots)) {
          slot.forEach((v, i) => {
            if (special.has(i)) return;
            if (v !== 0 && Math.abs(v) < TINY) subnormal++;
            if (v === 0) zero++;
          });
        }
      }
      if (subnormal > 0) wrong.push(`${name}: ${subnormal} subnormal values over the steps`);
      if (zero === 0) wrong.push(`${name}: the state never reached 0`);
      for (const [slotName, slot] of Object.entries(opt.getState(groups)!.slots)) {
        for (const i of special.keys()) if (Number.isFinite(slot[i])) wrong.push(`${name}: ${slotName}[${i}] became ${slot[i]}`);
      }
    });
  }
  expect(wrong).toEqual([]);
});

test('the flush keeps 2^-126 and flushes the float below it, in the SIMD body and in the tail', () => {
  // A decay of 0.5 with no gradient halves the state exactly: 2^-125 → 2^-126 (kept), 2^-125 - 2^-148
  // → 2^-126 - 2^-149, the largest subnormal (flushed to +0); larger values pass unchanged.
  const n = 19, below = 2 ** -125 - 2 ** -148, pattern = [2 ** -125, below, -(2 ** -125), -below, 1e-30, -3e-38, 2 ** -124];
  const bits = (a: ArrayLike<number>) => Array.from(new Uint32Array(Float32Array.from(a).buffer));
  for (const [name, make] of decaying) {
    const opt = make(0.5);
    withGroup(opt, n, (groups, view, p, g) => {
      view().fill(0.5, p / 4, p / 4 + n);
      view().fill(0, g / 4, g / 4 + n);
      opt.apply(groups); // makes the state, all zeros
      const before = opt.getState(groups)!;
      const nonNegative = (slot: string) => slot === 'v' || (name === 'rmsprop' && slot === 'velocity');
      const start = Object.fromEntries(Object.keys(before.slots).map((slot) => [slot,
        Float32Array.from({ length: n }, (_, i) => (nonNegative(slot) ? Math.abs(pattern[i % pattern.length]!) : pattern[i % pattern.length]!))]));
      opt.setState(groups, { step: before.step, slots: start });
      opt.apply(groups);
      for (const [slot, got] of Object.entries(opt.getState(groups)!.slots)) {
        const want = Array.from(start[slot]!, (x) => (Math.abs(x / 2) < 2 ** -126 ? 0 : x / 2));
        expect(bits(got), `${name} ${slot}`).toEqual(bits(want));
      }
    });
  }
});

describe('learning-rate schedules give the documented rate at chosen steps', () => {
  test('exponentialDecay, stepDecay', () => {
    const e = schedules.exponentialDecay({ initialLearningRate: 0.1, decaySteps: 10, decayRate: 0.5 });
    expectClose([e(0), e(10), e(25)], [0.1, 0.05, 0.1 * 0.5 ** 2.5], 1e-15, 0);
    const s = schedules.exponentialDecay({ initialLearningRate: 0.1, decaySteps: 10, decayRate: 0.5, staircase: true });
    expect([s(9), s(10), s(25)]).toEqual([0.1, 0.05, 0.025]);
    const d = schedules.stepDecay({ initialLearningRate: 1, stepSize: 100, factor: 0.1 });
    expect([d(0), d(99), d(100), d(250)].map((v) => Number(v.toPrecision(12)))).toEqual([1, 1, 0.1, 0.01]);
  });

  test('cosineDecay with warm-up, and oneCycle', () => {
    const c = schedules.cosineDecay({ initialLearningRate: 1, decaySteps: 100, warmupSteps: 10, alpha: 0.1 });
    expectClose([c(0), c(5), c(10), c(60), c(110), c(500)], [0, 0.5, 1, 0.1 + 0.9 * 0.5, 0.1, 0.1], 1e-12, 1e-12);
    const o = schedules.oneCycle({ maxLearningRate: 1, totalSteps: 100, pctStart: 0.3, divFactor: 25, finalDivFactor: 1e4 });
    expectClose([o(0), o(15), o(30), o(100)], [1 / 25, (1 + 1 / 25) / 2, 1, 1 / 25 / 1e4], 1e-12, 1e-15);
  });

  test('an optimizer follows its schedule: sgd steps scale with the rate', () => {
    const lr = schedules.stepDecay({ initialLearningRate: 1, stepSize: 1, factor: 0.5 });
    const [a, b, c] = run(optimizers.sgd({ learningRate: lr }), new Float32Array(1), [Float32Array.of(1), Float32Array.of(1), Float32Array.of(1)]);
    expect([a![0], b![0], c![0]]).toEqual([-1, -1.5, -1.75]);
  });
});

describe('gradient clipping', () => {
  const big = Float32Array.from({ length: 8 }, (_, i) => (i % 2 ? 3 : -4));
  const norm = (a: Float32Array, from = 0, to = a.length) => Math.sqrt(a.slice(from, to).reduce((s, v) => s + v * v, 0));

  test('clipValue, clipNorm per tensor, globalClipNorm (one step of plain sgd, lr 1, from 0)', () => {
    const step = (opt: Optimizer, segments?: { offset: number; size: number }[]) => run(opt, new Float32Array(8), [big], segments)[0]!.map((v) => -v);
    expect(Array.from(step(optimizers.sgd({ learningRate: 1, clipValue: 2 })))).toEqual([-2, 2, -2, 2, -2, 2, -2, 2]);
    const perTensor = step(optimizers.sgd({ learningRate: 1, clipNorm: 1 }), [{ offset: 0, size: 3 }, { offset: 3, size: 5 }]);
    expect(norm(perTensor, 0, 3)).toBeCloseTo(1, 5);
    expect(norm(perTensor, 3, 8)).toBeCloseTo(1, 5);
    const global = step(optimizers.sgd({ learningRate: 1, globalClipNorm: 2 }));
    expect(norm(global)).toBeCloseTo(2, 5);
    expectClose(global, big.map((v) => v * 2 / norm(big)), 1e-6, 1e-7); // direction kept
    expect(() => optimizers.adam({ clipNorm: 1, clipValue: 1 })).toThrow(/set only one of clipValue, clipNorm and globalClipNorm/);
  });

  test('exploding gradients: a net that diverges to NaN without clipping trains with globalClipNorm', async () => {
    const x = Array.from({ length: 32 }, (_, i) => [i / 4, (i % 5) - 2]);
    const y = x.map(([a, b]) => [40 * a! - 30 * b! + 5]);
    const train = async (opt: Optimizer) => {
      const model = sequential([layers.dense({ units: 16, activation: 'relu', inputShape: [2] }), layers.dense({ units: 1 })]);
      model.compile({ optimizer: opt, loss: 'meanSquaredError' });
      const h = await model.fit(x, y, { epochs: 30, batchSize: 8, seed: 1, verbose: 0 });
      model.dispose();
      return h.history.loss!;
    };
    const wild = await train(optimizers.sgd({ learningRate: 0.05 }));
    expect(wild.some((v) => !Number.isFinite(v))).toBe(true);
    const clipped = await train(optimizers.sgd({ learningRate: 0.05, globalClipNorm: 1 }));
    expect(clipped.every(Number.isFinite)).toBe(true);
    expect(clipped.at(-1)!).toBeLessThan(clipped[0]! / 3);
  });
});

test('every optimizer saves with its options and state, and resumes bit for bit', async () => {
  const { fromArtifacts } = await import('../src/index.js');
  const x = [[0, 1], [1, 0], [1, 1], [0, 0]], y = [[1], [1], [0], [0]];
  const makers: (() => Optimizer)[] = [
    () => optimizers.sgd({ learningRate: 0.1, momentum: 0.9, nesterov: true, clipValue: 0.5 }),
    () => optimizers.adamw({ learningRate: 0.01, weightDecay: 0.01, clipNorm: 1 }),
    () => optimizers.rmsprop({ learningRate: 0.01, centered: true, momentum: 0.5, globalClipNorm: 2 }),
    () => optimizers.adagrad({ learningRate: 0.1, initialAccumulatorValue: 0.2 }),
    // Schedules are saved as their config and resume at the saved step.
    () => optimizers.adam({ learningRate: schedules.cosineDecay({ initialLearningRate: 0.05, decaySteps: 12, warmupSteps: 3 }) }),
    () => optimizers.sgd({ learningRate: schedules.exponentialDecay({ initialLearningRate: 0.5, decaySteps: 2, decayRate: 0.5, staircase: true }), momentum: 0.9 }),
    () => optimizers.rmsprop({ learningRate: schedules.oneCycle({ maxLearningRate: 0.05, totalSteps: 12 }) }),
    () => optimizers.adagrad({ learningRate: schedules.stepDecay({ initialLearningRate: 0.1, stepSize: 4 }) }),
  ];
  for (const make of makers) {
    const model = sequential([layers.dense({ units: 4, activation: 'tanh', inputShape: [2] }), layers.dense({ units: 1, activation: 'sigmoid' })]);
    model.compile({ optimizer: make(), loss: 'binaryCrossentropy' });
    await model.fit(x, y, { epochs: 3, batchSize: 2, seed: 1, verbose: 0 });
    const checkpoint = model.toArtifacts({ includeOptimizer: true });
    await model.fit(x, y, { epochs: 3, batchSize: 2, seed: 2, verbose: 0 });
    const resumed = fromArtifacts(checkpoint);
    expect(JSON.parse(checkpoint.topology).training.optimizer.config).toEqual(model.trainingConfig()!.optimizer.getConfig());
    await resumed.fit(x, y, { epochs: 3, batchSize: 2, seed: 2, verbose: 0 });
    expect(resumed.getWeights()).toEqual(model.getWeights());
    model.dispose();
    resumed.dispose();
  }
});

test('a schedule written as a plain function cannot be saved, and says so', () => {
  const model = sequential([layers.dense({ units: 1, inputShape: [2] })]);
  model.compile({ optimizer: optimizers.sgd({ learningRate: (step: number) => 0.1 / (1 + step) }), loss: 'meanSquaredError' });
  expect(() => model.toArtifacts()).toThrow(/plain function cannot be saved; use one of schedules/);
  model.dispose();
});
