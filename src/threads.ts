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
// columns or images, each reduced in the same order as one thread does, so results are the same bits
// for any thread count; calls too small to gain from it (under a measured amount of work) and most
// kernels whose output is a small reduction run on the calling thread alone.
import type { Arena } from './arena.js';
import type { Kernels } from './wasm.js';

// Control words. CLAIM + t offers share t: the calling thread writes the call's generation (GEN, never
// 0) there, and whichever thread first swaps it for 0 runs the share. A worker takes only a share
// offered for the generation it woke for, so one that wakes late (after the calling thread ran its
// share and began another call) can never take a share of a call it did not see.
const GEN = 0, KERNEL = 1, ACTIVE = 2, DONE = 3, FAILED = 4, CLAIM = 16;
const CONTROL_BYTES = 128, MAX_ARGS = 24;

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
        fns[kernel]!(args[o]!, args[o + 1]!, args[o + 2]!, args[o + 3]!, args[o + 4]!, args[o + 5]!, args[o + 6]!, args[o + 7]!,
          args[o + 8]!, args[o + 9]!, args[o + 10]!, args[o + 11]!, args[o + 12]!, args[o + 13]!, args[o + 14]!, args[o + 15]!,
          args[o + 16]!, args[o + 17]!, args[o + 18]!, args[o + 19]!, args[o + 20]!);
      } catch {
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
  'gemm_tile_f32', 'gemm_conv_f32', 'conv1_forward_f32', 'conv1_filter_backward_f32', 'conv_filter_backward_f32', 'conv_input_backward_f32', 'im2col_f32', 'col2im_backward_f32',
  'maxpool_forward_f32', 'avgpool_forward_f32', 'avgpool_backward_f32',
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

// Least work worth a split, measured here (2 cores): below these a second thread did not pay for the
// hand-off and for moving the data between the cores' caches. Multiply-adds for products and
// convolutions; elements (floats read or written) for the memory-bound kernels, which gain only
// once their arrays outgrow one core's cache.
const MIN_MACS = 1 << 20;
const MIN_ELEMENTS = 1 << 16;
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
  readonly #args: Float64Array;
  readonly #index: Map<string, number>;
  readonly #block: boolean;
  /** Threads in use (the calling thread included): at most size. */
  count: number;
  /** Threads the pool has (its workers + 1). */
  readonly size: number;
  /** Calls shared out so far, by every pool. @internal */
  static calls = 0;
  /** The kernels, the splittable ones sharing their calls out among this pool's threads. */
  kernels!: Kernels;

  private constructor(workers: AnyWorker[], control: SharedArrayBuffer, names: readonly string[], block: boolean) {
    this.#workers = workers;
    this.#ctl = new Int32Array(control, 0, CONTROL_BYTES / 4);
    this.#args = new Float64Array(control, CONTROL_BYTES);
    this.#index = new Map(names.map((n, i) => [n, i]));
    this.#block = block;
    this.count = this.size = workers.length + 1;
  }

  /** Starts count - 1 workers on the module and its shared memory; resolves once all have instantiated it. */
  static async start(module: WebAssembly.Module, memory: WebAssembly.Memory, count: number): Promise<Pool> {
    const control = new SharedArrayBuffer(CONTROL_BYTES + count * MAX_ARGS * 8);
    const names = [...SPLIT, ...Object.keys(ELEMENTWISE)];
    const workers: AnyWorker[] = [];
    // Every start settles before any failure is thrown, so no worker is left running.
    const started = await Promise.allSettled(Array.from({ length: count - 1 }, async (_, i) => {
      const { worker, ready } = await spawn();
      workers.push(worker);
      worker.postMessage({ module, memory, control, names, index: i + 1 });
      await ready;
    }));
    const failed = started.find((r) => r.status === 'rejected');
    if (failed) {
      for (const w of workers) void w.terminate();
      throw (failed as PromiseRejectedResult).reason;
    }
    // Workers were pushed in the order they started; each knows its index from its message.
    return new Pool(workers, control, names, canBlock());
  }

  /** Runs kernel `name` with one argument list per share (shares.length ≤ count); returns when all are done. */
  run(kernels: Kernels, name: string, shares: number[][]): void {
    const n = shares.length, ctl = this.#ctl, args = this.#args;
    Pool.calls++;
    let gen = (ctl[GEN]! + 1) | 0;
    if (gen === 0) gen = 1;
    for (let t = 1; t < n; t++) {
      args.set(shares[t]!, t * MAX_ARGS);
      ctl[CLAIM + t] = gen;
    }
    ctl[KERNEL] = this.#index.get(name)!;
    ctl[ACTIVE] = n;
    ctl[DONE] = 0;
    ctl[FAILED] = 0;
    Atomics.store(ctl, GEN, gen);
    Atomics.notify(ctl, GEN);
    const kernel = kernels[name as keyof Kernels] as Fn;
    let error: unknown = null;
    try {
      kernel(...shares[0]!);
    } catch (e) {
      error = e;
    }
    // Shares no worker has taken yet (a preempted worker) run here: a late thread delays a call by at
    // most the share it is running, and each share computes the same bits whoever runs it (its
    // workspace is the share's, not the thread's). After a failure they are counted without running.
    for (let t = 1; t < n; t++) {
      if (Atomics.compareExchange(ctl, CLAIM + t, gen, 0) !== gen) continue;
      try {
        if (error === null) kernel(...shares[t]!);
      } catch (e) {
        error = e;
      } finally {
        Atomics.add(ctl, DONE, 1);
      }
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
    if (ctl[FAILED]) throw new WebAssembly.RuntimeError(`${name}: a worker thread's share of the call trapped`);
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
  const pool = await Pool.start(module, arena.memory, n);
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
 * the pool's threads (per-thread workspaces from the arena, kept), the rest as they are.
 */
export function splitKernels(raw: Kernels, pool: Pool, arena: Arena): Kernels {
  const k: Record<string, Fn> = { ...(raw as unknown as Record<string, Fn>) };
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
  const call = (name: string, shares: number[][]): void => {
    if (shares.length === 1) (raw[name as keyof Kernels] as Fn)(...shares[0]!);
    else pool.run(raw, name, shares);
  };
  // Per-thread workspaces: thread 0 uses the caller's, thread t ≥ 1 the t-th block of `bytes`.
  const work = (own: number, bytes: number, t: number): number => (t === 0 ? own : scratch(align(bytes) * (pool.count - 1)) + (t - 1) * align(bytes));

  // [from, to) of [0, total) for each share, in whole units, at most pool.count shares of at least minUnits units.
  const ranges = (total: number, unit: number, minUnits: number): [number, number][] => {
    const units = Math.ceil(total / unit);
    const n = Math.max(1, Math.min(pool.count, Math.floor(units / minUnits)));
    const out: [number, number][] = [];
    for (let t = 0; t < n; t++) out.push([Math.floor(t * units / n) * unit, Math.min(total, Math.floor((t + 1) * units / n) * unit)]);
    return out;
  };

  // One share of [0, total) when the call's work is under the threshold, else ranges of whole units.
  const split = (total: number, unit: number, work_: number): [number, number][] => (work_ < minMacs ? [[0, total]] : ranges(total, unit, 1));
  // Memory-bound kernels count elements: scaled so that minElements of them weigh minMacs.
  const moved = (elements: number): number => elements * (minMacs / minElements);

  // Products split by rows of the output, or by columns when it is wider than tall (a batch of 64
  // times 784×128 weights): each thread then packs only its columns of B.
  const gemm = (flags: number, out: number, a: number, b: number, bias: number, m: number, n: number, kk: number, wk: number): void => {
    const bytes = raw.gemm_workspace_bytes(m, n, kk);
    const shares = n > m && n >= 16 ? split(n, 8, m * n * kk).map(([j0, j1]) => [0, m, j0, j1]) : split(m, 8, m * n * kk).map(([i0, i1]) => [i0, i1, 0, n]);
    call('gemm_tile_f32', shares.map((r, t) => [out, a, b, bias, m, n, kk, flags, work(wk, bytes, t), ...r]));
  };
  // The host calls it on whole products (0, m, 0, n).
  k.gemm_tile_f32 = (out, a, b, bias, m, n, kk, flags, wk) => gemm(flags!, out!, a!, b!, bias!, m!, n!, kk!, wk!);

  // By images (in whole units of them): the pointer arguments at `strides` advance by their floats per
  // image (a 0 pointer, no such array, stays 0), the image count at batchAt is the share's own, and
  // share(s, t, b0) sets what else a share needs (its workspaces, a range).
  const images = (name: string, args: number[], batchAt: number, strides: [number, number][], work_: number, unit = 1,
                  share?: (s: number[], t: number, b0: number, b1: number) => void): void => {
    call(name, split(args[batchAt]!, unit, work_).map(([b0, b1], t) => {
      const s = args.slice();
      for (const [at, stride] of strides) if (s[at] !== 0) s[at] = args[at]! + b0 * stride * 4;
      s[batchAt] = b1 - b0;
      share?.(s, t, b0, b1);
      return s;
    }));
  };
  k.gemm_conv_f32 = (...a) => {
    const [, , , , batch, h, w, c, kh, kw, oh, ow, f] = a as number[];
    const bytes = raw.gemm_workspace_bytes(batch! * oh! * ow!, f!, kh! * kw! * c!);
    images('gemm_conv_f32', a, 4, [[0, oh! * ow! * f!], [1, h! * w! * c!]], batch! * oh! * ow! * f! * kh! * kw! * c!, 1,
      (s, t) => { s[14] = work(a[14]!, bytes, t); });
  };
  k.conv1_forward_f32 = (...a) => {
    const [, , , , batch, h, w, kh, kw, , , oh, ow, f] = a as number[];
    const bytes = raw.conv1_workspace_bytes(kh!, kw!, oh!, ow!);
    images('conv1_forward_f32', a, 4, [[0, oh! * ow! * f!], [1, h! * w!]], batch! * oh! * ow! * f! * kh! * kw!, 1,
      (s, t) => { s[15] = work(a[15]!, bytes, t); });
  };
  const cols = (name: string, a: number[], dataAt: number, colsAt: number): void => {
    const [, , batch, h, w, c, kh, kw, , , , , oh, ow] = a as number[];
    images(name, a, 2, [[colsAt, oh! * ow! * kh! * kw! * c!], [dataAt, h! * w! * c!]], moved(batch! * oh! * ow! * kh! * kw! * c!));
  };
  k.im2col_f32 = (...a) => cols('im2col_f32', a, 1, 0);
  k.col2im_backward_f32 = (...a) => cols('col2im_backward_f32', a, 0, 1);
  // A share's two buffers (cols or dcols, then the GEMM workspace) in one block of the scratch.
  const two = (s: number[], colsAt: number, colsBytes: number, workBytes: number, t: number): void => {
    if (t === 0) return;
    s[colsAt] = work(0, align(colsBytes) + workBytes, t);
    s[colsAt + 1] = s[colsAt]! + align(colsBytes);
  };
  // By blocks of 8 images (CONV1_BLOCK): each share writes its blocks' rows of partial sums.
  k.conv1_filter_backward_f32 = (...a) => {
    const [, , , , , , batch, h, w, kh, kw, , , oh, ow, f] = a as number[];
    const taps = kh! * kw!, pixels = oh! * ow! * f!, bytes = raw.conv1_workspace_bytes(kh!, kw!, oh!, ow!);
    images('conv1_filter_backward_f32', a, 6, [[2, h! * w!], [3, pixels], [4, pixels]], batch! * pixels * taps, 8, (s, t, b0) => {
      s[0] = a[0]! + (b0 / 8) * taps * f! * 4;
      if (a[1] !== 0) s[1] = a[1]! + (b0 / 8) * f! * 4;
      s[16] = work(a[16]!, bytes, t);
    });
  };
  k.conv_filter_backward_f32 = (...a) => {
    const [, , , , , batch, step, , , c, kh, kw, , , , , oh, ow, f] = a as number[];
    const depth = kh! * kw! * c!, rows = Math.min(step!, batch!) * oh! * ow!;
    const colsBytes = rows * depth * 4, workBytes = raw.gemm_workspace_bytes(depth, f!, rows);
    call('conv_filter_backward_f32', split(depth, 4, batch! * oh! * ow! * depth * f!).map(([d0, d1], t) => {
      const s = a.slice();
      two(s, 3, colsBytes, workBytes, t);
      s[19] = d0;
      s[20] = d1;
      return s;
    }));
  };
  k.conv_input_backward_f32 = (...a) => {
    const [, , , , , batch, h, w, c, kh, kw, , , , , oh, ow, f] = a as number[];
    const depth = kh! * kw! * c!, pixels = oh! * ow!;
    const colsBytes = pixels * depth * 4, workBytes = raw.gemm_workspace_bytes(pixels, depth, f!);
    images('conv_input_backward_f32', a, 5, [[0, h! * w! * c!], [1, pixels * f!]], batch! * pixels * depth * f!, 1,
      (s, t) => two(s, 3, colsBytes, workBytes, t));
  };
  const pool2 = (name: string, a: number[], forward: boolean): void => {
    const [, , batch, h, w, c, ph, pw, , , oh, ow] = a as number[];
    const [outputs, inputs] = [oh! * ow! * c!, h! * w! * c!];
    images(name, a, 2, [[0, forward ? outputs : inputs], [1, forward ? inputs : outputs]], moved(batch! * outputs * ph! * pw!));
  };
  k.avgpool_forward_f32 = (...a) => pool2('avgpool_forward_f32', a, true);
  k.avgpool_backward_f32 = (...a) => pool2('avgpool_backward_f32', a, false);
  // argmax holds flat indices into the whole input: shares keep the pointers and take image ranges.
  k.maxpool_forward_f32 = (...a) => {
    const [, , , batch, , , c, ph, pw, , , oh, ow] = a as number[];
    images('maxpool_forward_f32', a, 3, [], moved(batch! * oh! * ow! * c! * ph! * pw!), 1, (s, _, b0, b1) => {
      s[3] = batch!;
      s[13] = b0;
      s[14] = b1;
    });
  };
  for (const [name, at] of Object.entries(ELEMENTWISE)) {
    k[name] = (...a) => {
      const n = a[at]!;
      if (n < minElements) {
        (raw[name as keyof Kernels] as Fn)(...a);
        return;
      }
      call(name, ranges(n, 16, minElements / 32).map(([from, to]) => {
        const s = a.slice();
        for (let p = 0; p < at; p++) if (s[p] !== 0) s[p] = s[p]! + from * 4; // 0: no such array
        s[at] = to - from;
        return s;
      }));
    };
  }
  return k as unknown as Kernels;
}

const align = (bytes: number): number => (bytes + 63) & ~63;
