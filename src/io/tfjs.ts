// Importing TensorFlow.js layers models (tf.loadLayersModel's format, and Keras models converted by
// tensorflowjs_converter): model.json's Keras topology becomes wasmgrad's topology, its
// weightsManifest and .bin shards a list of named tensors; io/loader.ts then checks and builds both
// exactly as it does its own files, so a TF.js file meets the same hostile-input rules.
//
//   model.json = { modelTopology: { class_name: 'Sequential' | 'Model', config: { name, layers, … } },
//                  weightsManifest: [{ paths: ['group1-shard1of1.bin', …], weights: [{ name, shape, dtype }] }] }
//   each group's shards, concatenated, hold its weights one after another (float32, little-endian).
//
// Options are renamed (snake_case → camelCase) and kept when wasmgrad has them; what only sets up
// training from scratch (initializers) is dropped, since the weights come with the file; options whose
// value wasmgrad cannot honour (channels_first, dilation, constraints, unroll…) are refused by name,
// and every other unknown option is refused by the loader's own schema check.
import { WasmgradError, type ErrorCode } from '../errors.js';
import type { NamedTensor } from './safetensors.js';

const FORBIDDEN = new Set(['__proto__', 'constructor', 'prototype']);
const MAX_GROUPS = 1000, MAX_PATHS = 1000, MAX_WEIGHTS = 10_000, MAX_DEPTH = 4, MAX_LAYERS = 1000, MAX_NODES = 4000;
// The most bytes of weights a manifest may declare (the module's memory holds at most 4 GiB).
const MAX_TOTAL_BYTES = 2 ** 32;
const SHARD_PATH = /^[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+)*$/;
const MAX_WEIGHT_VALUES = 2 ** 28;
const NAME = /^[A-Za-z0-9_.\-/:]{1,256}$/;

function fail(code: ErrorCode, message: string): WasmgradError {
  return new WasmgradError(code, `loadModel: ${message}`);
}
const badManifest = (message: string) => fail('BAD_MANIFEST', message);
const badLayer = (message: string) => fail('BAD_LAYER_CONFIG', message);
const badTopology = (message: string) => fail('BAD_TOPOLOGY', message);

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => v !== null && typeof v === 'object' && !Array.isArray(v);
// A nested model's entry (Keras 3 names the functional class Functional).
const isModelEntry = (l: unknown): l is Json & { class_name: string } => isObject(l) && (l.class_name === 'Sequential' || l.class_name === 'Model' || l.class_name === 'Functional');

/** Whether a parsed model.json (or artifacts object) is TF.js' format. */
export function isTfjs(doc: unknown): doc is Json {
  return isObject(doc) && ('modelTopology' in doc || 'weightsManifest' in doc);
}

/** One weight of a TF.js manifest. */
export interface TfjsWeightSpec { name: string; shape: number[]; dtype: string }

// ---- the manifest ----------------------------------------------------------------------------------

/** A checked list of TF.js weight specs (float32, sane shapes and names). */
export function readWeightSpecs(list: unknown, where: string): TfjsWeightSpec[] {
  if (!Array.isArray(list)) throw badManifest(`${where} must be a list of { name, shape, dtype }`);
  return list.map((w, i) => {
    const at = `${where}[${i}]`;
    if (!isObject(w)) throw badManifest(`${at} must be an object { name, shape, dtype }`);
    for (const k of Object.keys(w)) if (FORBIDDEN.has(k)) throw fail('FORBIDDEN_KEY', `${at} has the key ${JSON.stringify(k)}`);
    if (typeof w.name !== 'string' || !NAME.test(w.name)) throw fail('BAD_NAME', `${at}.name must be 1-256 letters, digits and _ . - / :, got ${JSON.stringify(w.name)}`);
    if (w.quantization !== undefined && w.quantization !== null) throw fail('UNSUPPORTED_DTYPE', `${at} (${w.name}) is quantized; wasmgrad reads float32 weights only (convert without --quantize)`);
    if (w.dtype !== 'float32') throw fail('UNSUPPORTED_DTYPE', `${at} (${w.name}) has dtype ${JSON.stringify(w.dtype)}; wasmgrad reads float32 weights only`);
    if (!Array.isArray(w.shape) || w.shape.length > 8 || !w.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      throw fail('BAD_SHAPE', `${at} (${w.name}).shape must be a list of at most 8 integers >= 0, got ${JSON.stringify(w.shape)}`);
    }
    let n = 1;
    for (const d of w.shape as number[]) { n *= d; if (n > MAX_WEIGHT_VALUES) throw fail('BAD_SHAPE', `${at} (${w.name}) has over ${MAX_WEIGHT_VALUES} values`); }
    return { name: w.name, shape: (w.shape as number[]).slice(), dtype: w.dtype };
  });
}

const count = (w: TfjsWeightSpec): number => w.shape.reduce((a, b) => a * b, 1);

/** A checked weightsManifest: its groups' shard paths (relative, inside the model's folder), weights and byte counts. */
export function readManifest(doc: Json): { paths: string[]; weights: TfjsWeightSpec[]; bytes: number }[] {
  const m = doc.weightsManifest;
  if (!Array.isArray(m) || m.length > MAX_GROUPS) throw badManifest(`weightsManifest must be a list of at most ${MAX_GROUPS} groups { paths, weights }`);
  let weightCount = 0, pathCount = 0, total = 0;
  const seen = new Set<string>();
  return m.map((g, i) => {
    const at = `weightsManifest[${i}]`;
    if (!isObject(g)) throw badManifest(`${at} must be an object { paths, weights }`);
    if (!Array.isArray(g.paths) || g.paths.length === 0) throw badManifest(`${at}.paths must be a non-empty list of file names`);
    pathCount += g.paths.length;
    if (pathCount > MAX_PATHS) throw badManifest(`the manifest names over ${MAX_PATHS} shard files`);
    const paths = g.paths.map((p, j) => {
      const path = shardPath(p, `${at}.paths[${j}]`);
      if (seen.has(path)) throw badManifest(`${at}.paths[${j}] ${JSON.stringify(path)} is listed twice`);
      seen.add(path);
      return path;
    });
    const weights = readWeightSpecs(g.weights, `${at}.weights`);
    weightCount += weights.length;
    if (weightCount > MAX_WEIGHTS) throw badManifest(`the manifest lists over ${MAX_WEIGHTS} weights`);
    const bytes = weights.reduce((n, w) => n + 4 * count(w), 0);
    total += bytes;
    if (total > MAX_TOTAL_BYTES) throw badManifest(`the manifest's weights need over ${MAX_TOTAL_BYTES} bytes`);
    return { paths, weights, bytes };
  });
}

// A shard's path: file names of letters, digits, _ . - joined by '/', inside the model's folder (no
// scheme, no root, no '.' or '..' segments, no encoded or other characters: an allowlist).
function shardPath(p: unknown, at: string): string {
  if (typeof p !== 'string' || p.length === 0 || p.length > 256) throw badManifest(`${at} must be a file name of 1-256 characters, got ${JSON.stringify(p)}`);
  if (!SHARD_PATH.test(p) || p.split('/').some((s) => s === '.' || s === '..')) {
    throw fail('UNSAFE_PATH', `${at} ${JSON.stringify(p)} must be a relative path inside the model's folder: names of letters, digits, _ . - joined by /, no . or .. segments`);
  }
  return p;
}

/** Named float32 tensors from a manifest's weights and their bytes (each group's shards concatenated). */
export function readWeights(groups: readonly { weights: readonly TfjsWeightSpec[]; bytes: Uint8Array }[]): { spec: TfjsWeightSpec; data: Float32Array }[] {
  const out: { spec: TfjsWeightSpec; data: Float32Array }[] = [];
  const seen = new Set<string>();
  groups.forEach(({ weights, bytes }, gi) => {
    const need = weights.reduce((n, w) => n + 4 * count(w), 0);
    if (need !== bytes.length) throw fail('SIZE_MISMATCH', `weightsManifest[${gi}] lists ${need} bytes of weights, its shards hold ${bytes.length}`);
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    let at = 0;
    for (const spec of weights) {
      if (seen.has(spec.name)) throw fail('DUPLICATE_NAME', `the weight ${JSON.stringify(spec.name)} is listed twice`);
      seen.add(spec.name);
      const data = new Float32Array(count(spec));
      for (let i = 0; i < data.length; i++, at += 4) data[i] = view.getFloat32(at, true);
      out.push({ spec, data });
    }
  });
  return out;
}

// ---- the topology ----------------------------------------------------------------------------------

const camel = (s: string): string => s.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
const ACTIVATION_NAMES: Record<string, string> = { hard_sigmoid: 'hardSigmoid', leaky_relu: 'leakyRelu', hardSigmoid: 'hardSigmoid', leakyRelu: 'leakyRelu' };
// Options that set up training from scratch: the file's weights replace what they would make.
const DROPPED = new Set(['kernelInitializer', 'biasInitializer', 'recurrentInitializer', 'embeddingsInitializer', 'gammaInitializer',
  'betaInitializer', 'movingMeanInitializer', 'movingVarianceInitializer', 'implementation', 'inputLength', 'inputDtype']);
// Options wasmgrad has no use for unless they hold this value (null: absent).
const FIXED: Record<string, { ok: (v: unknown) => boolean; wants: string }> = {
  dtype: { ok: (v) => v === null || v === 'float32', wants: 'float32' },
  activityRegularizer: { ok: (v) => v === null, wants: 'null' },
  kernelConstraint: { ok: (v) => v === null, wants: 'null' },
  biasConstraint: { ok: (v) => v === null, wants: 'null' },
  recurrentConstraint: { ok: (v) => v === null, wants: 'null' },
  embeddingsConstraint: { ok: (v) => v === null, wants: 'null' },
  gammaConstraint: { ok: (v) => v === null, wants: 'null' },
  betaConstraint: { ok: (v) => v === null, wants: 'null' },
  gammaRegularizer: { ok: (v) => v === null, wants: 'null' },
  betaRegularizer: { ok: (v) => v === null, wants: 'null' },
  noiseShape: { ok: (v) => v === null, wants: 'null' },
  dataFormat: { ok: (v) => v === null || v === 'channels_last', wants: "'channels_last'" },
  dilationRate: { ok: (v) => v === 1 || (Array.isArray(v) && v.every((d) => d === 1)), wants: '1' },
  unroll: { ok: (v) => v === false, wants: 'false' },
  timeMajor: { ok: (v) => v === false, wants: 'false' },
  sparse: { ok: (v) => v === false, wants: 'false' },
  ragged: { ok: (v) => v === false, wants: 'false' },
  interpolation: { ok: (v) => v === 'nearest', wants: "'nearest'" },
  center: { ok: (v) => v === true, wants: 'true' },
  scale: { ok: (v) => v === true, wants: 'true' },
  keepdims: { ok: (v) => v === false, wants: 'false' },
  groups: { ok: (v) => v === 1, wants: '1' },
  outputPadding: { ok: (v) => v === null, wants: 'null' },
};

function regularizer(v: unknown, at: string): unknown {
  if (v === null) return undefined;
  if (isObject(v) && (v.class_name === 'L1L2' || v.className === 'L1L2') && isObject(v.config)) return { l1: v.config.l1 ?? 0, l2: v.config.l2 ?? 0 };
  throw badLayer(`${at}: only L1L2 regularizers are read, got ${JSON.stringify(v).slice(0, 200)}`);
}

// One layer's Keras config in wasmgrad's terms.
/** A normalization axis given by index: the loader checks it is the last axis once shapes are known. */
export interface AxisCheck { layer: string; axis: number; at: string }

function layerConfig(className: string, config: unknown, at: string, depth: number, axes: AxisCheck[]): Json {
  if (!isObject(config)) throw badLayer(`${at}.config must be an object`);
  const out: Json = {};
  for (const [key, value] of Object.entries(config)) {
    if (FORBIDDEN.has(key)) throw fail('FORBIDDEN_KEY', `${at}.config has the key ${JSON.stringify(key)}`);
    const k = camel(key);
    if (DROPPED.has(k)) continue;
    const fixed = Object.prototype.hasOwnProperty.call(FIXED, k) ? FIXED[k] : undefined;
    if (value === null && !fixed && k !== 'mergeMode') continue; // Keras' None: the default
    if (fixed) {
      if (!fixed.ok(value)) throw badLayer(`${at} (${className}): ${key} ${JSON.stringify(value)} is not supported (wasmgrad computes ${key} = ${fixed.wants} only)`);
      continue;
    }
    if (k === 'batchInputShape' || k === 'batchShape') {
      if (!Array.isArray(value) || value.length < 2) throw badLayer(`${at}.${key} must be [batch, ...sample shape], got ${JSON.stringify(value)}`);
      out.inputShape = value.slice(1);
    } else if (k === 'activation' || k === 'recurrentActivation') {
      out[k] = typeof value === 'string' && Object.prototype.hasOwnProperty.call(ACTIVATION_NAMES, value) ? ACTIVATION_NAMES[value] : value;
    } else if (k.endsWith('Regularizer')) {
      const r = regularizer(value, `${at}.${key}`);
      if (r !== undefined) out[k] = r;
    } else if (k === 'unitForgetBias' || k === 'seed' || k === 'trainable') {
      if (value !== null) out[k] = value;
    } else if (k === 'axis' && (className === 'BatchNormalization' || className === 'LayerNormalization')) {
      // wasmgrad normalizes the last axis: -1, or its index, which the loader checks once shapes are known.
      const axis = Array.isArray(value) && value.length === 1 ? value[0] : value;
      if (!Number.isSafeInteger(axis) || (axis !== -1 && (axis as number) < 1)) throw badLayer(`${at} (${className}): axis ${JSON.stringify(value)} is not supported (wasmgrad normalizes the last axis)`);
      if (axis !== -1) {
        if (depth > 0 || typeof config.name !== 'string') throw badLayer(`${at} (${className}): give axis -1 (wasmgrad normalizes the last axis; ${JSON.stringify(value)} cannot be checked here)`);
        axes.push({ layer: config.name, axis: axis as number, at });
      }
    } else if (k === 'mergeMode') {
      if (value === null) throw badLayer(`${at} (Bidirectional): merge_mode null (the two directions as a list) is not supported; use 'concat', 'sum', 'mul' or 'ave'`);
      out.mergeMode = value;
    } else if (k === 'layer' && (className === 'Bidirectional' || className === 'TimeDistributed')) {
      if (!isObject(value) || typeof value.class_name !== 'string') throw badLayer(`${at}.layer must be { class_name, config }`);
      if (depth >= MAX_DEPTH) throw fail('NESTING_TOO_DEEP', `${at}.layer is nested too deep`);
      const { name: _name, trainable: _trainable, ...inner } = layerConfig(value.class_name, value.config, `${at}.layer`, depth + 1, axes);
      out.layer = { className: value.class_name, config: inner };
    } else {
      out[k] = value;
    }
  }
  // TF.js' GRU is the resetAfter: false form and saves no reset_after; Keras saves it.
  if (className === 'GRU' && !('resetAfter' in out)) out.resetAfter = false;
  if (className === 'MaxPooling2D' || className === 'AveragePooling2D') {
    if (out.padding !== undefined && out.padding !== 'valid') throw badLayer(`${at} (${className}): padding ${JSON.stringify(out.padding)} is not supported (pooling is 'valid' only)`);
    delete out.padding;
  }
  return out;
}

// A Keras model config (Sequential or functional) as wasmgrad's topology object.
function modelTopology(className: unknown, config: unknown, at: string, depth: number, axes: AxisCheck[]): Json {
  if (depth > MAX_DEPTH) throw fail('NESTING_TOO_DEEP', `${at} nests models more than ${MAX_DEPTH} deep`);
  const layerOf = (l: unknown, where: string): Json => {
    if (!isObject(l) || typeof l.class_name !== 'string') throw badTopology(`${where} must be { class_name, config }`);
    if (isModelEntry(l)) {
      return { className: l.class_name === 'Sequential' ? 'Sequential' : 'Model', config: modelTopology(l.class_name, l.config, `${where}.config`, depth + 1, axes) };
    }
    return { className: l.class_name, config: layerConfig(l.class_name, l.config, where, 0, axes) };
  };
  if (className === 'Sequential') {
    // TF.js 1.x+ writes { name, layers }; older files the list alone.
    const c = Array.isArray(config) ? { layers: config } : config;
    if (!isObject(c) || !Array.isArray(c.layers) || c.layers.length === 0) throw badTopology(`${at}: a Sequential config needs a non-empty layers list`);
    if (c.layers.length > MAX_LAYERS) throw fail('TOO_MANY_NODES', `${at} has ${c.layers.length} layers, over the limit of ${MAX_LAYERS}`);
    let layers = c.layers.map((l, i) => layerOf(l, `${at}.layers[${i}]`));
    // Keras may start a Sequential with its InputLayer: it becomes the next layer's inputShape.
    if (layers[0]!.className === 'InputLayer' && layers.length > 1) {
      const shape = (layers[0]!.config as Json).inputShape;
      layers = layers.slice(1);
      (layers[0]!.config as Json).inputShape ??= shape;
    }
    return { ...(typeof c.name === 'string' ? { name: c.name } : {}), layers };
  }
  if (className !== 'Model' && className !== 'Functional') throw fail('UNKNOWN_FORMAT', `${at}: class_name must be 'Sequential' or 'Model', got ${JSON.stringify(className)}`);
  if (!isObject(config) || !Array.isArray(config.layers)) throw badTopology(`${at}: a Model config needs layers, input_layers and output_layers`);
  const entries = config.layers as unknown[];
  if (entries.length > MAX_LAYERS) throw fail('TOO_MANY_NODES', `${at} has ${entries.length} layers, over the limit of ${MAX_LAYERS}`);
  const byName = new Map<string, number>();
  const layers = entries.map((l, i) => {
    const where = `${at}.layers[${i}]`;
    if (!isObject(l) || typeof l.name !== 'string') throw badTopology(`${where} must be { name, class_name, config, inbound_nodes }`);
    if (byName.has(l.name)) throw fail('DUPLICATE_NAME', `${where}: two layers are named ${JSON.stringify(l.name)}`);
    byName.set(l.name, i);
    const converted = layerOf(l, where);
    // The layer's name is the entry's: a nested model's config names it too.
    (converted.config as Json).name = l.name;
    for (const a of axes) if (a.at === where) a.layer = l.name;
    return converted;
  });
  // Each application of a layer is a node (layer, node index), reading [layer, node index, tensor index] refs.
  interface KNode { layer: number; index: number; inbound: [number, number, number][] }
  const nodes: KNode[] = [];
  const nodeOf = new Map<string, number>();
  // A nested model's own first node (its input) is node 0 to Keras and TF.js, so the references number
  // its applications from 1 (tfjs-layers' buildNodeConversionMap, Keras' _should_skip_first_node).
  entries.forEach((l, li) => {
    const offset = isModelEntry(l) ? 1 : 0;
    const inbound = (l as Json).inbound_nodes;
    if (!Array.isArray(inbound)) throw badTopology(`${at}.layers[${li}].inbound_nodes must be a list`);
    inbound.forEach((node, ni) => {
      const where = `${at}.layers[${li}].inbound_nodes[${ni}]`;
      if (!Array.isArray(node)) throw badTopology(`${where} must be a list of [layer, node, tensor, kwargs] (Keras 2's format)`);
      const refs = node.map((ref, j): [number, number, number] => {
        if (!Array.isArray(ref) || ref.length < 3 || typeof ref[0] !== 'string' || !Number.isSafeInteger(ref[1]) || !Number.isSafeInteger(ref[2])) {
          throw badTopology(`${where}[${j}] must be [layer name, node index, tensor index, kwargs]`);
        }
        if (ref[3] !== undefined && !(isObject(ref[3]) && Object.keys(ref[3]).length === 0)) {
          throw badTopology(`${where}[${j}] passes call arguments ${JSON.stringify(ref[3]).slice(0, 200)}, which wasmgrad does not read`);
        }
        const src = byName.get(ref[0]);
        if (src === undefined) throw fail('DANGLING_REFERENCE', `${where}[${j}] reads layer ${JSON.stringify(ref[0])}, which is not in the model`);
        return [src, ref[1] as number, ref[2] as number];
      });
      nodeOf.set(`${li}:${ni + offset}`, nodes.length);
      nodes.push({ layer: li, index: ni + offset, inbound: refs });
      if (nodes.length > MAX_NODES) throw fail('TOO_MANY_NODES', `${at} has over ${MAX_NODES} nodes`);
    });
    if (inbound.length === 0) {
      nodeOf.set(`${li}:0`, nodes.length);
      nodes.push({ layer: li, index: 0, inbound: [] });
    }
  });
  // Execution order: a node after every node it reads (Kahn's algorithm with a queue; a cycle is refused).
  const deps = nodes.map((n, i) => n.inbound.map(([l, ni], j) => {
    const d = nodeOf.get(`${l}:${ni}`);
    if (d === undefined) throw fail('DANGLING_REFERENCE', `${at}: node ${nodes[i]!.index} of layer ${JSON.stringify((entries[n.layer] as Json).name)} reads node ${ni} of layer ${JSON.stringify((entries[l] as Json).name)} (input ${j}), which does not exist`);
    return d;
  }));
  const waiting = deps.map((d) => d.length), readers: number[][] = nodes.map(() => []);
  deps.forEach((d, i) => d.forEach((from) => readers[from]!.push(i)));
  const order: number[] = [], placed = new Array<number>(nodes.length).fill(-1);
  const queue = waiting.flatMap((w, i) => (w === 0 ? [i] : []));
  for (let q = 0; q < queue.length; q++) {
    const i = queue[q]!;
    placed[i] = order.length;
    order.push(i);
    for (const r of readers[i]!) if (--waiting[r]! === 0) queue.push(r);
  }
  if (order.length < nodes.length) throw fail('FORWARD_REFERENCE', `${at}: the layers' inbound nodes form a cycle`);
  const ref = (r: unknown, where: string): [number, number] => {
    if (!Array.isArray(r) || typeof r[0] !== 'string' || !Number.isSafeInteger(r[1]) || !Number.isSafeInteger(r[2])) throw badTopology(`${where} must be [layer name, node index, tensor index]`);
    const n = nodeOf.get(`${byName.get(r[0]) ?? -1}:${r[1]}`);
    if (n === undefined) throw fail('DANGLING_REFERENCE', `${where} reads ${JSON.stringify(r)}, which is not a node of the model`);
    return [placed[n]!, r[2] as number];
  };
  if (!Array.isArray(config.input_layers) || !Array.isArray(config.output_layers)) throw badTopology(`${at}: a Model config needs input_layers and output_layers`);
  return {
    ...(typeof config.name === 'string' ? { name: config.name } : {}),
    layers,
    nodes: order.map((i) => ({ layer: (entries[nodes[i]!.layer] as Json).name, inbound: nodes[i]!.inbound.map(([l, ni, ti]) => [placed[nodeOf.get(`${l}:${ni}`)!]!, ti]) })),
    inputs: config.input_layers.map((r, i) => ref(r, `${at}.input_layers[${i}]`)[0]),
    outputs: config.output_layers.map((r, i) => ref(r, `${at}.output_layers[${i}]`)),
  };
}

/** wasmgrad's topology document for a TF.js modelTopology (plain, or with Keras' model_config), and the axes to check. */
export function convertTopology(modelTopologyJson: unknown): { topology: Json; axes: AxisCheck[] } {
  if (!isObject(modelTopologyJson)) throw badTopology('modelTopology must be an object');
  const top = isObject(modelTopologyJson.model_config) ? modelTopologyJson.model_config : modelTopologyJson;
  const className = top.class_name, axes: AxisCheck[] = [];
  const converted = modelTopology(className, top.config, 'modelTopology', 0, axes);
  return { topology: { format: className === 'Sequential' ? 'wasmgrad/sequential' : 'wasmgrad/model', formatVersion: 1, ...converted, training: null }, axes };
}

/** A TF.js weight's wasmgrad name: 'lstm_1/lstm_cell/kernel' → 'lstm_1/kernel', 'bi/forward_lstm_1/bias' → 'bi/forward_bias'. */
export function weightName(name: string): string {
  const parts = name.replace(/:\d+$/, '').split('/');
  const layer = parts[0]!, last = parts[parts.length - 1]!;
  const direction = parts.slice(1, -1).find((p) => p.startsWith('forward_') || p.startsWith('backward_'));
  return `${layer}/${direction ? `${direction.split('_')[0]}_` : ''}${last}`;
}

/** The weights of a TF.js manifest as wasmgrad's named tensors. */
export function namedTensors(weights: readonly { spec: TfjsWeightSpec; data: Float32Array }[]): NamedTensor[] {
  const seen = new Set<string>();
  return weights.map(({ spec, data }) => {
    const name = weightName(spec.name);
    if (seen.has(name)) throw fail('DUPLICATE_NAME', `the weights ${JSON.stringify(spec.name)} and another both map to ${JSON.stringify(name)}`);
    seen.add(name);
    return { name, shape: spec.shape.slice(), data };
  });
}
