// Threads: the 1024³ GEMM, the MLP fit and the LeNet-5 fit at 1 thread and at every count up to the
// machine's, one process, interleaved rounds (1, 2, .., N, 1, 2, ..), each count's speed-up over 1
// thread taken within a round, after untimed rounds (BENCH_WARMUP) in which V8 compiles the training
// loop. Results are checked to be the same bits at every count before timing.
// The fits time a training in progress, as a user's fit runs: each count trains its own copy of a
// model from one seed, in lockstep with the others (the same fits, seeds and epochs: training gives
// the same bits at every count, so every count computes the same values), and a timed call is a fit of
// BENCH_EPOCHS epochs (3) on it. No garbage collection is forced before a timed call here: V8 finishes
// a forced collection on its background threads, which on a machine with no idle core take their CPU
// from the threads being timed (measured: the MLP's 2-thread ratio 1.57-1.59x with one before each
// call, 1.70-1.73x without), while a 1-thread run has the idle core for it. The training loop makes
// little garbage of its own.
// bench/run.ts starts it and puts its section into bench/RESULTS.md; on its own:
//   node --expose-gc --import tsx bench/threads.ts
// Prints the section as Markdown between the lines <<<threads and threads>>>.
import { availableParallelism } from 'node:os';
import * as wg from '../build/index.js';
import { lenetLayers, machine, projectionLabels, rng, timeCalls } from './lib.js';

const REPS = Number(process.env.BENCH_REPS ?? 7);
// Untimed rounds first: V8 optimizes the training loop's functions (fit's alone takes ~50 ms of
// TurboFan) on background threads during the first fits, and on a 2-core machine that compilation
// takes its CPU from the threads being timed. Timing starts once the engine has settled.
const WARMUP = Number(process.env.BENCH_WARMUP ?? 3);
const EPOCHS = Number(process.env.BENCH_EPOCHS ?? 3);
const MAX = Math.min(16, availableParallelism());
const COUNTS = Array.from({ length: MAX }, (_, i) => i + 1);
const fmt = (v: number, d = 1) => v.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d });
const median = (t: number[]) => t.slice().sort((a, b) => a - b)[Math.floor(t.length / 2)]!;

await wg.init(undefined, { threads: MAX });
if (wg.threads().count !== MAX) throw new Error(`threads did not start: ${wg.threads().reason}`);

/** Seconds per call of `run` at each thread count: REPS rounds, the counts interleaved within a round. */
async function counts(run: () => unknown): Promise<{ s: number[]; speedup: number[]; range: [number, number][] }> {
  const rounds: number[][] = [];
  for (let r = -WARMUP; r < REPS; r++) {
    const round: number[] = [];
    for (const n of COUNTS) {
      await wg.init(undefined, { threads: n });
      if (wg.threads().count !== n) throw new Error(`init({ threads: ${n} }) gave ${wg.threads().count}: ${wg.threads().reason}`);
      round.push((await timeCalls([{ run }], 1, false))[0]!.median);
    }
    if (r >= 0) rounds.push(round);
  }
  const ratios = COUNTS.map((_, i) => rounds.map((t) => t[0]! / t[i]!).sort((a, b) => a - b));
  return {
    s: COUNTS.map((_, i) => median(rounds.map((t) => t[i]!))),
    speedup: ratios.map(median),
    range: ratios.map((r) => [r[0]!, r.at(-1)!] as [number, number]),
  };
}

/** The same seeded run's weights at every thread count, as one string of bits. */
async function bitsAtEachCount(make: () => Promise<Float32Array[]>): Promise<void> {
  let first: string | null = null;
  for (const n of COUNTS) {
    await wg.init(undefined, { threads: n });
    const weights = await make();
    const bits = weights.map((w) => Array.from(new Uint32Array(w.buffer, w.byteOffset, w.length)).join(',')).join(';');
    if (first === null) first = bits;
    else if (bits !== first) throw new Error(`${n} threads gave other weights than 1 thread: not timing it`);
  }
}

/**
 * Timed runs of a training in progress: a fit of EPOCHS epochs on the current count's own model, each
 * count's made from one seed and trained in lockstep (its n-th fit uses seed n at every count).
 */
function training(make: () => wg.Sequential, X: wg.Tensor, Y: wg.Tensor): { run: () => Promise<unknown>; models: Map<number, { model: wg.Sequential; fits: number }> } {
  const models = new Map<number, { model: wg.Sequential; fits: number }>();
  return {
    models,
    run: () => {
      const n = wg.threads().count;
      if (!models.has(n)) models.set(n, { model: make(), fits: 0 });
      const m = models.get(n)!;
      return m.model.fit(X, Y, { epochs: EPOCHS, batchSize: 64, seed: ++m.fits, verbose: 0 });
    },
  };
}

const rows: string[] = [];
const row = (what: string, unit: string, units: number, r: Awaited<ReturnType<typeof counts>>) =>
  rows.push(`| ${what} | ${COUNTS.map((_, i) => `${fmt(units / r.s[i]!, unit === 'GFLOP/s' ? 1 : 0)}${i === 0 ? '' : ` (**${fmt(r.speedup[i]!, 2)}×**, ${fmt(r.range[i]![0], 2)}–${fmt(r.range[i]![1], 2)})`}`).join(' | ')} |`);

// ── GEMM 1024³: the public matmul, output allocated per call
{
  const n = 1024, r = rng(n);
  const a = wg.tensor(Float32Array.from({ length: n * n }, () => r() - 0.5), [n, n]);
  const b = wg.tensor(Float32Array.from({ length: n * n }, () => r() - 0.5), [n, n]);
  await bitsAtEachCount(async () => [wg.noGrad(() => wg.matmul(a, b)).toArray()]);
  const res = await counts(() => wg.noGrad(() => wg.matmul(a, b)).dispose());
  row('GEMM 1024×1024×1024, GFLOP/s', 'GFLOP/s', 2 * n ** 3 / 1e9, res);
  a.dispose(); b.dispose();
}

/** A fit case: the same weights at every count after one epoch from a seed, the loss lowered, then fits of a training in progress timed. */
async function fitCase(title: string, make: () => wg.Sequential, X: wg.Tensor, Y: wg.Tensor, n: number): Promise<void> {
  await bitsAtEachCount(async () => {
    const m = make();
    await m.fit(X, Y, { epochs: 1, batchSize: 64, seed: 0, verbose: 0 });
    const w = m.getWeights();
    m.dispose();
    return w;
  });
  const model = make();
  const h = await model.fit(X, Y, { epochs: 2, batchSize: 64, seed: 0, verbose: 0 });
  model.dispose();
  if (!(h.history.loss![1]! < h.history.loss![0]!)) throw new Error(`${title} did not lower the loss: not timing it`);
  const timed = training(make, X, Y);
  row(`${title} \`fit\`, samples/s`, 'samples/s', n * EPOCHS, await counts(timed.run));
  for (const { model: m } of timed.models.values()) m.dispose();
  X.dispose(); Y.dispose();
}
const compiled = (model: wg.Sequential): wg.Sequential => {
  model.compile({ optimizer: 'adam', loss: 'categoricalCrossentropy' });
  return model;
};

// ── MLP fit: 784-128-10, Adam, batch 64, on the data of bench/run.ts' fit section (labels from a projection: a task it learns)
{
  const N = 64 * 40, r = rng(1), pr = rng(9);
  const xs = Float32Array.from({ length: N * 784 }, () => r());
  const proj = Float32Array.from({ length: 784 * 10 }, () => pr() * 2 - 1);
  await fitCase('MLP 784-128-10', () => compiled(wg.sequential([wg.layers.dense({ units: 128, activation: 'relu', inputShape: [784] }),
    wg.layers.dense({ units: 10, activation: 'softmax' })])), wg.tensor(xs, [N, 784]), wg.tensor(projectionLabels(xs, proj, N), [N, 10]), N);
}

// ── LeNet-5 fit on the first 1,280 MNIST images
{
  const N = 64 * 20;
  const { train } = await wg.loadMnist();
  await fitCase('LeNet-5', () => compiled(wg.sequential(lenetLayers(wg.layers))), wg.tensor(train.images.subarray(0, N * 784), [N, 28, 28, 1]),
    wg.data.oneHot(train.labels.subarray(0, N), 10), N);
}

console.log(['<<<threads',
  `\`init({ threads: n })\` for n = 1 .. ${MAX} (this machine's parallelism), the threaded build in one process, ${REPS} rounds with ` +
  `the counts interleaved after ${WARMUP} untimed ones (V8's background compilation of the training loop settles in those); each count's speed-up over 1 thread is the median over rounds of the ratio within a round, with its range. ` +
  `A fit is timed as ${EPOCHS} epochs of a training in progress: each count trains its own copy of the model, from one seed and in lockstep with the other counts (the same values at every count); no garbage collection is forced before a timed call. ` +
  `Before timing, each case's weights (or product) were checked to be the same bits at every count. ${machine()}.`, '',
  `| case | ${COUNTS.map((n) => `${n} thread${n > 1 ? 's' : ''}`).join(' | ')} |`, `|---|${COUNTS.map(() => '---:').join('|')}|`,
  ...rows, '',
  'TF.js\' wasm backend runs one thread in Node (its threaded build needs a cross-origin-isolated page), so it has no row here.',
  'threads>>>'].join('\n'));
