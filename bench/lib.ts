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
 * (garbage collected before each); `before` runs untimed ahead of its run (e.g. switching backends).
 */
export async function timeCalls(runs: { run: () => unknown; before?: () => unknown }[], reps: number): Promise<CallStats[]> {
  const times = runs.map(() => [] as number[]);
  for (let rep = -1; rep < reps; rep++) {
    for (const [i, r] of runs.entries()) {
      await r.before?.();
      settle();
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
