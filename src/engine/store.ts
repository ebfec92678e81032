// A parameter store: the flat buffers that hold the weights of a set of layers (llm.c's layout).
//
//   params  [ trainable weights, in layer order  | state no optimizer touches (moving statistics) ]
//   grads   [ their gradients                    ]
//            ^ 0                                 ^ count                                        ^ total
//
// A model makes one store when it is built, for the layers of its graph that have no weights yet; a
// layer keeps that store for life. So a layer applied twice, placed in two models, or a nested model
// reached from an outer one, has exactly one set of weights, by design. Freezing moves nothing: a
// model updates the runs of trainable weights its compile() saw (see ParamGroup in optimizers.ts).
// Each model that uses a store holds a reference to it; the last release frees the buffers, and the
// optimizers' state for them with it (onDispose).
import { getInitializer } from '../initializers.js';
import type { AnyLayer, WeightSpec } from '../layers/layer.js';
import type { ParamGroup, Segment, StateKey } from '../optimizers.js';
import type { Rng } from '../random.js';
import { Tensor, keep } from '../tensor.js';
import { heap, wasm } from '../wasm.js';

/** One weight of a store: its layer, spec, view and place (in floats) in the params buffer. */
export interface StoreEntry {
  layer: AnyLayer;
  spec: WeightSpec;
  tensor: Tensor;
  offset: number;
  /** The spec's trainable flag (false for moving statistics), not the layer's. */
  trainable: boolean;
  /** layerName/weightName */
  name: string;
}

// Every live weight by name, for optimizer.applyGradients({ name: gradient }).
const byName = new Map<string, Set<Tensor>>();

/** The live weights called `name` (layerName/weightName): one, or several if names clash. */
export function weightsNamed(name: string): Tensor[] {
  return [...(byName.get(name) ?? [])];
}

// Every store whose buffers are live.
const live = new Set<ParameterStore>();

/** The stores whose buffers are live (for variableGrads, which follows only the variables it is given). */
export function liveStores(): ReadonlySet<ParameterStore> {
  return live;
}

// The store a weight view belongs to, and its entry.
const entryOf = new WeakMap<Tensor, { store: ParameterStore; entry: StoreEntry }>();

/** The store and entry of a weight view, or undefined for any other tensor. */
export function storeEntry(t: Tensor): { store: ParameterStore; entry: StoreEntry } | undefined {
  return entryOf.get(t);
}

/** Flat parameter and gradient buffers holding the weights of a set of layers (see the diagram above). */
export class ParameterStore implements StateKey {
  /** Byte addresses of the parameter and gradient buffers. */
  readonly params: number;
  readonly grads: number;
  /** Trainable floats (the gradient buffer's length) and all floats. */
  readonly count: number;
  readonly total: number;
  entries: readonly StoreEntry[];
  #refs = 0;
  #releases: (() => void)[] = [];

  /** Allocates and initializes the weights of `layers` (each with its specs), in order, from `rng`. */
  constructor(layers: readonly { layer: AnyLayer; specs: readonly WeightSpec[] }[], rng: Rng) {
    const all = layers.flatMap((l) => l.specs);
    const size = (s: WeightSpec) => s.shape.reduce((a, b) => a * b, 1);
    const count = all.reduce((n, s) => n + (s.trainable === false ? 0 : size(s)), 0);
    const total = all.reduce((n, s) => n + size(s), 0);
    const arena = heap();
    this.params = arena.alloc(Math.max(1, total) * 4);
    try {
      this.grads = arena.alloc(Math.max(1, count) * 4);
    } catch (e) {
      arena.free(this.params, Math.max(1, total) * 4);
      throw e;
    }
    this.count = count;
    this.total = total;
    const entries: StoreEntry[] = [];
    this.entries = entries;
    wasm().fill_f32(this.grads, count, 0);
    try {
      this.#lay(layers, rng, entries);
    } catch (e) {
      // An initializer failed (out of memory, a bad seed): nothing of this store stays behind.
      this.#refs = 1;
      this.release();
      for (const { layer } of layers) if (layer.store === this || layer.store === null) layer.weights = [];
      throw e;
    }
    live.add(this);
  }

  // Makes each weight a view into the buffers (not recorded by any tidy(): the store owns them) and
  // initializes it; the layers get their weights and this store.
  #lay(layers: readonly { layer: AnyLayer; specs: readonly WeightSpec[] }[], rng: Rng, entries: StoreEntry[]): void {
    let trainable = 0, fixed = this.count;
    for (const { layer, specs } of layers) {
      layer.weights = specs.map((spec) => {
        const train = spec.trainable !== false;
        const offset = train ? trainable : fixed;
        const w = keep(Tensor.view(this.params + offset * 4, spec.shape));
        if (train) {
          w.requiresGrad = layer.trainable; // a model's step sets the flags compile() saw
          w.setGradView(this.grads + offset * 4);
          trainable += w.size;
        } else {
          fixed += w.size;
        }
        const entry: StoreEntry = { layer, spec, tensor: w, offset, trainable: train, name: `${layer.name}/${spec.name}` };
        entries.push(entry);
        entryOf.set(w, { store: this, entry });
        let set = byName.get(entry.name);
        if (!set) byName.set(entry.name, set = new Set());
        set.add(w);
        getInitializer(spec.initializer)(w, spec.fanIn, spec.fanOut, rng);
        spec.afterInit?.(w);
        return w;
      });
      layer.store = this;
    }
  }

  /** One more user (a model, or a layer run eagerly). */
  retain(): void {
    this.#refs++;
  }

  /** One user fewer; the last frees the buffers and the weights' views. */
  release(): void {
    if (--this.#refs > 0) return;
    for (const e of this.entries) {
      byName.get(e.name)?.delete(e.tensor);
      if (byName.get(e.name)?.size === 0) byName.delete(e.name);
      e.tensor.dispose();
      if (e.layer.store === this) {
        e.layer.store = null;
        e.layer.weights = [];
      }
    }
    live.delete(this);
    heap().free(this.params, Math.max(1, this.total) * 4);
    heap().free(this.grads, Math.max(1, this.count) * 4);
    const releases = this.#releases;
    this.#releases = [];
    for (const r of releases) r();
  }

  /** Runs `release` when the buffers are freed (optimizer state kept for them). */
  onDispose(release: () => void): void {
    this.#releases.push(release);
  }

  /**
   * This store as one optimizer step sees it when `trains(entry)` says which weights train: the runs
   * of adjacent trainable weights (one run over the whole buffer when nothing is frozen), or null
   * when nothing trains.
   */
  group(trains: (e: StoreEntry) => boolean): ParamGroup | null {
    const segments: Segment[] = [], runs: Segment[] = [];
    for (const e of [...this.entries].sort((a, b) => a.offset - b.offset)) {
      if (!e.trainable || !trains(e)) continue;
      segments.push({ offset: e.offset, size: e.tensor.size });
      const last = runs[runs.length - 1];
      if (last && last.offset + last.size === e.offset) last.size += e.tensor.size;
      else runs.push({ offset: e.offset, size: e.tensor.size });
    }
    return runs.length === 0 ? null : { key: this, params: this.params, grads: this.grads, count: this.count, runs, segments };
  }
}
