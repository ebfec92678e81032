// Tensor: a float32, row-major block in the arena, plus what autograd needs: the inputs it was made
// from and the closure that carries gradients back to them (micrograd's design: the backward rule
// is written next to its forward, in the op that makes the tensor).
import { WasmgradError, fmtShape, invalid, shapeError } from './errors.js';
import { checkOptions, describe } from './options.js';
import { compute } from './trace.js';
import { heap, wasm } from './wasm.js';

/** Nested arrays of numbers, as in tensor([[1, 2], [3, 4]]). */
export type NestedArray = ReadonlyArray<number | NestedArray | NumericArray>;

/** What arraySync() returns: nested arrays of numbers. */
export type NestedNumbers = (number | NestedNumbers)[];

/** Values a tensor can be made from. */
export type TensorLike = number | NestedArray | NumericArray;

// Tensors created inside tidy() are recorded in the innermost scope and disposed when it ends.
const scopes: Set<Tensor>[] = [];
let tracking = true; // false while making a tensor that something else owns (a gradient)
let gradEnabled = true;
let nextId = 1;

export class Tensor {
  /** Dimensions, outermost first. */
  readonly shape: readonly number[];
  /** Number of elements. */
  readonly size: number;
  /** A number that identifies this tensor in messages. */
  readonly id: number;
  /** Whether backward() computes a gradient for this tensor. */
  requiresGrad = false;
  #_ptr: number;
  readonly #owned: boolean;
  #disposed = false;
  #_grad: Tensor | null = null;
  private parents: readonly Tensor[] | null = null;
  #backwardFn: (() => void) | null = null;
  #releases: (() => void)[] | null = null;
  /** For outputs of softmax and sigmoid: the op and its input, so a loss can work from logits (as Keras does). @internal */
  activationOf: { op: 'softmax' | 'sigmoid'; input: Tensor } | null = null;

  private constructor(ptr: number, shape: readonly number[], owned: boolean) {
    this.#_ptr = ptr;
    // A frozen shape (another tensor's) is shared: it cannot change, and freezing costs more than the rest of this constructor.
    this.shape = Object.isFrozen(shape) ? shape : Object.freeze(shape.slice());
    this.size = sizeOf(shape);
    this.#owned = owned;
    this.id = nextId++;
    heap().liveTensors++;
    if (tracking) scopes[scopes.length - 1]?.add(this);
  }

  /** A new tensor of this shape with uninitialized contents. */
  static empty(shape: readonly number[]): Tensor {
    checkShape(shape);
    return new Tensor(heap().alloc(sizeOf(shape) * 4), shape, true);
  }

  /** A new tensor of this shape filled with `value`. */
  static filled(shape: readonly number[], value: number): Tensor {
    const t = Tensor.empty(shape);
    wasm().fill_f32(t.ptr, t.size, value);
    return t;
  }

  /** A tensor over memory owned by something else (a model's flat parameter buffer, a row range). @internal */
  static view(ptr: number, shape: readonly number[]): Tensor {
    return new Tensor(ptr, shape, false);
  }

  /** Byte address of the first element; throws if the tensor was disposed. */
  get ptr(): number {
    if (this.#disposed) {
      throw new WasmgradError('DISPOSED', `tensor #${this.id} ${fmtShape(this.shape)} was disposed and cannot be used`);
    }
    return this.#_ptr;
  }

  /** Whether dispose() has been called. */
  get isDisposed(): boolean {
    return this.#disposed;
  }

  /** The gradient that backward() accumulated, or null. */
  get grad(): Tensor | null {
    return this.#_grad;
  }

  /** Byte address of the gradient, made zero-filled on first use. @internal */
  gradPtr(): number {
    void this.ptr; // a disposed tensor gets no gradient (it would never be freed)
    if (this.#_grad === null) this.#_grad = untracked(() => Tensor.filled(this.shape, 0));
    return this.#_grad.ptr;
  }

  /** Makes the gradient live at `ptr` (a view into a model's flat gradient buffer). @internal */
  setGradView(ptr: number): void {
    this.#_grad?.dispose();
    this.#_grad = untracked(() => Tensor.view(ptr, this.shape));
  }

  /** A flat, row-major copy of the values. */
  toArray(): Float32Array {
    return new Float32Array(heap().memory.buffer, this.ptr, this.size).slice();
  }

  /** The values as a flat Float32Array copy (TF.js' name for toArray). */
  dataSync(): Float32Array {
    return this.toArray();
  }

  /** The values as nested arrays of numbers, shaped like the tensor (a number for a scalar). */
  arraySync(): number | NestedNumbers {
    const flat = this.toArray();
    const nest = (axis: number, at: number): number | NestedNumbers => {
      if (axis === this.shape.length) return flat[at]!;
      const stride = this.shape.slice(axis + 1).reduce((a, b) => a * b, 1);
      return Array.from({ length: this.shape[axis]! }, (_, i) => nest(axis + 1, at + i * stride));
    };
    return nest(0, 0);
  }

  /** The same values with another shape of the same size (one dimension may be -1: inferred); gradients flow back. */
  reshape(shape: readonly number[]): Tensor {
    const src = this.ptr; // a disposed tensor throws before anything is made
    const known = shape.reduce((a, b) => (b === -1 ? a : a * b), 1);
    const free = shape.filter((d) => d === -1).length;
    const wanted = free === 1 && known > 0 && this.size % known === 0 ? shape.map((d) => (d === -1 ? this.size / known : d)) : shape;
    if (free > 1 || wanted.some((d) => !Number.isInteger(d) || d < 0) || wanted.reduce((a, b) => a * b, 1) !== this.size) {
      throw shapeError(`reshape: cannot reshape ${fmtShape(this.shape)} (${this.size} elements) to ${fmtShape(shape)}; expected a shape of ${this.size} elements (one dimension may be -1)`);
    }
    const out = Tensor.empty(wanted);
    compute(() => new Uint8Array(heap().memory.buffer).copyWithin(out.ptr, src, src + this.size * 4));
    return out.recordBackward([this], () => wasm().axpy_f32(this.gradPtr(), out.gradPtr(), this.size, 1));
  }

  /** The index of the largest value along `axis` (default the last), as a tensor without that axis (no gradient). */
  argMax(axis = -1): Tensor {
    const src = this.ptr;
    const rank = this.shape.length, a = axis < 0 ? axis + rank : axis;
    if (!Number.isInteger(a) || a < 0 || a >= rank) throw invalid(`argMax: axis must be an integer in [${-rank}, ${rank}) for shape ${fmtShape(this.shape)}, got ${describe(axis)}`);
    if (this.shape[a] === 0) throw shapeError(`argMax: axis ${a} of shape ${fmtShape(this.shape)} is empty`);
    const outer = this.shape.slice(0, a).reduce((p, d) => p * d, 1), inner = this.shape.slice(a + 1).reduce((p, d) => p * d, 1);
    const out = Tensor.empty([...this.shape.slice(0, a), ...this.shape.slice(a + 1)]);
    wasm().argmax_axis_f32(out.ptr, src, outer, this.shape[a]!, inner);
    return out;
  }

  /** `Tensor [2, 3] [[1, 2, 3], [4, 5, 6]]`: the shape and values, at most 6 per axis shown. */
  toString(): string {
    if (this.#disposed) return `Tensor ${fmtShape(this.shape)} (disposed)`;
    const flat = new Float32Array(heap().memory.buffer, this.#_ptr, this.size); // read in place: nothing below allocates
    const fmt = (v: number) => String(Number(v.toPrecision(6)));
    const show = (axis: number, at: number): string => {
      if (axis === this.shape.length) return fmt(flat[at]!);
      const n = this.shape[axis]!, stride = this.shape.slice(axis + 1).reduce((a, b) => a * b, 1);
      const items = Array.from({ length: Math.min(n, 6) }, (_, i) => show(axis + 1, at + i * stride));
      if (n > 6) items.push(`… ${n - 6} more`);
      return `[${items.join(', ')}]`;
    };
    return `Tensor ${fmtShape(this.shape)} ${show(0, 0)}`;
  }

  /** Prints toString() with console.log (as TF.js' print). */
  print(): void {
    console.log(this.toString());
  }

  /** What console.log shows in Node: toString(). */
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return this.toString();
  }

  /** What console.log shows in Deno: toString(). */
  [Symbol.for('Deno.customInspect')](): string {
    return this.toString();
  }

  /** The one value of a single-element tensor. */
  item(): number {
    if (this.size !== 1) throw shapeError(`item: expected a tensor of one element, got shape ${fmtShape(this.shape)}`);
    return new Float32Array(heap().memory.buffer, this.ptr, 1)[0]!;
  }

  /** Runs `release` when this tensor is disposed (for memory an op keeps for its backward pass). @internal */
  onDispose(release: () => void): void {
    (this.#releases ??= []).push(release);
  }

  /** Frees the tensor's memory (and its gradient's); using it afterwards throws. Safe to call twice. */
  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    const arena = heap();
    if (this.#owned) arena.free(this.#_ptr, this.size * 4);
    arena.liveTensors--;
    this.#_grad?.dispose();
    this.#_grad = null;
    if (this.#releases) for (const release of this.#releases) release();
    this.#releases = null;
    this.parents = null;
    this.#backwardFn = null;
    this.activationOf = null;
    for (const scope of scopes) scope.delete(this);
  }

  /**
   * Records how to carry this tensor's gradient back to `inputs`, if any of them needs one.
   * `backward` accumulates into the inputs' gradients (input.gradPtr()). With `always`, it is recorded
   * even when no input needs a gradient (a node that only watches the gradient going by).
   * @internal
   */
  recordBackward(inputs: readonly Tensor[], backward: () => void, always = false): this {
    if (gradEnabled && (always || inputs.some((t) => t.requiresGrad))) {
      this.requiresGrad = true;
      this.parents = inputs;
      this.#backwardFn = backward;
    }
    return this;
  }

  /**
   * Computes d(this)/d(t) for every tensor t with requiresGrad that this one depends on, adding into
   * t.grad for leaves (tensors no op made: variables, weights). The gradients of intermediate tensors
   * are started from zero on every call, so a second backward() over the same graph adds the same
   * amount again to the leaves, never a multiple of it.
   */
  backward(): void {
    if (this.size !== 1) {
      throw shapeError(`backward: expected a scalar (one element) to start from, got shape ${fmtShape(this.shape)}`);
    }
    if (!this.requiresGrad) {
      throw invalid(`backward: tensor #${this.id} does not depend on any tensor with requiresGrad`);
    }
    this.backwardPlan()();
  }

  /**
   * backward() with the graph walked once: the returned function runs the same backward pass again
   * over the same tensors (a replayed training step, whose tensors are recomputed in place). @internal
   */
  backwardPlan(): () => void {
    const order = topologicalOrder(this);
    // A tidy() that returned this tensor freed the graph it was made by: its gradient cannot reach the variables.
    const gone = order.find((t) => t.#disposed);
    if (gone) {
      throw new WasmgradError('DISPOSED', `backward: tensor #${gone.id} ${fmtShape(gone.shape)}, on the way from tensor #${this.id} to its variables, ` +
        'was disposed (a tidy() that returns the loss frees the tensors it was computed from): call backward() inside the tidy, or use variableGrads');
    }
    const steps = order.filter((t) => t.#backwardFn !== null);
    return () => {
      const k = wasm();
      for (const t of steps) if (t.#_grad) k.fill_f32(t.#_grad.ptr, t.size, 0);
      k.fill_f32(this.gradPtr(), 1, 1);
      for (let i = steps.length - 1; i >= 0; i--) steps[i]!.#backwardFn!();
    };
  }
}

// Step masks ([batch, steps] of 1 and 0) that travel with sequence tensors inside a model's pass:
// made by embedding({ maskZero }) and masking(), read by recurrent layers.
const stepMasks = new WeakMap<Tensor, Tensor>();

/** The step mask attached to t, if one is and it is still alive. @internal */
export function maskOf(t: Tensor): Tensor | undefined {
  const m = stepMasks.get(t);
  return m && !m.isDisposed ? m : undefined;
}

/** Attaches a step mask to t (and returns t). @internal */
export function withMask(t: Tensor, mask: Tensor | undefined): Tensor {
  if (mask) stepMasks.set(t, mask);
  return t;
}

/** The tensors with requiresGrad that no op made (variables, weights) which t depends on. @internal */
export function leavesOf(t: Tensor): Tensor[] {
  return topologicalOrder(t).filter((x) => x.requiresGrad && !(x as unknown as { parents: unknown }).parents);
}

// Makes tensors that no tidy() scope records: their owner disposes them.
function untracked<T>(make: () => T): T {
  const before = tracking;
  tracking = false;
  try {
    return make();
  } finally {
    tracking = before;
  }
}

// Post-order over the graph without recursion, so deep graphs do not overflow the JS stack (two
// parallel stacks: no tuple per node).
function topologicalOrder(root: Tensor): Tensor[] {
  const order: Tensor[] = [];
  const seen = new Set<Tensor>([root]);
  const nodes: Tensor[] = [root], next: number[] = [0];
  while (nodes.length > 0) {
    const top = nodes.length - 1, t = nodes[top]!;
    const parents = (t as unknown as { parents: readonly Tensor[] | null }).parents;
    const i = next[top]!;
    if (parents !== null && i < parents.length) {
      next[top] = i + 1;
      const p = parents[i]!;
      if (p.requiresGrad && !seen.has(p)) {
        seen.add(p);
        nodes.push(p);
        next.push(0);
      }
    } else {
      order.push(t);
      nodes.pop();
      next.pop();
    }
  }
  return order;
}

// The element count of a shape (a loop: reduce() with a closure is slower on this hot path).
function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (let i = 0; i < shape.length; i++) n *= shape[i]!;
  return n;
}

function checkShape(shape: readonly number[]): void {
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) {
      throw invalid(`shape ${fmtShape(shape)}: every dimension must be a non-negative integer`);
    }
  }
}

/** A typed array of numbers (values are converted to float32). */
export type NumericArray = Float32Array | Float64Array | Int32Array | Uint32Array | Int16Array | Uint16Array | Int8Array | Uint8Array | Uint8ClampedArray;

/** True for the typed arrays of numbers (not DataView, not the BigInt arrays). */
export function isNumericArray(v: unknown): v is NumericArray {
  return ArrayBuffer.isView(v) && !(v instanceof DataView) && !(v instanceof BigInt64Array) && !(v instanceof BigUint64Array);
}

/** A tensor from numbers, nested arrays (their innermost rows may be typed arrays) or a typed array; shape defaults to the nesting of `values`. */
export function tensor(values: TensorLike, shape?: readonly number[], tensorOptions?: { requiresGrad?: boolean }): Tensor {
  const options = checkOptions('tensor', tensorOptions, ['requiresGrad']);
  let flat: Float32Array;
  let inferred: number[];
  if (typeof values === 'number') {
    flat = Float32Array.of(values);
    inferred = [];
  } else if (isNumericArray(values)) {
    flat = values instanceof Float32Array ? values : Float32Array.from(values);
    inferred = [values.length];
  } else if (Array.isArray(values)) {
    inferred = nestedShape(values);
    flat = new Float32Array(inferred.reduce((a, b) => a * b, 1));
    flatten(values, flat, 0);
  } else {
    throw invalid(`tensor: expected a number, nested arrays or a typed array, got ${describe(values)}`);
  }
  const finalShape = shape ?? inferred;
  checkShape(finalShape);
  const size = finalShape.reduce((a, b) => a * b, 1);
  if (size !== flat.length) {
    throw shapeError(`tensor: shape ${fmtShape(finalShape)} needs ${size} values, got ${flat.length}`);
  }
  const t = Tensor.empty(finalShape);
  new Float32Array(heap().memory.buffer, t.ptr, size).set(flat);
  t.requiresGrad = options.requiresGrad ?? false;
  return t;
}

/** A tensor whose gradient backward() computes (a trainable value). */
export function variable(values: TensorLike, shape?: readonly number[]): Tensor {
  return tensor(values, shape, { requiresGrad: true });
}

function nestedShape(values: NestedArray): number[] {
  const shape: number[] = [];
  let level: NestedArray | number = values;
  while (Array.isArray(level) || isNumericArray(level)) {
    shape.push(level.length);
    if (!Array.isArray(level)) break;
    level = (level as NestedArray)[0] as NestedArray | number;
    if (level === undefined) break;
  }
  return shape;
}

function flatten(values: NestedArray, out: Float32Array, at: number, depth = 0, shape = nestedShape(values)): number {
  if (values.length !== shape[0]) {
    throw shapeError(`tensor: ragged nested array: expected length ${shape[0]} at depth ${depth}, got ${values.length}`);
  }
  for (const v of values) {
    if (typeof v === 'number') {
      if (shape.length !== 1) throw shapeError(`tensor: ragged nested array: a number at depth ${depth} where arrays were expected`);
      out[at++] = v;
    } else if (Array.isArray(v)) {
      if (shape.length < 2) throw shapeError(`tensor: ragged nested array: an array at depth ${depth + 1} where numbers were expected`);
      at = flatten(v, out, at, depth + 1, shape.slice(1));
    } else if (isNumericArray(v)) {
      if (shape.length !== 2 || v.length !== shape[1]) {
        throw shapeError(`tensor: ragged nested array: a typed array of ${v.length} at depth ${depth + 1} where ${shape.length === 1 ? 'numbers' : shape.length === 2 ? `rows of ${shape[1]}` : 'deeper arrays'} were expected`);
      }
      out.set(v, at);
      at += v.length;
    } else {
      throw invalid(`tensor: expected numbers, got ${describe(v)} at depth ${depth + 1}`);
    }
  }
  return at;
}

// Runs fn in a new scope: the tensors it made (all freed if it throws), and the tensors its result holds.
function scoped<T>(fn: () => T): { result: T; made: Set<Tensor>; kept: Set<Tensor> } {
  const made = new Set<Tensor>();
  scopes.push(made);
  let result: T;
  try {
    result = fn();
  } catch (e) {
    scopes.pop();
    for (const t of made) t.dispose();
    throw e;
  }
  scopes.pop();
  const kept = new Set<Tensor>();
  collectTensors(result, kept);
  return { result, made, kept };
}

/** Runs fn and hands back every tensor it created, none disposed (all of them if it throws): the caller owns them. @internal */
export function collect<T>(fn: () => T): { result: T; made: Set<Tensor> } {
  const { result, made } = scoped(fn);
  return { result, made };
}

/** Runs fn and disposes every tensor it created except those it returns (a tensor, or arrays/objects of them). */
export function tidy<T>(fn: () => T): T {
  const { result, made, kept } = scoped(fn);
  if (result instanceof Promise) {
    for (const t of made) t.dispose();
    throw invalid('tidy: fn must be synchronous; it returned a Promise');
  }
  for (const t of made) if (!kept.has(t)) t.dispose();
  const outer = scopes[scopes.length - 1];
  if (outer) for (const t of kept) if (made.has(t)) outer.add(t);
  return result;
}

function collectTensors(value: unknown, into: Set<Tensor>): void {
  if (value instanceof Tensor) into.add(value);
  else if (Array.isArray(value)) for (const v of value) collectTensors(v, into);
  else if (value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    for (const v of Object.values(value)) collectTensors(v, into);
  }
}

/**
 * Like tidy(), except that when a result records a gradient the tensors fn made stay alive, since
 * backward() needs them: they go to the enclosing tidy() (as in variableGrads), or, with none, are
 * freed when the (first) result is disposed. For eager layer.apply(). @internal
 */
export function tidyForward<T>(fn: () => T): T {
  const { result, made, kept } = scoped(fn);
  const graph = [...kept].some((t) => t.requiresGrad);
  const outer = scopes[scopes.length - 1];
  const rest = [...made].filter((t) => !kept.has(t));
  for (const t of kept) if (made.has(t)) outer?.add(t);
  if (!graph) for (const t of rest) t.dispose();
  else if (outer) for (const t of rest) outer.add(t);
  else [...kept][0]?.onDispose(() => { for (const t of rest) t.dispose(); });
  return result;
}

/** Runs fn with gradient recording off: ops inside make no graph (for inference). */
export function noGrad<T>(fn: () => T): T {
  const before = gradEnabled;
  gradEnabled = false;
  try {
    return fn();
  } finally {
    gradEnabled = before;
  }
}

/** Keeps a tensor made inside tidy() alive past it without returning it. */
export function keep(t: Tensor): Tensor {
  for (const scope of scopes) scope.delete(t);
  return t;
}
