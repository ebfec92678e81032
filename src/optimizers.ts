// Optimizers: each updates flat parameter buffers from their flat gradient buffers, one kernel call
// per run of trainable weights (a whole buffer when nothing in it is frozen); their state (velocity,
// moments, the step count of bias corrections) is flat too, lives in the arena, and is kept per
// parameter buffer, so one optimizer can train several models, or a model whose weights live in
// several buffers (a nested model's), without mixing their moments. Every optimizer takes a
// learning rate or a schedule, and one of clipValue, clipNorm (per weight tensor) or globalClipNorm,
// applied to the gradients before the update, as Keras does.
import { WasmgradError, lookup, invalid } from './errors.js';
import { booleanOption, checkOptions, describe, numberOption } from './options.js';
import { heap, wasm } from './wasm.js';
import { Tensor } from './tensor.js';
import { gradientGroups, variableGrads, type NamedGradients } from './engine/variables.js';

/** A learning rate as a function of the step (counting from 0); see schedules.*. */
export type Schedule = ((step: number) => number) & { readonly config?: Record<string, number | string | boolean> };

/** A fixed learning rate or a schedule. */
export type LearningRate = number | Schedule;

/** A weight tensor's place in the flat buffers, in elements (for clipNorm). */
export interface Segment {
  offset: number;
  size: number;
}

/** What identifies a parameter buffer to an optimizer: its state for the buffer is freed when the buffer is. */
export interface StateKey {
  onDispose(release: () => void): void;
}

/** One flat parameter buffer and the part of it one step updates. */
export interface ParamGroup {
  /** The buffer's identity: state (moments, step count) is kept per key. */
  key: StateKey;
  /** Byte addresses of the parameters and of their gradients. */
  params: number;
  grads: number;
  /** Floats of state per slot: the buffer's trainable length. */
  count: number;
  /** The runs [offset, offset + size) (in floats) to update; frozen weights lie outside them. */
  runs: readonly Segment[];
  /** Each weight's place inside the runs, for clipNorm. */
  segments: readonly Segment[];
}

/** What compile() needs of an optimizer. */
export interface Optimizer {
  /** The optimizer's name, as in summaries and messages. */
  readonly name: string;
  /** One step over these buffers: clips their gradients in place, then updates the runs. */
  apply(groups: readonly ParamGroup[]): void;
  /** Frees the state kept for one buffer. */
  release(key: StateKey): void;
  /** Frees all the optimizer's state; the next apply() starts afresh. */
  dispose(): void;
  /** The options that rebuild this optimizer (a schedule as its config, { className, ... }). */
  getConfig(): OptimizerSavedConfig;
  /** A copy of the state for these buffers (slots laid end to end in group order), or null before their first step. */
  getState(groups: readonly ParamGroup[]): OptimizerState | null;
  /** Restores a state from getState() for these buffers. */
  setState(groups: readonly ParamGroup[], state: OptimizerState): void;
  /** One step from gradients by variable name (what variableGrads returns), one pass per parameter buffer. */
  applyGradients(grads: NamedGradients): void;
  /** variableGrads(f, varList) then applyGradients; returns f's value as a number. */
  minimize(f: () => Tensor, options?: { varList?: Tensor[] }): number;
}

/** A saved optimizer config: numbers, and learningRate may be a schedule's config. */
export type OptimizerSavedConfig = Record<string, number | Record<string, number | string | boolean>>;

/** An optimizer's state: steps taken and its flat buffers by name. */
export interface OptimizerState {
  step: number;
  slots: Record<string, Float32Array>;
}

/** Options every optimizer takes. */
export interface OptimizerConfig {
  /** Step size, or a schedule of it. */
  learningRate?: LearningRate;
  /** Clip every gradient element to [-clipValue, clipValue]. */
  clipValue?: number;
  /** Rescale each weight tensor's gradient to at most this L2 norm. */
  clipNorm?: number;
  /** Rescale all gradients together to at most this global L2 norm. */
  globalClipNorm?: number;
}

/** Options of optimizers.sgd(). */
export interface SgdConfig extends OptimizerConfig {
  /** Momentum in [0, 1) (default 0: plain SGD). */
  momentum?: number;
  /** Use Nesterov momentum (default false). */
  nesterov?: boolean;
}

/** Options of optimizers.adam(). */
export interface AdamConfig extends OptimizerConfig {
  /** Decay of the first moment (default 0.9). */
  beta1?: number;
  /** Decay of the second moment (default 0.999). */
  beta2?: number;
  /** Added to √v for stability (default 1e-7, as Keras). */
  epsilon?: number;
}

/** Options of optimizers.adamw(). */
export interface AdamwConfig extends AdamConfig {
  /** Decoupled weight decay per step, times the learning rate (default 0.004, as Keras). */
  weightDecay?: number;
}

/** Options of optimizers.rmsprop(). */
export interface RmspropConfig extends OptimizerConfig {
  /** Decay of the squared-gradient average (default 0.9). */
  rho?: number;
  /** Momentum (default 0). */
  momentum?: number;
  /** Divide by the gradient's variance rather than its second moment (default false). */
  centered?: boolean;
  /** Added for stability (default 1e-7). */
  epsilon?: number;
}

/** Options of optimizers.adagrad(). */
export interface AdagradConfig extends OptimizerConfig {
  /** Starting value of the squared-gradient sums (default 0.1, as Keras). */
  initialAccumulatorValue?: number;
  /** Added for stability (default 1e-7). */
  epsilon?: number;
}

// State buffers of n floats per parameter buffer (key), with that buffer's step count; a key's
// buffers are freed when the key is disposed, or by release()/dispose().
interface StateEntry { ptrs: number[]; n: number; step: number }

class State {
  #entries = new Map<StateKey, StateEntry>();
  #hooked = new WeakSet<StateKey>();

  /** The `count` state buffers of n floats for key, made and filled with `initial` when new. */
  get(key: StateKey, n: number, count: number, initial = 0): StateEntry {
    const had = this.#entries.get(key);
    if (had && had.n === n && had.ptrs.length === count) return had;
    this.release(key);
    const entry: StateEntry = { ptrs: [], n, step: 0 };
    for (let i = 0; i < count; i++) {
      const p = heap().alloc(n * 4);
      wasm().fill_f32(p, n, initial);
      entry.ptrs.push(p);
    }
    this.#entries.set(key, entry);
    if (!this.#hooked.has(key)) {
      this.#hooked.add(key);
      key.onDispose(() => this.release(key));
    }
    return entry;
  }

  /** The entry for key, if any. */
  peek(key: StateKey): StateEntry | undefined {
    return this.#entries.get(key);
  }

  release(key: StateKey): void {
    const entry = this.#entries.get(key);
    if (!entry) return;
    for (const p of entry.ptrs) heap().free(p, entry.n * 4);
    this.#entries.delete(key);
  }

  dispose(): void {
    for (const key of [...this.#entries.keys()]) this.release(key);
  }
}

const positive = (op: string, name: string, value: unknown) => numberOption(op, name, value, 'a finite number > 0', (v) => v > 0);
const nonNegative = (op: string, name: string, value: unknown) => numberOption(op, name, value, 'a finite number >= 0', (v) => v >= 0);
const unitInterval = (op: string, name: string, value: unknown) => numberOption(op, name, value, 'in [0, 1)', (v) => v >= 0 && v < 1);

// Learning rate, clipping and the step count, shared by every optimizer; subclasses do the update.
abstract class BaseOptimizer implements Optimizer {
  abstract readonly name: string;
  protected readonly state = new State();
  protected iterations = 0;
  readonly #learningRate: LearningRate;
  readonly #clip: { kind: 'clipValue' | 'clipNorm' | 'globalClipNorm'; value: number } | null;

  constructor(op: string, config: OptimizerConfig, defaultRate: number) {
    const lr = config.learningRate ?? defaultRate;
    this.#learningRate = typeof lr === 'function' ? lr : positive(op, 'learningRate', lr);
    const clips = (['clipValue', 'clipNorm', 'globalClipNorm'] as const).filter((k) => config[k] !== undefined);
    if (clips.length > 1) throw invalid(`${op}: set only one of clipValue, clipNorm and globalClipNorm, got ${clips.join(' and ')}`);
    this.#clip = clips[0] ? { kind: clips[0], value: positive(op, clips[0], config[clips[0]]) } : null;
  }

  /** The learning rate at the current step. */
  currentLearningRate(): number {
    if (typeof this.#learningRate === 'number') return this.#learningRate;
    const lr = this.#learningRate(this.iterations);
    if (!(Number.isFinite(lr) && lr >= 0)) {
      throw invalid(`${this.name}: the learning-rate schedule gave ${lr} at step ${this.iterations}`);
    }
    return lr;
  }

  apply(groups: readonly ParamGroup[]): void {
    const k = wasm(), clip = this.#clip;
    if (clip?.kind === 'clipValue') {
      for (const g of groups) for (const r of g.runs) k.clip_f32(g.grads + r.offset * 4, r.size, clip.value);
    } else if (clip?.kind === 'clipNorm') {
      for (const g of groups) for (const s of g.segments) scaleToNorm(g.grads + s.offset * 4, s.size, Math.sqrt(k.sumsq_f32(g.grads + s.offset * 4, s.size)), clip.value);
    } else if (clip?.kind === 'globalClipNorm') {
      let sumsq = 0;
      for (const g of groups) for (const r of g.runs) sumsq += k.sumsq_f32(g.grads + r.offset * 4, r.size);
      for (const g of groups) for (const r of g.runs) scaleToNorm(g.grads + r.offset * 4, r.size, Math.sqrt(sumsq), clip.value);
    }
    const lr = this.currentLearningRate();
    this.iterations++;
    const slots = this.#slots ??= this.slotNames().length;
    for (const g of groups) {
      // Each buffer counts its own steps, for the bias corrections of the moments kept for it.
      const entry = slots > 0 ? this.state.get(g.key, g.count, slots, this.initialSlotValue()) : null;
      const step = entry ? ++entry.step : this.iterations;
      for (const r of g.runs) {
        const at = r.offset * 4;
        const ptrs = !entry ? NO_SLOTS : at === 0 ? entry.ptrs : entry.ptrs.map((p) => p + at);
        this.update(g.params + at, g.grads + at, ptrs, r.size, lr, step);
      }
    }
  }

  #slots: number | undefined;

  applyGradients(grads: NamedGradients): void {
    this.apply(gradientGroups(`${this.name}.applyGradients`, grads));
  }

  minimize(f: () => Tensor, minimizeOptions?: { varList?: Tensor[] }): number {
    const options = checkOptions(`${this.name}.minimize`, minimizeOptions, ['varList']);
    const { value, grads } = variableGrads(f, options.varList);
    try {
      this.applyGradients(grads);
      return value.item();
    } finally {
      value.dispose();
      for (const g of Object.values(grads)) g.dispose();
    }
  }

  /**
   * One update of n parameters at `params` with this learning rate; `slots` are the addresses of the
   * state buffers (slotNames() order) at the same offset; `step` counts from 1.
   */
  protected abstract update(params: number, grads: number, slots: number[], n: number, lr: number, step: number): void;

  /** Names of the state buffers, in the order update() receives them. */
  protected abstract slotNames(): string[];

  /** The state buffers that hold squares (a negative value there would make the update NaN). */
  protected nonNegativeSlots(): string[] {
    return [];
  }

  /** The value state buffers start from. */
  protected initialSlotValue(): number {
    return 0;
  }

  release(key: StateKey): void {
    this.state.release(key);
  }

  dispose(): void {
    this.state.dispose();
  }

  getConfig(): OptimizerSavedConfig {
    const lr = this.#learningRate;
    if (typeof lr !== 'number' && !lr.config) {
      throw invalid(`${this.name}: a learning-rate schedule written as a plain function cannot be saved; use one of schedules.*`);
    }
    const config: OptimizerSavedConfig = { learningRate: typeof lr === 'number' ? lr : { ...lr.config! }, ...this.options() };
    if (this.#clip) config[this.#clip.kind] = this.#clip.value;
    return config;
  }

  /** The optimizer's own options for getConfig(). */
  protected abstract options(): Record<string, number>;

  getState(groups: readonly ParamGroup[]): OptimizerState | null {
    const names = this.slotNames();
    const entries = groups.map((g) => this.state.peek(g.key));
    if (names.length > 0 && (entries.length === 0 || entries.some((e) => !e))) return null;
    const n = groups.reduce((a, g) => a + g.count, 0);
    const slots = names.map((_, i) => {
      const out = new Float32Array(n);
      let at = 0;
      entries.forEach((e) => {
        out.set(new Float32Array(heap().memory.buffer, e!.ptrs[i]!, e!.n), at);
        at += e!.n;
      });
      return out;
    });
    return { step: this.iterations, slots: Object.fromEntries(names.map((name, i) => [name, slots[i]!])) };
  }

  setState(groups: readonly ParamGroup[], state: OptimizerState): void {
    if (!Number.isSafeInteger(state.step) || state.step < 0) {
      throw new WasmgradError('BAD_OPTIMIZER_STATE', `${this.name}: step must be a non-negative integer, got ${state.step}`);
    }
    const n = groups.reduce((a, g) => a + g.count, 0);
    const values = this.slotNames().map((name) => {
      const slot = state.slots[name];
      if (!(slot instanceof Float32Array) || slot.length !== n) {
        throw new WasmgradError('BAD_OPTIMIZER_STATE', `${this.name}: state ${name} must hold ${n} values, got ${slot?.length ?? 'none'}`);
      }
      const low = this.nonNegativeSlots().includes(name) ? 0 : -Infinity;
      const bad = slot.findIndex((v) => !(Number.isFinite(v) && v >= low));
      if (bad >= 0) throw new WasmgradError('BAD_OPTIMIZER_STATE', `${this.name}: state ${name} holds ${slot[bad]} at ${bad}; it must be finite${low === 0 ? ' and >= 0' : ''}`);
      return slot;
    });
    if (values.length > 0) {
      let at = 0;
      for (const g of groups) {
        const entry = this.state.get(g.key, g.count, values.length);
        entry.ptrs.forEach((p, i) => new Float32Array(heap().memory.buffer, p, g.count).set(values[i]!.subarray(at, at + g.count)));
        entry.step = state.step;
        at += g.count;
      }
    }
    this.iterations = state.step;
  }
}

const NO_SLOTS: number[] = [];

function scaleToNorm(ptr: number, n: number, norm: number, limit: number): void {
  if (norm > limit) wasm().scale_forward_f32(ptr, ptr, n, limit / norm);
}

class Sgd extends BaseOptimizer {
  readonly name = 'sgd';
  readonly momentum: number;
  readonly nesterov: boolean;

  constructor(config: SgdConfig) {
    super('optimizers.sgd', config, 0.01);
    this.momentum = unitInterval('optimizers.sgd', 'momentum', config.momentum ?? 0);
    this.nesterov = booleanOption('optimizers.sgd', 'nesterov', config.nesterov);
  }

  protected update(params: number, grads: number, [velocity]: number[], n: number, lr: number): void {
    const k = wasm();
    if (velocity === undefined) return k.sgd_update_f32(params, grads, n, lr);
    if (this.nesterov) k.sgd_nesterov_update_f32(params, grads, velocity, n, lr, this.momentum);
    else k.sgd_momentum_update_f32(params, grads, velocity, n, lr, this.momentum);
  }

  protected slotNames(): string[] {
    return this.momentum === 0 && !this.nesterov ? [] : ['velocity'];
  }

  protected options(): Record<string, number> {
    return { momentum: this.momentum, nesterov: this.nesterov ? 1 : 0 };
  }
}

class Adam extends BaseOptimizer {
  readonly name: string = 'adam';
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;

  constructor(config: AdamConfig, op = 'optimizers.adam') {
    super(op, config, 0.001);
    this.beta1 = unitInterval(op, 'beta1', config.beta1 ?? 0.9);
    this.beta2 = unitInterval(op, 'beta2', config.beta2 ?? 0.999);
    this.epsilon = positive(op, 'epsilon', config.epsilon ?? 1e-7);
  }

  protected update(params: number, grads: number, [m, v]: number[], n: number, lr: number, step: number): void {
    wasm().adam_update_f32(params, grads, m!, v!, n, lr, this.beta1, this.beta2, this.epsilon, step);
  }

  protected slotNames(): string[] {
    return ['m', 'v'];
  }

  protected override nonNegativeSlots(): string[] {
    return ['v'];
  }

  protected options(): Record<string, number> {
    return { beta1: this.beta1, beta2: this.beta2, epsilon: this.epsilon };
  }
}

class AdamW extends Adam {
  override readonly name = 'adamw';
  readonly weightDecay: number;

  constructor(config: AdamwConfig) {
    super(config, 'optimizers.adamw');
    this.weightDecay = nonNegative('optimizers.adamw', 'weightDecay', config.weightDecay ?? 0.004);
  }

  protected override update(params: number, grads: number, [m, v]: number[], n: number, lr: number, step: number): void {
    wasm().adamw_update_f32(params, grads, m!, v!, n, lr, this.beta1, this.beta2, this.epsilon, step, this.weightDecay);
  }

  protected override options(): Record<string, number> {
    return { ...super.options(), weightDecay: this.weightDecay };
  }
}

class Rmsprop extends BaseOptimizer {
  readonly name = 'rmsprop';
  readonly rho: number;
  readonly momentum: number;
  readonly centered: boolean;
  readonly epsilon: number;

  constructor(config: RmspropConfig) {
    const op = 'optimizers.rmsprop';
    super(op, config, 0.001);
    this.rho = unitInterval(op, 'rho', config.rho ?? 0.9);
    this.momentum = unitInterval(op, 'momentum', config.momentum ?? 0);
    this.centered = booleanOption(op, 'centered', config.centered);
    this.epsilon = positive(op, 'epsilon', config.epsilon ?? 1e-7);
  }

  protected update(params: number, grads: number, ptrs: number[], n: number, lr: number): void {
    const names = this.slotNames();
    const at = (name: string) => (names.includes(name) ? ptrs[names.indexOf(name)]! : 0);
    wasm().rmsprop_update_f32(params, grads, at('velocity'), at('averageGradient'), at('momentum'), n, lr, this.rho, this.momentum, this.epsilon);
  }

  protected slotNames(): string[] {
    return ['velocity', ...(this.centered ? ['averageGradient'] : []), ...(this.momentum > 0 ? ['momentum'] : [])];
  }

  protected override nonNegativeSlots(): string[] {
    return ['velocity'];
  }

  protected options(): Record<string, number> {
    return { rho: this.rho, momentum: this.momentum, centered: this.centered ? 1 : 0, epsilon: this.epsilon };
  }
}

class Adagrad extends BaseOptimizer {
  readonly name = 'adagrad';
  readonly initialAccumulatorValue: number;
  readonly epsilon: number;

  constructor(config: AdagradConfig) {
    const op = 'optimizers.adagrad';
    super(op, config, 0.001);
    this.initialAccumulatorValue = nonNegative(op, 'initialAccumulatorValue', config.initialAccumulatorValue ?? 0.1);
    this.epsilon = positive(op, 'epsilon', config.epsilon ?? 1e-7);
  }

  protected update(params: number, grads: number, [acc]: number[], n: number, lr: number): void {
    wasm().adagrad_update_f32(params, grads, acc!, n, lr, this.epsilon);
  }

  protected override initialSlotValue(): number {
    return this.initialAccumulatorValue;
  }

  protected slotNames(): string[] {
    return ['accumulator'];
  }

  protected override nonNegativeSlots(): string[] {
    return ['accumulator'];
  }

  protected options(): Record<string, number> {
    return { initialAccumulatorValue: this.initialAccumulatorValue, epsilon: this.epsilon };
  }
}

/** An optimizer constructor: takes its options object, or TF.js' positional arguments (learning rate first). */
export interface OptimizerFactory<C, P extends unknown[]> {
  (config?: C): Optimizer;
  (...positional: P): Optimizer;
}

const COMMON_KEYS = ['learningRate', 'clipValue', 'clipNorm', 'globalClipNorm'];

// The options object checked against the optimizer's keys, or TF.js' positional form
// (optimizers.adam(0.01, 0.9)) turned into one.
function factory<C, P extends unknown[]>(name: string, keys: string[], positional: string[], make: (c: C) => Optimizer): OptimizerFactory<C, P> {
  const op = `optimizers.${name}`, known = [...COMMON_KEYS, ...keys];
  return ((...args: unknown[]) => {
    if (args.length <= 1 && typeof args[0] !== 'number') return make(checkOptions(op, args[0] as C & object | undefined, known));
    if (args.length > positional.length) {
      throw invalid(`${op}: takes an options object ({ ${known.join(', ')} }) or up to ${positional.length} positional arguments (${positional.join(', ')}), got ${args.length} arguments`);
    }
    args.forEach((v, i) => { if (v !== undefined && typeof v === 'object') throw invalid(`${op}: positional argument ${i + 1} (${positional[i]}) must be a ${positional[i] === 'centered' ? 'boolean' : 'number'}, got ${describe(v)}`); });
    return make(Object.fromEntries(args.map((v, i) => [positional[i], v]).filter(([, v]) => v !== undefined)) as C);
  }) as OptimizerFactory<C, P>;
}

/** Optimizer constructors, as in TF.js' tf.train / Keras' keras.optimizers. */
export const optimizers = {
  /** Stochastic gradient descent, with optional (Nesterov) momentum, Keras' formulation: sgd({ learningRate, momentum }) or sgd(0.01). */
  sgd: factory<SgdConfig, [learningRate: number]>('sgd', ['momentum', 'nesterov'], ['learningRate'], (c) => new Sgd(c)),
  /** Adam (Kingma & Ba, 2015): adam({ learningRate, beta1, ... }) or TF.js' adam(learningRate, beta1, beta2, epsilon). */
  adam: factory<AdamConfig, [learningRate: number, beta1?: number, beta2?: number, epsilon?: number]>(
    'adam', ['beta1', 'beta2', 'epsilon'], ['learningRate', 'beta1', 'beta2', 'epsilon'], (c) => new Adam(c)),
  /** Adam with decoupled weight decay (Loshchilov & Hutter, 2019): adamw({ learningRate, weightDecay, ... }) or adamw(learningRate, weightDecay). */
  adamw: factory<AdamwConfig, [learningRate: number, weightDecay?: number]>(
    'adamw', ['beta1', 'beta2', 'epsilon', 'weightDecay'], ['learningRate', 'weightDecay'], (c) => new AdamW(c)),
  /** RMSprop (Hinton's lecture 6e), optionally centered and with momentum; TF.js' rmsprop(learningRate, decay, momentum, epsilon, centered) too. */
  rmsprop: factory<RmspropConfig, [learningRate: number, rho?: number, momentum?: number, epsilon?: number, centered?: boolean]>(
    'rmsprop', ['rho', 'momentum', 'centered', 'epsilon'], ['learningRate', 'rho', 'momentum', 'epsilon', 'centered'], (c) => new Rmsprop(c)),
  /** Adagrad (Duchi et al., 2011): adagrad({ learningRate, initialAccumulatorValue }) or adagrad(learningRate, initialAccumulatorValue). */
  adagrad: factory<AdagradConfig, [learningRate: number, initialAccumulatorValue?: number]>(
    'adagrad', ['initialAccumulatorValue', 'epsilon'], ['learningRate', 'initialAccumulatorValue'], (c) => new Adagrad(c)),
};

/** Names accepted as compile()'s `optimizer`. */
export type OptimizerName = keyof typeof optimizers;

// getConfig() stores booleans as 0/1 (the saved config is numbers only); turn them back.
const bool = (c: Record<string, number>, key: string) => (c[key] === undefined ? undefined : c[key] === 1);

/** Optimizer constructors by name, with options (for loading saved models). */
export const OPTIMIZER_CONSTRUCTORS: Record<OptimizerName, (config: Record<string, number>) => Optimizer> = {
  sgd: (c) => optimizers.sgd({ ...c, nesterov: bool(c, 'nesterov') }),
  adam: (c) => optimizers.adam(c),
  adamw: (c) => optimizers.adamw(c),
  rmsprop: (c) => optimizers.rmsprop({ ...c, centered: bool(c, 'centered') }),
  adagrad: (c) => optimizers.adagrad(c),
};

/** An optimizer from a name (with default settings) or as given. */
export function getOptimizer(spec: unknown): Optimizer {
  if (spec !== null && typeof spec === 'object' && typeof (spec as Optimizer).apply === 'function') return spec as Optimizer;
  return (lookup('optimizer', optimizers, spec) as () => Optimizer)();
}

function schedule(config: Record<string, number | string | boolean>, lr: (step: number) => number): Schedule {
  return Object.assign((step: number) => lr(step), { config });
}

/** The schedule a saved config ({ className, ...options }) describes; throws for anything else. */
export function scheduleFromConfig(config: Record<string, unknown>): Schedule {
  const { className, ...options } = config;
  const make = lookup('schedule', schedules, className) as (c: unknown) => Schedule;
  return make(options);
}

/** Learning-rate schedules (step counts from 0), computed with the module's own Math so every engine agrees. */
export const schedules = {
  /** initialLearningRate · decayRate^(step / decaySteps), the exponent floored when staircase. */
  exponentialDecay: (config: { initialLearningRate: number; decaySteps: number; decayRate: number; staircase?: boolean }): Schedule => {
    const op = 'schedules.exponentialDecay';
    const c = checkOptions(op, config, ['initialLearningRate', 'decaySteps', 'decayRate', 'staircase']);
    booleanOption(op, 'staircase', c.staircase);
    positive(op, 'initialLearningRate', c.initialLearningRate);
    positive(op, 'decaySteps', c.decaySteps);
    positive(op, 'decayRate', c.decayRate);
    return schedule({ className: 'exponentialDecay', ...c }, (step) => {
      const p = c.staircase ? Math.floor(step / c.decaySteps) : step / c.decaySteps;
      return c.initialLearningRate * wasm().math_pow(c.decayRate, p);
    });
  },
  /** initialLearningRate · factor^floor(step / stepSize). */
  stepDecay: (config: { initialLearningRate: number; stepSize: number; factor?: number }): Schedule => {
    const op = 'schedules.stepDecay';
    const c = checkOptions(op, config, ['initialLearningRate', 'stepSize', 'factor']);
    positive(op, 'initialLearningRate', c.initialLearningRate);
    positive(op, 'stepSize', c.stepSize);
    const factor = positive(op, 'factor', c.factor ?? 0.5);
    return schedule({ className: 'stepDecay', ...c, factor }, (step) => c.initialLearningRate * wasm().math_pow(factor, Math.floor(step / c.stepSize)));
  },
  /**
   * Linear warm-up from 0 over warmupSteps, then cosine decay over decaySteps down to
   * alpha · initialLearningRate (Loshchilov & Hutter, SGDR, 2017), as Keras' CosineDecay.
   */
  cosineDecay: (config: { initialLearningRate: number; decaySteps: number; warmupSteps?: number; alpha?: number }): Schedule => {
    const op = 'schedules.cosineDecay';
    const c = checkOptions(op, config, ['initialLearningRate', 'decaySteps', 'warmupSteps', 'alpha']);
    positive(op, 'initialLearningRate', c.initialLearningRate);
    positive(op, 'decaySteps', c.decaySteps);
    const warmup = nonNegative(op, 'warmupSteps', c.warmupSteps ?? 0);
    const alpha = nonNegative(op, 'alpha', c.alpha ?? 0);
    return schedule({ className: 'cosineDecay', ...c, warmupSteps: warmup, alpha }, (step) => {
      if (step < warmup) return c.initialLearningRate * step / warmup;
      const t = Math.min(step - warmup, c.decaySteps) / c.decaySteps;
      const cosine = 0.5 * (1 + wasm().math_cos(Math.PI * t));
      return c.initialLearningRate * ((1 - alpha) * cosine + alpha);
    });
  },
  /**
   * One-cycle (Smith & Topin, 2018): cosine from maxLearningRate/divFactor up to maxLearningRate over
   * pctStart of totalSteps, then cosine down to maxLearningRate/(divFactor·finalDivFactor).
   */
  oneCycle: (config: { maxLearningRate: number; totalSteps: number; pctStart?: number; divFactor?: number; finalDivFactor?: number }): Schedule => {
    const op = 'schedules.oneCycle';
    const c = checkOptions(op, config, ['maxLearningRate', 'totalSteps', 'pctStart', 'divFactor', 'finalDivFactor']);
    positive(op, 'maxLearningRate', c.maxLearningRate);
    positive(op, 'totalSteps', c.totalSteps);
    const pct = unitInterval(op, 'pctStart', c.pctStart ?? 0.3);
    const div = positive(op, 'divFactor', c.divFactor ?? 25);
    const finalDiv = positive(op, 'finalDivFactor', c.finalDivFactor ?? 1e4);
    const start = c.maxLearningRate / div, end = start / finalDiv, up = Math.max(1, Math.round(c.totalSteps * pct));
    const anneal = (from: number, to: number, t: number) => to + (from - to) * 0.5 * (1 + wasm().math_cos(Math.PI * Math.min(Math.max(t, 0), 1)));
    return schedule({ className: 'oneCycle', ...c, pctStart: pct, divFactor: div, finalDivFactor: finalDiv }, (step) =>
      step < up ? anneal(start, c.maxLearningRate, step / up) : anneal(c.maxLearningRate, end, (step - up) / Math.max(1, c.totalSteps - up)));
  },
};
