// Tracing a forward pass so that it can be replayed: an op runs its forward kernels inside
// compute(fn); while a trace is open, fn is also kept, and replaying the kept functions in order
// recomputes every tensor the pass made, in place, for new input values (the training engine's
// replayed steps, src/engine/plan.ts). Shapes, the choice of kernels and every number an op works
// out on the host are fixed at trace time; whatever varies per step (a random draw, a step count)
// must happen inside fn.
//
// A trace is only as good as its ops: one that reaches the kernels or the memory outside compute()
// (an op not written this way, a layer updating state on the host) would not be replayed. The arena
// watches for that while a trace is open, and such a trace is marked impure: never replayed.
import { heap } from './wasm.js';

let recording: (() => void)[] | null = null;
let pure = true;
const impure = (): void => { pure = false; };

/** Runs an op's forward kernel calls now; while a pass is traced, also keeps them to replay. @internal */
export function compute(fn: () => void): void {
  if (recording === null) {
    fn();
    return;
  }
  const arena = heap();
  if (arena.watch === null) { // inside another op's compute()
    fn();
    return;
  }
  arena.watch = null;
  try {
    fn();
  } finally {
    arena.watch = impure;
  }
  recording.push(fn);
}

/** What traced() returns: fn's result, the kept kernel calls in order, and whether they are all it did. @internal */
export interface Trace<T> {
  result: T;
  calls: (() => void)[];
  pure: boolean;
}

/** Runs fn with its ops' kernel calls kept; pure is false if fn reached the kernels or memory outside compute(). @internal */
export function traced<T>(fn: () => T): Trace<T> {
  if (recording !== null) throw new Error('traced: a trace is already open');
  const arena = heap();
  recording = [];
  pure = true;
  arena.watch = impure;
  try {
    const result = fn();
    return { result, calls: recording, pure };
  } finally {
    recording = null;
    arena.watch = null;
  }
}
