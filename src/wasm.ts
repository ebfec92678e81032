// Loading the one WebAssembly module in every runtime, and the single place that hands out its exports.
import { fsPromises } from './node.js';
import type { instantiate } from '../build/wasmgrad.js';
import { WasmgradError } from './errors.js';
import { Arena } from './arena.js';
import { checkOptions, numberOption } from './options.js';

/** The kernel exports, typed by asc's generated raw bindings (build/wasmgrad.d.ts). */
export type Kernels = Awaited<ReturnType<typeof instantiate>>;

/** What init() accepts: where the .wasm is, its bytes, a compiled module or a fetch Response. */
export type InitSource = URL | string | ArrayBuffer | ArrayBufferView | WebAssembly.Module | Response;

/** Options of init(). */
export interface InitOptions {
  /** Most bytes the arena may grow the module's memory to (default 2 GiB). */
  memoryLimit?: number;
}

let kernels: Kernels | null = null;
let arena: Arena | null = null;
let loading: Promise<void> | null = null;

/** Loads and instantiates wasmgrad.wasm once; by default the file beside this bundle. */
export function init(source?: InitSource, initOptions?: InitOptions): Promise<void> {
  let options: InitOptions;
  try {
    options = checkOptions('init', initOptions, ['memoryLimit']);
    if (options.memoryLimit !== undefined) numberOption('init', 'memoryLimit', options.memoryLimit, 'a positive number of bytes', (v) => v > 0);
  } catch (e) {
    return Promise.reject(e);
  }
  if (!loading) {
    loading = load(source ?? new URL('./wasmgrad.wasm', import.meta.url)).then((instance) => {
      const exports = instance.exports as unknown as Kernels;
      arena = new Arena(exports.memory, exports.heap_base() >>> 0, options.memoryLimit ?? 2 ** 31);
      // A plain copy of the (frozen) exports object, so a profiler can wrap kernels (bench/run.ts).
      kernels = { ...exports };
    });
    loading.catch(() => { loading = null; });
  } else if (options.memoryLimit !== undefined && arena) {
    arena.setLimit(options.memoryLimit);
  }
  return loading;
}

/** True once init() has finished. */
export function isInitialized(): boolean {
  return kernels !== null;
}

/** The kernel exports; throws if init() has not finished. */
export function wasm(): Kernels {
  if (kernels === null) throw notInitialized();
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

async function load(source: InitSource): Promise<WebAssembly.Instance> {
  if (source instanceof WebAssembly.Module) return WebAssembly.instantiate(source, {});
  if (source instanceof ArrayBuffer || ArrayBuffer.isView(source)) {
    const bytes = source instanceof ArrayBuffer ? new Uint8Array(source)
      : new Uint8Array(source.buffer, source.byteOffset, source.byteLength);
    return instantiateBytes(bytes);
  }
  if (typeof source !== 'string' && !(source instanceof URL)) return instantiateBytes(await source.arrayBuffer());
  const url = source instanceof URL ? source : new URL(source, globalThis.location?.href ?? import.meta.url);
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
