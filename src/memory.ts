// memory(): what the arena holds right now.
import type { MemoryInfo } from './arena.js';
import { heap } from './wasm.js';

/** Live tensors, live bytes, the peak of live bytes, and the size of the module's memory. */
export function memory(): MemoryInfo {
  return heap().info();
}
