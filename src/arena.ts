// The arena: a host-side allocator over the module's linear memory. The module never allocates;
// every tensor, gradient, optimizer state and scratch buffer is a block handed out here.
//
//   heap_base                                   top                memory.buffer.byteLength
//   │ live │ free │ live │ live │ free │ live  │  never used yet  │
//   └──────────────── blocks, 16-byte aligned ──┘
//
// Freed blocks go to a list sorted by address and merge with free neighbours; a request takes the
// smallest free block that fits (best fit) before it moves `top`. A training loop whose shapes do
// not change therefore reaches a steady state: every step reuses the blocks the previous one freed.
// A free block never ends at `top`: freeing the last block lowers `top` instead.
// When `top` would pass the end of memory, memory.grow adds pages, up to `limit` bytes in all.

const ALIGN = 16;
const PAGE = 65536;

/** Counts reported by memory(). */
export interface MemoryInfo {
  /** Live tensors. */
  tensors: number;
  /** Bytes in live blocks. */
  bytes: number;
  /** Most bytes ever live at once. */
  peakBytes: number;
  /** Size of the module's memory in bytes. */
  arenaBytes: number;
}

export class Arena {
  readonly #memory: WebAssembly.Memory;
  /** Called on every use of the kernels or the memory while set (src/trace.ts: reaching them outside a recorded op). @internal */
  watch: (() => void) | null = null;
  readonly #base: number;
  #top: number;
  private limit: number;
  // Free blocks sorted by address; parallel arrays keep the hot path free of object allocation.
  #freePtr: number[] = [];
  #freeSize: number[] = [];
  liveBytes = 0;
  peakBytes = 0;
  liveTensors = 0;

  constructor(memory: WebAssembly.Memory, heapBase: number, limit: number) {
    this.#memory = memory;
    this.#base = align(heapBase);
    this.#top = this.#base;
    this.limit = limit;
  }

  /** The module's memory (make views of it fresh at each use: growing detaches them). */
  get memory(): WebAssembly.Memory {
    if (this.watch !== null) this.watch();
    return this.#memory;
  }

  /** The most bytes a shared memory was made to hold (its declared maximum): a limit past it is cut to it. @internal */
  maxBytes = 2 ** 32 - PAGE;

  /** Sets the most bytes the module's memory may grow to. */
  setLimit(bytes: number): void {
    if (!(bytes > 0)) throw new RangeError(`memoryLimit must be a positive number of bytes, got ${bytes}`);
    if (bytes > this.maxBytes && this.maxBytes < 2 ** 32 - PAGE) {
      throw new RangeError(`memoryLimit ${bytes} is past the shared memory's maximum, ${this.maxBytes}: set it in the first init()`);
    }
    this.limit = Math.min(bytes, 2 ** 32 - PAGE);
  }

  /** A 16-byte aligned block of at least `bytes` bytes; its contents are whatever was there. */
  alloc(bytes: number): number {
    const size = Math.max(ALIGN, align(bytes));
    const i = this.#bestFit(size);
    let ptr: number;
    if (i >= 0) {
      ptr = this.#freePtr[i]!;
      const rest = this.#freeSize[i]! - size;
      if (rest > 0) {
        this.#freePtr[i] = ptr + size;
        this.#freeSize[i] = rest;
      } else {
        this.#removeAt(i);
      }
    } else {
      ptr = this.#top;
      const end = ptr + size;
      if (end > this.limit) {
        throw new RangeError(`arena: cannot allocate ${size} bytes: ${Math.max(0, this.limit - ptr)} bytes available ` +
          `(memory limit ${this.limit} bytes, ${this.liveBytes} live); raise it with init(source, { memoryLimit })`);
      }
      this.#ensure(end);
      this.#top = end;
    }
    this.liveBytes += size;
    if (this.liveBytes > this.peakBytes) this.peakBytes = this.liveBytes;
    return ptr;
  }

  /** Returns a block from alloc(bytes) to the arena. */
  free(ptr: number, bytes: number): void {
    const size = Math.max(ALIGN, align(bytes));
    this.liveBytes -= size;
    // Insert in address order, then merge with the neighbours it touches.
    let lo = 0, hi = this.#freePtr.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.#freePtr[mid]! < ptr) lo = mid + 1; else hi = mid;
    }
    let start = ptr, end = ptr + size, at = lo;
    if (at < this.#freePtr.length && this.#freePtr[at] === end) {
      end += this.#freeSize[at]!;
      this.#removeAt(at);
    }
    if (at > 0 && this.#freePtr[at - 1]! + this.#freeSize[at - 1]! === start) {
      at--;
      start = this.#freePtr[at]!;
      this.#removeAt(at);
    }
    if (end === this.#top) {
      this.#top = start; // the block was the last one: give it back to the untouched region
      return;
    }
    this.#insertAt(at, start, end - start);
  }

  // The free list is edited in place: splice() would allocate an array per call, a step's worth of
  // garbage for every tensor freed.
  #removeAt(i: number): void {
    const p = this.#freePtr, s = this.#freeSize;
    for (let k = i + 1; k < p.length; k++) { p[k - 1] = p[k]!; s[k - 1] = s[k]!; }
    p.pop(); s.pop();
  }

  #insertAt(i: number, ptr: number, size: number): void {
    const p = this.#freePtr, s = this.#freeSize;
    p.push(0); s.push(0);
    for (let k = p.length - 1; k > i; k--) { p[k] = p[k - 1]!; s[k] = s[k - 1]!; }
    p[i] = ptr; s[i] = size;
  }

  /** Counts for memory(). */
  info(): MemoryInfo {
    return { tensors: this.liveTensors, bytes: this.liveBytes, peakBytes: this.peakBytes, arenaBytes: this.#memory.buffer.byteLength };
  }

  #bestFit(size: number): number {
    let best = -1, bestSize = Infinity;
    const sizes = this.#freeSize;
    for (let i = 0; i < sizes.length; i++) {
      const s = sizes[i]!;
      if (s >= size && s < bestSize) {
        best = i;
        bestSize = s;
        if (s === size) break;
      }
    }
    return best;
  }

  #ensure(end: number): void {
    const have = this.#memory.buffer.byteLength;
    if (end <= have) return;
    const needPages = Math.ceil((end - have) / PAGE);
    // Grow by at least a quarter of what there is, so a growing workload does not grow page by page.
    const maxPages = Math.floor(this.limit / PAGE) - have / PAGE;
    const pages = Math.min(Math.max(needPages, Math.ceil(have / PAGE / 4)), Math.max(needPages, maxPages));
    this.#memory.grow(pages);
  }
}

function align(n: number): number {
  return Math.ceil(n / ALIGN) * ALIGN;
}
