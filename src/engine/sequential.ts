// sequential([...]): the chain graph input → layer 1 → layer 2 → …, built as soon as the input shape
// is known (the first layer's inputShape, or the first fit/predict's x). Everything else is Model's:
// one engine for both kinds of model.
import { invalid } from '../errors.js';
import { checkOptions, describe } from '../options.js';
import type { AnyLayer, Shapes, WeightSpec } from '../layers/layer.js';
import type { Tensor } from '../tensor.js';
import { InputLayer, Model, input, type Graph } from './model.js';
import type { SymbolicTensor } from './symbolic.js';

/** A model that runs its layers one after another: a graph model whose graph is a chain. */
export class Sequential extends Model<SymbolicTensor, Tensor> {
  override readonly className: string = 'Sequential';
  readonly #layers: AnyLayer[];

  constructor(layers: readonly AnyLayer[] = [], name?: string) {
    super({ name } as never, 'sequential');
    if (!Array.isArray(layers)) throw invalid(`sequential: expected an array of layers (or { layers, name }), got ${describe(layers)}`);
    layers.forEach((l, i) => checkLayer(l, `sequential: layers[${i}]`));
    this.#layers = layers.slice();
    const first = this.#layers[0];
    if (first?.inputShape) this.#chain(first.inputShape);
    else if (first instanceof Model && first.graph) this.#chain(first.graph.inputs[0]!.sampleShape.slice());
  }

  // input → each layer in turn; the input is named after the first layer, as Keras does.
  #chain(shape: number[]): void {
    let y: SymbolicTensor = input({ shape, name: `${this.#layers[0]!.name}_input` });
    for (const layer of this.#layers) {
      const out = layer.apply(y) as SymbolicTensor | SymbolicTensor[];
      if (Array.isArray(out)) throw invalid(`sequential: ${layer.name} has several outputs; use the functional API (model({ inputs, outputs }))`);
      y = out;
    }
    this.setGraph([firstInput(y)], [y]);
  }

  /** The layers, in order. */
  override get layers(): readonly AnyLayer[] {
    return this.#layers;
  }

  override graphFor(op: string, sampleShapes?: readonly (readonly number[])[]): Graph {
    if (this.#layers.length === 0) throw invalid(`${op}: ${this.name} has no layers yet; add() some first`);
    if (!this.graph && sampleShapes?.[0]) {
      this.#chainFrom(sampleShapes[0].slice());
      this.#provisional = true;
    }
    return super.graphFor(op);
  }

  // The layers the last chain gave their shapes (they had none before), and whether that chain came
  // from a call whose checks have not passed yet.
  #chained: AnyLayer[] = [];
  #provisional = false;

  #chainFrom(shape: number[]): void {
    const before = this.#layers.filter((l) => !l.built);
    try {
      this.#chain(shape);
    } catch (e) {
      for (const l of before) l.unbuild();
      throw e;
    }
    this.#chained = before;
  }

  /** The call that made the graph passed its checks: its shapes stay (nested sequential models' too). @internal */
  commitLazyGraph(): void {
    this.#provisional = false;
    for (const l of this.#layers) if (l instanceof Sequential) l.commitLazyGraph();
  }

  /**
   * Undoes a graph made from the x of a call that was then refused (its y did not fit), so that the
   * next call may bring another sample shape. Only the shapes that call gave go: layers another model
   * built keep theirs, and nothing is undone once weights exist. @internal
   */
  forgetLazyGraph(): void {
    if (!this.#provisional || this.hasWeights) return;
    this.#provisional = false;
    this.#forget();
  }

  // As a layer of a sequential model whose own shapes are undone: its chain goes too.
  override unbuild(): void {
    super.unbuild();
    if (this.graph && !this.hasWeights && this.#chained.length > 0) this.#forget();
  }

  #forget(): void {
    for (const l of this.#chained) l.unbuild();
    this.#chained = [];
    this.clearGraph();
    const c = this.compiledOrNull;
    if (c) {
      c.metrics = null;
      c.flags.clear();
      c.frozen.clear();
    }
  }

  // Inside another model, before its own input shape is known: the input it is applied to gives it.
  override build(inputShape: readonly number[] | readonly (readonly number[])[]): { outputShape: Shapes; weights: WeightSpec[] } {
    if (this.#layers.length === 0) throw invalid(`${this.name}: a sequential model without layers cannot be applied`);
    if (!this.graph && !Array.isArray(inputShape[0])) this.#chainFrom((inputShape as readonly number[]).slice());
    return super.build(inputShape);
  }

  /** Adds a layer at the end (before the model's weights exist). */
  add(layer: AnyLayer): void {
    this.live('add');
    if (this.hasWeights) throw invalid(`add: ${this.name}'s weights exist already; add layers before the first fit, predict or getWeights`);
    checkLayer(layer, 'add');
    this.#layers.push(layer);
    const first = this.#layers[0]!;
    if (this.graph) this.#chain(this.graph.inputs[0]!.sampleShape.slice());
    else if (first.inputShape) this.#chain(first.inputShape);
    // The losses, metrics and frozen set compile() resolved were for the old last layer.
    if (this.compiledOrNull) {
      this.clearCompiled();
      console.warn(`wasmgrad: ${this.name}: a layer was added after compile(); compile the model again before training it`);
    }
  }

}

// A layer a sequential model can hold: anything but an input layer.
function checkLayer(l: unknown, where: string): void {
  if (l === null || typeof l !== 'object' || typeof (l as AnyLayer).apply !== 'function') throw invalid(`${where}: expected a layer (layers.*() or a model), got ${describe(l)}`);
  if (l instanceof InputLayer) throw invalid(`${where}: got an input layer; give the first layer an inputShape instead`);
}

// The input() tensor a chain starts from.
function firstInput(y: SymbolicTensor): SymbolicTensor {
  let t = y;
  while (t.node.inputs.length > 0) t = t.node.inputs[0]!;
  return t;
}

/**
 * A model that runs `layers` one after another: sequential([...]), TF.js' sequential({ layers, name }),
 * or sequential() and then add().
 */
export function sequential(layers?: readonly AnyLayer[] | { layers?: readonly AnyLayer[]; name?: string }): Sequential {
  if (layers === undefined || Array.isArray(layers)) return new Sequential(layers as AnyLayer[] | undefined);
  const config = checkOptions('sequential', layers as { layers?: readonly AnyLayer[]; name?: string }, ['layers', 'name']);
  return new Sequential(config.layers ?? [], config.name);
}
