// Every core: a pool of workers that share the threaded build's memory, and the kernels it splits.
//
//   calling thread                           worker w (1 .. count-1), its own instance on the same memory
//   ─ writes each share's arguments, ─┐
//     offers share w for this GEN     │
//   ─ GEN = next, notify ─────────────┼─────▶ spins on GEN (then Atomics.wait), takes share w if
//   ─ runs share 0, then any share    │        still offered, runs it, DONE += 1, notify
//     not taken yet                   │
//   ─ waits until DONE = shares - 1 ◀─┘
//
// No message passes per call: one control block of Int32 words and a Float64 block of arguments (a
// SharedArrayBuffer) carry each call. A split kernel gives each share a fixed set of output rows,
// columns or images, each reduced in the same order as one thread does (or, for a product split along
// K, a fixed set of K blocks whose sums it adds after the share before it), so results are the same bits
// for any thread count; calls too small to gain from it (under a measured amount of work) and most
// kernels whose output is a small reduction run on the calling thread alone.
import type { Arena } from './arena.js';
import type { Kernels } from './wasm.js';

// Control words. CLAIM + t offers share t: the calling thread writes the call's generation (GEN, never
// 0) there, and whichever thread first swaps it for 0 runs the share. A worker takes only a share
// offered for the generation it woke for, so one that wakes late (after the calling thread ran its
// share and began another call) can never take a share of a call it did not see.
const GEN = 0, KERNEL = 1, ACTIVE = 2, DONE = 3, FAILED = 4, CLAIM = 16;
const CONTROL_BYTES = 128, MAX_ARGS = 24, RESULT = 23;

// An idle worker spins on GEN for WORKER_SPIN_MS = 2 ms (written out in serve()) before it sleeps in
// Atomics.wait: a training step calls kernels back to back with host work between them, and waking a
// sleeping thread costs tens of µs.

// How long the calling thread spins for the workers' shares before it blocks (where it may block):
// a late share means a worker was preempted, and blocking leaves the core to whatever preempted it.
const MAIN_SPIN_MS = 0.05;

// The workers' code, run as text in Node (worker_threads, eval) and in Deno and browsers (a module
// Worker from a Blob URL), so it uses nothing outside itself: the control words and sizes above are
// written out. It instantiates the module on the shared memory and serves calls until KERNEL is -1.
function serve(): void {
  // A worker_threads eval worker (Node, Deno) has a global require; a browser's Worker has self.
  const req = (globalThis as { require?: (id: string) => { parentPort: { once(e: string, f: (m: never) => void): void; postMessage(m: unknown): void; close(): void } } }).require;
  const node = typeof req === 'function';
  const port = node ? req!('node:worker_threads').parentPort : self;
  const start = async ({ module, memory, control, names, index }: { module: WebAssembly.Module; memory: WebAssembly.Memory;
    control: SharedArrayBuffer; names: string[]; index: number }): Promise<void> => {
    let instance: WebAssembly.Instance;
    try {
      instance = await WebAssembly.instantiate(module, { env: { memory } });
    } catch (e) {
      port.postMessage({ error: String(e) }); // the calling thread runs alone then
      return;
    }
    const fns = names.map((n) => instance.exports[n] as (...a: number[]) => void);
    const ctl = new Int32Array(control, 0, 32), args = new Float64Array(control, 128); // CONTROL_BYTES
    port.postMessage('ready');
    for (let seen = 0, spin = false; ;) {
      let gen = Atomics.load(ctl, 0); // GEN
      const until = performance.now() + 2; // WORKER_SPIN_MS
      for (let i = 1; spin && gen === seen; i++) {
        gen = Atomics.load(ctl, 0);
        if ((i & 1023) === 0 && performance.now() > until) break;
      }
      if (gen === seen) {
        Atomics.wait(ctl, 0, seen);
        continue;
      }
      seen = gen;
      const kernel = Atomics.load(ctl, 1); // KERNEL
      if (kernel < 0) break;
      spin = index < ctl[2]!; // ACTIVE: a worker the calls do not use (fewer threads asked) sleeps at once
      // CLAIM + index: not offered for this call, or the calling thread ran it already (this worker late).
      if (Atomics.compareExchange(ctl, 16 + index, seen, 0) !== seen) continue;
      const o = index * 24; // MAX_ARGS
      try {
        // Every split kernel takes at most 21 arguments; extra ones are ignored (no array made per call).
        // What it returns (a number or undefined) goes to the share's last word (RESULT).
        args[o + 23] = fns[kernel]!(args[o]!, args[o + 1]!, args[o + 2]!, args[o + 3]!, args[o + 4]!, args[o + 5]!, args[o + 6]!, args[o + 7]!,
          args[o + 8]!, args[o + 9]!, args[o + 10]!, args[o + 11]!, args[o + 12]!, args[o + 13]!, args[o + 14]!, args[o + 15]!,
          args[o + 16]!, args[o + 17]!, args[o + 18]!, args[o + 19]!, args[o + 20]!) as unknown as number;
      } catch {
        // A K-split product's share lets go of the word the next share waits on (its 14th argument).
        if (names[kernel] === 'gemm_ksplit_f32' && args[o + 13]) Atomics.store(new Int32Array(memory.buffer), args[o + 13]! / 4, 2 ** 30);
        Atomics.store(ctl, 4, 1); // FAILED
      }
      Atomics.add(ctl, 3, 1); // DONE
      Atomics.notify(ctl, 3);
    }
    (port as { close?: () => void }).close?.(); // Deno's parentPort has no close(): the worker is terminated
  };
  if (node) req!('node:worker_threads').parentPort.once('message', start);
  else self.onmessage = (e: MessageEvent) => void start(e.data);
}
// __name: what esbuild's keepNames (tsx, Vite) wraps functions in, when this file runs untranspiled by our build.
const WORKER = `const __name = (f) => f; (${serve.toString()})()`;

interface AnyWorker {
  postMessage(m: unknown): void;
  terminate(): unknown;
}

/** The kernels a pool splits, by the name the workers know them by. */
const SPLIT = [
  'gemm_tile_f32', 'gemm_ksplit_f32', 'gemm_conv_f32', 'conv1_forward_f32', 'conv1_filter_backward_f32', 'conv_filter_backward_f32', 'conv_input_backward_f32', 'im2col_f32', 'col2im_backward_f32',
  'maxpool_forward_f32', 'maxpool_backward_f32', 'avgpool_forward_f32', 'avgpool_backward_f32', 'gather_rows_f32',
  'nonfinite_index_f32',
] as const;

// Elementwise kernels, each with the position of its count: its pointer arguments are the ones before
// it. Each element is computed alone, so any split gives the same bits; shares start at multiples of
// 16 elements (whole cache lines: no two threads write one line, and the scalar tail stays the tail).
const ELEMENTWISE: Record<string, number> = {
  fill_f32: 1, scale_forward_f32: 2, axpy_f32: 2, sgd_update_f32: 2, add_forward_f32: 3, sub_forward_f32: 3, mul_forward_f32: 3,
  mul_backward_f32: 3, minmax_forward_f32: 3, minmax_backward_f32: 5, sgd_momentum_update_f32: 3, sgd_nesterov_update_f32: 3,
  adam_update_f32: 4, adamw_update_f32: 4, rmsprop_update_f32: 5, adagrad_update_f32: 3,
};
for (const a of ['relu', 'leaky_relu', 'sigmoid', 'tanh', 'elu', 'gelu', 'swish', 'softplus', 'exp']) {
  ELEMENTWISE[`${a}_forward_f32`] = 2;
  ELEMENTWISE[`${a}_backward_f32`] = 3;
}

/** The kernels a pool can split, in the order calls name them by (the workers get this list). */
const NAMES: readonly string[] = [...SPLIT, ...Object.keys(ELEMENTWISE)];

/** Calls fn with the 21 arguments at args[o ..] (every split kernel takes at most 21; extra ones are ignored). */
function invoke(fn: Fn, a: Float64Array, o: number): unknown {
  return fn(a[o]!, a[o + 1]!, a[o + 2]!, a[o + 3]!, a[o + 4]!, a[o + 5]!, a[o + 6]!, a[o + 7]!, a[o + 8]!, a[o + 9]!, a[o + 10]!,
    a[o + 11]!, a[o + 12]!, a[o + 13]!, a[o + 14]!, a[o + 15]!, a[o + 16]!, a[o + 17]!, a[o + 18]!, a[o + 19]!, a[o + 20]!);
}

// Least work worth a split, measured here (2 cores) in LeNet-5's and the MLP's fits: below these a
// second thread did not pay for the hand-off and for moving the data between the cores' caches.
// Multiply-adds for products and convolutions; elements (floats read or written) for the memory-bound
// kernels. Halving both (from 2^20 and 2^16, when a call cost more to hand off) split LeNet-5's dense
// products of 64×84×120 and its Adam update of 61,706 weights: 100 µs less a step at 2 threads.
const MIN_MACS = 1 << 19;
const MIN_ELEMENTS = 1 << 15;
let minMacs = MIN_MACS, minElements = MIN_ELEMENTS;

/** Sets the least work split among threads (tests force splits of small shapes); no argument restores the defaults. @internal */
export function splitThresholds(macs = MIN_MACS, elements = MIN_ELEMENTS): void {
  minMacs = macs;
  minElements = elements;
}

type Fn = (...args: number[]) => unknown;

export class Pool {
  readonly #workers: AnyWorker[];
  readonly #ctl: Int32Array;
  readonly #fns: Fn[];
  readonly #block: boolean;
  /** The memory the threads share. */
  readonly memory: WebAssembly.Memory;
  /** Each share's arguments, share t's at t * MAX_ARGS (share 0 the calling thread's): written by splitKernels, read by the threads. */
  readonly args: Float64Array;
  /** Threads in use (the calling thread included): at most size. */
  count: number;
  /** Threads the pool has (its workers + 1). */
  readonly size: number;
  /** Calls shared out so far, by every pool. @internal */
  static calls = 0;
  /** The kernels, the splittable ones sharing their calls out among this pool's threads. */
  kernels!: Kernels;

  private constructor(workers: AnyWorker[], control: SharedArrayBuffer, fns: Fn[], block: boolean, memory: WebAssembly.Memory) {
    this.#workers = workers;
    this.memory = memory;
    this.#ctl = new Int32Array(control, 0, CONTROL_BYTES / 4);
    this.args = new Float64Array(control, CONTROL_BYTES);
    this.#fns = fns;
    this.#block = block;
    this.count = this.size = workers.length + 1;
  }

  /** Starts count - 1 workers on the module and its shared memory; resolves once all have instantiated it. */
  static async start(module: WebAssembly.Module, memory: WebAssembly.Memory, raw: Kernels, count: number): Promise<Pool> {
    const control = new SharedArrayBuffer(CONTROL_BYTES + count * MAX_ARGS * 8);
    const workers: AnyWorker[] = [];
    // Every start settles before any failure is thrown, so no worker is left running.
    const started = await Promise.allSettled(Array.from({ length: count - 1 }, async (_, i) => {
      const { worker, ready } = await spawn();
      workers.push(worker);
      worker.postMessage({ module, memory, control, names: NAMES, index: i + 1 });
      await ready;
    }));
    const failed = started.find((r) => r.status === 'rejected');
    if (failed) {
      for (const w of workers) void w.terminate();
      throw (failed as PromiseRejectedResult).reason;
    }
    // Workers were pushed in the order they started; each knows its index from its message.
    return new Pool(workers, control, NAMES.map((n) => raw[n as keyof Kernels] as unknown as Fn), canBlock(), memory);
  }

  /**
   * Runs kernel NAMES[kernel] on shares 0 .. n - 1 (n ≤ count), their arguments already in args; returns
   * when all are done. Every share is called with the same 21 arguments read from args, as the workers
   * do: no array and no spread per call, and one shape of call for the engine to optimize.
   */
  run(kernel: number, n: number): void {
    const ctl = this.#ctl, args = this.args, fn = this.#fns[kernel]!;
    Pool.calls++;
    let gen = (ctl[GEN]! + 1) | 0;
    if (gen === 0) gen = 1;
    for (let t = 1; t < n; t++) ctl[CLAIM + t] = gen;
    ctl[KERNEL] = kernel;
    ctl[ACTIVE] = n;
    ctl[DONE] = 0;
    ctl[FAILED] = 0;
    Atomics.store(ctl, GEN, gen);
    Atomics.notify(ctl, GEN);
    let error: unknown = null;
    try {
      args[RESULT] = invoke(fn, args, 0) as number;
    } catch (e) {
      error = e;
    }
    // Shares no worker has taken yet (a preempted worker) run here: a late thread delays a call by at
    // most the share it is running, and each share computes the same bits whoever runs it (its
    // workspace is the share's, not the thread's). After a failure they are counted without running.
    for (let t = 1; t < n; t++) {
      if (Atomics.compareExchange(ctl, CLAIM + t, gen, 0) !== gen) continue;
      try {
        if (error === null) args[t * MAX_ARGS + RESULT] = invoke(fn, args, t * MAX_ARGS) as number;
      } catch (e) {
        error = e;
      } finally {
        Atomics.add(ctl, DONE, 1);
      }
    }
    // After a failure, a K-split product's later shares are let go of (a worker may be waiting on one).
    if (error !== null && NAMES[kernel] === 'gemm_ksplit_f32') {
      for (let t = 0; t < n; t++) if (args[t * MAX_ARGS + 13]) Atomics.store(new Int32Array(this.memory.buffer), args[t * MAX_ARGS + 13]! / 4, 2 ** 30);
    }
    const need = n - 1;
    let done = Atomics.load(ctl, DONE);
    if (done < need) {
      const until = performance.now() + MAIN_SPIN_MS;
      for (let i = 1; done < need; i++) {
        done = Atomics.load(ctl, DONE);
        if ((i & 255) === 0 && this.#block && performance.now() > until) break;
      }
      while (done < need) {
        Atomics.wait(ctl, DONE, done, 20);
        done = Atomics.load(ctl, DONE);
      }
    }
    if (error !== null) throw error;
    if (ctl[FAILED]) throw new WebAssembly.RuntimeError(`${NAMES[kernel]}: a worker thread's share of the call trapped`);
  }

  /** Stops the workers (they finish the call in hand, if any) and frees nothing else. */
  stop(): void {
    Atomics.store(this.#ctl, KERNEL, -1);
    Atomics.add(this.#ctl, GEN, 1);
    Atomics.notify(this.#ctl, GEN);
    for (const w of this.#workers) void w.terminate();
    this.#workers.length = 0;
    this.count = 1;
  }
}

/** A worker running WORKER, and a promise of its first message. */
async function spawn(): Promise<{ worker: AnyWorker; ready: Promise<void> }> {
  // Deno too: its node:worker_threads can unref a worker (a Web Worker would keep Deno running).
  if (isNode() || 'Deno' in globalThis) {
    // Imported here, not through src/node.ts: this chunk imports nothing from the core bundle.
    const { Worker } = await import(/* @vite-ignore */ 'node:worker_threads' as string) as { Worker: new (code: string, o: { eval: boolean }) =>
      AnyWorker & { once(e: string, f: (m: unknown) => void): void; unref(): void } };
    const worker = new Worker(WORKER, { eval: true });
    // A pool never keeps a process alive: with the workers unreferenced, Node and Deno exit when
    // the program is done, ending them (they hold no state of their own).
    worker.unref();
    const ready = new Promise<void>((resolve, reject) => {
      worker.once('message', (m) => (isError(m) ? reject(new Error(m.error)) : resolve()));
      worker.once('error', reject);
    });
    return { worker, ready };
  }
  const url = URL.createObjectURL(new Blob([WORKER], { type: 'text/javascript' }));
  const worker = new Worker(url, { type: 'module' });
  const ready = new Promise<void>((resolve, reject) => {
    worker.onmessage = (e) => { URL.revokeObjectURL(url); if (isError(e.data)) reject(new Error(e.data.error)); else resolve(); };
    worker.onerror = (e) => reject(new Error(`a wasmgrad worker failed to start: ${e.message}`));
  });
  return { worker, ready };
}

/** The pool for n threads: `current` when it has that many (its other workers sleep), else a new one (current stopped). */
export async function poolFor(current: Pool | null, module: WebAssembly.Module, arena: Arena, raw: Kernels, n: number): Promise<Pool> {
  if (current && (current.size >= n || n <= 1)) {
    current.count = Math.max(1, Math.min(n, current.size));
    return current;
  }
  current?.stop();
  const pool = await Pool.start(module, arena.memory, raw, n);
  pool.kernels = splitKernels(raw, pool, arena);
  return pool;
}

/** The machine's parallelism (os.availableParallelism() in Node and Deno, navigator.hardwareConcurrency in browsers), at most max. */
export async function machineThreads(max: number): Promise<{ n: number; reason: string }> {
  const cores = typeof document === 'undefined' && ('Deno' in globalThis || isNode())
    ? (await import(/* @vite-ignore */ 'node:os' as string) as { availableParallelism(): number }).availableParallelism()
    : (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator?.hardwareConcurrency ?? 1;
  const n = Math.max(1, Math.min(max, cores));
  return { n, reason: `${n}: the machine's parallelism` };
}

const isError = (m: unknown): m is { error: string } => typeof m === 'object' && m !== null && 'error' in m;

/** True in Node (not Deno, which also has process.versions.node); as src/node.ts, kept here so this chunk stands alone. */
const isNode = (): boolean => !('Deno' in globalThis) && !!(globalThis as { process?: { versions?: { node?: string } } }).process?.versions?.node;

/** Whether this thread may block in Atomics.wait (a browser's main thread may not): asked of the engine. */
function canBlock(): boolean {
  try {
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 1, 0); // returns at once ("not-equal") where allowed
    return true;
  } catch {
    return false;
  }
}

/**
 * The kernels with the splittable ones replaced by functions that share each large call out among
 * the pool's threads (per-thread workspaces from the arena, kept), the rest as they are. A split call
 * writes each share's arguments into the pool's argument block and runs them (Pool.run); a call too
 * small to split goes straight to its kernel.
 */
export function splitKernels(raw: Kernels, pool: Pool, arena: Arena): Kernels {
  const k: Record<string, Fn> = { ...(raw as unknown as Record<string, Fn>) };
  const A = pool.args;
  const ids = new Map(NAMES.map((name, i) => [name, i]));
  const id = (name: string): number => ids.get(name)!;
  // The workspaces of the threads past the first: one block, grown when a call needs more and then kept.
  let scratchPtr = 0, scratchBytes = 0;
  const scratch = (bytes: number): number => {
    if (bytes > scratchBytes) {
      if (scratchBytes > 0) arena.free(scratchPtr, scratchBytes);
      scratchBytes = 0;
      scratchPtr = arena.alloc(bytes);
      scratchBytes = bytes;
    }
    return scratchPtr;
  };
  // Per-thread workspaces: thread 0 uses the caller's, thread t ≥ 1 the t-th block of `bytes`.
  const work = (own: number, bytes: number, t: number): number => (t === 0 ? own : scratch(align(bytes) * (pool.count - 1)) + (t - 1) * align(bytes));
  // Writes a call's arguments as share t's; returns where they start in A.
  const put = (t: number, a: ArrayLike<number>): number => {
    const o = t * MAX_ARGS;
    for (let i = 0; i < a.length; i++) A[o + i] = a[i]!;
    return o;
  };

  // Shares of [0, total) in whole units: at most pool.count, each of at least minUnits units, none when
  // the call's work is under the threshold (1 share: the caller runs the kernel itself).
  const shares = (total: number, unit: number, minUnits: number, work_: number): number =>
    (work_ < minMacs ? 1 : Math.max(1, Math.min(pool.count, Math.floor(Math.ceil(total / unit) / minUnits))));
  // Where share t of n starts in [0, total) (t = n: total).
  const from = (total: number, unit: number, n: number, t: number): number => Math.min(total, Math.floor(t * Math.ceil(total / unit) / n) * unit);
  // Shares of a range of n elements (elementwise kernels, the NaN check): in units of 16, none under minElements.
  const elementShares = (n: number): number => (n < minElements ? 1 : shares(n, 16, minElements / 32, minMacs));
  // Memory-bound kernels count elements: scaled so that minElements of them weigh minMacs.
  const moved = (elements: number): number => elements * (minMacs / minElements);

  // Products split by rows of the output, or by columns when it is wider than tall (a batch of 64
  // times 128×784 weights transposed, as a layer's input gradient): each thread then packs only its
  // columns of B; or along K (below) when B is a layer's weights, not transposed.
  const GEMM = id('gemm_tile_f32');
  // The host calls it on whole products (0, m, 0, n).
  k.gemm_tile_f32 = (out, a, b, bias, m, n, kk, flags, wk) => {
    const byCols = n! > m! && n! >= 16, total = byCols ? n! : m!;
    const count = shares(total, 8, 1, m! * n! * kk!);
    if (count === 1) return raw.gemm_tile_f32(out!, a!, b!, bias!, m!, n!, kk!, flags!, wk!, 0, m!, 0, n!);
    // Every share's first 8 arguments are these (copied from share 0's).
    A[0] = out!; A[1] = a!; A[2] = b!; A[3] = bias!; A[4] = m!; A[5] = n!; A[6] = kk!; A[7] = flags!;
    if (byCols && !(flags! & 2) && n! <= 256 && kk! > 256 * (count - 1)) return ksplit(n!, kk!, count);
    const bytes = raw.gemm_workspace_bytes(m!, n!, kk!);
    for (let t = 0; t < count; t++) {
      const o = t * MAX_ARGS, lo = from(total, 8, count, t), hi = from(total, 8, count, t + 1);
      A.copyWithin(o, 0, 8);
      A[o + 8] = work(wk!, bytes, t);
      A[o + 9] = byCols ? 0 : lo; A[o + 10] = byCols ? m! : hi; A[o + 11] = byCols ? lo : 0; A[o + 12] = byCols ? hi : n!;
    }
    pool.run(GEMM, count);
  };
  // A product wider than its batch whose B (stored K×N) is a layer's weights, X·W: split along K, so
  // that each thread reads only the rows of W that the optimizer's split updates on that thread (split
  // by columns, each thread reads half of every row of W, written by the other thread: on a 2-core AMD
  // EPYC VM, the MLP's Adam update took 112 µs a step against 40 with this). Share t sums its K blocks
  // for chunks of KSPLIT_ROWS rows, each chunk once share t - 1 has summed its blocks for it (a word in
  // memory per share, zeroed here); the bits are one thread's (gemm_ksplit_f32).
  const KSPLIT = id('gemm_ksplit_f32'), KSPLIT_ROWS = 4;
  const ksplit = (n: number, kk: number, count: number): void => {
    // A share's K blocks (kblock in assembly/gemm.ts: at most 256 long) span at most kk / count + 257.
    const bytes = align(((kk / count + 257) * Math.ceil(n / 8) * 8 + 12 * 256) * 4); // then A's strips
    const base = scratch(bytes * count + 64 * count), words = base + bytes * count;
    new Int32Array(pool.memory.buffer, words, 16 * count).fill(0);
    for (let t = 0; t < count; t++) {
      const o = t * MAX_ARGS;
      A.copyWithin(o, 0, 8);
      A[o + 8] = base + t * bytes; A[o + 9] = t; A[o + 10] = count; A[o + 11] = KSPLIT_ROWS;
      A[o + 12] = t > 0 ? words + 64 * t - 64 : 0;
      A[o + 13] = t < count - 1 ? words + 64 * t : 0;
    }
    pool.run(KSPLIT, count);
  };

  // By images (in whole units of them): the pointer arguments at `strides` (pairs of position and
  // floats per image) advance by their floats per image (a 0 pointer, no such array, stays 0), the
  // image count at batchAt is the share's own, and share(o, t, b0, b1) sets what else a share needs
  // (its workspaces, a range) at A[o ..].
  const images = (name: string, a: number[], batchAt: number, strides: number[], work_: number, unit = 1,
                  share?: (o: number, t: number, b0: number, b1: number) => void): void => {
    const batch = a[batchAt]!, count = shares(batch, unit, 1, work_);
    if (count === 1) {
      (raw[name as keyof Kernels] as Fn)(...a);
      return;
    }
    for (let t = 0; t < count; t++) {
      const o = put(t, a), b0 = from(batch, unit, count, t), b1 = from(batch, unit, count, t + 1);
      for (let i = 0; i < strides.length; i += 2) if (a[strides[i]!] !== 0) A[o + strides[i]!] = a[strides[i]!]! + b0 * strides[i + 1]! * 4;
      A[o + batchAt] = b1 - b0;
      share?.(o, t, b0, b1);
    }
    pool.run(id(name), count);
  };
  k.gemm_conv_f32 = (...a) => {
    const [, , , , batch, h, w, c, kh, kw, oh, ow, f] = a as number[];
    const bytes = raw.gemm_workspace_bytes(batch! * oh! * ow!, f!, kh! * kw! * c!);
    images('gemm_conv_f32', a, 4, [0, oh! * ow! * f!, 1, h! * w! * c!], batch! * oh! * ow! * f! * kh! * kw! * c!, 1,
      (o, t) => { A[o + 14] = work(a[14]!, bytes, t); });
  };
  k.conv1_forward_f32 = (...a) => {
    const [, , , , batch, h, w, kh, kw, , , oh, ow, f] = a as number[];
    const bytes = raw.conv1_workspace_bytes(kh!, kw!, oh!, ow!);
    images('conv1_forward_f32', a, 4, [0, oh! * ow! * f!, 1, h! * w!], batch! * oh! * ow! * f! * kh! * kw!, 1,
      (o, t) => { A[o + 15] = work(a[15]!, bytes, t); });
  };
  const cols = (name: string, a: number[], dataAt: number, colsAt: number): void => {
    const [, , batch, h, w, c, kh, kw, , , , , oh, ow] = a as number[];
    images(name, a, 2, [colsAt, oh! * ow! * kh! * kw! * c!, dataAt, h! * w! * c!], moved(batch! * oh! * ow! * kh! * kw! * c!));
  };
  k.im2col_f32 = (...a) => cols('im2col_f32', a, 1, 0);
  k.col2im_backward_f32 = (...a) => cols('col2im_backward_f32', a, 0, 1);
  // A share's two buffers (cols or dcols, then the GEMM workspace) in one block of the scratch.
  const two = (o: number, colsAt: number, colsBytes: number, workBytes: number, t: number): void => {
    if (t === 0) return;
    A[o + colsAt] = work(0, align(colsBytes) + workBytes, t);
    A[o + colsAt + 1] = A[o + colsAt]! + align(colsBytes);
  };
  // By blocks of 8 images (CONV1_BLOCK): each share writes its blocks' rows of partial sums.
  k.conv1_filter_backward_f32 = (...a) => {
    const [, , , , , , batch, h, w, kh, kw, , , oh, ow, f] = a as number[];
    const taps = kh! * kw!, pixels = oh! * ow! * f!, bytes = raw.conv1_workspace_bytes(kh!, kw!, oh!, ow!);
    images('conv1_filter_backward_f32', a, 6, [2, h! * w!, 3, pixels, 4, pixels], batch! * pixels * taps, 8, (o, t, b0) => {
      A[o] = a[0]! + (b0 / 8) * taps * f! * 4;
      if (a[1] !== 0) A[o + 1] = a[1]! + (b0 / 8) * f! * 4;
      A[o + 16] = work(a[16]!, bytes, t);
    });
  };
  const CONV_FILTER = id('conv_filter_backward_f32');
  k.conv_filter_backward_f32 = (...a) => {
    const [, , , , , batch, step, , , c, kh, kw, , , , , oh, ow, f] = a as number[];
    const depth = kh! * kw! * c!, rows = Math.min(step!, batch!) * oh! * ow!;
    const count = shares(depth, 4, 1, batch! * oh! * ow! * depth * f!);
    if (count === 1) {
      raw.conv_filter_backward_f32(...(a as Parameters<Kernels['conv_filter_backward_f32']>));
      return;
    }
    const colsBytes = rows * depth * 4, workBytes = raw.gemm_workspace_bytes(depth, f!, rows);
    for (let t = 0; t < count; t++) {
      const o = put(t, a);
      two(o, 3, colsBytes, workBytes, t);
      A[o + 19] = from(depth, 4, count, t);
      A[o + 20] = from(depth, 4, count, t + 1);
    }
    pool.run(CONV_FILTER, count);
  };
  k.conv_input_backward_f32 = (...a) => {
    const [, , , , , batch, h, w, c, kh, kw, , , , , oh, ow, f] = a as number[];
    const depth = kh! * kw! * c!, pixels = oh! * ow!;
    const colsBytes = pixels * depth * 4, workBytes = raw.gemm_workspace_bytes(pixels, depth, f!);
    images('conv_input_backward_f32', a, 5, [0, h! * w! * c!, 1, pixels * f!], batch! * pixels * depth * f!, 1,
      (o, t) => two(o, 3, colsBytes, workBytes, t));
  };
  const pool2 = (name: string, a: number[], forward: boolean): void => {
    const [, , batch, h, w, c, ph, pw, , , oh, ow] = a as number[];
    const [outputs, inputs] = [oh! * ow! * c!, h! * w! * c!];
    images(name, a, 2, [0, forward ? outputs : inputs, 1, forward ? inputs : outputs], moved(batch! * outputs * ph! * pw!));
  };
  k.avgpool_forward_f32 = (...a) => pool2('avgpool_forward_f32', a, true);
  k.avgpool_backward_f32 = (...a) => pool2('avgpool_backward_f32', a, false);
  // argmax holds flat indices into the whole input: shares keep the pointers and take image ranges.
  k.maxpool_forward_f32 = (...a) => {
    const [, , , batch, , , c, ph, pw, , , oh, ow] = a as number[];
    images('maxpool_forward_f32', a, 3, [], moved(batch! * oh! * ow! * c! * ph! * pw!), 1, (o, _, b0, b1) => {
      A[o + 3] = batch!;
      A[o + 13] = b0;
      A[o + 14] = b1;
    });
  };
  // By whole images (the host passes one image's outputs as a fifth argument): argmax holds flat indices
  // into the whole input, so dinp stays, and the windows an input is the maximum of are all in its image
  // (so in one share: each input's gradient is summed by one thread, in the one-thread order).
  const MAXPOOL_BACKWARD = id('maxpool_backward_f32');
  k.maxpool_backward_f32 = (dinp, argmax, dout, n, image) => {
    const count = image ? shares(n!, image, 1, moved(n!)) : 1;
    if (count === 1) return raw.maxpool_backward_f32(dinp!, argmax!, dout!, n!);
    for (let t = 0; t < count; t++) {
      const o = t * MAX_ARGS, lo = from(n!, image!, count, t);
      A[o] = dinp!; A[o + 1] = argmax! + lo * 4; A[o + 2] = dout! + lo * 4; A[o + 3] = from(n!, image!, count, t + 1) - lo;
    }
    pool.run(MAXPOOL_BACKWARD, count);
  };
  // A batch's rows gathered from a dataset (fit's shuffled batches), by rows of the output.
  const GATHER = id('gather_rows_f32');
  k.gather_rows_f32 = (out, inp, idx, rows, cols) => {
    const count = shares(rows!, 1, 1, moved(rows! * cols!));
    if (count === 1) return raw.gather_rows_f32(out!, inp!, idx!, rows!, cols!);
    for (let t = 0; t < count; t++) {
      const o = t * MAX_ARGS, r0 = from(rows!, 1, count, t);
      A[o] = out! + r0 * cols! * 4; A[o + 1] = inp!; A[o + 2] = idx! + r0 * 4; A[o + 3] = from(rows!, 1, count, t + 1) - r0; A[o + 4] = cols!;
    }
    pool.run(GATHER, count);
  };
  // The first NaN or infinity (fit checks its data): each share finds its first, the first share with one wins.
  const NONFINITE = id('nonfinite_index_f32');
  k.nonfinite_index_f32 = (inp, n) => {
    const count = elementShares(n!);
    if (count === 1) return raw.nonfinite_index_f32(inp!, n!);
    for (let t = 0; t < count; t++) {
      const o = t * MAX_ARGS, lo = from(n!, 16, count, t);
      A[o] = inp! + lo * 4; A[o + 1] = from(n!, 16, count, t + 1) - lo;
    }
    pool.run(NONFINITE, count);
    for (let t = 0; t < count; t++) if (A[t * MAX_ARGS + RESULT]! >= 0) return from(n!, 16, count, t) + A[t * MAX_ARGS + RESULT]!;
    return -1;
  };
  // Elementwise: shares start at multiples of 16 elements, each pointer argument (the ones before the
  // count) advanced to its share's first element.
  for (const [name, at] of Object.entries(ELEMENTWISE)) {
    const kernel = id(name), f = raw[name as keyof Kernels] as Fn;
    k[name] = (...a) => {
      const n = a[at]!;
      const count = elementShares(n);
      if (count === 1) return f(...a);
      for (let t = 0; t < count; t++) {
        const o = put(t, a), lo = from(n, 16, count, t);
        for (let p = 0; p < at; p++) if (a[p] !== 0) A[o + p] = a[p]! + lo * 4; // 0: no such array
        A[o + at] = from(n, 16, count, t + 1) - lo;
      }
      pool.run(kernel, count);
    };
  }
  return k as unknown as Kernels;
}

const align = (bytes: number): number => (bytes + 63) & ~63;
