// Benchmark helpers: run cases interleaved (A B A B ...) after a warm-up, report medians.
import os from 'node:os';

/** One contender: set up once, then `run` does the timed work and returns how many units it did. */
export interface Contender {
  name: string;
  run: () => Promise<number> | number;
}

/** Timings of one contender: units per second at each repetition. */
export interface Result {
  name: string;
  rates: number[];
  median: number;
  min: number;
  max: number;
}

/**
 * Collects garbage before a timed run (with node --expose-gc, as `npm run bench` starts it), so no
 * contender pays for the garbage another one left: TF.js allocates heavily in JS.
 */
export function settle(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

/** Runs every contender `warmup` times, then `reps` rounds of each in turn; returns rates (units/s). */
export async function interleave(contenders: Contender[], reps: number, warmup = 1): Promise<Result[]> {
  for (const c of contenders) for (let i = 0; i < warmup; i++) await c.run();
  const rates = contenders.map(() => [] as number[]);
  for (let r = 0; r < reps; r++) {
    for (const [i, c] of contenders.entries()) {
      settle();
      const t0 = performance.now();
      const units = await c.run();
      rates[i]!.push(units / ((performance.now() - t0) / 1000));
    }
  }
  return contenders.map((c, i) => {
    const sorted = rates[i]!.slice().sort((a, b) => a - b);
    return { name: c.name, rates: rates[i]!, median: sorted[Math.floor(sorted.length / 2)]!, min: sorted[0]!, max: sorted.at(-1)! };
  });
}

/** Time per call, in seconds, as a median with its range. */
export interface CallStats {
  median: number;
  min: number;
  max: number;
}

/**
 * Seconds per call of each run: one warm-up round, then `reps` rounds in which the runs take turns
 * (garbage collected before each, unless `collect` is false); `before` runs untimed ahead of its run
 * (e.g. switching backends).
 */
export async function timeCalls(runs: { run: () => unknown; before?: () => unknown }[], reps: number, collect = true): Promise<CallStats[]> {
  const times = runs.map(() => [] as number[]);
  for (let rep = -1; rep < reps; rep++) {
    for (const [i, r] of runs.entries()) {
      await r.before?.();
      if (collect) settle();
      const t0 = performance.now();
      await r.run();
      if (rep >= 0) times[i]!.push((performance.now() - t0) / 1000);
    }
  }
  return times.map((t) => {
    const s = t.slice().sort((a, b) => a - b);
    return { median: s[Math.floor(s.length / 2)]!, min: s[0]!, max: s.at(-1)! };
  });
}

/** A line describing this machine: CPU model, cores, Node version. */
export function machine(): string {
  const cpus = os.cpus();
  return `${cpus[0]?.model ?? 'unknown CPU'}, ${cpus.length} cores, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}, ${os.platform()} ${os.arch()}`;
}

/** A deterministic generator for benchmark data, the one the tests use. */
export { mulberry32 as rng } from '../test/fixtures/train.js';

/** One-hot labels of n samples of 784 features: the argmax of each sample's product with proj [784×10] (a task a network learns). */
export function projectionLabels(xs: Float32Array, proj: Float32Array, n: number): Float32Array {
  const ys = new Float32Array(n * 10);
  for (let i = 0; i < n; i++) {
    let best = 0, bestV = -Infinity;
    for (let c = 0; c < 10; c++) {
      let s = 0;
      for (let j = 0; j < 784; j++) s += xs[i * 784 + j]! * proj[j * 10 + c]!;
      if (s > bestV) { bestV = s; best = c; }
    }
    ys[i * 10 + best] = 1;
  }
  return ys;
}

/** LeNet-5's layers from a layers namespace: wasmgrad's (any bundle's) or TF.js', whose options wasmgrad's constructors take. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const lenetLayers = (L: any) => [
  L.conv2d({ filters: 6, kernelSize: 5, padding: 'same', activation: 'relu', inputShape: [28, 28, 1] }),
  L.maxPooling2d({ poolSize: 2 }),
  L.conv2d({ filters: 16, kernelSize: 5, activation: 'relu' }),
  L.maxPooling2d({ poolSize: 2 }),
  L.flatten(),
  L.dense({ units: 120, activation: 'relu' }),
  L.dense({ units: 84, activation: 'relu' }),
  L.dense({ units: 10, activation: 'softmax' }),
];
