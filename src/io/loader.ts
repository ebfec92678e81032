// Loading models: a JSON topology and a safetensors file of weights (written by io/writer.ts).
//
//   model.json                                   weights.safetensors
//   { "format": "wasmgrad/sequential",           dense_1/kernel  F32 [4, 16]
//     "formatVersion": 1, "name": "seq",         dense_1/bias    F32 [16]
//     "layers": [{ "className": "Dense",         ...
//                  "config": { name, units, … } }, …],   optimizer/m, optimizer/v  F32 [n]
//     "training": { loss, metrics, lossWeights?, optimizer: { className, config } } | null,
//     "optimizerState": { "step": 12, "slots": ["m", "v"] } }          (includeOptimizer)
//
//   A graph model ("format": "wasmgrad/model") lists every layer once, then its nodes in execution order:
//     "nodes": [{ "layer": "input_1", "inbound": [] },
//               { "layer": "dense_1", "inbound": [[0, 0]] },        [node, output] of an earlier node
//               { "layer": "add_1", "inbound": [[1, 0], [0, 0]] }],
//     "inputs": [0], "outputs": [[2, 0]]
//   A nested model is a layer whose config is such a topology (without the training sections).
//
// The loader treats both files as hostile: the topology is checked against the schema below (our
// layer types and their options only, no __proto__/constructor keys, no code, references only to
// earlier nodes, caps on sizes and nesting), the weights by readSafetensors, and names and shapes
// must match the model the topology builds exactly, all before anything is allocated in the arena.
// Loading from a folder reads exactly two fixed file names inside it, so no path comes from the files.
import { WasmgradError, type ErrorCode } from '../errors.js';
import { LAYER_CLASSES } from '../layers/index.js';
import { configKeys, type Layer } from '../layers/layer.js';
import { TIME_DISTRIBUTABLE } from '../layers/recurrent.js';
import { LOSSES, type LossSpec } from '../losses.js';
import { METRIC_NAMES } from '../metrics.js';
import { OPTIMIZER_CONSTRUCTORS, scheduleFromConfig } from '../optimizers.js';
import { InputLayer, Model, inputOf } from '../engine/model.js';
import { Sequential } from '../engine/sequential.js';
import type { SymbolicTensor } from '../engine/symbolic.js';
import { scalerFromState, type Scaler, type ScalerState } from '../preprocessing.js';
import { readSafetensors, writeSafetensors } from './safetensors.js';
import { convertTopology, isTfjs, namedTensors, readManifest, readWeightSpecs, readWeights, type AxisCheck, type TfjsWeightSpec } from './tfjs.js';
import { FORMAT_VERSION, GRAPH_FORMAT, SEQUENTIAL_FORMAT, type ModelArtifacts } from './writer.js';
import { concatBytes, fileIn, folderUrl, readUrl } from '../node.js';

const MAX_TOPOLOGY_BYTES = 1024 * 1024;
const MAX_LAYERS = 1000;
const MAX_NODES = 4000;
const MAX_FAN_IN = 64;
const MAX_DEPTH = 4;
// The most values one sample of any layer's output may hold (2^26 floats: 256 MiB).
const MAX_SAMPLE_VALUES = 2 ** 26;
const FORBIDDEN = new Set(['__proto__', 'constructor', 'prototype']);
const NAME = /^[A-Za-z0-9_.-]{1,128}$/;

// The layer types a file may name: the library's registry, and input layers.
const LAYER_TYPES = { ...LAYER_CLASSES, InputLayer } as unknown as Record<string, { readonly options: readonly string[]; new (config: never): Layer }>;

function fail(code: ErrorCode, message: string): WasmgradError {
  return new WasmgradError(code, `loadModel: ${message}`);
}

// The errors most checks below throw.
const badTopology = (message: string) => fail('BAD_TOPOLOGY', message);
const badLayer = (message: string) => fail('BAD_LAYER_CONFIG', message);
const badTraining = (message: string) => fail('BAD_TRAINING_CONFIG', message);
const badState = (message: string) => fail('BAD_OPTIMIZER_STATE', message);

/** TF.js' in-memory artifacts (tf.io.ModelArtifacts of a layers model, as tf.io.withSaveHandler gets them). */
export interface TfjsArtifacts {
  /** The Keras topology: { class_name, config } (or Keras' { model_config }). */
  modelTopology: object;
  /** The weights, in the order of weightData. */
  weightSpecs: { name: string; shape: number[]; dtype: string }[];
  /** The weights' float32 bytes, one buffer or several to concatenate. */
  weightData: ArrayBuffer | ArrayBuffer[] | ArrayBufferView;
}

/**
 * A model from artifacts, or from where model.save() wrote one: a folder (a path, a file: URL, or an
 * http(s): URL that is fetched) or the topology .json file in it. A TensorFlow.js layers model (a
 * model.json with its weightsManifest and .bin shards, or TF.js' artifacts) loads too: its layers and
 * weights, uncompiled (compile() to train it). Ours load compiled, ready to fit on.
 */
export async function loadModel(source: ModelArtifacts | TfjsArtifacts | string | URL): Promise<Model> {
  if (typeof source !== 'string' && !(source instanceof URL)) return fromArtifacts(source);
  let folder = await folderUrl(source), json: URL;
  if (folder.pathname.endsWith('.json/')) {
    json = new URL(folder.href);
    json.pathname = json.pathname.slice(0, -1);
    folder = fileIn(folder, '..');
  } else {
    json = fileIn(folder, 'model.json');
  }
  // The topology is checked (size, JSON, which format) before any weight is read.
  const doc = parseJson(new TextDecoder().decode(await readUrl('loadModel', json)));
  if (isTfjs(doc)) {
    // Manifest, topology and the converted model's structure are checked before any shard is read;
    // shards are then read one at a time, each no larger than what is left of its group's bytes.
    const groups = readManifest(doc);
    const { topology, axes } = convertTopology(doc.modelTopology);
    planDocument(topology);
    const parts: { weights: TfjsWeightSpec[]; bytes: Uint8Array }[] = [];
    for (const [gi, g] of groups.entries()) {
      const shards: Uint8Array[] = [];
      let left = g.bytes;
      for (const p of g.paths) {
        const shard = await readUrl('loadModel', shardUrl(folder, p), left).catch((e: unknown) => {
          if (e instanceof WasmgradError && e.code === 'SIZE_MISMATCH') throw fail('SIZE_MISMATCH', `weightsManifest[${gi}] lists ${g.bytes} bytes of weights; its shards (${g.paths.join(', ')}) hold more`);
          throw e;
        });
        left -= shard.length;
        shards.push(shard);
      }
      parts.push({ weights: g.weights, bytes: concatBytes(shards) });
    }
    return checkAxes(fromDocument(topology, writeSafetensors(namedTensors(readWeights(parts)))), axes);
  }
  return fromDocument(doc, await readUrl('loadModel', fileIn(folder, 'weights.safetensors')));
}

// A shard of a TF.js manifest: a file in the model's folder, never outside it (nor on another host).
function shardUrl(folder: URL, path: string): URL {
  const url = fileIn(folder, path);
  if (url.protocol !== folder.protocol || url.host !== folder.host || !url.pathname.startsWith(folder.pathname)) {
    throw fail('UNSAFE_PATH', `weightsManifest path ${JSON.stringify(path)} resolves to ${url.href}, outside the model's folder ${folder.href}`);
  }
  return url;
}

/** A model from artifacts (ours, or TF.js'), checking everything before it allocates. */
export function fromArtifacts(artifacts: ModelArtifacts | TfjsArtifacts): Model {
  if (isTfjs(artifacts)) return fromTfjsArtifacts(artifacts as unknown as Record<string, unknown>);
  const ours = artifacts as ModelArtifacts;
  if (ours === null || typeof ours !== 'object' || typeof ours.topology !== 'string' || !(ours.weights instanceof Uint8Array)) {
    throw badTopology('expected { topology: string, weights: Uint8Array } (or TF.js\' { modelTopology, weightSpecs, weightData })');
  }
  const doc = parseJson(ours.topology);
  // TF.js' model.json (tf.loadLayersModel's format) has modelTopology and weightsManifest.
  if (isTfjs(doc)) {
    throw fail('TFJS_FORMAT', 'this is a TensorFlow.js model.json (modelTopology, weightsManifest) given as a wasmgrad topology; ' +
      'load the folder or URL of the model.json with loadModel (it reads the .bin shards the manifest names), or pass TF.js\' ' +
      'artifacts { modelTopology, weightSpecs, weightData } to fromArtifacts');
  }
  return fromDocument(doc, ours.weights);
}

function fromTfjsArtifacts(a: Record<string, unknown>): Model {
  const topology = a.modelTopology;
  if (topology === null || typeof topology !== 'object' || topology instanceof ArrayBuffer || ArrayBuffer.isView(topology)) {
    throw badTopology('TF.js artifacts: modelTopology must be a layers model\'s JSON object (a graph model\'s GraphDef is not a layers model)');
  }
  if (JSON.stringify(topology).length > MAX_TOPOLOGY_BYTES) throw fail('TOPOLOGY_TOO_LARGE', `modelTopology is over the limit of ${MAX_TOPOLOGY_BYTES} characters`);
  const weights = readWeightSpecs(a.weightSpecs ?? [], 'weightSpecs');
  const data = a.weightData, buffers = Array.isArray(data) ? data : [data];
  const { topology: converted, axes } = convertTopology(topology);
  if (data === undefined && weights.length === 0) return checkAxes(fromDocument(converted, writeSafetensors([])), axes);
  if (!buffers.every((b) => b instanceof ArrayBuffer || ArrayBuffer.isView(b))) throw fail('BAD_MANIFEST', 'TF.js artifacts: weightData must be an ArrayBuffer, a list of them, or a typed array');
  const bytes = concatBytes(buffers.map((b) => (b instanceof ArrayBuffer ? new Uint8Array(b) : new Uint8Array((b as ArrayBufferView).buffer, (b as ArrayBufferView).byteOffset, (b as ArrayBufferView).byteLength))));
  return checkAxes(fromDocument(converted, writeSafetensors(namedTensors(readWeights([{ weights, bytes }])))), axes);
}

// A normalization axis a TF.js file gave by index must be the last axis of the layer's input; the
// model is disposed (its arena returned) if one is not.
function checkAxes(model: Model, axes: readonly AxisCheck[]): Model {
  const find = (m: Model, name: string): Layer | undefined => {
    for (const l of m.layers) {
      if (l.name === name) return l as Layer;
      if (l instanceof Model) { const inner = find(l, name); if (inner) return inner; }
    }
    return undefined;
  };
  for (const { layer, axis, at } of axes) {
    const input = find(model, layer)?.built?.input as number[] | undefined;
    if (!input || axis !== input.length) {
      model.dispose();
      throw badLayer(input
        ? `${at}: axis ${axis} is not the last axis of its [batch, ${input.join(', ')}] input; wasmgrad normalizes the last axis only`
        : `${at}: axis ${axis} could not be checked against the layer's input; give axis -1`);
    }
  }
  return model;
}

// A topology's JSON document, within the size limit.
function parseJson(text: string): unknown {
  if (text.length > MAX_TOPOLOGY_BYTES) throw fail('TOPOLOGY_TOO_LARGE', `topology is ${text.length} characters, over the limit of ${MAX_TOPOLOGY_BYTES}`);
  try {
    return JSON.parse(text);
  } catch (e) {
    throw fail('TOPOLOGY_NOT_JSON', `topology is not JSON (${(e as Error).message})`);
  }
}

// The model a parsed topology and its safetensors bytes describe.
// A topology's structure checked (keys, format, every layer's config, the graph's references, its
// size), before any layer is made or any weight read.
function planDocument(topology: unknown): { top: Record<string, unknown>; plan: Plan } {
  checkKeys(topology, 'topology');
  const top = object(topology, 'topology', ['format', 'formatVersion', 'name', 'layers', 'nodes', 'inputs', 'outputs', 'training', 'optimizerState', 'scalers']);
  if ((top.format !== SEQUENTIAL_FORMAT && top.format !== GRAPH_FORMAT) || top.formatVersion !== FORMAT_VERSION) {
    throw fail('UNKNOWN_FORMAT', `format must be "${SEQUENTIAL_FORMAT}" or "${GRAPH_FORMAT}" version ${FORMAT_VERSION}, got ${JSON.stringify(top.format)} version ${JSON.stringify(top.formatVersion)}`);
  }
  const { training: _t, optimizerState: _o, scalers: _s, format: _f, formatVersion: _v, ...structure } = top;
  const plan = planModel(top.format === SEQUENTIAL_FORMAT ? 'Sequential' : 'Model', structure, 'topology', 0, new Set());
  // Layer calls one pass runs, nested models expanded: a small file must not describe a huge graph.
  const calls = cost(plan);
  if (calls > MAX_NODES) throw fail('TOO_MANY_NODES', `the model runs more than ${MAX_NODES} layers in one pass (nested models expanded), over the limit`);
  return { top, plan };
}

function fromDocument(topology: unknown, weightBytes: Uint8Array): Model {
  const { top, plan } = planDocument(topology);
  let training: { loss: LossSpec | LossSpec[]; metrics: string[] | string[][]; lossWeights?: number[]; optimizer: { className: string; config: Record<string, number> } } | null = null;
  if (top.training !== null && top.training !== undefined) {
    const t = object(top.training, 'training', ['loss', 'metrics', 'lossWeights', 'optimizer']);
    const o = object(t.optimizer, 'training.optimizer', ['className', 'config']);
    const oc = object(o.config, 'training.optimizer.config', ['learningRate', 'momentum', 'nesterov', 'beta1', 'beta2', 'epsilon',
      'weightDecay', 'rho', 'centered', 'initialAccumulatorValue', 'clipValue', 'clipNorm', 'globalClipNorm'], 'UNKNOWN_OPTION');
    // One loss for a single output, or a list in output order (at most 64).
    const lossList = Array.isArray(t.loss) ? t.loss : [t.loss];
    if (lossList.length === 0 || lossList.length > MAX_FAN_IN) throw badTraining('training.loss must be a loss or a list of 1-64 of them');
    lossList.forEach((spec, i) => {
      const where = Array.isArray(t.loss) ? `training.loss[${i}]` : 'training.loss';
      const loss = typeof spec === 'string' ? { name: spec } : object(spec, where, ['name', 'fromLogits'], 'UNKNOWN_OPTION');
      if (typeof loss.name !== 'string' || !Object.prototype.hasOwnProperty.call(LOSSES, loss.name)) {
        throw badTraining(`${where} ${JSON.stringify(loss.name)} is not a known loss`);
      }
      if (loss.fromLogits !== undefined && typeof loss.fromLogits !== 'boolean') throw badTraining(`${where}.fromLogits must be a boolean`);
    });
    const names = (m: unknown) => Array.isArray(m) && m.length <= 16 && m.every((x) => METRIC_NAMES.includes(x));
    const metricsOk = Array.isArray(t.loss) ? Array.isArray(t.metrics) && t.metrics.length === lossList.length && t.metrics.every(names) : names(t.metrics);
    if (!metricsOk) throw badTraining(`training.metrics must be ${Array.isArray(t.loss) ? 'a list of metric-name lists, one per loss' : 'an array of known metric names'}, got ${JSON.stringify(t.metrics)}`);
    if (t.lossWeights !== undefined && !(Array.isArray(t.lossWeights) && t.lossWeights.length === lossList.length
      && t.lossWeights.every((w) => typeof w === 'number' && Number.isFinite(w) && w >= 0))) {
      throw badTraining(`training.lossWeights must be ${lossList.length} finite numbers >= 0, got ${JSON.stringify(t.lossWeights)}`);
    }
    if (typeof o.className !== 'string' || !Object.prototype.hasOwnProperty.call(OPTIMIZER_CONSTRUCTORS, o.className)) {
      throw badTraining(`training.optimizer.className ${JSON.stringify(o.className)} is not a known optimizer`);
    }
    for (const [k, v] of Object.entries(oc)) {
      if (typeof v === 'number') continue;
      // A learning-rate schedule's config: { className, ...numbers and booleans }, rebuilt (and checked) by schedules.*.
      const flat = k === 'learningRate' && v !== null && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length <= 8
        && Object.values(v).every((x) => typeof x === 'number' || typeof x === 'boolean' || typeof x === 'string');
      if (!flat) throw badTraining(`training.optimizer.config.${k} must be a number${k === 'learningRate' ? ' or a schedule { className, ... }' : ''}`);
      try {
        oc[k] = scheduleFromConfig(v as Record<string, unknown>);
      } catch (e) {
        throw badTraining(`training.optimizer.config.learningRate: ${(e as Error).message}`);
      }
    }
    training = {
      loss: t.loss as LossSpec, metrics: t.metrics as string[], ...(t.lossWeights ? { lossWeights: t.lossWeights as number[] } : {}),
      optimizer: { className: o.className, config: oc as Record<string, number> },
    };
  }
  let optimizerState: { step: number; slots: string[] } | null = null;
  if (top.optimizerState !== undefined) {
    const s = object(top.optimizerState, 'optimizerState', ['step', 'slots']);
    if (!training) throw badState('optimizerState needs a training section');
    if (!Number.isSafeInteger(s.step) || (s.step as number) < 0) throw badState(`optimizerState.step must be a non-negative integer, got ${JSON.stringify(s.step)}`);
    if (!Array.isArray(s.slots) || s.slots.length > 4 || s.slots.some((n) => typeof n !== 'string' || !NAME.test(n) || FORBIDDEN.has(n))) throw badState('optimizerState.slots must be a short list of names');
    optimizerState = { step: s.step as number, slots: s.slots as string[] };
  }

  const scalers: Record<string, Scaler> = {};
  if (top.scalers !== undefined) {
    const entries = Object.entries(object(top.scalers, 'scalers', Object.keys(top.scalers ?? {})));
    if (entries.length > 16) throw badTopology('scalers: at most 16');
    for (const [name, state] of entries) {
      if (!NAME.test(name)) throw badTopology(`scalers: bad name ${JSON.stringify(name)}`);
      const st = object(state, `scalers.${name}`, ['kind', 'center', 'scale', 'featureRange']);
      if (!Array.isArray(st.center) || st.center.length > 1 << 20) throw badTopology(`scalers.${name}.center must be an array of at most 2^20 numbers`);
      try {
        scalers[name] = scalerFromState(st as unknown as ScalerState);
      } catch (e) {
        throw badTopology(`scalers.${name}: ${(e as Error).message}`);
      }
    }
  }

  // The weights file, fully checked, before any arena allocation.
  const { tensors } = readSafetensors(weightBytes);

  // Make the layers (their constructors check every option's value) and apply them as the graph says.
  const model = makeModel(plan);
  for (const l of model.deepLayers()) {
    const outs = l.built ? (Array.isArray(l.built.output[0]) ? l.built.output as number[][] : [l.built.output as number[]]) : [];
    for (const o of outs) {
      const n = o.reduce((a, b) => a * b, 1);
      if (!(n <= MAX_SAMPLE_VALUES)) throw badLayer(`${l.name} makes samples of shape [${o.join(', ')}] (${n} values), over the limit of ${MAX_SAMPLE_VALUES}`);
    }
  }
  // Names and shapes must match what the topology builds, exactly.
  const byName = new Map(tensors.map((t) => [t.name, t]));
  const expected = model.weightSpecs();
  for (const { name, shape } of expected) {
    const t = byName.get(name);
    if (!t) throw fail('WEIGHT_MISSING', `the weights file has no tensor ${name}`);
    if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
      throw fail('WEIGHT_SHAPE_MISMATCH', `${name} has shape [${t.shape.join(', ')}], the layer needs [${shape.join(', ')}]`);
    }
    byName.delete(name);
  }
  const slots: Record<string, Float32Array> = Object.create(null) as Record<string, Float32Array>;
  for (const slot of optimizerState?.slots ?? []) {
    const t = byName.get(`optimizer/${slot}`);
    if (!t) throw fail('WEIGHT_MISSING', `the weights file has no tensor optimizer/${slot}`);
    const bad = t.data.findIndex((v) => !Number.isFinite(v));
    if (bad >= 0) throw badState(`optimizer/${slot} holds ${t.data[bad]} at ${bad}; optimizer state must be finite`);
    slots[slot] = t.data;
    byName.delete(`optimizer/${slot}`);
  }
  if (byName.size > 0) throw fail('UNEXPECTED_WEIGHT', `the weights file has tensors no layer uses: ${[...byName.keys()].slice(0, 5).join(', ')}`);

  try {
    if (training) {
      model.compile({
        loss: training.loss as never, metrics: training.metrics as never, ...(training.lossWeights ? { lossWeights: training.lossWeights } : {}),
        optimizer: OPTIMIZER_CONSTRUCTORS[training.optimizer.className as 'sgd']!(training.optimizer.config),
      });
    }
  } catch (e) {
    throw badTraining((e as Error).message);
  }
  try {
    model.setWeights(expected.map(({ name }) => tensors.find((t) => t.name === name)!.data));
    if (optimizerState && training) {
      model.trainingConfig()!.optimizer.setState(model.paramGroups('loadModel'), { step: optimizerState.step, slots });
    }
  } catch (e) {
    model.dispose();
    throw e;
  }
  model.scalers = scalers;
  return model;
}

// Plain objects only, with known keys (unknownCode for the rest).
function object(value: unknown, where: string, allowed: string[], unknownCode: ErrorCode = 'BAD_TOPOLOGY'): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw badTopology(`${where} must be an object`);
  for (const k of Object.keys(value)) {
    if (!allowed.includes(k)) throw fail(unknownCode, `${where} has an unknown key ${JSON.stringify(k)} (allowed: ${allowed.join(', ')})`);
  }
  return value as Record<string, unknown>;
}

// A layer config's values: numbers, strings, booleans, short arrays of numbers (or of such arrays),
// and flat, small regularizer or initializer objects (the layer's constructor checks their keys and
// values); `layer` (a wrapper's) is checked by the caller.
function checkConfigValues(at: string, config: Record<string, unknown>): void {
  for (const [k, v] of Object.entries(config)) {
    if (k === 'layer') continue;
    const small = /(Regularizer|Initializer)$/.test(k) && v !== null && typeof v === 'object' && !Array.isArray(v)
      && Object.keys(v).length <= 5 && Object.values(v).every((x) => typeof x === 'number' || typeof x === 'string');
    const numbers = (a: unknown) => Array.isArray(a) && a.length <= 8 && a.every((d) => typeof d === 'number');
    const plain = small || typeof v === 'string' || typeof v === 'boolean' || typeof v === 'number' || numbers(v) || (Array.isArray(v) && v.length <= 4 && v.every(numbers));
    if (!plain) throw badLayer(`${at}.${k} must be a number, string, boolean, short array of numbers (or of such arrays), or a regularizer or initializer object`);
  }
}

// No __proto__, constructor or prototype key anywhere in the document.
function checkKeys(value: unknown, where: string, depth = 0): void {
  if (depth > 32) throw badTopology(`${where} is nested too deeply`);
  if (value === null || typeof value !== 'object') return;
  for (const k of Object.keys(value)) {
    if (FORBIDDEN.has(k)) throw fail('FORBIDDEN_KEY', `${where} has the forbidden key ${JSON.stringify(k)}`);
    checkKeys((value as Record<string, unknown>)[k], `${where}.${k}`, depth + 1);
  }
}

// What a model section of a topology describes, checked: every layer's type and config (nested
// models planned recursively), and for a graph its nodes, inputs and outputs.
interface Plan {
  kind: 'Sequential' | 'Model';
  name: string | undefined;
  layers: { type: (typeof LAYER_TYPES)[string] | null; config: Record<string, unknown>; nested: Plan | null }[];
  nodes: { layer: number; inbound: [number, number][] }[];
  inputs: number[];
  outputs: [number, number][];
}

function planModel(kind: 'Sequential' | 'Model', value: unknown, where: string, depth: number, names: Set<string>): Plan {
  if (depth > MAX_DEPTH) throw fail('NESTING_TOO_DEEP', `${where}: models nest more than ${MAX_DEPTH} deep`);
  const keys = kind === 'Sequential' ? ['name', 'layers'] : ['name', 'layers', 'nodes', 'inputs', 'outputs'];
  const m = object(value, where, keys);
  if (m.name !== undefined && (typeof m.name !== 'string' || !NAME.test(m.name))) {
    throw badLayer(`${where}.name must be 1-128 letters, digits, '_', '.' or '-', got ${JSON.stringify(m.name)}`);
  }
  if (!Array.isArray(m.layers) || m.layers.length === 0 || m.layers.length > MAX_LAYERS) {
    throw badTopology(`${where}.layers must be a non-empty array (at most ${MAX_LAYERS})`);
  }
  const own = new Map<string, number>();
  const layers = m.layers.map((entry, i) => {
    const at = `${where}.layers[${i}]`;
    const l = object(entry, at, ['className', 'config']);
    if (l.className === 'Model' || l.className === 'Sequential') {
      const nested = planModel(l.className, l.config, `${at}.config`, depth + 1, names);
      if (nested.name === undefined) throw badLayer(`${at}.config.name is required for a nested model`);
      if (names.has(nested.name) || own.has(nested.name)) throw badLayer(`${at}.config.name ${JSON.stringify(nested.name)} is used twice`);
      own.set(nested.name, i);
      return { type: null, config: {}, nested };
    }
    const type = typeof l.className === 'string' && Object.prototype.hasOwnProperty.call(LAYER_TYPES, l.className) ? LAYER_TYPES[l.className]! : null;
    if (!type) throw fail('UNKNOWN_LAYER', `${at}.className ${JSON.stringify(l.className)} is not one of ${[...Object.keys(LAYER_TYPES), 'Model', 'Sequential'].join(', ')}`);
    if (kind === 'Sequential' && type === InputLayer) throw fail('UNKNOWN_LAYER', `${at}: a sequential model lists no InputLayer`);
    const config = object(l.config, `${at}.config`, configKeys(type), 'UNKNOWN_OPTION');
    if (typeof config.name !== 'string' || !NAME.test(config.name)) {
      throw badLayer(`${at}.config.name must be 1-128 letters, digits, '_', '.' or '-', got ${JSON.stringify(config.name)}`);
    }
    if (names.has(config.name) || own.has(config.name)) throw badLayer(`${at}.config.name ${JSON.stringify(config.name)} is used twice`);
    names.add(config.name);
    own.set(config.name, i);
    if (kind === 'Sequential' && i === 0 && config.inputShape === undefined) throw badLayer(`${at}.config.inputShape is required`);
    checkConfigValues(`${at}.config`, config);
    // A wrapper's layer (Bidirectional's): { className, config } of a recurrent layer, one level deep.
    if (config.layer !== undefined) {
      const inner = object(config.layer, `${at}.config.layer`, ['className', 'config']);
      const allowed = l.className === 'TimeDistributed' ? TIME_DISTRIBUTABLE : ['SimpleRNN', 'LSTM', 'GRU'];
      const innerType = typeof inner.className === 'string' && allowed.includes(inner.className) ? LAYER_TYPES[inner.className]! : null;
      if (!innerType) throw fail('UNKNOWN_LAYER', `${at}.config.layer.className must be ${allowed.join(', ')}, got ${JSON.stringify(inner.className)}`);
      const innerConfig = object(inner.config, `${at}.config.layer.config`, configKeys(innerType).filter((k) => k !== 'name'), 'UNKNOWN_OPTION');
      if (innerConfig.layer !== undefined) throw badLayer(`${at}.config.layer.config.layer: a wrapped layer wraps nothing`);
      checkConfigValues(`${at}.config.layer.config`, innerConfig);
    }
    return { type, config, nested: null };
  });
  const plan: Plan = { kind, name: m.name as string | undefined, layers, nodes: [], inputs: [], outputs: [] };
  if (kind === 'Sequential') return plan;
  // Nodes: each names a listed layer and reads outputs of earlier nodes only, so no file describes a
  // cycle or a forward reference.
  if (!Array.isArray(m.nodes) || m.nodes.length === 0) throw badTopology(`${where}.nodes must be a non-empty array`);
  if (m.nodes.length > MAX_NODES) throw fail('TOO_MANY_NODES', `${where}.nodes has ${m.nodes.length} nodes, over the limit of ${MAX_NODES}`);
  const outputsOf: number[] = []; // how many outputs each node has: 1, or a nested model's output count
  const applied = new Set<number>();
  plan.nodes = m.nodes.map((entry, i) => {
    const at = `${where}.nodes[${i}]`;
    const n = object(entry, at, ['layer', 'inbound']);
    const li = typeof n.layer === 'string' ? own.get(n.layer) : undefined;
    if (li === undefined) throw fail('DANGLING_REFERENCE', `${at}.layer ${JSON.stringify(n.layer)} is not a layer of ${where}.layers`);
    if (!Array.isArray(n.inbound)) throw badTopology(`${at}.inbound must be an array of [node, output] pairs`);
    if (n.inbound.length > MAX_FAN_IN) throw fail('FAN_IN_TOO_LARGE', `${at}.inbound has ${n.inbound.length} inputs, over the limit of ${MAX_FAN_IN}`);
    const isInput = layers[li]!.type === InputLayer;
    if (isInput ? n.inbound.length !== 0 || applied.has(li) : n.inbound.length === 0) {
      throw badTopology(`${at}: ${isInput ? 'an input layer has one node and no inbound tensors' : 'a node needs at least one inbound tensor'}`);
    }
    const inbound = n.inbound.map((ref, j): [number, number] => {
      if (!Array.isArray(ref) || ref.length !== 2 || !ref.every((v) => Number.isSafeInteger(v) && v >= 0)) {
        throw badTopology(`${at}.inbound[${j}] must be [node, output], two integers >= 0, got ${JSON.stringify(ref)}`);
      }
      const [node, output] = ref as [number, number];
      if (node >= i) throw fail('FORWARD_REFERENCE', `${at}.inbound[${j}] reads node ${node}, which is not an earlier node (nodes must be listed in execution order; a graph has no cycles)`);
      if (output >= outputsOf[node]!) throw fail('DANGLING_REFERENCE', `${at}.inbound[${j}] reads output ${output} of node ${node}, which has ${outputsOf[node]}`);
      return [node, output];
    });
    const nested = layers[li]!.nested, config = layers[li]!.config;
    // A recurrent layer with returnState outputs its states too: h, and c for an LSTM; a bidirectional
    // layer whose wrapped layer has returnState, those of both directions.
    const wrapped = layers[li]!.type === LAYER_TYPES.Bidirectional ? ((config as { layer: { className: string; config: Record<string, unknown> } }).layer) : null;
    const rnn = wrapped ? wrapped.config : config, twice = wrapped ? 2 : 1;
    const states = (rnn as { returnState?: unknown }).returnState === true ? twice * ((wrapped ? wrapped.className === 'LSTM' : layers[li]!.type === LAYER_TYPES.LSTM) ? 2 : 1) : 0;
    outputsOf.push(nested?.kind === 'Model' ? nested.outputs.length : 1 + states);
    applied.add(li);
    return { layer: li, inbound };
  });
  layers.forEach((l, i) => {
    if (!applied.has(i)) throw badTopology(`${where}.layers[${i}] (${String(l.nested?.name ?? (l.config as { name?: unknown }).name)}) is never applied in ${where}.nodes`);
  });
  const nodeRef = (v: unknown, at: string): number => {
    if (!Number.isSafeInteger(v) || (v as number) < 0 || (v as number) >= plan.nodes.length) throw fail('DANGLING_REFERENCE', `${at} must be the index of a node, got ${JSON.stringify(v)}`);
    return v as number;
  };
  if (!Array.isArray(m.inputs) || m.inputs.length === 0 || m.inputs.length > MAX_FAN_IN) throw badTopology(`${where}.inputs must be a list of 1-${MAX_FAN_IN} node indices`);
  plan.inputs = m.inputs.map((v, i) => {
    const node = nodeRef(v, `${where}.inputs[${i}]`);
    if (layers[plan.nodes[node]!.layer]!.type !== InputLayer) throw badTopology(`${where}.inputs[${i}] must be the node of an InputLayer`);
    return node;
  });
  if (!Array.isArray(m.outputs) || m.outputs.length === 0 || m.outputs.length > MAX_FAN_IN) throw badTopology(`${where}.outputs must be a list of 1-${MAX_FAN_IN} [node, output] pairs`);
  plan.outputs = m.outputs.map((ref, i) => {
    if (!Array.isArray(ref) || ref.length !== 2) throw badTopology(`${where}.outputs[${i}] must be [node, output]`);
    const node = nodeRef(ref[0], `${where}.outputs[${i}][0]`);
    if (!Number.isSafeInteger(ref[1]) || ref[1] < 0 || ref[1] >= outputsOf[node]!) throw fail('DANGLING_REFERENCE', `${where}.outputs[${i}] reads output ${JSON.stringify(ref[1])} of node ${node}, which has ${outputsOf[node]}`);
    return [node, ref[1] as number];
  });
  return plan;
}

// Layer calls of one pass through a plan, nested models expanded; it stops counting past the limit
// and counts each nested plan once, so it takes no longer than the file is long.
function cost(plan: Plan, memo = new Map<Plan, number>()): number {
  const known = memo.get(plan);
  if (known !== undefined) return known;
  const parts = plan.kind === 'Sequential' ? plan.layers.map((l) => l.nested) : plan.nodes.map(({ layer }) => plan.layers[layer]!.nested);
  let n = 0;
  for (const nested of parts) {
    n += nested ? cost(nested, memo) : 1;
    if (n > MAX_NODES) break;
  }
  memo.set(plan, n);
  return n;
}

// The model a checked plan describes: layers made (constructors check option values), then applied
// node by node. Nothing here touches the arena.
function makeModel(plan: Plan, where = 'topology'): Model {
  const owned: Model[] = [];
  const layers = plan.layers.map(({ type, config, nested }, i) => {
    if (nested) {
      const m = makeModel(nested, `${where}.layers[${i}].config`);
      owned.push(m);
      return m;
    }
    try {
      return new type!(config as never);
    } catch (e) {
      throw badLayer(`${where}.layers[${i}]: ${(e as Error).message}`);
    }
  });
  try {
    if (plan.kind === 'Sequential') return Object.assign(new Sequential(layers, plan.name), { owned });
    const produced: SymbolicTensor[][] = [];
    plan.nodes.forEach(({ layer, inbound }) => {
      const l = layers[layer]!;
      if (l instanceof InputLayer) {
        produced.push([inputOf(l)]);
        return;
      }
      const ins = inbound.map(([node, output]) => produced[node]![output]!);
      const out = l.apply(ins.length > 1 || l.takesList ? ins : ins[0]!);
      produced.push(Array.isArray(out) ? out : [out]);
    });
    return Object.assign(new Model({
      inputs: plan.inputs.map((n) => produced[n]![0]!),
      outputs: plan.outputs.map(([n, o]) => produced[n]![o]!),
      ...(plan.name !== undefined ? { name: plan.name } : {}),
    }), { owned });
  } catch (e) {
    if (e instanceof WasmgradError && e.message.startsWith('loadModel:')) throw e;
    throw badTopology(`${where}: ${(e as Error).message}`);
  }
}
