// Loading the one WebAssembly module in every runtime, and the single place that hands out its exports.
import { fsPromises } from './node.js';
import type { instantiate } from '../build/wasmgrad.js';
import { WasmgradError } from './errors.js';
import { Arena } from './arena.js';
import { checkOptions, describe, numberOption } from './options.js';
import type { Pool } from './threads.js';

/** The kernel exports, typed by asc's generated raw bindings (build/wasmgrad.d.ts). */
export type Kernels = Awaited<ReturnType<typeof instantiate>>;

/** What init() accepts: where the .wasm is, its bytes, a compiled module or a fetch Response. */
export type InitSource = URL | string | ArrayBuffer | ArrayBufferView | WebAssembly.Module | Response;

/** Where each build is, when the files are not beside the bundle. */
export interface InitSources {
  /** The baseline build (wasmgrad.wasm). */
  baseline: InitSource;
  /** The relaxed-SIMD build (wasmgrad-relaxed.wasm). */
  relaxed?: InitSource;
  /** The threaded build (wasmgrad-threads.wasm): without it, one thread. */
  threads?: InitSource;
  /** The threaded relaxed-SIMD build (wasmgrad-threads-relaxed.wasm). */
  threadsRelaxed?: InitSource;
}

/** Which SIMD build of the module to run. */
export type SimdBuild = 'baseline' | 'relaxed';

/** Options of init(). */
export interface InitOptions {
  /** Most bytes the arena may grow the module's memory to (default 2 GiB). */
  memoryLimit?: number;
  /**
   * 'baseline' (default): the build whose results are bit-identical on every engine and CPU.
   * 'relaxed': the build whose GEMM and convolution kernels use fused multiply-adds, where the engine
   * supports relaxed SIMD (else the baseline build; simd() says which ran and why).
   */
  simd?: SimdBuild;
  /**
   * Threads for the kernels: 'auto' (default) takes the machine's parallelism where shared memory is
   * available (Node, Deno, a cross-origin-isolated page), else 1; a number asks for that many (1 to
   * 16). Results are the same bits for any count. threads() says what was chosen and why. Calling
   * init() again with another count uses the pool's threads (its others sleep) or a larger pool.
   */
  threads?: number | 'auto';
}

/** What threads() reports: how many threads the kernels use and why. */
export interface ThreadsInfo {
  /** Threads running the kernels (the calling thread included). */
  count: number;
  /** What init() was asked for ('auto' by default). */
  requested: number | 'auto';
  /** Why this count, e.g. "1: the page is not cross-origin isolated (…)". */
  reason: string;
}

/** Most threads init() starts. */
const MAX_THREADS = 16;
const ONE_BUILD = '1: init() was given the single-thread build';

/** What simd() reports: the build init() loaded and why. */
export interface SimdInfo {
  /** The build running now. */
  build: SimdBuild;
  /** The build init() was asked for. */
  requested: SimdBuild;
  /** Why this build runs, e.g. "relaxed SIMD requested, but this engine does not support it". */
  reason: string;
}

let kernels: Kernels | null = null;
let arena: Arena | null = null;
let loading: Promise<void> | null = null;
let queue: Promise<void> = Promise.resolve();
let simdInfo: SimdInfo | null = null;
let requested: SimdBuild = 'baseline';
let threadsInfo: ThreadsInfo | null = null;
let pool: Pool | null = null;
let rawKernels: Kernels | null = null;
let wasmModule: WebAssembly.Module | null = null;

/** Loads and instantiates the module once; by default wasmgrad-threads.wasm or wasmgrad.wasm (or their relaxed builds) beside this bundle. */
export function init(source?: InitSource | InitSources, initOptions?: InitOptions): Promise<void> {
  let options: InitOptions;
  try {
    options = checkOptions('init', initOptions, ['memoryLimit', 'simd', 'threads']);
    if (options.memoryLimit !== undefined) numberOption('init', 'memoryLimit', options.memoryLimit, 'a positive number of bytes', (v) => v > 0);
    if (options.simd !== undefined && options.simd !== 'baseline' && options.simd !== 'relaxed') {
      throw new WasmgradError('INVALID_ARGUMENT', `init: simd must be 'baseline' or 'relaxed', got ${describe(options.simd)}`);
    }
    if (options.threads !== undefined && options.threads !== 'auto') {
      numberOption('init', 'threads', options.threads, `'auto' or an integer from 1 to ${MAX_THREADS}`,
        (v) => Number.isInteger(v) && v >= 1 && v <= MAX_THREADS);
    }
    if (loading && options.simd !== undefined && options.simd !== requested) {
      throw new WasmgradError('INVALID_ARGUMENT', `init: simd '${options.simd}' asked after init() already loaded the module ` +
        `for simd '${requested}'; the build cannot change once loaded (call init() with simd before anything else)`);
    }
  } catch (e) {
    return Promise.reject(e);
  }
  if (!loading) {
    requested = options.simd ?? 'baseline';
    const want = options.threads ?? 'auto';
    loading = (async () => {
      const count = await threadCount(want);
      const limit = options.memoryLimit ?? 2 ** 31;
      // The build for the count, on a shared memory if it imports one.
      const build = async (many: boolean) => {
        const { module, why } = await loadBuild(source, requested, many);
        const threaded = WebAssembly.Module.imports(module).some((i) => i.kind === 'memory');
        const memory = threaded ? new WebAssembly.Memory({ initial: 1, maximum: pages(limit), shared: true }) : null;
        return { module, why, threaded, instance: await WebAssembly.instantiate(module, memory ? { env: { memory } } : {}) };
      };
      let built;
      try {
        built = await build(count.n > 1);
      } catch (e) {
        if (count.n <= 1) throw e;
        // No threaded build here (a missing file, a memory that cannot be reserved): one thread.
        built = await build(false);
        count.reason = `1: the threaded build did not load (${e})`;
      }
      const { module, why, threaded, instance } = built;
      const exports = instance.exports as unknown as Kernels;
      arena = new Arena(exports.memory, exports.heap_base() >>> 0, limit);
      if (threaded) arena.setLimit(arena.maxBytes = pages(limit) * 65536); // the shared memory's maximum
      // A plain copy of the (frozen) exports object, so a profiler can wrap kernels (bench/run.ts).
      rawKernels = { ...exports };
      kernels = rawKernels;
      wasmModule = threaded ? module : null;
      simdInfo = { build: exports.relaxed_simd() ? 'relaxed' : 'baseline', requested, reason: why(exports.relaxed_simd() !== 0) };
      await useThreads(count, want);
    })();
    queue = loading.catch(() => { loading = null; });
    return loading;
  }
  // Later calls run one after another (two pool restarts must not overlap).
  let next = queue.then(() => loading!);
  if (options.memoryLimit !== undefined) next = next.then(() => arena!.setLimit(options.memoryLimit!));
  if (options.threads !== undefined) {
    const want = options.threads;
    next = next.then(async () => useThreads(await threadCount(want), want));
  }
  queue = next.catch(() => {});
  return next;
}

/** The threads init() uses and kernels split among (the calling thread included), and why. */
export function threads(): ThreadsInfo {
  if (threadsInfo === null) throw notInitialized();
  return { ...threadsInfo };
}

/** How many threads `want` means here, and why. */
async function threadCount(want: number | 'auto'): Promise<{ n: number; reason: string }> {
  const unavailable = sharedMemoryUnavailable();
  if (unavailable !== null) return { n: 1, reason: `1: ${unavailable}` };
  if (want !== 'auto') return { n: want, reason: `${want}: asked for` };
  return (await import('./threads.js')).machineThreads(MAX_THREADS);
}

/** Why shared memory cannot be used here, or null when it can. */
function sharedMemoryUnavailable(): string | null {
  if ((globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === false) {
    return 'the page is not cross-origin isolated (it needs the headers Cross-Origin-Opener-Policy: same-origin, ' +
      'Cross-Origin-Embedder-Policy: require-corp)';
  }
  return typeof SharedArrayBuffer === 'undefined' || typeof Atomics === 'undefined' ? 'this engine has no SharedArrayBuffer' : null;
}

/**
 * Runs the kernels on count.n threads: with the threaded build, on a pool (src/threads.ts, a chunk of
 * its own fetched only where threads can run); with the single-thread build, on one, saying why.
 */
async function useThreads({ n, reason }: { n: number; reason: string }, want: number | 'auto'): Promise<void> {
  threadsInfo = { count: 1, requested: want, reason: wasmModule === null && n > 1 ? ONE_BUILD : reason };
  kernels = rawKernels;
  if (wasmModule === null || (n <= 1 && !pool)) return;
  try {
    pool = await (await import('./threads.js')).poolFor(pool, wasmModule!, arena!, rawKernels!, n);
    if (pool.count > 1) kernels = pool.kernels;
    threadsInfo.count = pool.count;
  } catch (e) {
    pool = null;
    threadsInfo.reason = `1: the threads could not start (${e})`;
  }
}

/** Wasm pages (64 KiB) for a memory of at most `bytes` bytes (at most 65,536: 4 GiB). */
const pages = (bytes: number): number => Math.max(1, Math.min(65536, Math.floor(bytes / 65536)));

/** Which SIMD build runs and why; throws if init() has not finished. */
export function simd(): SimdInfo {
  if (simdInfo === null) throw notInitialized();
  return { ...simdInfo };
}

/** True when this engine validates relaxed SIMD (a 37-byte module using f32x4.relaxed_madd). */
export function relaxedSimdSupported(): boolean {
  try {
    return WebAssembly.validate(new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 8, 1, 96, 3, 123, 123, 123, 1, 123,
      3, 2, 1, 0, 10, 13, 1, 11, 0, 32, 0, 32, 1, 32, 2, 253, 133, 2, 11]));
  } catch {
    return false;
  }
}

/** True once init() has finished. */
export function isInitialized(): boolean {
  return kernels !== null;
}

/** The kernel exports; throws if init() has not finished. */
export function wasm(): Kernels {
  if (kernels === null) throw notInitialized();
  if (arena!.watch !== null) arena!.watch();
  return kernels;
}

/** The arena over the module's memory; throws if init() has not finished. */
export function heap(): Arena {
  if (arena === null) throw notInitialized();
  return arena;
}

function notInitialized(): WasmgradError {
  return new WasmgradError('NOT_INITIALIZED', 'wasmgrad is not initialized: call `await init()` first');
}

/** Picks the file for the requested build, compiles it, and says why the build that runs runs. */
async function loadBuild(source: InitSource | InitSources | undefined, want: SimdBuild, threaded: boolean): Promise<{ module: WebAssembly.Module; why: (relaxed: boolean) => string }> {
  const supported = want === 'relaxed' && relaxedSimdSupported();
  let pick: InitSource;
  if (isSources(source)) {
    const t = threaded ? (supported ? source.threadsRelaxed ?? source.threads : source.threads) : undefined;
    pick = t ?? (supported && source.relaxed !== undefined ? source.relaxed : source.baseline);
  } else if (source !== undefined && isFolder(source)) {
    pick = new URL(`wasmgrad${threaded ? '-threads' : ''}${supported ? '-relaxed' : ''}.wasm`, toUrl(source));
  } else if (source === undefined) {
    // Each `new URL` is a literal, so bundlers (Vite, webpack, esbuild) find and copy every build.
    if (threaded) pick = supported ? new URL('./wasmgrad-threads-relaxed.wasm', import.meta.url) : new URL('./wasmgrad-threads.wasm', import.meta.url);
    else pick = supported ? new URL('./wasmgrad-relaxed.wasm', import.meta.url) : new URL('./wasmgrad.wasm', import.meta.url);
  } else pick = source; // one module given: it is what runs
  let module: WebAssembly.Module;
  try {
    module = await compile(pick);
  } catch (e) {
    if (want === 'relaxed' && !supported && e instanceof WebAssembly.CompileError) {
      throw new WasmgradError('INVALID_ARGUMENT', `init: the module given could not be compiled (${e.message}): this ` +
        'engine has no relaxed SIMD, give init() the baseline build');
    }
    throw e;
  }
  // Which build the module is shows once it runs (its relaxed_simd export).
  const why = (relaxed: boolean): string => {
    if (want === 'baseline') return relaxed ? 'baseline requested, but init() was given the relaxed module itself' : 'baseline requested (the default)';
    if (relaxed) return 'relaxed SIMD requested and supported by this engine';
    if (!supported) {
      return 'relaxed SIMD requested, but this engine does not support it (Node 20 needs --experimental-wasm-relaxed-simd): ' +
        'running the baseline build';
    }
    if (isSources(source)) return 'relaxed SIMD requested, but init() was given no relaxed source: running the baseline build';
    return 'relaxed SIMD requested, but init() was given the baseline module itself: running the baseline build';
  };
  return { module, why };
}

function isSources(source: unknown): source is InitSources {
  return typeof source === 'object' && source !== null && 'baseline' in source && !(source instanceof URL)
    && !(source instanceof WebAssembly.Module) && !ArrayBuffer.isView(source) && !(source instanceof ArrayBuffer);
}

/** A URL (or string) naming a folder: it ends with '/'. */
function isFolder(source: InitSource): source is URL | string {
  if (typeof source === 'string') return source.endsWith('/');
  return source instanceof URL && source.pathname.endsWith('/');
}

function toUrl(source: URL | string): URL {
  return source instanceof URL ? source : new URL(source, globalThis.location?.href ?? import.meta.url);
}

async function compile(source: InitSource): Promise<WebAssembly.Module> {
  if (source instanceof WebAssembly.Module) return source;
  // Bytes: an ArrayBuffer or any view of one (the view's bytes only).
  if (source instanceof ArrayBuffer || ArrayBuffer.isView(source)) return WebAssembly.compile(source as BufferSource);
  if (typeof source !== 'string' && !(source instanceof URL)) return WebAssembly.compile(await source.arrayBuffer());
  const url = toUrl(source);
  if (url.protocol === 'file:') {
    // Node's fetch cannot read file: URLs; Node and Deno both have node:fs (browsers never get here).
    return WebAssembly.compile(await (await fsPromises()).readFile(url) as BufferSource);
  }
  const response = await fetch(url);
  if (!response.ok) throw new Error(`init: could not fetch ${url.href}: HTTP ${response.status}`);
  return WebAssembly.compile(await response.arrayBuffer());
}
