// Saving models: a JSON topology and a safetensors file of weights (io/loader.ts describes the files
// and reads them back). This file reads a model only through its public surface and its graph, so the
// engine can import it without an import cycle.
import { WasmgradError, invalid } from '../errors.js';
import { booleanOption } from '../options.js';
import type { AnyLayer } from '../layers/layer.js';
import type { Model } from '../engine/model.js';
import type { Node } from '../engine/symbolic.js';
import { writeSafetensors, type NamedTensor } from './safetensors.js';
import { folderUrl, fsPromises, inBrowser } from '../node.js';

/** A saved model: topology JSON and safetensors bytes. */
export interface ModelArtifacts {
  topology: string;
  weights: Uint8Array;
}

/** The formats a topology file carries, and their version. */
export const SEQUENTIAL_FORMAT = 'wasmgrad/sequential';
export const GRAPH_FORMAT = 'wasmgrad/model';
export const FORMAT_VERSION = 1;

type Json = Record<string, unknown>;

const isModel = (l: AnyLayer): l is Model => l.className === 'Model' || l.className === 'Sequential';

// A layer as saved: its class and config; a nested model's config is its own topology.
function layerEntry(l: AnyLayer): Json {
  return { className: l.className, config: isModel(l) ? modelConfig(l) : l.getConfig() };
}

// A model's topology without the training sections: a sequential model as its list of layers, a
// graph as its layers (each once) and its nodes in execution order, each naming its layer and its
// inputs as [node, output] pairs of earlier nodes (so a file cannot describe a cycle).
function modelConfig(model: Model): Json {
  if (model.className === 'Sequential') return { name: model.name, layers: model.layers.map(layerEntry) };
  const g = model.graph!;
  const index = new Map<Node, number>();
  const nodes: Json[] = [];
  for (const n of [...g.inputs.map((t) => t.node), ...g.nodes]) {
    index.set(n, nodes.length);
    nodes.push({ layer: n.layer.name, inbound: n.inputs.map((t) => [index.get(t.node)!, t.index]) });
  }
  return {
    name: model.name, layers: g.layers.map(layerEntry), nodes,
    inputs: g.inputs.map((t) => index.get(t.node)!), outputs: g.outputs.map((t) => [index.get(t.node)!, t.index]),
  };
}

// Each layer may stand in one model of the nesting only: the file lists a nested model's layers
// inside it, so a layer applied both in a model and in a model nested in it could not load.
function checkOneLevel(model: Model, seen = new Map<AnyLayer, string>()): void {
  for (const l of model.layers) {
    const other = seen.get(l);
    if (other !== undefined && other !== model.name) {
      throw new WasmgradError('INVALID_ARGUMENT', `toArtifacts: layer ${l.name} is used both in model ${other} and in model ${model.name} (nested models of one file); the saved format lists each layer in one model only`);
    }
    const first = other === undefined;
    seen.set(l, model.name);
    if (isModel(l) && first) checkOneLevel(l, seen);
  }
}

/** The artifacts of a model. */
export function modelToArtifacts(model: Model, options: { includeOptimizer?: boolean }): ModelArtifacts {
  checkOneLevel(model);
  const training = model.trainingConfig();
  const tensors: NamedTensor[] = model.namedWeights().map(({ name, tensor }) => ({ name, shape: tensor.shape.slice(), data: tensor.toArray() }));
  const format = model.className === 'Sequential' ? SEQUENTIAL_FORMAT : GRAPH_FORMAT;
  const topology: Json = { format, formatVersion: FORMAT_VERSION, ...modelConfig(model) };
  if (training) {
    const heads = training.heads, single = heads.length === 1;
    topology.training = {
      loss: single ? heads[0]!.lossSpec : heads.map((h) => h.lossSpec),
      metrics: single ? heads[0]!.metricNames.slice() : heads.map((h) => h.metricNames.slice()),
      ...(training.weighted ? { lossWeights: heads.map((h) => h.weight) } : {}),
      optimizer: { className: training.optimizer.name, config: training.optimizer.getConfig() },
    };
  } else {
    topology.training = null;
  }
  const scalers = Object.entries(model.scalers);
  if (scalers.length > 0) topology.scalers = Object.fromEntries(scalers.map(([name, s]) => [name, s.getState()]));
  if (booleanOption('toArtifacts', 'includeOptimizer', options.includeOptimizer)) {
    if (!training) throw new WasmgradError('NOT_COMPILED', 'toArtifacts: includeOptimizer needs a compiled model');
    const state = training.optimizer.getState(model.paramGroups('toArtifacts'));
    if (state) {
      topology.optimizerState = { step: state.step, slots: Object.keys(state.slots) };
      for (const [slot, data] of Object.entries(state.slots)) tensors.push({ name: `optimizer/${slot}`, shape: [data.length], data });
    }
  }
  return { topology: JSON.stringify(topology), weights: writeSafetensors(tensors, { format: 'wasmgrad' }) };
}

/** Writes artifacts to dir/model.json and dir/weights.safetensors (Node and Deno). */
export async function saveArtifacts(dir: string | URL, artifacts: ModelArtifacts): Promise<void> {
  if (inBrowser()) throw invalid('save: writes to a folder on disk (Node and Deno); in a browser use toArtifacts() and store the topology and weights yourself');
  const base = await folderUrl(dir);
  if (base.protocol !== 'file:') throw invalid(`save: writes to a folder on disk (a path or a file: URL), got a ${base.protocol} URL; use toArtifacts() to send a model elsewhere`);
  const fs = await fsPromises();
  await fs.mkdir(base, { recursive: true });
  await fs.writeFile(new URL('model.json', base), artifacts.topology);
  await fs.writeFile(new URL('weights.safetensors', base), artifacts.weights);
}
