// A newcomer's first hour (issue #21): the README's code blocks run as written (with the data their
// placeholders stand for, test/readme-fixtures.ts), mistyped options are refused by name, and the
// smaller things a Keras / TF.js user types without thinking work.
import { describe, expect, test } from 'vitest';
import {
  WasmgradError, callbacks, confusionMatrix, fromArtifacts, memory, init, initializers, input, layers, loadModel, losses, matmul, metrics, model, optimizers,
  regularizers, schedules, sequential, tensor, type Tensor,
} from '../src/index.js';

const inBrowser = typeof window !== 'undefined';
const blocks = (await import(/* @vite-ignore */ '/@readme/index.js' as string)).default as
  { n: number; key: string; line: number; nodeOnly: boolean; fixture: boolean }[];

describe("the README's code blocks run", () => {
  test('every block has its fixture entry (a new block needs one, even an empty one)', () => {
    expect(blocks.length).toBeGreaterThanOrEqual(10);
    expect(blocks.filter((b) => !b.fixture).map((b) => `${b.key} (README.md:${b.line})`)).toEqual([]);
  });
  for (const b of blocks) {
    // Blocks the README marks as Node/Deno only (files on disk) are skipped in the page, and say so.
    test.skipIf(b.nodeOnly && inBrowser)(`README.md:${b.line} (${b.key})`, async () => {
      await import(/* @vite-ignore */ `/@readme/${b.n}.ts`);
    });
  }
});

// The message of the error fn throws, which must be a WasmgradError with this code.
function refusal(code: string, fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (e instanceof WasmgradError && e.code === code) return e.message;
    throw new Error(`expected ${code}, got ${e}`);
  }
  throw new Error(`expected ${code}, nothing was thrown`);
}
async function asyncRefusal(code: string, fn: () => Promise<unknown>): Promise<string> {
  try {
    await fn();
  } catch (e) {
    if (e instanceof WasmgradError && e.code === code) return e.message;
    throw new Error(`expected ${code}, got ${e}`);
  }
  throw new Error(`expected ${code}, nothing was thrown`);
}

const X = [[0, 0], [0, 1], [1, 0], [1, 1]], Y = [[0], [1], [1], [0]];
function xor(): ReturnType<typeof sequential> {
  const m = sequential([layers.dense({ units: 4, activation: 'tanh', inputShape: [2] }), layers.dense({ units: 1, activation: 'sigmoid' })]);
  m.compile({ optimizer: 'adam', loss: 'binaryCrossentropy' });
  return m;
}

describe('mistyped options throw UNKNOWN_OPTION naming the key and listing the known ones', () => {
  test('fit, evaluate, predict, compile', async () => {
    const m = xor();
    expect(await asyncRefusal('UNKNOWN_OPTION', () => m.fit(X, Y, { epoch: 10 } as never))).toMatch(
      /^fit: unknown option "epoch" \(did you mean "epochs"\?\); fit takes epochs, batchSize, shuffle, validationSplit, validationData, seed, verbose, callbacks, checkNumerics$/);
    expect(await asyncRefusal('UNKNOWN_OPTION', () => m.fit(X, Y, { batch_size: 2 } as never))).toMatch(/unknown option "batch_size" \(did you mean "batchSize"\?\)/);
    expect(await asyncRefusal('UNKNOWN_OPTION', () => m.fit(X, Y, { classWeight: { 0: 1 } } as never))).toMatch(/^fit: unknown option "classWeight"; fit takes epochs/);
    expect(refusal('UNKNOWN_OPTION', () => m.evaluate(X, Y, { batchsize: 2 } as never))).toMatch(/^evaluate: unknown option "batchsize" \(did you mean "batchSize"\?\); evaluate takes batchSize$/);
    expect(refusal('UNKNOWN_OPTION', () => m.predict(X, { verbose: 0 } as never))).toMatch(/^predict: unknown option "verbose"; predict takes batchSize$/);
    expect(refusal('UNKNOWN_OPTION', () => m.compile({ optimizer: 'sgd', loss: 'meanSquaredError', metric: ['mae'] } as never))).toMatch(
      /^compile: unknown option "metric" \(did you mean "metrics"\?\); compile takes optimizer, loss, metrics, lossWeights, runEagerly$/);
    // Nothing ran: the model is as it was and trains as asked afterwards.
    const h = await m.fit(X, Y, { epochs: 3, verbose: 0 });
    expect(h.epoch).toEqual([0, 1, 2]);
    m.dispose();
  });

  test('optimizers, schedules, callbacks, regularizers, initializers, losses, layers, ops, init', async () => {
    expect(refusal('UNKNOWN_OPTION', () => optimizers.adam({ lr: 0.01 } as never))).toMatch(
      /^optimizers\.adam: unknown option "lr" \(did you mean "learningRate"\?\); optimizers\.adam takes learningRate, clipValue, clipNorm, globalClipNorm, beta1, beta2, epsilon$/);
    expect(refusal('UNKNOWN_OPTION', () => optimizers.sgd({ learningRate: 0.1, momentun: 0.9 } as never))).toMatch(/"momentun" \(did you mean "momentum"\?\)/);
    expect(refusal('UNKNOWN_OPTION', () => optimizers.rmsprop({ decay: 0.9 } as never))).toMatch(/"decay" \(did you mean "rho"\?\)/);
    expect(refusal('UNKNOWN_OPTION', () => optimizers.adagrad({ initialAccumulator: 0.1 } as never))).toMatch(/takes learningRate, clipValue, clipNorm, globalClipNorm, initialAccumulatorValue, epsilon$/);
    expect(refusal('UNKNOWN_OPTION', () => optimizers.adamw({ beta_1: 0.9 } as never))).toMatch(/"beta_1" \(did you mean "beta1"\?\)/);
    expect(refusal('UNKNOWN_OPTION', () => schedules.exponentialDecay({ initialLearningRate: 0.1, decaySteps: 10, decayRate: 0.9, stair: true } as never)))
      .toMatch(/^schedules\.exponentialDecay: unknown option "stair" \(did you mean "staircase"\?\); schedules\.exponentialDecay takes initialLearningRate, decaySteps, decayRate, staircase$/);
    expect(refusal('UNKNOWN_OPTION', () => schedules.cosineDecay({ initialLearningRate: 0.1, decaySteps: 10, warmup: 2 } as never))).toMatch(/"warmup" \(did you mean "warmupSteps"\?\)/);
    expect(refusal('UNKNOWN_OPTION', () => schedules.stepDecay({ initialLearningRate: 0.1, stepSize: 10, gamma: 0.5 } as never))).toMatch(/takes initialLearningRate, stepSize, factor$/);
    expect(refusal('UNKNOWN_OPTION', () => schedules.oneCycle({ maxLearningRate: 0.1, totalSteps: 10, pct: 0.3 } as never))).toMatch(/takes maxLearningRate, totalSteps, pctStart, divFactor, finalDivFactor$/);
    expect(refusal('UNKNOWN_OPTION', () => callbacks.earlyStopping({ patiance: 3 } as never))).toMatch(
      /^earlyStopping: unknown option "patiance" \(did you mean "patience"\?\); earlyStopping takes monitor, patience, minDelta, mode, restoreBestWeights, verbose$/);
    expect(refusal('UNKNOWN_OPTION', () => regularizers.l2({ l1: 0.1 } as never))).toMatch(/^regularizers\.l2: unknown option "l1"; regularizers\.l2 takes l2$/);
    expect(refusal('UNKNOWN_OPTION', () => regularizers.l1l2({ l3: 0.1 } as never))).toMatch(/takes l1, l2$/);
    expect(refusal('UNKNOWN_OPTION', () => initializers.randomNormal({ std: 0.1 } as never))).toMatch(/^initializers\.randomNormal: unknown option "std" \(did you mean "stddev"\?\); initializers\.randomNormal takes mean, stddev, seed$/);
    expect(refusal('UNKNOWN_OPTION', () => initializers.constant({ val: 1 } as never))).toMatch(/takes value$/);
    expect(refusal('UNKNOWN_OPTION', () => losses.binaryCrossentropy({ from_logits: true } as never))).toMatch(/"from_logits" \(did you mean "fromLogits"\?\)/);
    expect(refusal('UNKNOWN_OPTION', () => layers.dense({ units: 2, activaton: 'relu' } as never))).toMatch(/^dense_\d+: unknown option "activaton" \(did you mean "activation"\?\); dense takes name, inputShape, trainable, units, activation/);
    expect(refusal('UNKNOWN_OPTION', () => input({ shape: [2], dtype: 'float32' } as never))).toMatch(/^input: unknown option "dtype"; input takes shape, name$/);
    const a = tensor([[1, 2]]), b = tensor([[1], [2]]);
    expect(refusal('UNKNOWN_OPTION', () => matmul(a, b, { transposeA: false, transpose_b: true } as never))).toMatch(/"transpose_b" \(did you mean "transposeB"\?\)/);
    a.dispose(); b.dispose();
    expect(await asyncRefusal('UNKNOWN_OPTION', () => init(undefined, { memory: 1 } as never))).toMatch(/^init: unknown option "memory" \(did you mean "memoryLimit"\?\); init takes memoryLimit, simd, threads$/);
    // A callback object with a hook name that fit would never call.
    const m = xor();
    expect(await asyncRefusal('UNKNOWN_OPTION', () => m.fit(X, Y, { verbose: 0, callbacks: { onEpochEnds: () => {} } } as never)))
      .toMatch(/^fit: callbacks: unknown option "onEpochEnds" \(did you mean "onEpochEnd"\?\); a callback takes onTrainBegin, onTrainEnd/);
    m.dispose();
  });

  test('values of the wrong kind are quoted as given', async () => {
    const m = xor();
    expect(await asyncRefusal('INVALID_ARGUMENT', () => m.fit(X, Y, { batchSize: '32' } as never))).toBe('fit: batchSize must be an integer >= 1, got "32" (a string)');
    expect(await asyncRefusal('INVALID_ARGUMENT', () => m.fit(X, Y, { verbose: true } as never))).toMatch(/verbose must be 0 \(silent\), 1 \(a progress bar\) or 2 \(one line per epoch\), got true \(a boolean\)/);
    expect(refusal('INVALID_ARGUMENT', () => optimizers.adam({ learningRate: '0.01' } as never))).toBe('optimizers.adam: learningRate must be a finite number > 0, got "0.01" (a string)');
    expect(refusal('INVALID_ARGUMENT', () => m.predict(new Map() as never))).toBe('predict: x must be a Tensor, nested arrays, a typed array or { data, shape }, got a Map');
    expect(refusal('INVALID_ARGUMENT', () => m.evaluate(X, new Set() as never))).toMatch(/y must be .* got a Set$/);
    expect(refusal('INVALID_ARGUMENT', () => m.predict(new URL('http://x/') as never))).toMatch(/got a URL$/);
    expect(refusal('INVALID_ARGUMENT', () => matmul(tensor([[1]]), tensor([[1]]), { transposeA: 'false' } as never))).toBe('matmul: transposeA must be true or false, got "false" (a string)');
    expect(refusal('INVALID_ARGUMENT', () => callbacks.earlyStopping({ patience: '3' } as never))).toBe('earlyStopping: patience must be an integer >= 0, got "3" (a string)');
    m.dispose();
  });

  test("TF.js' positional learning rate is taken, Keras' positional regularizer factor too", () => {
    const lr = (o: unknown) => (o as { currentLearningRate(): number }).currentLearningRate();
    expect(lr(optimizers.adam(0.01))).toBe(0.01);
    expect(lr(optimizers.sgd(0.5))).toBe(0.5);
    const a = optimizers.adam(0.02, 0.8, 0.99, 1e-6) as unknown as { beta1: number; beta2: number; epsilon: number };
    expect([a.beta1, a.beta2, a.epsilon]).toEqual([0.8, 0.99, 1e-6]);
    const r = optimizers.rmsprop(0.01, 0.95, 0.1, 1e-6, true) as unknown as { rho: number; momentum: number; centered: boolean };
    expect([r.rho, r.momentum, r.centered]).toEqual([0.95, 0.1, true]);
    expect(refusal('INVALID_ARGUMENT', () => (optimizers.sgd as (...a: unknown[]) => unknown)(0.1, 0.9))).toMatch(/^optimizers\.sgd: takes an options object .* or up to 1 positional arguments \(learningRate\), got 2 arguments$/);
    expect(refusal('INVALID_ARGUMENT', () => optimizers.adam('0.01' as never))).toMatch(/^optimizers\.adam: expected an options object .*, got "0\.01" \(a string\)$/);
    expect(regularizers.l2(1e-4)).toEqual({ l1: 0, l2: 1e-4 });
  });
});

describe('data, metrics and tensors as TF.js users type them', () => {
  test('typed arrays are data: one value per sample alone, rows inside nested arrays', async () => {
    const m = sequential([layers.dense({ units: 3, activation: 'softmax', inputShape: [2] })]);
    m.compile({ optimizer: optimizers.adam(0.1), loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
    const x = [Float32Array.of(0, 0), Float32Array.of(0, 1), Float32Array.of(1, 0), Float32Array.of(1, 1)];
    for (const labels of [Int32Array.of(0, 1, 2, 1), Uint8Array.of(0, 1, 2, 1), Float64Array.of(0, 1, 2, 1)]) {
      const h = await m.fit(x, labels, { epochs: 2, verbose: 0 });
      expect(h.history.loss!.length).toBe(2);
    }
    expect(m.evaluate({ data: Float64Array.of(0, 0, 1, 1), shape: [2, 2] }, Uint8Array.of(0, 1)).loss).toBeGreaterThan(0);
    const t = tensor(Int32Array.of(1, 2, 3));
    expect(t.toArray()).toEqual(Float32Array.of(1, 2, 3));
    t.dispose();
    m.dispose();
  });

  test('confusionMatrix thresholds one probability column at 0.5, and still reads labels and one-hot rows', () => {
    expect(confusionMatrix([[1], [0], [1], [0]], [[0.9], [0.2], [0.4], [0.5]])).toEqual([[1, 1], [1, 1]]);
    expect(metrics.confusionMatrix(Int32Array.of(1, 0, 1), Float32Array.of(0.7, 0.1, 0.6))).toEqual([[1, 0], [0, 2]]);
    expect(confusionMatrix([0, 2, 1], [[0.8, 0.1, 0.1], [0, 0.3, 0.7], [0.2, 0.5, 0.3]])).toEqual([[1, 0, 0], [0, 1, 0], [0, 0, 1]]);
    expect(confusionMatrix([1, 0], [1, 1])).toEqual([[0, 1], [0, 1]]);
    // Not symmetric: counts[true][predicted], three class-0 samples predicted 1, one class-1 sample predicted 1.
    expect(confusionMatrix([0, 0, 0, 1], [[0.6], [0.7], [0.9], [0.8]])).toEqual([[0, 3], [0, 1]]);
  });

  test('tensors print, and have argMax, reshape, dataSync and arraySync', () => {
    const t = tensor([[1, 5, 2], [7, 0, 7]]);
    expect(t.toString()).toBe('Tensor [2, 3] [[1, 5, 2], [7, 0, 7]]');
    expect(String(tensor(Float32Array.from({ length: 10 }, (_, i) => i / 3)))).toBe('Tensor [10] [0, 0.333333, 0.666667, 1, 1.33333, 1.66667, … 4 more]');
    expect(t.arraySync()).toEqual([[1, 5, 2], [7, 0, 7]]);
    expect(t.dataSync()).toEqual(Float32Array.of(1, 5, 2, 7, 0, 7));
    const byRow = t.argMax(), byCol = t.argMax(0), r = t.reshape([3, -1]);
    expect([byRow.arraySync(), byCol.arraySync(), r.shape]).toEqual([[1, 0], [1, 0, 1], [3, 2]]);
    expect(() => t.reshape([4, -1])).toThrow(/reshape: cannot reshape \[2, 3\] \(6 elements\) to \[4, -1\]/);
    expect(() => t.argMax(2)).toThrow(/argMax: axis must be an integer in \[-2, 2\)/);
    const logged: string[] = [];
    const log = console.log;
    console.log = (s: string) => { logged.push(s); };
    try { t.print(); } finally { console.log = log; }
    expect(logged).toEqual(['Tensor [2, 3] [[1, 5, 2], [7, 0, 7]]']);
    for (const x of [byRow, byCol, r]) x.dispose();
    t.dispose();
    expect(t.toString()).toBe('Tensor [2, 3] (disposed)');
  });
});

describe("TF.js' ways of making a sequential model", () => {
  test('sequential() then add(), and sequential({ layers, name })', async () => {
    const m = sequential();
    expect(refusal('INVALID_ARGUMENT', () => m.summary())).toMatch(/^summary: sequential_\d+ has no layers yet; add\(\) some first$/);
    m.add(layers.dense({ units: 4, activation: 'tanh', inputShape: [2] }));
    m.add(layers.dense({ units: 1, activation: 'sigmoid' }));
    expect(refusal('INVALID_ARGUMENT', () => m.add({ units: 3 } as never))).toBe('add: expected a layer (layers.*() or a model), got an object');
    m.compile({ optimizer: optimizers.adam(0.05), loss: 'binaryCrossentropy' });
    const h = await m.fit(X, Y, { epochs: 5, verbose: 0 });
    expect(h.epoch.length).toBe(5);
    const t = sequential({ layers: [layers.dense({ units: 1, inputShape: [2] })], name: 'tfjs_style' });
    expect(t.name).toBe('tfjs_style');
    expect(t.countParams()).toBe(3);
    expect(refusal('UNKNOWN_OPTION', () => sequential({ layer: [] } as never))).toMatch(/^sequential: unknown option "layer" \(did you mean "layers"\?\); sequential takes layers, name$/);
    for (const x of [m, t]) x.dispose();
  });
});

describe('a disposed or busy model says so', () => {
  test('every use of a disposed model throws DISPOSED', async () => {
    const m = xor();
    m.dispose();
    expect(refusal('DISPOSED', () => m.predict(X))).toMatch(/predict: model sequential_\d+ was disposed/);
    expect(refusal('DISPOSED', () => m.evaluate(X, Y))).toMatch(/evaluate: model/);
    expect(refusal('DISPOSED', () => m.getWeights())).toMatch(/getWeights: model/);
    await asyncRefusal('DISPOSED', () => m.fit(X, Y, { verbose: 0 }));
    expect(refusal('DISPOSED', () => m.trainableWeights)).toMatch(/trainableWeights: model/);
  });

  test('a model disposed while fit runs stops it with DISPOSED', async () => {
    const m = xor();
    const running = m.fit(X, Y, { epochs: 5, batchSize: 1, verbose: 0, callbacks: { onBatchEnd: (b) => { if (b === 1) m.dispose(); } } });
    expect(await asyncRefusal('DISPOSED', () => running)).toMatch(/^fit: model sequential_\d+ was disposed/);
  });

  test('a refused fit leaves the arena as it was: the callbacks are checked before anything is made', async () => {
    const m = xor();
    const before = memory().bytes;
    await asyncRefusal('UNKNOWN_OPTION', () => m.fit(X, Y, { callbacks: [{ onEpochEnds: () => {} }] } as never));
    await asyncRefusal('INVALID_ARGUMENT', () => m.fit(X, Y, { callbacks: { onEpochEnd: 'log' } } as never));
    expect(memory().bytes).toBe(before);
    m.dispose();
  });
});

describe('summary() and training feedback', () => {
  test('summary() prints as Keras does and returns the table; long names keep the columns; counts have separators', () => {
    const xi = input({ shape: [300] });
    const long = layers.dense({ units: 1000, name: 'a_rather_long_layer_name_that_is_wider_than_the_column' }).apply(xi);
    const m = model({ inputs: xi, outputs: layers.dense({ units: 2 }).apply(long) });
    const lines: string[] = [];
    const table = m.summary({ printFn: (l) => lines.push(l) });
    expect(lines.join('\n')).toBe(table);
    expect(table).toMatch(/Total params: 303,002/);
    const rows = table.split('\n').filter((l) => /\(Dense\)/.test(l));
    const col = (l: string) => l.indexOf('(None,');
    expect(col(rows[0]!)).toBe(col(rows[1]!));
    expect(refusal('UNKNOWN_OPTION', () => m.summary({ lineLength: 80 } as never))).toMatch(/summary takes printFn$/);
    m.dispose();
  });

  test('early stopping says when it stops and which weights it restored, on fit progress output', async () => {
    const m = xor();
    const lines: string[] = [];
    const es = callbacks.earlyStopping({ monitor: 'loss', patience: 1, restoreBestWeights: true });
    // fit hands its printer to the callback; capture it to see the line fit would print.
    const capture = { setModel: (model: unknown, print?: (l: string) => void) => es.setModel(model as never, (l) => { lines.push(l); print?.(l); }) };
    let epoch = 0;
    await m.fit(X, Y, {
      epochs: 50, verbose: 0,
      callbacks: [{ ...es, ...capture }, { onEpochEnd: () => { epoch++; if (epoch === 3) m.setWeights(m.getWeights().map((w) => w.map(() => 5))); } }],
    });
    expect(lines.length).toBe(1);
    expect(lines[0]).toMatch(/^Epoch \d+: early stopping \(loss did not improve for 1 epoch\); restored the weights of epoch \d+$/);
    m.dispose();
  });
});

// The tests below watch stderr: Node's process.stderr (in Deno fit writes with Deno.stderr, in a page nowhere).
const inNode = !inBrowser && !('Deno' in globalThis);

describe.skipIf(!inNode)('what a terminal shows (Node)', () => {
  // Runs fn with process.stderr captured, seen as a terminal of `columns` or as a pipe.
  async function stderrOf(fn: () => Promise<unknown>, tty: { columns: number } | null): Promise<string> {
    const err = process.stderr as unknown as { write: unknown; isTTY: unknown; columns: unknown };
    const saved = { write: err.write, isTTY: err.isTTY, columns: err.columns };
    let out = '';
    err.write = (s: string) => { out += s; return true; };
    err.isTTY = tty !== null;
    err.columns = tty?.columns;
    try { await fn(); } finally { Object.assign(err, saved); }
    return out;
  }

  test('verbose: 2 prints one line per epoch, no bar', async () => {
    const m = xor();
    const out = await stderrOf(() => m.fit(X, Y, { epochs: 3, verbose: 2 }), null);
    const lines = out.trimEnd().split('\n');
    expect(lines.length).toBe(3);
    for (const [i, l] of lines.entries()) expect(l).toMatch(new RegExp(`^Epoch ${i + 1}/3 - \\d+(\\.\\d)?s \\d+(\\.\\d)?(ms|us)/step - loss: \\d\\.\\d{4}$`));
    m.dispose();
  });

  test('verbose: 1 on a terminal: an ETA while the epoch runs, redrawn lines cut to the width, the last line wrapped', async () => {
    const m = sequential([layers.dense({ units: 3, activation: 'softmax', inputShape: [2] })]);
    m.compile({ optimizer: 'adam', loss: 'categoricalCrossentropy', metrics: ['accuracy', 'precision', 'recall', 'f1', 'mae', 'mse'] });
    const y = [[1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 0, 0]];
    const slow = { onBatchEnd: () => new Promise<void>((resolve) => setTimeout(resolve, 120)) };
    const out = await stderrOf(() => m.fit(X, y, { epochs: 1, batchSize: 1, callbacks: slow }), { columns: 60 });
    const redraws = out.split('\r').slice(1, -1).map((s) => s.replace('\x1b[K', ''));
    expect(redraws.length).toBeGreaterThan(0);
    for (const r of redraws) {
      expect(r).toMatch(/^([1-3]\/4 \[=*>\.*\] - ETA: \d+\.\ds|4\/4 \[=+\] - \d+\.\ds \d+ms\/step)/);
      expect(r.length).toBeLessThanOrEqual(59);
    }
    expect(redraws.some((r) => r.includes('ETA'))).toBe(true);
    // Each row of the wrapped last line clears what a longer redraw left on it.
    const tail = out.split('\r').at(-1)!;
    expect(tail.endsWith('\x1b[K\n')).toBe(true);
    expect(tail.split('\n').slice(0, -1).every((row) => row.endsWith('\x1b[K'))).toBe(true);
    const last = tail.replaceAll('\x1b[K', '').trimEnd().split('\n');
    expect(last.length).toBeGreaterThan(1);
    for (const l of last) expect(l.length).toBeLessThanOrEqual(59);
    expect(last[0]).toMatch(/^4\/4 \[=+\] - \d+\.\ds \d+ms\/step/);
    expect(last.slice(1).every((l) => l.startsWith('    '))).toBe(true);
    expect(last.join(' ')).toMatch(/loss: .*accuracy: .*precision: .*recall: .*f1: .*mae: .*mse: \d\.\d{4}$/);
    m.dispose();
  });

  test('early stopping prints its line where fit prints progress', async () => {
    const m = xor();
    let epoch = 0;
    const bump = { onEpochEnd: () => { if (++epoch === 2) m.setWeights(m.getWeights().map((w) => w.map(() => 5))); } };
    const out = await stderrOf(() => m.fit(X, Y, { epochs: 20, verbose: 2, callbacks: [callbacks.earlyStopping({ monitor: 'loss', patience: 1 }), bump] }), null);
    expect(out).toMatch(/\nEpoch 3: early stopping \(loss did not improve for 1 epoch\)\n$/);
    m.dispose();
  });

  test('an uncaught shape error from the shipped bundle prints a few lines, the message within the first 10', async () => {
    const { spawnSync } = await import(/* @vite-ignore */ 'node:child_process' as string) as typeof import('node:child_process');
    const bundle = new URL('../build/index.js', import.meta.url).href;
    const script = `import { init, layers, sequential } from '${bundle}';
await init();
const m = sequential([layers.dense({ units: 1, inputShape: [3] })]);
m.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
await m.fit([[1, 2]], [[1]], { verbose: 0 });`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    expect(r.status).not.toBe(0);
    expect(r.stderr.length).toBeLessThan(4096);
    const lines = r.stderr.split('\n');
    const at = lines.findIndex((l) => l.startsWith('WasmgradError: fit: the model takes samples of shape [3] (x of shape [n, 3]), got x of shape [1, 2]'));
    expect(at).toBeGreaterThanOrEqual(0);
    expect(at).toBeLessThan(10);
    expect(r.stderr).toMatch(/at Sequential\.fit /); // class names are kept in the bundle
  });
});

describe('paths and foreign files', () => {
  test("a TF.js model.json given as wasmgrad's topology gets TFJS_FORMAT saying how to load it, not a parse error about another format", () => {
    const tfjs = JSON.stringify({ format: 'layers-model', generatedBy: 'TensorFlow.js tfjs-layers v4.22.0', modelTopology: { class_name: 'Sequential' }, weightsManifest: [] });
    expect(refusal('TFJS_FORMAT', () => fromArtifacts({ topology: tfjs, weights: new Uint8Array(8) }))).toMatch(/TensorFlow\.js model\.json .*loadModel.*fromArtifacts/);
  });

  test.skipIf(inBrowser)('save and loadModel take file:// strings, file: URLs and the model.json path; a TF.js folder is read as one', async () => {
    const fs = await import(/* @vite-ignore */ 'node:fs/promises' as string) as typeof import('node:fs/promises');
    const os = await import(/* @vite-ignore */ 'node:os' as string) as typeof import('node:os');
    const dir = await fs.mkdtemp(`${os.tmpdir()}/wasmgrad-paths-`);
    try {
      const m = xor();
      await m.save(`file://${dir}/a`);
      expect((await fs.readdir(`${dir}/a`)).sort()).toEqual(['model.json', 'weights.safetensors']);
      await fs.copyFile(`${dir}/a/model.json`, `${dir}/a/classifier.json`);
      const loaded = [await loadModel(`file://${dir}/a`), await loadModel(`${dir}/a/model.json`), await loadModel(`${dir}/a/classifier.json`),
        await loadModel(new URL(`file://${dir}/a/`))];
      await fs.rm(`${dir}/a/model.json`);
      await expect(loadModel(`${dir}/a/model.json`)).rejects.toThrow(/ENOENT/); // the .json named is the one read
      for (const l of loaded) {
        expect(l.getWeights()).toEqual(m.getWeights());
        l.dispose();
      }
      await expect(m.save('https://example.com/models/a')).rejects.toThrow(/save: writes to a folder on disk .* got a https: URL/);
      // A folder TF.js' model.save('file://...') wrote is read as TF.js' (test/tfjs-import.test.ts loads
      // real ones): this one's empty topology is refused as such, not taken for a wasmgrad file.
      await fs.mkdir(`${dir}/tfjs`);
      await fs.writeFile(`${dir}/tfjs/model.json`, JSON.stringify({ modelTopology: {}, weightsManifest: [{ paths: ['weights.bin'], weights: [] }] }));
      expect(await asyncRefusal('UNKNOWN_FORMAT', () => loadModel(`${dir}/tfjs`))).toMatch(/^loadModel: modelTopology: class_name must be 'Sequential' or 'Model'/);
      m.dispose();
    } finally {
      await fs.rm(dir, { recursive: true });
    }
  });

  test.skipIf(!inNode)('loadModel fetches an http: URL', async () => {
    const http = await import(/* @vite-ignore */ 'node:http' as string) as typeof import('node:http');
    const m = xor();
    const { topology, weights } = m.toArtifacts();
    const server = http.createServer((req, res) => {
      if (req.url === '/models/xor/model.json?token=t1') res.end(topology);
      else if (req.url === '/models/xor/weights.safetensors?token=t1') res.end(weights);
      else { res.statusCode = 404; res.end(); }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as { port: number };
      const loaded = await loadModel(`http://127.0.0.1:${port}/models/xor?token=t1`); // a signed URL keeps its query
      expect(loaded.getWeights()).toEqual(m.getWeights());
      loaded.dispose();
      expect(await asyncRefusal('FETCH_FAILED', () => loadModel(`http://127.0.0.1:${port}/models/none`))).toMatch(/^loadModel: fetching http:\/\/127\.0\.0\.1:\d+\/models\/none\/model\.json failed: 404/);
    } finally {
      server.close();
      m.dispose();
    }
  });
});

void (null as unknown as Tensor);
