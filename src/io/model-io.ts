// Saving and loading models: a JSON topology and a safetensors file of weights.
//
//   model.json                                   weights.safetensors
//   { "format": "wasmgrad/sequential",           dense_1/kernel  F32 [4, 16]
//     "formatVersion": 1,                        dense_1/bias    F32 [16]
//     "layers": [{ "className": "Dense",         ...
//                  "config": { name, units, … } }, …],   optimizer/m, optimizer/v  F32 [n]
//     "training": { loss, metrics, optimizer: { className, config } } | null,   (includeOptimizer)
//     "optimizerState": { "step": 12 } }          (includeOptimizer)
//
// The loader treats both files as hostile: the topology is checked against the schema below (our
// layer types and their options only, no __proto__/constructor keys, no code), the weights by
// readSafetensors, and names and shapes must match the model the topology builds exactly. Loading
// from a folder reads exactly two fixed file names inside it, so no path comes from the files.
import { WasmgradError, type ErrorCode } from '../errors.js';
import { Dense } from '../layers/dense.js';
import { Dropout } from '../layers/dropout.js';
import { Activation } from '../layers/activation.js';
import { BatchNormalization, LayerNormalization } from '../layers/normalization.js';
import { AveragePooling2D, Conv2D, Flatten, GlobalAveragePooling2D, MaxPooling2D } from '../layers/conv.js';
import { configKeys, type Layer } from '../layers/layer.js';
import { LOSSES, type LossSpec } from '../losses.js';
import { METRIC_NAMES } from '../metrics.js';
import { OPTIMIZER_CONSTRUCTORS, scheduleFromConfig } from '../optimizers.js';
import { Sequential } from '../model.js';
import { scalerFromState, type Scaler, type ScalerState } from '../preprocessing.js';
import { readSafetensors, writeSafetensors, type NamedTensor } from './safetensors.js';
import { folderUrl, fsPromises } from '../node.js';

/** A saved model: topology JSON and safetensors bytes. */
export interface ModelArtifacts {
  topology: string;
  weights: Uint8Array;
}

const FORMAT = 'wasmgrad/sequential';
const FORMAT_VERSION = 1;
const MAX_TOPOLOGY_BYTES = 1024 * 1024;
const FORBIDDEN = new Set(['__proto__', 'constructor', 'prototype']);
const NAME = /^[A-Za-z0-9_.-]{1,128}$/;

// The layer types a file may name; each class lists the options it takes (Layer.options).
const LAYER_TYPES: Record<string, { readonly options: readonly string[]; new (config: never): Layer }> = {
  Dense, Conv2D, MaxPooling2D, AveragePooling2D, GlobalAveragePooling2D, Flatten, Dropout, Activation, BatchNormalization, LayerNormalization,
};

function fail(code: ErrorCode, message: string): WasmgradError {
  return new WasmgradError(code, `loadModel: ${message}`);
}

// The errors most checks below throw.
const badTopology = (message: string) => fail('BAD_TOPOLOGY', message);
const badLayer = (message: string) => fail('BAD_LAYER_CONFIG', message);
const badTraining = (message: string) => fail('BAD_TRAINING_CONFIG', message);
const badState = (message: string) => fail('BAD_OPTIMIZER_STATE', message);

/** The artifacts of a model. */
export function modelToArtifacts(model: Sequential, options: { includeOptimizer?: boolean }): ModelArtifacts {
  const training = model.trainingConfig();
  const layers = model.layers.map((layer) => ({ className: layer.className, config: layer.getConfig() }));
  const tensors: NamedTensor[] = model.namedWeights().map(({ name, tensor }) => ({ name, shape: tensor.shape.slice(), data: tensor.toArray() }));
  const topology: Record<string, unknown> = {
    format: FORMAT, formatVersion: FORMAT_VERSION, layers,
    training: training && {
      loss: training.loss, metrics: training.metrics,
      optimizer: { className: training.optimizer.name, config: training.optimizer.getConfig() },
    },
  };
  const scalers = Object.entries(model.scalers);
  if (scalers.length > 0) topology.scalers = Object.fromEntries(scalers.map(([name, s]) => [name, s.getState()]));
  if (options.includeOptimizer) {
    if (!training) throw new WasmgradError('NOT_COMPILED', 'toArtifacts: includeOptimizer needs a compiled model');
    const state = training.optimizer.getState();
    if (state) {
      topology.optimizerState = { step: state.step, slots: Object.keys(state.slots) };
      for (const [slot, data] of Object.entries(state.slots)) tensors.push({ name: `optimizer/${slot}`, shape: [data.length], data });
    }
  }
  return { topology: JSON.stringify(topology), weights: writeSafetensors(tensors, { format: 'wasmgrad' }) };
}

/** Writes artifacts to dir/model.json and dir/weights.safetensors (Node and Deno). */
export async function saveArtifacts(dir: string | URL, artifacts: ModelArtifacts): Promise<void> {
  const fs = await fsPromises(), base = await folderUrl(dir);
  await fs.mkdir(base, { recursive: true });
  await fs.writeFile(new URL('model.json', base), artifacts.topology);
  await fs.writeFile(new URL('weights.safetensors', base), artifacts.weights);
}

/** A compiled, ready model from artifacts or from a folder written by model.save() (Node and Deno). */
export async function loadModel(source: ModelArtifacts | string | URL): Promise<Sequential> {
  let artifacts: ModelArtifacts;
  if (typeof source === 'string' || source instanceof URL) {
    const fs = await fsPromises(), base = await folderUrl(source);
    artifacts = {
      topology: await fs.readFile(new URL('model.json', base), 'utf8'),
      weights: new Uint8Array(await fs.readFile(new URL('weights.safetensors', base))),
    };
  } else {
    artifacts = source;
  }
  return fromArtifacts(artifacts);
}

/** A model from artifacts, checking everything before it allocates. */
export function fromArtifacts(artifacts: ModelArtifacts): Sequential {
  if (artifacts === null || typeof artifacts !== 'object' || typeof artifacts.topology !== 'string' || !(artifacts.weights instanceof Uint8Array)) {
    throw badTopology('expected { topology: string, weights: Uint8Array }');
  }
  if (artifacts.topology.length > MAX_TOPOLOGY_BYTES) throw fail('TOPOLOGY_TOO_LARGE', `topology is ${artifacts.topology.length} characters, over the limit of ${MAX_TOPOLOGY_BYTES}`);
  let topology: unknown;
  try {
    topology = JSON.parse(artifacts.topology);
  } catch (e) {
    throw fail('TOPOLOGY_NOT_JSON', `topology is not JSON (${(e as Error).message})`);
  }
  checkKeys(topology, 'topology');
  const top = object(topology, 'topology', ['format', 'formatVersion', 'layers', 'training', 'optimizerState', 'scalers']);
  if (top.format !== FORMAT || top.formatVersion !== FORMAT_VERSION) {
    throw fail('UNKNOWN_FORMAT', `format must be "${FORMAT}" version ${FORMAT_VERSION}, got ${JSON.stringify(top.format)} version ${JSON.stringify(top.formatVersion)}`);
  }
  if (!Array.isArray(top.layers) || top.layers.length === 0 || top.layers.length > 1000) {
    throw badTopology('layers must be a non-empty array (at most 1000)');
  }
  const names = new Set<string>();
  const specs = top.layers.map((entry, i) => {
    const l = object(entry, `layers[${i}]`, ['className', 'config']);
    const type = typeof l.className === 'string' && Object.prototype.hasOwnProperty.call(LAYER_TYPES, l.className) ? LAYER_TYPES[l.className]! : null;
    if (!type) throw fail('UNKNOWN_LAYER', `layers[${i}].className ${JSON.stringify(l.className)} is not one of ${Object.keys(LAYER_TYPES).join(', ')}`);
    const config = object(l.config, `layers[${i}].config`, configKeys(type), 'UNKNOWN_OPTION');
    if (typeof config.name !== 'string' || !NAME.test(config.name)) {
      throw badLayer(`layers[${i}].config.name must be 1-128 letters, digits, '_', '.' or '-', got ${JSON.stringify(config.name)}`);
    }
    if (names.has(config.name)) throw badLayer(`layers[${i}].config.name ${JSON.stringify(config.name)} is used twice`);
    names.add(config.name);
    if (i === 0 && config.inputShape === undefined) throw badLayer('layers[0].config.inputShape is required');
    for (const [k, v] of Object.entries(config)) {
      // Regularizers ({ l1, l2 }) and configured initializers ({ name, ...numbers }): flat and small;
      // the layer's constructor checks their keys and values.
      const small = /(Regularizer|Initializer)$/.test(k) && v !== null && typeof v === 'object' && !Array.isArray(v)
        && Object.keys(v).length <= 5 && Object.values(v).every((x) => typeof x === 'number' || typeof x === 'string');
      const plain = small || typeof v === 'string' || typeof v === 'boolean' || typeof v === 'number' || (Array.isArray(v) && v.length <= 8 && v.every((d) => typeof d === 'number'));
      if (!plain) throw badLayer(`layers[${i}].config.${k} must be a number, string, boolean, short array of numbers, or a regularizer or initializer object`);
    }
    return { type, config };
  });
  let training: { loss: LossSpec; metrics: string[]; optimizer: { className: string; config: Record<string, number> } } | null = null;
  if (top.training !== null && top.training !== undefined) {
    const t = object(top.training, 'training', ['loss', 'metrics', 'optimizer']);
    const o = object(t.optimizer, 'training.optimizer', ['className', 'config']);
    const oc = object(o.config, 'training.optimizer.config', ['learningRate', 'momentum', 'nesterov', 'beta1', 'beta2', 'epsilon',
      'weightDecay', 'rho', 'centered', 'initialAccumulatorValue', 'clipValue', 'clipNorm', 'globalClipNorm'], 'UNKNOWN_OPTION');
    const loss = typeof t.loss === 'string' ? { name: t.loss } : object(t.loss, 'training.loss', ['name', 'fromLogits'], 'UNKNOWN_OPTION');
    if (typeof loss.name !== 'string' || !Object.prototype.hasOwnProperty.call(LOSSES, loss.name)) {
      throw badTraining(`training.loss ${JSON.stringify(loss.name)} is not a known loss`);
    }
    if (loss.fromLogits !== undefined && typeof loss.fromLogits !== 'boolean') throw badTraining('training.loss.fromLogits must be a boolean');
    if (!Array.isArray(t.metrics) || t.metrics.some((m) => !METRIC_NAMES.includes(m))) throw badTraining(`training.metrics must be an array of known metric names, got ${JSON.stringify(t.metrics)}`);
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
    training = { loss: t.loss as LossSpec, metrics: t.metrics as string[], optimizer: { className: o.className, config: oc as Record<string, number> } };
  }
  let optimizerState: { step: number; slots: string[] } | null = null;
  if (top.optimizerState !== undefined) {
    const s = object(top.optimizerState, 'optimizerState', ['step', 'slots']);
    if (!training) throw badState('optimizerState needs a training section');
    if (!Number.isSafeInteger(s.step) || (s.step as number) < 0) throw badState(`optimizerState.step must be a non-negative integer, got ${JSON.stringify(s.step)}`);
    if (!Array.isArray(s.slots) || s.slots.length > 4 || s.slots.some((n) => typeof n !== 'string' || !NAME.test(n))) throw badState('optimizerState.slots must be a short list of names');
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
  const { tensors } = readSafetensors(artifacts.weights);

  // Build the layers (their constructors check every option's value), then the model's shapes.
  const layers = specs.map(({ type, config }, i) => {
    try {
      return new type(config as never);
    } catch (e) {
      throw badLayer(`layers[${i}]: ${(e as Error).message}`);
    }
  });
  let model: Sequential;
  try {
    model = new Sequential(layers);
  } catch (e) {
    throw badLayer((e as Error).message);
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
  const slots: Record<string, Float32Array> = {};
  for (const slot of optimizerState?.slots ?? []) {
    const t = byName.get(`optimizer/${slot}`);
    if (!t) throw fail('WEIGHT_MISSING', `the weights file has no tensor optimizer/${slot}`);
    slots[slot] = t.data;
    byName.delete(`optimizer/${slot}`);
  }
  if (byName.size > 0) throw fail('UNEXPECTED_WEIGHT', `the weights file has tensors no layer uses: ${[...byName.keys()].slice(0, 5).join(', ')}`);

  try {
    if (training) {
      model.compile({
        loss: training.loss, metrics: training.metrics as never,
        optimizer: OPTIMIZER_CONSTRUCTORS[training.optimizer.className as 'sgd']!(training.optimizer.config),
      });
    }
  } catch (e) {
    throw badTraining((e as Error).message);
  }
  try {
    model.setWeights(expected.map(({ name }) => tensors.find((t) => t.name === name)!.data));
    if (optimizerState && training) {
      const { ptr, count } = model.parameterBuffer();
      model.trainingConfig()!.optimizer.setState(ptr, count, { step: optimizerState.step, slots });
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

// No __proto__, constructor or prototype key anywhere in the document.
function checkKeys(value: unknown, where: string, depth = 0): void {
  if (depth > 32) throw badTopology(`${where} is nested too deeply`);
  if (value === null || typeof value !== 'object') return;
  for (const k of Object.keys(value)) {
    if (FORBIDDEN.has(k)) throw fail('FORBIDDEN_KEY', `${where} has the forbidden key ${JSON.stringify(k)}`);
    checkKeys((value as Record<string, unknown>)[k], `${where}.${k}`, depth + 1);
  }
}
