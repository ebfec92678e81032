// The symbolic graph the functional API records (the data model of tfjs-layers' topology.ts):
//
//   input({ shape: [784] }) ──► SymbolicTensor ──► Node(dense_1) ──► SymbolicTensor ──► Node(add_1) ─► …
//                                     └─────────────► Node(dense_2) ──► SymbolicTensor ──┘
//
// A Node is one application of a layer: the symbolic tensors it read and the ones it made.
// layer.apply(symbolic) only records a node (shapes are checked then); a model runs the nodes in
// order (engine/model.ts). Symbolic tensors hold no memory, so a graph costs nothing until it runs.
// Every tensor is made by exactly one node and is read only by nodes recorded after it, so a graph
// cannot hold a cycle.
import type { AnyLayer } from '../layers/layer.js';

let nextId = 1;

/** A placeholder for a tensor in a graph: its sample shape (no batch axis) and the node that makes it. */
export class SymbolicTensor {
  /** A number that identifies this tensor in messages. */
  readonly id = nextId++;
  /** Shape of one sample, without the batch axis. */
  readonly sampleShape: readonly number[];
  constructor(
    /** The node that makes this tensor. */
    readonly node: Node,
    /** Which of the node's outputs this is. */
    readonly index: number,
    sampleShape: readonly number[],
  ) {
    this.sampleShape = Object.freeze(sampleShape.slice());
  }

  /** The full shape, with null for the batch axis (as Keras prints it). */
  get shape(): (number | null)[] {
    return [null, ...this.sampleShape];
  }

  /** The layer name and output index, as messages and summaries name the tensor. */
  get name(): string {
    return this.node.outputs.length > 1 ? `${this.node.layer.name}[${this.index}]` : this.node.layer.name;
  }
}

/** One application of a layer to symbolic inputs. */
export class Node {
  readonly outputs: SymbolicTensor[];
  constructor(
    readonly layer: AnyLayer,
    /** The tensors read, in order; empty for an input. */
    readonly inputs: readonly SymbolicTensor[],
    /** Whether the layer was given a list (merge layers, models with several inputs). */
    readonly listInput: boolean,
    outputShapes: readonly (readonly number[])[],
  ) {
    this.outputs = outputShapes.map((s, i) => new SymbolicTensor(this, i, s));
  }
}
