// Optimizers: each updates a model's one flat parameter buffer from its one flat gradient buffer in
// a single kernel call; their state (velocity, moments) is flat too and lives in the arena.
import { WasmgradError, lookup } from './errors.js';
import { heap, wasm } from './wasm.js';

/** What compile() needs of an optimizer. */
export interface Optimizer {
  /** The optimizer's name, as in summaries and messages. */
  readonly name: string;
  /** Updates n parameters at byte address `params` from the gradients at `grads`. */
  apply(params: number, grads: number, n: number): void;
  /** Frees the optimizer's state; the next apply() starts afresh. */
  dispose(): void;
  /** The options that rebuild this optimizer. */
  getConfig(): Record<string, number>;
  /** A copy of the state (step count and named flat buffers), or null before the first step. */
  getState(): OptimizerState | null;
  /** Restores a state from getState() for n parameters at byte address `params`. */
  setState(params: number, n: number, state: OptimizerState): void;
}

/** An optimizer's state: steps taken and its flat buffers by name. */
export interface OptimizerState {
  step: number;
  slots: Record<string, Float32Array>;
}

/** Options of optimizers.sgd(). */
export interface SgdConfig {
  /** Step size (default 0.01). */
  learningRate?: number;
  /** Momentum in [0, 1) (default 0: plain SGD). */
  momentum?: number;
}

/** Options of optimizers.adam(). */
export interface AdamConfig {
  /** Step size (default 0.001). */
  learningRate?: number;
  /** Decay of the first moment (default 0.9). */
  beta1?: number;
  /** Decay of the second moment (default 0.999). */
  beta2?: number;
  /** Added to √v for stability (default 1e-7, as Keras). */
  epsilon?: number;
}

// State buffers of n floats, zero-filled, bound to one parameter buffer; rebound (and zeroed) when
// the optimizer is applied to another.
class State {
  private ptrs: number[] = [];
  private n = 0;
  private params = -1;

  /** The `count` state buffers for these params; true in `fresh` when just made. */
  get(params: number, n: number, count: number): { ptrs: number[]; fresh: boolean } {
    if (params === this.params && n === this.n && this.ptrs.length === count) return { ptrs: this.ptrs, fresh: false };
    this.dispose();
    const arena = heap();
    for (let i = 0; i < count; i++) {
      const p = arena.alloc(n * 4);
      wasm().fill_f32(p, n, 0);
      this.ptrs.push(p);
    }
    this.n = n;
    this.params = params;
    return { ptrs: this.ptrs, fresh: true };
  }

  dispose(): void {
    for (const p of this.ptrs) heap().free(p, this.n * 4);
    this.ptrs = [];
    this.params = -1;
  }

  /** Copies of the buffers, or null if there are none yet. */
  read(): Float32Array[] | null {
    if (this.ptrs.length === 0) return null;
    return this.ptrs.map((p) => new Float32Array(heap().memory.buffer, p, this.n).slice());
  }

  /** Makes buffers for these params holding `values`. */
  write(params: number, n: number, values: Float32Array[]): void {
    const { ptrs } = this.get(params, n, values.length);
    ptrs.forEach((p, i) => new Float32Array(heap().memory.buffer, p, n).set(values[i]!));
  }
}

function checkSlots(op: string, n: number, state: OptimizerState, names: string[]): Float32Array[] {
  if (!Number.isSafeInteger(state.step) || state.step < 0) {
    throw new WasmgradError('BAD_OPTIMIZER_STATE', `${op}: step must be a non-negative integer, got ${state.step}`);
  }
  return names.map((name) => {
    const slot = state.slots[name];
    if (!(slot instanceof Float32Array) || slot.length !== n) {
      throw new WasmgradError('BAD_OPTIMIZER_STATE', `${op}: state ${name} must hold ${n} values, got ${slot?.length ?? 'none'}`);
    }
    return slot;
  });
}

function positive(op: string, name: string, value: number): number {
  if (!(typeof value === 'number' && Number.isFinite(value) && value > 0)) {
    throw new WasmgradError('INVALID_ARGUMENT', `${op}: ${name} must be a finite number > 0, got ${value}`);
  }
  return value;
}

function unitInterval(op: string, name: string, value: number): number {
  if (!(typeof value === 'number' && value >= 0 && value < 1)) {
    throw new WasmgradError('INVALID_ARGUMENT', `${op}: ${name} must be in [0, 1), got ${value}`);
  }
  return value;
}

class Sgd implements Optimizer {
  readonly name = 'sgd';
  readonly learningRate: number;
  readonly momentum: number;
  private state = new State();

  constructor(config: SgdConfig) {
    this.learningRate = positive('optimizers.sgd', 'learningRate', config.learningRate ?? 0.01);
    this.momentum = unitInterval('optimizers.sgd', 'momentum', config.momentum ?? 0);
  }

  apply(params: number, grads: number, n: number): void {
    if (this.momentum === 0) {
      wasm().sgd_update_f32(params, grads, n, this.learningRate);
    } else {
      const [velocity] = this.state.get(params, n, 1).ptrs;
      wasm().sgd_momentum_update_f32(params, grads, velocity!, n, this.learningRate, this.momentum);
    }
  }

  dispose(): void {
    this.state.dispose();
  }

  getConfig(): Record<string, number> {
    return { learningRate: this.learningRate, momentum: this.momentum };
  }

  getState(): OptimizerState | null {
    if (this.momentum === 0) return { step: 0, slots: {} };
    const slots = this.state.read();
    return slots ? { step: 0, slots: { velocity: slots[0]! } } : null;
  }

  setState(params: number, n: number, state: OptimizerState): void {
    if (this.momentum === 0) return;
    this.state.write(params, n, checkSlots('sgd', n, state, ['velocity']));
  }
}

class Adam implements Optimizer {
  readonly name = 'adam';
  readonly learningRate: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
  private state = new State();
  private step = 0;

  constructor(config: AdamConfig) {
    this.learningRate = positive('optimizers.adam', 'learningRate', config.learningRate ?? 0.001);
    this.beta1 = unitInterval('optimizers.adam', 'beta1', config.beta1 ?? 0.9);
    this.beta2 = unitInterval('optimizers.adam', 'beta2', config.beta2 ?? 0.999);
    this.epsilon = positive('optimizers.adam', 'epsilon', config.epsilon ?? 1e-7);
  }

  apply(params: number, grads: number, n: number): void {
    const { ptrs: [m, v], fresh } = this.state.get(params, n, 2);
    if (fresh) this.step = 0;
    this.step++;
    wasm().adam_update_f32(params, grads, m!, v!, n, this.learningRate, this.beta1, this.beta2, this.epsilon, this.step);
  }

  dispose(): void {
    this.state.dispose();
  }

  getConfig(): Record<string, number> {
    return { learningRate: this.learningRate, beta1: this.beta1, beta2: this.beta2, epsilon: this.epsilon };
  }

  getState(): OptimizerState | null {
    const slots = this.state.read();
    return slots ? { step: this.step, slots: { m: slots[0]!, v: slots[1]! } } : null;
  }

  setState(params: number, n: number, state: OptimizerState): void {
    this.state.write(params, n, checkSlots('adam', n, state, ['m', 'v']));
    this.step = state.step;
  }
}

/** Optimizer constructors, as in TF.js' tf.train / Keras' keras.optimizers. */
export const optimizers = {
  /** Stochastic gradient descent, with optional momentum (Keras' formulation). */
  sgd: (config: SgdConfig = {}): Optimizer => new Sgd(config),
  /** Adam (Kingma & Ba, 2015). */
  adam: (config: AdamConfig = {}): Optimizer => new Adam(config),
};

const BY_NAME = {
  sgd: () => optimizers.sgd(),
  adam: () => optimizers.adam(),
};

/** Names accepted as compile()'s `optimizer`. */
export type OptimizerName = keyof typeof BY_NAME;

/** Optimizer constructors by name, with options (for loading saved models). */
export const OPTIMIZER_CONSTRUCTORS: Record<OptimizerName, (config: Record<string, number>) => Optimizer> = {
  sgd: (config) => optimizers.sgd(config),
  adam: (config) => optimizers.adam(config),
};

/** An optimizer from a name (with default settings) or as given. */
export function getOptimizer(spec: unknown): Optimizer {
  if (spec !== null && typeof spec === 'object' && typeof (spec as Optimizer).apply === 'function') return spec as Optimizer;
  return lookup('optimizer', BY_NAME, spec)();
}
