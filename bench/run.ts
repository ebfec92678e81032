// The benchmark harness (npm run bench). Every case checks its result against a reference before it
// is timed, then runs the contenders interleaved (A B C A B C ...) after a warm-up, and reports the
// median and the min-max of the repetitions. Writes bench/RESULTS.md.
//
//   BENCH_REPS=7          repetitions per contender (default 7)
//   BENCH_ONLY=gemm,fit   run only these sections (peak, gemm, mlp, elementwise, fit, lenet, recurrent, playground, relaxed, threads, startup)
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import '@tensorflow/tfjs-backend-cpu';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import asc from 'assemblyscript/asc';
import * as wg from '../src/index.js';
import { heap, wasm } from '../src/wasm.js';
import { lenetLayers, machine, projectionLabels, rng, timeCalls } from './lib.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const REPS = Number(process.env.BENCH_REPS ?? 7);
const ONLY = process.env.BENCH_ONLY?.split(',');
const MIN_MS = 40; // each timed sample runs its case repeatedly for at least this long

// ───────────────────────────────────────────── timing
interface Stat { median: number; min: number; max: number; rounds: number[] }
type Timed = { name: string; setup?: () => Promise<void> | void; call: () => unknown };

/** Calls `call` repeatedly for at least MIN_MS; returns seconds per call. */
function sample(call: () => unknown): number {
  let n = 1;
  for (;;) {
    const t0 = performance.now();
    for (let i = 0; i < n; i++) call();
    const ms = performance.now() - t0;
    if (ms >= MIN_MS) return ms / 1000 / n;
    n = Math.max(n * 2, Math.ceil(n * MIN_MS / Math.max(ms, 0.01)));
  }
}

/** Seconds per call for each contender: warm-up, then REPS interleaved rounds. */
async function race(contenders: Timed[]): Promise<Stat[]> {
  const times = contenders.map(() => [] as number[]);
  // Warm-up long enough for V8 to tier every hot wasm function up from Liftoff to TurboFan.
  for (const c of contenders) { await c.setup?.(); for (let i = 0; i < 5; i++) sample(c.call); }
  for (let r = 0; r < REPS; r++) {
    for (const [i, c] of contenders.entries()) {
      await c.setup?.();
      times[i]!.push(sample(c.call));
    }
  }
  return times.map((t) => {
    const s = t.slice().sort((a, b) => a - b);
    return { median: median(t), min: s[0]!, max: s.at(-1)!, rounds: t };
  });
}

const median = (t: number[]) => t.slice().sort((a, b) => a - b)[Math.floor(t.length / 2)]!;
/** The median over rounds of a / b, each pair timed in the same round (the VM's drift cancels). */
const roundRatio = (a: Stat, b: Stat) => median(a.rounds.map((v, r) => v / b.rounds[r]!));
const fmt = (v: number, d = 1) => v.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d });
/** A rate from seconds per call: units/s median with the min-max range. */
const rate = (units: number, s: Pick<Stat, 'median' | 'min' | 'max'>, scale = 1, d = 1) => `${fmt(units / s.median / scale, d)} (${fmt(units / s.max / scale, d)}–${fmt(units / s.min / scale, d)})`;

const report: string[] = [];
function section(title: string, text: string[]): void {
  const block = [`## ${title}`, '', ...text, ''];
  console.log(block.join('\n'));
  report.push(...block);
}
const want = (name: string) => !ONLY || ONLY.includes(name);

// ───────────────────────────────────────────── set-up
await wg.init(new URL('../build/wasmgrad.wasm', import.meta.url));
const require = createRequire(import.meta.url);
setWasmPaths(path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')) + '/dist/');
await tf.setBackend('wasm');
await tf.ready();
const BACKENDS = ['wasm', 'cpu'] as const;

function randomData(n: number, seed: number): Float32Array {
  const r = rng(seed);
  return Float32Array.from({ length: n }, () => r() * 2 - 1);
}

// ───────────────────────────────────────────── peak
let peakGflops = NaN;
let peakContender: Timed;
const PEAK_ITERS = 100_000;
{
  const out = await asc.main([path.join(here, 'peak.ts'), '--outFile', path.join(here, '../build/bench/peak.wasm'),
    '-O3', '--runtime', 'stub', '--enable', 'simd', '--use', 'abort=']);
  if (out.error) throw out.error;
  const peakModule = new WebAssembly.Instance(new WebAssembly.Module(readFileSync(path.join(here, '../build/bench/peak.wasm'))), {});
  const peakKernel = peakModule.exports.peak_f32 as (iters: number, mul: number, add: number) => number;
  const peak = (iters: number) => peakKernel(iters, 0.9999999, 1e-7);
  const ITERS = PEAK_ITERS;
  if (!Number.isFinite(peak(ITERS))) throw new Error('peak kernel gave a non-finite sum');
  for (let i = 0; i < 200; i++) peak(1000); // many short calls: V8 tiers a function up between calls
  peakContender = { name: 'peak', call: () => peak(ITERS) };
  const [s] = await race([peakContender]);
  peakGflops = ITERS * 96 / s!.median / 1e9;
  if (want('peak') || want('gemm') || want('mlp')) {
    section('wasm SIMD peak', [
      '12 independent chains of `f32x4.mul` + `f32x4.add` in registers, one thread (bench/peak.ts).', '',
      `**${fmt(peakGflops, 2)} GFLOP/s** (range ${rate(ITERS * 96, s!, 1e9, 2)}). This VM's speed drifts, so each GEMM case below ` +
      'runs the peak loop again in its own interleaved rounds; its % of peak (and its × TF.js wasm) is the median over rounds ' +
      'of the ratio of two samples taken in the same round.',
    ]);
  }
}

// ───────────────────────────────────────────── GEMM
type Form = { m: number; n: number; k: number; ta: boolean; tb: boolean; label: string };

/** Spot-checks 64 entries of op(a)·op(b) against float64 dot products. */
function checkGemm(f: Form, a: Float32Array, b: Float32Array, c: Float32Array, who: string): void {
  const r = rng(f.m * 7 + f.n);
  for (let t = 0; t < 64; t++) {
    const i = Math.floor(r() * f.m), j = Math.floor(r() * f.n);
    let s = 0;
    for (let p = 0; p < f.k; p++) s += (f.ta ? a[p * f.m + i]! : a[i * f.k + p]!) * (f.tb ? b[j * f.k + p]! : b[p * f.n + j]!);
    if (Math.abs(c[i * f.n + j]! - s) > 1e-4 * Math.sqrt(f.k) * (1 + Math.abs(s))) {
      throw new Error(`${who} ${f.label}: C[${i},${j}] = ${c[i * f.n + j]}, expected ${s}: not timing a wrong result`);
    }
  }
}

async function gemmRows(forms: Form[]): Promise<{ rows: string[]; worst: number; ratios: { label: string; ratio: number; plain: boolean }[] }> {
  const rows = ['| product | wasmgrad GFLOP/s | peak, same rounds | % of peak | TF.js wasm GFLOP/s | TF.js cpu GFLOP/s | × TF.js wasm |', '|---|---:|---:|---:|---:|---:|---:|'];
  let worst = Infinity;
  const ratios: { label: string; ratio: number; plain: boolean }[] = [];
  for (const f of forms) {
    const a = randomData(f.m * f.k, 1), b = randomData(f.k * f.n, 2);
    const A = wg.tensor(a, f.ta ? [f.k, f.m] : [f.m, f.k]), B = wg.tensor(b, f.tb ? [f.n, f.k] : [f.k, f.n]);
    const ours = () => wg.noGrad(() => wg.matmul(A, B, { transposeA: f.ta, transposeB: f.tb }));
    const c = ours();
    checkGemm(f, a, b, c.toArray(), 'wasmgrad');
    c.dispose();
    const tfs: Record<string, [tf.Tensor2D, tf.Tensor2D]> = {};
    for (const be of BACKENDS) {
      await tf.setBackend(be);
      const ta = tf.tensor2d(a, f.ta ? [f.k, f.m] : [f.m, f.k]), tb = tf.tensor2d(b, f.tb ? [f.n, f.k] : [f.k, f.n]);
      const tc = tf.matMul(ta, tb, f.ta, f.tb);
      checkGemm(f, a, b, tc.dataSync() as Float32Array, `TF.js ${be}`);
      tc.dispose();
      tfs[be] = [ta, tb];
    }
    const tfCall = (be: string) => () => { const t = tf.matMul(tfs[be]![0], tfs[be]![1], f.ta, f.tb); t.dataSync(); t.dispose(); };
    const [w, tw, tc, pk] = await race([
      { name: 'wasmgrad', call: () => ours().dispose() },
      { name: 'tf wasm', setup: () => tf.setBackend('wasm').then(() => undefined), call: tfCall('wasm') },
      { name: 'tf cpu', setup: () => tf.setBackend('cpu').then(() => undefined), call: tfCall('cpu') },
      peakContender,
    ]);
    const flops = 2 * f.m * f.n * f.k;
    const localPeak = PEAK_ITERS * 96 / pk!.median / 1e9;
    // Share of peak and × TF.js: medians of the ratios within each round, not ratios of medians.
    const share = roundRatio(pk!, w!) * flops / (PEAK_ITERS * 96);
    worst = Math.min(worst, share);
    const ratio = roundRatio(tw!, w!);
    ratios.push({ label: f.label, ratio, plain: !f.ta && !f.tb });
    rows.push(`| ${f.label} | ${rate(flops, w!, 1e9, 2)} | ${fmt(localPeak, 2)} | ${fmt(100 * share, 0)}% | ${rate(flops, tw!, 1e9, 2)} | ${rate(flops, tc!, 1e9, 2)} | ${fmt(ratio, 1)}× |`);
    A.dispose(); B.dispose();
    for (const [x, y] of Object.values(tfs)) { x.dispose(); y.dispose(); }
  }
  await tf.setBackend('wasm');
  return { rows, worst, ratios };
}

const gemmResults: { worst: number; ratios: { label: string; ratio: number; plain: boolean }[] }[] = [];
if (want('gemm')) {
  const r = await gemmRows([64, 256, 1024].map((s) => ({ m: s, n: s, k: s, ta: false, tb: false, label: `${s}×${s}×${s} A·B` })));
  gemmResults.push(r);
  section('GEMM, square', ['`matmul` (the public op, output allocated per call) against `tf.matMul` + `dataSync`.', '', ...r.rows]);
}
if (want('mlp')) {
  const B = 64;
  const r = await gemmRows([
    { m: B, n: 128, k: 784, ta: false, tb: false, label: 'forward 1: X[64×784]·W1[784×128]' },
    { m: B, n: 10, k: 128, ta: false, tb: false, label: 'forward 2: H[64×128]·W2[128×10]' },
    { m: 784, n: 128, k: B, ta: true, tb: false, label: 'dW1 = Xᵀ·dH (784×64·64×128)' },
    { m: 128, n: 10, k: B, ta: true, tb: false, label: 'dW2 = Hᵀ·dY (128×64·64×10)' },
    { m: B, n: 128, k: 10, ta: false, tb: true, label: 'dH = dY·W2ᵀ (64×10·10×128)' },
    { m: B, n: 784, k: 128, ta: false, tb: true, label: 'dX = dH·W1ᵀ (64×128·128×784)' },
  ]);
  gemmResults.push(r);
  section('The six products of a 784-128-10 MLP at batch 64', ['Two forward products, two Aᵀ·B weight gradients, two A·Bᵀ input gradients.', '', ...r.rows]);
}

// ───────────────────────────────────────────── elementwise
if (want('elementwise')) {
  const N = 1 << 20;
  const x = wg.tensor(randomData(N, 3)), y = wg.tensor(randomData(N, 4));
  const k = wasm();
  const out = wg.Tensor.empty([N]);
  const st = [heap().alloc(N * 4), heap().alloc(N * 4)];
  k.fill_f32(st[0]!, N, 0); k.fill_f32(st[1]!, N, 0);
  const reluOut = wg.relu(x).toArray(), xs = x.toArray();
  if (reluOut.some((v, i) => v !== Math.max(0, xs[i]!))) throw new Error('relu is wrong: not timing it');
  const tx = tf.tensor1d(x.toArray()), ty = tf.tensor1d(y.toArray());
  const cases: [string, number, () => unknown, (() => unknown) | null][] = [
    ['relu forward (read 4 B, write 4 B)', 8, () => k.relu_forward_f32(out.ptr, x.ptr, N), () => { const t = tf.relu(tx); t.dataSync(); t.dispose(); }],
    ['add (read 8 B, write 4 B)', 12, () => k.add_forward_f32(out.ptr, x.ptr, y.ptr, N), () => { const t = tf.add(tx, ty); t.dataSync(); t.dispose(); }],
    ['relu backward (read 8 B, read+write 4 B)', 16, () => k.relu_backward_f32(out.ptr, x.ptr, y.ptr, N), null],
    ['Adam update (read 16 B, write 12 B)', 28, () => k.adam_update_f32(out.ptr, y.ptr, st[0]!, st[1]!, N, 1e-3, 0.9, 0.999, 1e-7, 1), null],
  ];
  const rows = ['| kernel, per element | wasmgrad GB/s | TF.js wasm GB/s (op + dataSync) |', '|---|---:|---:|'];
  for (const [name, bytes, ours, theirs] of cases) {
    const res = await race([{ name: 'wasmgrad', call: ours }, ...(theirs ? [{ name: 'tf', call: theirs }] : [])]);
    rows.push(`| ${name} | ${rate(N * bytes, res[0]!, 1e9, 1)} | ${res[1] ? rate(N * bytes, res[1], 1e9, 1) : '—'} |`);
  }
  section('Elementwise kernels, 2²⁰ elements (4 MiB per array)', rows);
  x.dispose(); y.dispose(); out.dispose(); tx.dispose(); ty.dispose();
  heap().free(st[0]!, N * 4); heap().free(st[1]!, N * 4);
}

// ───────────────────────────────────────────── fit
if (want('fit')) {
  const N = 64 * 40;
  const r = rng(1);
  const xs = Float32Array.from({ length: N * 784 }, () => r());
  const proj = randomData(784 * 10, 9);
  const ys = projectionLabels(xs, proj, N);
  const model = wg.sequential([wg.layers.dense({ units: 128, activation: 'relu', inputShape: [784] }), wg.layers.dense({ units: 10, activation: 'softmax' })]);
  model.compile({ optimizer: 'adam', loss: 'categoricalCrossentropy' });
  const X = wg.tensor(xs, [N, 784]), Y = wg.tensor(ys, [N, 10]);
  const tfModels: Record<string, { model: tfl.Sequential; x: tf.Tensor; y: tf.Tensor; n: number }> = {};
  const losses: string[] = [];
  const h = await model.fit(X, Y, { epochs: 3, batchSize: 64, seed: 0, verbose: 0 });
  losses.push(`wasmgrad ${h.history.loss!.map((v) => v.toFixed(3)).join(' → ')}`);
  if (!(h.history.loss![2]! < h.history.loss![0]!)) throw new Error('wasmgrad did not lower the loss: not timing it');
  for (const be of BACKENDS) {
    await tf.setBackend(be);
    const n = be === 'cpu' ? 64 * 5 : N; // the cpu backend is slow: fewer samples per timed call
    const m = tfl.sequential({ layers: [tfl.layers.dense({ units: 128, activation: 'relu', inputShape: [784] }), tfl.layers.dense({ units: 10, activation: 'softmax' })] });
    m.compile({ optimizer: tf.train.adam(0.001), loss: 'categoricalCrossentropy' });
    const x = tf.tensor2d(xs.subarray(0, n * 784), [n, 784]), y = tf.tensor2d(ys.subarray(0, n * 10), [n, 10]);
    const th = await m.fit(x, y, { epochs: 3, batchSize: 64, verbose: 0 });
    const tl = th.history.loss as number[];
    losses.push(`TF.js ${be} ${tl.map((v) => v.toFixed(3)).join(' → ')}`);
    if (!(tl[2]! < tl[0]!)) throw new Error(`TF.js ${be} did not lower the loss: not timing it`);
    tfModels[be] = { model: m, x, y, n };
  }
  // fit is async: time whole fits, one call per sample.
  const runs: [number, () => Promise<unknown>, string][] = [
    [N, () => model.fit(X, Y, { epochs: 1, batchSize: 64, verbose: 0 }), 'wasm'],
    [tfModels.wasm!.n, () => tfModels.wasm!.model.fit(tfModels.wasm!.x, tfModels.wasm!.y, { epochs: 1, batchSize: 64, verbose: 0 }), 'wasm'],
    [tfModels.cpu!.n, () => tfModels.cpu!.model.fit(tfModels.cpu!.x, tfModels.cpu!.y, { epochs: 1, batchSize: 64, verbose: 0 }), 'cpu'],
  ];
  const stats = await timeCalls(runs.map(([, run, be]) => ({ run, before: () => tf.setBackend(be) })), REPS);
  const sps = runs.map(([n], i) => n / stats[i]!.median);

  // Time inside kernels: wrap every kernel export with a timer for a few epochs.
  const k = wasm() as unknown as Record<string, unknown>;
  const originals = { ...k };
  let inKernels = 0;
  for (const [name, f] of Object.entries(originals)) {
    if (typeof f !== 'function') continue;
    k[name] = (...args: number[]) => { const t0 = performance.now(); const v = (f as (...a: number[]) => unknown)(...args); inKernels += performance.now() - t0; return v; };
  }
  const t0 = performance.now();
  await model.fit(X, Y, { epochs: 3, batchSize: 64, verbose: 0 });
  const total = performance.now() - t0;
  Object.assign(k, originals);
  const outside = 1 - inKernels / total;

  section('784-128-10 MLP, Adam, batch 64, `model.fit`', [
    `Loss over 3 epochs before timing: ${losses.join('; ')}.`, '',
    '| library | samples/s | × |', '|---|---:|---:|',
    `| wasmgrad | ${rate(N, stats[0]!, 1, 0)} | 1 |`,
    `| TF.js layers, wasm backend | ${rate(runs[1]![0], stats[1]!, 1, 0)} | ${fmt(sps[0]! / sps[1]!, 1)}× slower |`,
    `| TF.js layers, cpu backend | ${rate(runs[2]![0], stats[2]!, 1, 0)} | ${fmt(sps[0]! / sps[2]!, 1)}× slower |`, '',
    `wasmgrad / TF.js wasm: **${fmt(sps[0]! / sps[1]!, 1)}×**. Time outside kernels in a wasmgrad step: **${fmt(100 * outside, 1)}%** ` +
    `(every kernel call wrapped with a timer for 3 epochs: ${fmt(inKernels, 0)} of ${fmt(total, 0)} ms inside kernels).`,
  ]);
  model.dispose(); X.dispose(); Y.dispose();
  for (const m of Object.values(tfModels)) { m.x.dispose(); m.y.dispose(); }
}

// ───────────────────────────────────────────── LeNet-5
if (want('lenet')) {
  const { train } = await wg.loadMnist();
  const N = 64 * 20;
  const images = train.images.subarray(0, N * 784), labels = train.labels.subarray(0, N);
  // One definition for both libraries (bench/lib.ts): wasmgrad's layer constructors take TF.js' options.
  const model = wg.sequential(lenetLayers(wg.layers));
  model.compile({ optimizer: 'adam', loss: 'categoricalCrossentropy' });
  const X = wg.tensor(images, [N, 28, 28, 1]), Y = wg.data.oneHot(labels, 10);
  const notes: string[] = [];
  const h = await model.fit(X, Y, { epochs: 2, batchSize: 64, seed: 0, verbose: 0 });
  notes.push(`wasmgrad ${h.history.loss!.map((v) => v.toFixed(3)).join(' → ')}`);
  if (!(h.history.loss![1]! < h.history.loss![0]!)) throw new Error('wasmgrad LeNet did not lower the loss: not timing it');

  // TF.js layers on the cpu backend (its wasm backend has no Conv2DBackpropFilter kernel).
  const tfLenet = () => {
    const m = tfl.sequential({ layers: lenetLayers(tfl.layers) });
    m.compile({ optimizer: tf.train.adam(0.001), loss: 'categoricalCrossentropy' });
    return m;
  };
  const yOneHot = Y.toArray();
  let wasmError = '';
  await tf.setBackend('wasm');
  try {
    const m = tfLenet();
    await m.fit(tf.tensor4d(images.subarray(0, 64 * 784), [64, 28, 28, 1]), tf.tensor2d(yOneHot.subarray(0, 640), [64, 10]), { epochs: 1, verbose: 0 });
    wasmError = 'trained (no error)';
  } catch (e) {
    wasmError = (e as Error).message.split('\n')[0]!;
  }
  // The same network on TF.js wasm with the one missing kernel shimmed, in this benchmark only:
  // Conv2DBackpropFilter as the wasm backend's own Conv3DBackpropFilterV2 on a depth of 1 (a view of
  // the same data, no copy). Labelled as a shim in the table.
  tf.registerKernel({
    kernelName: 'Conv2DBackpropFilter', backendName: 'wasm',
    kernelFunc: ({ inputs, backend, attrs }) => {
      const { x, dy } = inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
      const { strides, pad, filterShape } = attrs as unknown as { strides: number | [number, number]; pad: 'same' | 'valid'; filterShape: number[] };
      const [sh, sw] = typeof strides === 'number' ? [strides, strides] : strides;
      const depth1 = (t: tf.TensorInfo): tf.TensorInfo => ({ ...t, shape: [t.shape[0]!, 1, ...t.shape.slice(1)] });
      const conv3d = tf.getKernel('Conv3DBackpropFilterV2', 'wasm')!.kernelFunc;
      const dw = conv3d({ inputs: { x: depth1(x), dy: depth1(dy) }, backend, attrs: { strides: [1, sh, sw], pad, filterShape: [1, ...filterShape] } }) as tf.TensorInfo;
      return { ...dw, shape: filterShape };
    },
  });
  // The shim's filter gradient against the cpu backend's own kernel, before anything is timed.
  for (const pad of ['same', 'valid'] as const) {
    const r = rng(7), vals = (n: number) => Float32Array.from({ length: n }, () => r() - 0.5);
    const o = pad === 'same' ? 9 : 5; // output height and width of a 5×5 window over 9×9
    const xv = vals(2 * 9 * 9 * 3), wv = vals(5 * 5 * 3 * 4), dyv = vals(2 * o * o * 4);
    const dW: Float32Array[] = [];
    for (const be of ['cpu', 'wasm']) {
      await tf.setBackend(be);
      const xt = tf.tensor4d(xv, [2, 9, 9, 3]), dyt = tf.tensor4d(dyv, [2, o, o, 4]);
      const g = tf.grad((w) => tf.sum(tf.mul(tf.conv2d(xt, w as tf.Tensor4D, 1, pad), dyt)))(tf.tensor4d(wv, [5, 5, 3, 4]));
      dW.push(g.dataSync() as Float32Array);
      tf.dispose([xt, dyt, g]);
    }
    const err = Math.max(...dW[0]!.map((v, i) => Math.abs(v - dW[1]![i]!)));
    if (!(err < 1e-4)) throw new Error(`Conv2DBackpropFilter shim (${pad}) differs from TF.js cpu by ${err}: not timing it`);
  }
  await tf.setBackend('wasm');
  const shimModel = tfLenet();
  const nShim = 64 * 4;
  const wx = tf.tensor4d(images.subarray(0, nShim * 784), [nShim, 28, 28, 1]), wy = tf.tensor2d(yOneHot.subarray(0, nShim * 10), [nShim, 10]);
  const wh = await shimModel.fit(wx, wy, { epochs: 2, batchSize: 64, verbose: 0 });
  const whLoss = wh.history.loss as number[];
  notes.push(`TF.js wasm + shim ${whLoss.map((v) => v.toFixed(3)).join(' → ')}`);
  if (!(whLoss[1]! < whLoss[0]!)) throw new Error('TF.js wasm + shim LeNet did not lower the loss: not timing it');

  await tf.setBackend('cpu');
  const nCpu = 64 * 2;
  const tm = tfLenet();
  const tx = tf.tensor4d(images.subarray(0, nCpu * 784), [nCpu, 28, 28, 1]), ty = tf.tensor2d(yOneHot.subarray(0, nCpu * 10), [nCpu, 10]);
  const th = await tm.fit(tx, ty, { epochs: 2, batchSize: 64, verbose: 0 });
  notes.push(`TF.js cpu ${(th.history.loss as number[]).map((v) => v.toFixed(3)).join(' → ')}`);

  // ConvNetJS, the same network, Adam, batch 64.
  const convnetjs = require('convnetjs');
  const net = new convnetjs.Net();
  net.makeLayers([
    { type: 'input', out_sx: 28, out_sy: 28, out_depth: 1 },
    { type: 'conv', sx: 5, filters: 6, stride: 1, pad: 2, activation: 'relu' },
    { type: 'pool', sx: 2, stride: 2 },
    { type: 'conv', sx: 5, filters: 16, stride: 1, pad: 0, activation: 'relu' },
    { type: 'pool', sx: 2, stride: 2 },
    { type: 'fc', num_neurons: 120, activation: 'relu' },
    { type: 'fc', num_neurons: 84, activation: 'relu' },
    { type: 'softmax', num_classes: 10 },
  ]);
  const trainer = new convnetjs.Trainer(net, { method: 'adam', learning_rate: 0.001, batch_size: 64, l2_decay: 0 });
  const nCnj = 64 * 2;
  const vols = Array.from({ length: nCnj }, (_, i) => {
    const v = new convnetjs.Vol(28, 28, 1, 0);
    v.w.set ? v.w.set(images.subarray(i * 784, (i + 1) * 784)) : images.subarray(i * 784, (i + 1) * 784).forEach((p, j) => { v.w[j] = p; });
    return v;
  });
  const cnjEpoch = () => { let loss = 0; for (let i = 0; i < nCnj; i++) loss += trainer.train(vols[i], labels[i]).loss; return loss / nCnj; };
  const c0 = cnjEpoch(), c1 = cnjEpoch();
  notes.push(`ConvNetJS ${c0.toFixed(3)} → ${c1.toFixed(3)}`);

  const runs: [number, () => Promise<unknown> | unknown, string][] = [
    [N, () => model.fit(X, Y, { epochs: 1, batchSize: 64, verbose: 0 }), 'cpu'],
    [nCpu, () => tm.fit(tx, ty, { epochs: 1, batchSize: 64, verbose: 0 }), 'cpu'],
    [nCnj, cnjEpoch, 'cpu'],
    [nShim, () => shimModel.fit(wx, wy, { epochs: 1, batchSize: 64, verbose: 0 }), 'wasm'],
  ];
  const stats = await timeCalls(runs.map(([, run, be]) => ({ run, before: () => tf.setBackend(be) })), REPS);
  const sps = runs.map(([n], i) => n / stats[i]!.median);
  section('LeNet-5 on MNIST, Adam, batch 64, training samples/s', [
    `conv 6@5×5 same → max-pool → conv 16@5×5 → max-pool → dense 120 → dense 84 → dense 10 softmax, on the first ${N} MNIST training images.`,
    `Loss over 2 epochs before timing: ${notes.join('; ')}.`, '',
    '| library | samples/s | wasmgrad is |', '|---|---:|---:|',
    `| wasmgrad | ${rate(N, stats[0]!, 1, 0)} | — |`,
    `| TF.js layers, cpu backend | ${rate(nCpu, stats[1]!, 1, 0)} | ${fmt(sps[0]! / sps[1]!, 1)}× faster |`,
    `| ConvNetJS 0.3 | ${rate(nCnj, stats[2]!, 1, 1)} | ${fmt(sps[0]! / sps[2]!, 1)}× faster |`,
    `| TF.js layers, wasm backend | cannot train: \`${wasmError}\` | — |`,
    `| TF.js layers, wasm backend + a benchmark-only shim for that kernel | ${rate(nShim, stats[3]!, 1, 0)} | ${fmt(sps[0]! / sps[3]!, 1)}× faster |`,
    '', 'The shim (bench/run.ts) runs `Conv2DBackpropFilter` as the wasm backend\'s own `Conv3DBackpropFilterV2` on a depth of 1; every other kernel is TF.js wasm\'s.',
  ]);
  model.dispose(); X.dispose(); Y.dispose(); tx.dispose(); ty.dispose(); wx.dispose(); wy.dispose();
  await tf.setBackend('wasm');
}

// ───────────────────────────────────────────── recurrent layers
if (want('recurrent')) {
  const { train } = await wg.loadMnist();
  type Cell = 'lstm' | 'gru' | 'simpleRNN';
  // One definition for both libraries, the same formula: sigmoid gates (Keras' default; TF.js'
  // is hardSigmoid), a GRU without resetAfter (TF.js' only form). TF.js' orthogonal initializer
  // throws in this version, so its recurrent kernels start from glorotUniform.
  const cellConfig = (cell: Cell, units: number, tfjs: boolean) => ({
    units, ...(cell === 'simpleRNN' ? {} : { recurrentActivation: 'sigmoid' }), ...(cell === 'gru' ? { resetAfter: false } : {}),
    ...(tfjs ? { recurrentInitializer: 'glorotUniform' } : {}),
  });
  // Training FLOPs per sample: forward 2·steps·(features + units)·gates·units, backward twice that.
  const flops = (gates: number, steps: number, features: number, units: number) => 3 * 2 * steps * (features + units) * gates * units;
  const rows: string[] = [];
  const notes: string[] = [];
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const caseOf = async (label: string, build: (L: any, tfjs: boolean) => unknown[], xs: Float32Array, xShape: number[], ys: Float32Array, n: number, nWasm: number, nCpu: number, gflopPerSample: number) => {
    const model = wg.sequential(build(wg.layers, false) as never);
    model.compile({ optimizer: wg.optimizers.adam(0.001), loss: 'categoricalCrossentropy' });
    const X = wg.tensor(xs.subarray(0, n * xShape.reduce((a, b) => a * b, 1)), [n, ...xShape]), Y = wg.tensor(ys.subarray(0, n * 10), [n, 10]);
    const h = await model.fit(X, Y, { epochs: 2, batchSize: 64, seed: 0, verbose: 0 });
    const losses = [`wasmgrad ${h.history.loss!.map((v) => v.toFixed(3)).join(' → ')}`];
    if (!(h.history.loss![1]! < h.history.loss![0]!)) throw new Error(`${label}: wasmgrad did not lower the loss: not timing it`);
    const theirs: { be: string; n: number; run: () => Promise<unknown> }[] = [];
    let wasmError = '';
    for (const [be, m] of [['wasm', nWasm], ['cpu', nCpu]] as const) {
      await tf.setBackend(be);
      const tm = tfl.sequential({ layers: build(tfl.layers, true) as tfl.layers.Layer[] });
      tm.compile({ optimizer: tf.train.adam(0.001), loss: 'categoricalCrossentropy' });
      const tx = tf.tensor(xs.subarray(0, m * xShape.reduce((a, b) => a * b, 1)), [m, ...xShape]), ty = tf.tensor2d(ys.subarray(0, m * 10), [m, 10]);
      try {
        const th = await tm.fit(tx, ty, { epochs: 2, batchSize: 64, verbose: 0 });
        const tl = th.history.loss as number[];
        losses.push(`TF.js ${be} ${tl.map((v) => v.toFixed(3)).join(' → ')}`);
        theirs.push({ be, n: m, run: () => tm.fit(tx, ty, { epochs: 1, batchSize: 64, verbose: 0 }) });
      } catch (e) {
        if (be !== 'wasm') throw e;
        wasmError = (e as Error).message.split('\n')[0]!;
      }
    }
    const runs = [{ n, run: () => model.fit(X, Y, { epochs: 1, batchSize: 64, verbose: 0 }), before: () => tf.setBackend('cpu') },
      ...theirs.map((t) => ({ n: t.n, run: t.run, before: () => tf.setBackend(t.be) }))];
    const stats = await timeCalls(runs, REPS);
    const sps = runs.map((r, i) => r.n / stats[i]!.median);
    const wasmAt = theirs.findIndex((t) => t.be === 'wasm') + 1, cpuAt = theirs.findIndex((t) => t.be === 'cpu') + 1;
    rows.push(`| ${label} | ${rate(n, stats[0]!, 1, 0)} | ${fmt(sps[0]! * gflopPerSample, 1)} | ` +
      (wasmAt > 0 ? `${rate(runs[wasmAt]!.n, stats[wasmAt]!, 1, 1)} | **${fmt(sps[0]! / sps[wasmAt]!, 1)}×**` : `cannot train: \`${wasmError}\` | —`) +
      ` | ${rate(runs[cpuAt]!.n, stats[cpuAt]!, 1, 1)} | ${fmt(sps[0]! / sps[cpuAt]!, 0)}× |`);
    notes.push(`${label}: ${losses.join('; ')}`);
    model.dispose(); X.dispose(); Y.dispose();
  };
  const N = 640;
  const images = train.images, onehot = new Float32Array(N * 10);
  for (let i = 0; i < N; i++) onehot[i * 10 + train.labels[i]!] = 1;
  for (const cell of ['lstm', 'gru', 'simpleRNN'] as Cell[]) {
    const gates = cell === 'lstm' ? 4 : cell === 'gru' ? 3 : 1;
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    await caseOf(`${cell === 'simpleRNN' ? 'SimpleRNN' : cell.toUpperCase()}(128), 28 steps × 28 features`, (L: any, tfjs) => [
      L[cell]({ ...cellConfig(cell, 128, tfjs), inputShape: [28, 28] }), L.dense({ units: 10, activation: 'softmax' }),
    ], images, [28, 28], onehot, N, cell === 'simpleRNN' ? 256 : 128, 64, flops(gates, 28, 28, 128) / 1e9);
  }
  // Token sequences: 32 steps of indices in [0, 64), the class from the first token.
  const tokens = Float32Array.from({ length: N * 32 }, (_, i) => (i * 37 + Math.floor(i / 32) * 11) % 64);
  const tokenY = new Float32Array(N * 10);
  for (let i = 0; i < N; i++) tokenY[i * 10 + (tokens[i * 32]! % 10)] = 1;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  await caseOf('embedding(64, 32) → LSTM(128), 32 steps', (L: any, tfjs) => [
    L.embedding({ inputDim: 64, outputDim: 32, inputShape: [32] }), L.lstm({ ...cellConfig('lstm', 128, tfjs) }), L.dense({ units: 10, activation: 'softmax' }),
  ], tokens, [32], tokenY, N, 128, 64, flops(4, 32, 32, 128) / 1e9);
  section('Recurrent layers, Adam, batch 64, `model.fit` samples/s', [
    'Each model → dense 10 softmax, categorical cross-entropy; sequence-MNIST shapes (the first 640 training digits read row by row) and a token task. ' +
    'Both libraries compute the same formula: sigmoid gates, GRU without resetAfter (TF.js\' form). GFLOP/s counts the training FLOPs of the ' +
    'recurrent layer only (forward 2·steps·(features + units)·gates·units per sample, backward twice that).', '',
    '| model | wasmgrad samples/s | wasmgrad GFLOP/s | TF.js wasm samples/s | wasmgrad is | TF.js cpu samples/s | wasmgrad is |',
    '|---|---:|---:|---:|---:|---:|---:|', ...rows, '', `Loss over 2 epochs before timing: ${notes.join('. ')}.`,
  ]);
  await tf.setBackend('wasm');
}

// ───────────────────────────────────────────── playground
if (want('playground')) {
  // Each network trained `reps` times, the runs of the three interleaved, in a child process of its own
  // (as a page's worker trains, with nothing else in its heap); medians and min-max.
  const reps = Math.min(REPS, 5);
  const child = spawnSync(process.execPath, ['--import', 'tsx', path.join(here, 'playground.ts'), String(reps)], { encoding: 'utf8' });
  if (child.status !== 0) throw new Error(`bench/playground.ts failed:\n${child.stderr}`);
  const { nets, runs } = JSON.parse(child.stdout.trim().split('\n').at(-1)!) as { nets: number[][]; runs: import('./playground.js').PlaygroundRow[][] };
  const med = (xs: number[]) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const range = (xs: number[]) => `${fmt(med(xs), 0)} (${fmt(Math.min(...xs), 0)}–${fmt(Math.max(...xs), 0)})`;
  const secs = (xs: (number | null)[], min: number) => (xs.some((x) => x === null) ? `not within 3,000 epochs (lowest ${fmt(min, 3)})` : `${fmt(med(xs as number[]), 2)} s`);
  section('The playground\'s networks against a plain-JS network of the TensorFlow Playground\'s kind', [
    'examples/playground\'s spiral (1,000 points, half for test, noise 0), features x₁ and x₂, tanh hidden layers, a sigmoid output, ' +
    'binary cross-entropy, SGD 0.03, batch 10 (the TensorFlow Playground\'s optimizer and its defaults; the page\'s own default is Adam 0.01), the same initial weights and ' +
    'batch order in both: the two follow the same path. The plain network is one object per neuron and per link, as the ' +
    'TensorFlow Playground\'s nn.ts (written in bench/playground.ts). Steps are batches; training time only (test-loss checks every 10 epochs excluded). ' +
    `Median of ${reps} runs (min–max), the networks interleaved, in a process of their own. ` +
    'The plain network computes in float64, wasmgrad in float32: deep networks\' paths drift apart over thousands of steps.', '',
    '| hidden layers | plain JS steps/s | wasmgrad steps/s | ratio | plain JS: test loss < 0.1 after | wasmgrad: after |', '|---|---:|---:|---:|---:|---:|',
    ...runs.map((rs, i) => {
      const ratio = med(rs.map((r) => r.oursStepsPerSecond / r.plainStepsPerSecond));
      return `| ${nets[i]!.join('-')} | ${range(rs.map((r) => r.plainStepsPerSecond))} | ${range(rs.map((r) => r.oursStepsPerSecond))} | **${fmt(ratio, 2)}×** | ` +
        `${secs(rs.map((r) => r.plainSeconds), rs[0]!.minLoss[0])} | ${secs(rs.map((r) => r.oursSeconds), rs[0]!.minLoss[1])}${rs[0]!.epochs ? ` (epoch ${fmt(rs[0]!.epochs, 0)})` : ''} |`;
    }),
  ]);
}

// ───────────────────────────────────────────── start-up
if (want('startup')) {
  const runs = 31;
  const cases: [string, string[]][] = [
    ['node -e 0', ['-e', '0']],
    ['wasmgrad: import, init(), first matmul', [path.join(here, 'startup-wasmgrad.mjs')]],
    ['TF.js wasm: import, setBackend, first matMul', [path.join(here, 'startup-tfjs.mjs')]],
  ];
  const times = cases.map(() => [] as number[]);
  for (let r = -1; r < runs; r++) {
    for (const [i, [name, args]] of cases.entries()) {
      const t0 = performance.now();
      const p = spawnSync(process.execPath, args, { stdio: 'pipe' });
      const ms = performance.now() - t0;
      if (p.status !== 0) throw new Error(`${name} failed: ${p.stderr}`);
      if (r >= 0) times[i]!.push(ms);
    }
  }
  const med = times.map(median);
  // Beyond the baseline: the median over rounds of (case - node -e 0) in the same round, which
  // cancels the VM's drift between rounds.
  const beyond = times.map((t) => median(t.map((v, r) => v - times[0]![r]!)));
  section('Start-up: process start to the first matmul result', [
    `Wall time of a child process, median of ${runs}, interleaved; "beyond" is the median over rounds of the difference to \`node -e 0\` in the same round.`, '',
    '| case | ms | beyond `node -e 0` |', '|---|---:|---:|',
    ...cases.map(([name], i) => `| ${name} | ${fmt(med[i]!, 1)} | ${i === 0 ? '—' : fmt(beyond[i]!, 1)} |`),
  ]);
}

// ───────────────────────────────────────────── threads
// bench/threads.ts in a child process (the threaded build, its own init): the 1024³ GEMM, the MLP and
// the LeNet-5 fit at every thread count up to the machine's.
if (want('threads')) {
  console.log('threads: bench/threads.ts');
  const child = spawnSync(process.execPath, ['--expose-gc', '--import', 'tsx', path.join(here, 'threads.ts')],
    // More rounds than the other sections: its ratios are of two threads on a 2-core VM, whose rounds
    // vary the most (a vCPU the host slows for a while shows in one count's time of a round).
    { encoding: 'utf8', env: { ...process.env, BENCH_REPS: String(Math.max(REPS, 15)) }, stdio: ['ignore', 'pipe', 'inherit'] });
  const text = /<<<threads\n([\s\S]*?)\nthreads>>>/.exec(child.stdout ?? '')?.[1];
  if (child.status !== 0 || !text) throw new Error(`bench/threads.ts failed (exit ${child.status})`);
  section('Threads: the threaded build at 1 to all of this machine\'s cores', text.split('\n'));
}

// ───────────────────────────────────────────── relaxed SIMD
// bench/relaxed.ts in child processes: under Node 24 (relaxed SIMD on by default), and under this
// Node with its flag when it is older than 22.
if (want('relaxed')) {
  const { NODE24 } = await import('../scripts/node24.mjs' as string) as { NODE24: string | null };
  const engines: [string, string, string[]][] = [];
  if (NODE24) engines.push(['Node 24', NODE24, []]);
  if (Number(process.versions.node.split('.')[0]) < 22) engines.push([`Node ${process.versions.node.split('.')[0]} with --experimental-wasm-relaxed-simd`, process.execPath, ['--experimental-wasm-relaxed-simd']]);
  for (const [label, node, flags] of engines) {
    console.log(`relaxed SIMD: bench/relaxed.ts under ${label}`);
    const child = spawnSync(node, [...flags, '--expose-gc', '--import', 'tsx', path.join(here, 'relaxed.ts')],
      { encoding: 'utf8', env: { ...process.env, BENCH_REPS: String(REPS) }, stdio: ['ignore', 'pipe', 'inherit'] });
    const text = /<<<relaxed\n([\s\S]*?)\nrelaxed>>>/.exec(child.stdout ?? '')?.[1];
    if (child.status !== 0 || !text) throw new Error(`bench/relaxed.ts under ${label} failed (exit ${child.status})`);
    section(`Relaxed SIMD build against the baseline build, ${label}`, text.split('\n'));
  }
}

// ───────────────────────────────────────────── summary and RESULTS.md
if (gemmResults.length > 0) {
  const all = gemmResults.flatMap((r) => r.ratios);
  const worst = Math.min(...gemmResults.map((r) => r.worst));
  const plain = all.filter((r) => r.plain).map((r) => r.ratio), transposed = all.filter((r) => !r.plain).map((r) => r.ratio);
  section('GEMM summary', [
    `Lowest share of peak over the GEMM cases: **${fmt(100 * worst, 0)}%**.`,
    `Against TF.js wasm: plain products ${fmt(Math.min(...plain), 1)}× to ${fmt(Math.max(...plain), 1)}×` +
    (transposed.length ? `; transposed products ${fmt(Math.min(...transposed), 1)}× to ${fmt(Math.max(...transposed), 1)}×.` : '.'),
  ]);
}

const pkg = (name: string) => JSON.parse(readFileSync(require.resolve(`${name}/package.json`), 'utf8')).version;
if (!ONLY) {
  writeFileSync(path.join(here, 'RESULTS.md'), [
    '# Benchmark results', '',
    `Command: \`npm run bench\` (bench/run.ts), ${REPS} repetitions, medians with (min–max). Date: ${new Date().toISOString().slice(0, 10)}.`,
    `Machine: ${machine()}, one thread.`,
    `Versions: wasmgrad ${JSON.parse(readFileSync(path.join(here, '../package.json'), 'utf8')).version}, ` +
    `@tensorflow/tfjs-core ${pkg('@tensorflow/tfjs-core')}, -backend-wasm ${pkg('@tensorflow/tfjs-backend-wasm')}, ` +
    `-backend-cpu ${pkg('@tensorflow/tfjs-backend-cpu')}, -layers ${pkg('@tensorflow/tfjs-layers')}.`,
    'This machine is a VM whose speed drifts between runs; compare figures within one run.', '',
    ...report,
  ].join('\n'));
  console.log('wrote bench/RESULTS.md');
}
