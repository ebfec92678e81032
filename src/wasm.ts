// Loading the one WebAssembly module in every runtime, and the single place that hands out its exports.
import { fsPromises } from './node.js';
import type { instantiate } from '../build/wasmgrad.js';
import { WasmgradError } from './errors.js';
import { Arena } from './arena.js';
import { checkOptions, describe, numberOption } from './options.js';

/** The kernel exports, typed by asc's generated raw bindings (build/wasmgrad.d.ts). */
export type Kernels = Awaited<ReturnType<typeof instantiate>>;

/** What init() accepts: where the .wasm is, its bytes, a compiled module or a fetch Response. */
export type InitSource = URL | string | ArrayBuffer | ArrayBufferView | WebAssembly.Module | Response;

/** Where each build is, for `init(sources, { simd: 'relaxed' })` when the files are not beside the bundle. */
export interface InitSources {
  /** The baseline build (wasmgrad.wasm). */
  baseline: InitSource;
  /** The relaxed-SIMD build (wasmgrad-relaxed.wasm). */
  relaxed?: InitSource;
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
}

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
let simdInfo: SimdInfo | null = null;
let requested: SimdBuild = 'baseline';

/** Loads and instantiates the module once; by default wasmgrad.wasm (or wasmgrad-relaxed.wasm) beside this bundle. */
export function init(source?: InitSource | InitSources, initOptions?: InitOptions): Promise<void> {
  let options: InitOptions;
  try {
    options = checkOptions('init', initOptions, ['memoryLimit', 'simd']);
    if (options.memoryLimit !== undefined) numberOption('init', 'memoryLimit', options.memoryLimit, 'a positive number of bytes', (v) => v > 0);
    if (options.simd !== undefined && options.simd !== 'baseline' && options.simd !== 'relaxed') {
      throw new WasmgradError('INVALID_ARGUMENT', `init: simd must be 'baseline' or 'relaxed', got ${describe(options.simd)}`);
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
    loading = loadBuild(source, requested).then(({ instance, reason }) => {
      const exports = instance.exports as unknown as Kernels;
      arena = new Arena(exports.memory, exports.heap_base() >>> 0, options.memoryLimit ?? 2 ** 31);
      // A plain copy of the (frozen) exports object, so a profiler can wrap kernels (bench/run.ts).
      kernels = { ...exports };
      simdInfo = { build: exports.relaxed_simd() ? 'relaxed' : 'baseline', requested, reason };
    });
    loading.catch(() => { loading = null; });
  } else if (options.memoryLimit !== undefined && arena) {
    arena.setLimit(options.memoryLimit);
  }
  return loading;
}

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

/** Picks the file for the requested build, loads it, and says why the build that runs runs. */
async function loadBuild(source: InitSource | InitSources | undefined, want: SimdBuild): Promise<{ instance: WebAssembly.Instance; reason: string }> {
  const supported = want === 'relaxed' && relaxedSimdSupported();
  let pick: InitSource;
  if (isSources(source)) pick = supported && source.relaxed !== undefined ? source.relaxed : source.baseline;
  else if (source !== undefined && isFolder(source)) pick = new URL(supported ? 'wasmgrad-relaxed.wasm' : 'wasmgrad.wasm', toUrl(source));
  // Each `new URL` is a literal, so bundlers (Vite, webpack, esbuild) find and copy both files.
  else if (source === undefined) pick = supported ? new URL('./wasmgrad-relaxed.wasm', import.meta.url) : new URL('./wasmgrad.wasm', import.meta.url);
  else pick = source; // one module given: it is what runs
  let instance: WebAssembly.Instance;
  try {
    instance = await load(pick);
  } catch (e) {
    if (want === 'relaxed' && !supported && e instanceof WebAssembly.CompileError) {
      throw new WasmgradError('INVALID_ARGUMENT', `init: the module given could not be compiled (${e.message}); this ` +
        "engine has no relaxed SIMD: give init() the baseline build, or { baseline, relaxed } sources");
    }
    throw e;
  }
  const relaxed = (instance.exports as unknown as Kernels).relaxed_simd() !== 0;
  let reason: string;
  if (want === 'baseline') reason = relaxed ? 'baseline requested, but init() was given the relaxed module itself' : 'baseline requested (the default)';
  else if (relaxed) reason = 'relaxed SIMD requested and supported by this engine';
  else if (!supported) {
    reason = 'relaxed SIMD requested, but this engine does not support it (Node 20 needs --experimental-wasm-relaxed-simd; ' +
      'Node 22+, Deno 2 and current browsers have it): running the baseline build';
  } else if (isSources(source)) reason = 'relaxed SIMD requested, but init() was given no relaxed source: running the baseline build';
  else reason = 'relaxed SIMD requested, but init() was given the baseline module itself: running the baseline build';
  return { instance, reason };
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

async function load(source: InitSource): Promise<WebAssembly.Instance> {
  if (source instanceof WebAssembly.Module) return WebAssembly.instantiate(source, {});
  if (source instanceof ArrayBuffer || ArrayBuffer.isView(source)) {
    const bytes = source instanceof ArrayBuffer ? new Uint8Array(source)
      : new Uint8Array(source.buffer, source.byteOffset, source.byteLength);
    return instantiateBytes(bytes);
  }
  if (typeof source !== 'string' && !(source instanceof URL)) return instantiateBytes(await source.arrayBuffer());
  const url = toUrl(source);
  if (url.protocol === 'file:') {
    // Node's fetch cannot read file: URLs; Node and Deno both have node:fs (browsers never get here).
    return instantiateBytes(await (await fsPromises()).readFile(url));
  }
  const response = await fetch(url);
  if (!response.ok) throw new Error(`init: could not fetch ${url.href}: HTTP ${response.status}`);
  return instantiateBytes(await response.arrayBuffer());
}

async function instantiateBytes(bytes: ArrayBuffer | Uint8Array): Promise<WebAssembly.Instance> {
  return (await WebAssembly.instantiate(bytes as BufferSource, {})).instance;
}
