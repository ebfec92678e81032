// toOnnx(model): the model as an ONNX file (opset 17 and later), for ONNX Runtime and every engine
// that reads ONNX. The exporter walks the model's graph (nested models inlined) and writes, for each
// layer, the ONNX operators that compute what the layer computes at inference:
//
//   dense → MatMul (+ Add)            conv2d → Conv              conv2dTranspose → ConvTranspose
//   pooling → MaxPool / AveragePool / GlobalAveragePool          batch / layer norm → their ONNX ops
//   flatten, reshape → Flatten, Reshape                          upSampling2d → Resize (nearest)
//   zeroPadding2d → Pad               merge layers → Sum, Sub, Mul, Mean, Max, Min, Concat
//   embedding → Cast + Gather         simpleRNN / lstm / gru → RNN / LSTM / GRU (gates reordered)
//   bidirectional → one bidirectional RNN op    repeatVector → Unsqueeze + Tile
//   timeDistributed → Reshape around the wrapped layer           dropout, gaussianNoise → nothing
//
// Layout: wasmgrad's images are channels-last (NHWC); ONNX's convolutions are channels-first (NCHW).
// Each value carries its layout: convolutions and pooling ask for NCHW, everything that reads the last
// axis as features (dense, flatten, softmax, layer norm) asks for NHWC, and a Transpose is written only
// where the layout changes, so a chain of convolutions and pools stays NCHW. Inputs and outputs are
// channels-last, as model.predict takes and gives them, with a symbolic batch dimension.
//
// This module is the subpath export 'wasmgrad/onnx': it reaches the core only through the package's
// public entry (../index.js), so the core bundle does not carry it and both share one module state.
import { WasmgradError, type Model, type SymbolicTensor } from '../index.js';
import type { Node } from '../engine/symbolic.js';
import type { AnyLayer } from '../layers/layer.js';
import { NCHW_AXIS, checkExportArgs, isModel, pair, samePads, transposeGeometry } from '../export/common.js';
import { modelProto, nodeProto, tensorProto, valueInfo, type AttributeValue } from './proto.js';

/** Options of toOnnx(). */
export interface OnnxOptions {
  /** The ONNX opset to target, 17 (default) to 21. */
  opset?: number;
}

const MIN_OPSET = 17, MAX_OPSET = 21;
// ONNX's IR version for each opset (onnx/helper.py VERSION_TABLE).
const IR_VERSIONS: Record<number, number> = { 17: 8, 18: 8, 19: 9, 20: 9, 21: 10 };

type Layout = 'nhwc' | 'nchw';
/** A tensor of the ONNX graph: its name, its layout, and its sample shape in wasmgrad's (channels-last) terms. */
interface Value { name: string; layout: Layout; shape: readonly number[] }
interface Weight { shape: readonly number[]; data: Float32Array }
/** What a converter reads of a layer (a TimeDistributed wrapper hands its inner layer's view). */
interface LayerView {
  name: string;
  className: string;
  config: Record<string, unknown>;
  weight(name: string): Weight | undefined;
  inShapes: readonly (readonly number[])[];
  outShapes: readonly (readonly number[])[];
}

function unsupported(message: string): WasmgradError {
  return new WasmgradError('INVALID_ARGUMENT', `toOnnx: ${message}`);
}

// The ONNX graph being written: nodes, initializers, and fresh names.
class OnnxGraph {
  readonly nodes: Uint8Array[] = [];
  readonly initializers: Uint8Array[] = [];
  readonly #names = new Set<string>();
  readonly #cached = new Map<string, string>();

  /** A name not used yet, from `base`. */
  fresh(base: string): string {
    let name = base, i = 1;
    while (this.#names.has(name)) name = `${base}_${i++}`;
    this.#names.add(name);
    return name;
  }

  /** Appends a node with fresh output names made from `base`; returns them. */
  op(type: string, inputs: readonly string[], attrs: Readonly<Record<string, AttributeValue>> = {}, base = type, outputs = 1): string[] {
    const outs = Array.from({ length: outputs }, (_, i) => this.fresh(outputs === 1 ? base : `${base}_out${i}`));
    return this.opNamed(type, inputs, outs, attrs);
  }

  /** Appends a node whose outputs have names already reserved with fresh(). */
  opNamed(type: string, inputs: readonly string[], outputs: string[], attrs: Readonly<Record<string, AttributeValue>> = {}): string[] {
    this.nodes.push(nodeProto(type, inputs, outputs, this.fresh(`${outputs[0]}_node`), attrs));
    return outputs;
  }

  /** A float initializer (made once per key: a shared layer's weights are written once). */
  floats(key: string, dims: readonly number[], data: () => Float32Array): string {
    let name = this.#cached.get(key);
    if (name === undefined) {
      name = this.fresh(key);
      this.initializers.push(tensorProto(name, dims, data()));
      this.#cached.set(key, name);
    }
    return name;
  }

  /** A value in the other layout, transposed once however many layers read it. */
  converted(name: string, layout: Layout, make: () => string): string {
    const key = `${layout}:${name}`;
    let out = this.#cached.get(key);
    if (out === undefined) { out = make(); this.#cached.set(key, out); }
    return out;
  }

  /** A float scalar constant. */
  scalar(value: number): string {
    return this.floats(`const_${value}`, [], () => Float32Array.of(value));
  }

  /** A 1-D int64 constant (shapes, axes, pads). */
  ints(values: readonly number[]): string {
    const key = `ints_${values.join('_').replaceAll('-', 'm')}`;
    let name = this.#cached.get(key);
    if (name === undefined) {
      name = this.fresh(key);
      this.initializers.push(tensorProto(name, [values.length], BigInt64Array.from(values.map((v) => BigInt(v)))));
      this.#cached.set(key, name);
    }
    return name;
  }
}

// ---- layouts -------------------------------------------------------------------------------------

const isImage = (v: Value): boolean => v.shape.length === 3;

function toNhwc(g: OnnxGraph, v: Value): Value {
  if (v.layout === 'nhwc') return v;
  return { name: g.converted(v.name, 'nhwc', () => g.op('Transpose', [v.name], { perm: [0, 2, 3, 1] }, `${v.name}_nhwc`)[0]!), layout: 'nhwc', shape: v.shape };
}

function toNchw(g: OnnxGraph, v: Value, layer: string): Value {
  if (v.layout === 'nchw') return v;
  if (!isImage(v)) throw unsupported(`${layer} needs [height, width, channels] samples, got [${v.shape.join(', ')}]`);
  return { name: g.converted(v.name, 'nchw', () => g.op('Transpose', [v.name], { perm: [0, 3, 1, 2] }, `${v.name}_nchw`)[0]!), layout: 'nchw', shape: v.shape };
}

// ---- weights -------------------------------------------------------------------------------------

// A row-major array permuted like numpy.transpose(a, perm).
function permute(w: Weight, perm: readonly number[]): { shape: number[]; data: Float32Array } {
  const shape = perm.map((p) => w.shape[p]!);
  const inStrides = w.shape.map((_, i) => w.shape.slice(i + 1).reduce((a, b) => a * b, 1));
  const out = new Float32Array(w.data.length);
  const idx = new Array<number>(shape.length).fill(0);
  for (let o = 0; o < out.length; o++) {
    let src = 0;
    for (let k = 0; k < shape.length; k++) src += idx[k]! * inStrides[perm[k]!]!;
    out[o] = w.data[src]!;
    for (let k = shape.length - 1; k >= 0; k--) {
      if (++idx[k]! < shape[k]!) break;
      idx[k] = 0;
    }
  }
  return { shape, data: out };
}

function need(layer: LayerView, name: string): Weight {
  const w = layer.weight(name);
  if (!w) throw unsupported(`${layer.name} has no weight ${name} (is the model built?)`);
  return w;
}

function weightInit(g: OnnxGraph, layer: LayerView, name: string): string {
  const w = need(layer, name);
  return g.floats(`${layer.name}/${name}`, w.shape, () => w.data);
}

// ---- activations ---------------------------------------------------------------------------------

function activate(g: OnnxGraph, v: Value, activation: unknown, layer: string): Value {
  const one = (op: string, attrs: Record<string, AttributeValue> = {}): Value => ({ ...v, name: g.op(op, [v.name], attrs, `${layer}_${op.toLowerCase()}`)[0]! });
  switch (activation ?? 'linear') {
    case 'linear': return v;
    case 'relu': return one('Relu');
    case 'sigmoid': return one('Sigmoid');
    case 'tanh': return one('Tanh');
    case 'elu': return one('Elu', { alpha: { float: 1 } });
    case 'leakyRelu': return one('LeakyRelu', { alpha: { float: 0.2 } });
    case 'softplus': return one('Softplus');
    case 'softmax': {
      const x = toNhwc(g, v);
      return { ...x, name: g.op('Softmax', [x.name], { axis: -1 }, `${layer}_softmax`)[0]! };
    }
    case 'swish': {
      const s = g.op('Sigmoid', [v.name], {}, `${layer}_sigmoid`)[0]!;
      return { ...v, name: g.op('Mul', [v.name, s], {}, `${layer}_swish`)[0]! };
    }
    case 'gelu': { // exact GELU: 0.5·x·(1 + erf(x/√2)) (the Gelu op needs opset 20)
      const e = g.op('Erf', [g.op('Mul', [v.name, g.scalar(Math.SQRT1_2)], {}, `${layer}_gelu_scaled`)[0]!], {}, `${layer}_gelu_erf`)[0]!;
      const h = g.op('Mul', [v.name, g.scalar(0.5)], {}, `${layer}_gelu_half`)[0]!;
      return { ...v, name: g.op('Mul', [h, g.op('Add', [e, g.scalar(1)], {}, `${layer}_gelu_one`)[0]!], {}, `${layer}_gelu`)[0]! };
    }
    default: throw unsupported(`${layer}: activation ${JSON.stringify(activation)} has no ONNX form here`);
  }
}

// ---- layers --------------------------------------------------------------------------------------

function dense(g: OnnxGraph, l: LayerView, [input]: Value[]): Value[] {
  const x = toNhwc(g, input!);
  let y = g.op('MatMul', [x.name, weightInit(g, l, 'kernel')], {}, `${l.name}_matmul`)[0]!;
  if (l.weight('bias')) y = g.op('Add', [y, weightInit(g, l, 'bias')], {}, `${l.name}_bias`)[0]!;
  return [activate(g, { name: y, layout: 'nhwc', shape: l.outShapes[0]! }, l.config.activation, l.name)];
}

function conv(g: OnnxGraph, l: LayerView, [input]: Value[], transpose: boolean): Value[] {
  const x = toNchw(g, input!, l.name);
  const [h, w] = input!.shape as [number, number, number];
  const [kh, kw] = pair(l.config.kernelSize), [sh, sw] = pair(l.config.strides ?? 1);
  const kernel = need(l, 'kernel');
  // Keras kernels: conv2d [kh, kw, in, out] → ONNX [out, in, kh, kw]; transposed [kh, kw, out, in] → ONNX [in, out, kh, kw].
  const wt = permute(kernel, [3, 2, 0, 1]);
  const inputs = [x.name, g.floats(`${l.name}/kernel_oihw`, wt.shape, () => wt.data)];
  if (l.weight('bias')) inputs.push(weightInit(g, l, 'bias'));
  const [oh, ow] = l.outShapes[0]! as [number, number, number];
  let attrs: Record<string, AttributeValue>;
  if (!transpose) {
    const pads = l.config.padding === 'same' ? samePads(h, w, kh, kw, sh, sw) : [0, 0, 0, 0];
    attrs = { kernel_shape: [kh, kw], strides: [sh, sw], pads };
  } else {
    const { pt, pl, pb, pr, eh, ew } = transposeGeometry(h, w, oh, ow, kh, kw, sh, sw, l.config.padding);
    attrs = { kernel_shape: [kh, kw], strides: [sh, sw], pads: [pt, pl, pb, pr], output_padding: [eh, ew] };
  }
  const y = g.op(transpose ? 'ConvTranspose' : 'Conv', inputs, attrs, l.name)[0]!;
  return [activate(g, { name: y, layout: 'nchw', shape: l.outShapes[0]! }, l.config.activation, l.name)];
}

function pool(g: OnnxGraph, l: LayerView, [input]: Value[], op: 'MaxPool' | 'AveragePool'): Value[] {
  const x = toNchw(g, input!, l.name);
  const poolSize = pair(l.config.poolSize ?? 2);
  const y = g.op(op, [x.name], { kernel_shape: poolSize, strides: pair(l.config.strides ?? poolSize) }, l.name)[0]!;
  return [{ name: y, layout: 'nchw', shape: l.outShapes[0]! }];
}

function batchNorm(g: OnnxGraph, l: LayerView, [input]: Value[]): Value[] {
  const ins = ['gamma', 'beta', 'moving_mean', 'moving_variance'].map((n) => weightInit(g, l, n));
  const attrs = { epsilon: { float: l.config.epsilon as number ?? 0.001 } };
  const rank = input!.shape.length + 1;
  if (rank === 2 || rank === 4) { // features at axis 1 already, or images made channels-first
    const x = rank === 4 ? toNchw(g, input!, l.name) : input!;
    return [{ ...x, name: g.op('BatchNormalization', [x.name, ...ins], attrs, l.name)[0]! }];
  }
  // Other ranks: the channel axis moved to axis 1 and back.
  const x = toNhwc(g, input!);
  const perm = [0, rank - 1, ...Array.from({ length: rank - 2 }, (_, i) => i + 1)];
  const back = [0, ...Array.from({ length: rank - 2 }, (_, i) => i + 2), 1];
  const t = g.op('Transpose', [x.name], { perm }, `${l.name}_channels_first`)[0]!;
  const y = g.op('BatchNormalization', [t, ...ins], attrs, l.name)[0]!;
  return [{ ...x, name: g.op('Transpose', [y], { perm: back }, `${l.name}_channels_last`)[0]! }];
}

function merge(g: OnnxGraph, l: LayerView, inputs: Value[]): Value[] {
  const keep = inputs.every((v) => v.layout === 'nchw');
  const xs = keep ? inputs : inputs.map((v) => toNhwc(g, v));
  const layout: Layout = keep ? 'nchw' : 'nhwc';
  const names = xs.map((v) => v.name);
  const out = (name: string): Value[] => [{ name, layout, shape: l.outShapes[0]! }];
  switch (l.className) {
    case 'Add': return out(g.op('Sum', names, {}, l.name)[0]!);
    case 'Subtract': return out(g.op('Sub', names, {}, l.name)[0]!);
    case 'Average': return out(g.op('Mean', names, {}, l.name)[0]!);
    case 'Maximum': return out(g.op('Max', names, {}, l.name)[0]!);
    case 'Minimum': return out(g.op('Min', names, {}, l.name)[0]!);
    case 'Multiply': return out(names.slice(1).reduce((a, b) => g.op('Mul', [a, b], {}, l.name)[0]!, names[0]!));
    default: { // Concatenate
      const rank = inputs[0]!.shape.length + 1;
      let axis = (l.config.axis as number | undefined) ?? -1;
      if (axis < 0) axis += rank;
      if (keep) axis = NCHW_AXIS[axis as 0 | 1 | 2 | 3]; // the NHWC axis in NCHW
      return out(g.op('Concat', names, { axis }, l.name)[0]!);
    }
  }
}

// Recurrent layers. ONNX's gate orders: LSTM i, o, f, c (Keras i, f, c, o); GRU z, r, h (as Keras).
const GATE_ORDER: Record<string, readonly number[]> = { SimpleRNN: [0], LSTM: [0, 3, 1, 2], GRU: [0, 1, 2] };
const RNN_OPS: Record<string, string> = { SimpleRNN: 'RNN', LSTM: 'LSTM', GRU: 'GRU' };

// A Keras kernel [rows, gates·units] as ONNX's [gates·units, rows], gate blocks in ONNX's order.
function gateRows(w: Weight, units: number, order: readonly number[]): Float32Array {
  const rows = w.shape[0]!, cols = w.shape[1]!;
  const out = new Float32Array(w.data.length);
  order.forEach((k, o) => {
    for (let j = 0; j < units; j++) for (let r = 0; r < rows; r++) out[((o * units) + j) * rows + r] = w.data[r * cols + k * units + j]!;
  });
  return out;
}

function reorder(bias: Float32Array, units: number, order: readonly number[]): Float32Array {
  const out = new Float32Array(bias.length);
  order.forEach((k, o) => out.set(bias.subarray(k * units, (k + 1) * units), o * units));
  return out;
}

const RNN_ACTIVATIONS: Record<string, { op: string; alpha?: number; beta?: number }> = {
  tanh: { op: 'Tanh' }, relu: { op: 'Relu' }, sigmoid: { op: 'Sigmoid' },
  hardSigmoid: { op: 'HardSigmoid', alpha: 0.2, beta: 0.5 }, linear: { op: 'Affine', alpha: 1, beta: 0 },
};

function recurrent(g: OnnxGraph, l: LayerView, inputs: Value[], cell: LayerView, directions: 1 | 2, mergeMode: string): Value[] {
  const kind = cell.className, c = cell.config, units = c.units as number;
  const order = GATE_ORDER[kind]!, gates = order.length;
  const resetAfter = kind === 'GRU' && c.resetAfter !== false;
  const [x, ...initial] = inputs.map((v) => toNhwc(g, v));
  const features = x!.shape[1]!;
  const prefixes = directions === 1 ? [''] : ['forward_', 'backward_'];
  const stack = (make: (p: string) => Float32Array): Float32Array => {
    const parts = prefixes.map(make), out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of parts) { out.set(p, at); at += p.length; }
    return out;
  };
  const W = g.floats(`${l.name}/W`, [directions, gates * units, features], () => stack((p) => gateRows(need(l, `${p}kernel`), units, order)));
  const R = g.floats(`${l.name}/R`, [directions, gates * units, units], () => stack((p) => gateRows(need(l, `${p}recurrent_kernel`), units, order)));
  let B = '';
  if (l.weight(`${prefixes[0]}bias`)) {
    B = g.floats(`${l.name}/B`, [directions, 2 * gates * units], () => stack((p) => {
      const b = need(l, `${p}bias`).data, out = new Float32Array(2 * gates * units);
      // [input bias, recurrent bias]: Keras' GRU with resetAfter keeps both ([2, 3u]); the others one.
      out.set(reorder(b.subarray(0, gates * units), units, order));
      if (resetAfter) out.set(reorder(b.subarray(gates * units), units, order), gates * units);
      return out;
    }));
  }
  const acts = (kind === 'SimpleRNN' ? [c.activation] : kind === 'LSTM' ? [c.recurrentActivation, c.activation, c.activation] : [c.recurrentActivation, c.activation])
    .map((a) => RNN_ACTIVATIONS[(a as string | undefined) ?? (kind === 'SimpleRNN' ? 'tanh' : 'sigmoid')]!);
  const all = directions === 2 ? [...acts, ...acts] : acts;
  const attrs: Record<string, AttributeValue> = {
    hidden_size: units,
    direction: directions === 2 ? 'bidirectional' : c.goBackwards ? 'reverse' : 'forward',
    activations: { strings: all.map((a) => a.op) },
  };
  // Alphas and betas are read in the order of the activations that take them (HardSigmoid, Affine).
  const alphas = all.filter((a) => a.alpha !== undefined).map((a) => a.alpha!);
  if (alphas.length) {
    attrs.activation_alpha = { floats: alphas };
    attrs.activation_beta = { floats: all.filter((a) => a.beta !== undefined).map((a) => a.beta!) };
  }
  if (kind === 'GRU') attrs.linear_before_reset = resetAfter ? 1 : 0;
  const seq = g.op('Transpose', [x!.name], { perm: [1, 0, 2] }, `${l.name}_time_major`)[0]!;
  const opInputs = [seq, W, R, B, '', ...initial.map((s) => g.op('Unsqueeze', [s.name, g.ints([0])], {}, `${l.name}_initial`)[0]!)];
  while (opInputs[opInputs.length - 1] === '') opInputs.pop();
  const outs = g.op(RNN_OPS[kind]!, opInputs, attrs, l.name, kind === 'LSTM' ? 3 : 2);
  const [Y, Yh, Yc] = outs as [string, string, string | undefined];
  const value = (name: string, shape: readonly number[]): Value => ({ name, layout: 'nhwc', shape });
  let output: string;
  if (c.returnSequences) {
    let y = Y; // [steps, directions, batch, units]
    if (directions === 1) {
      y = g.op('Squeeze', [y, g.ints([1])], {}, `${l.name}_y`)[0]!;
      // Keras' goBackwards returns the outputs in the order they were computed (last input first).
      if (c.goBackwards) y = g.op('Slice', [y, g.ints([-1]), g.ints([Number.MIN_SAFE_INTEGER]), g.ints([0]), g.ints([-1])], {}, `${l.name}_reversed`)[0]!;
      output = g.op('Transpose', [y], { perm: [1, 0, 2] }, `${l.name}_batch_major`)[0]!;
    } else if (mergeMode === 'concat') {
      const t = g.op('Transpose', [y], { perm: [2, 0, 1, 3] }, `${l.name}_batch_major`)[0]!;
      output = g.op('Reshape', [t, g.ints([0, 0, -1])], {}, `${l.name}_concat`)[0]!;
    } else {
      output = mergeDirections(g, l.name, y, 1, mergeMode);
      output = g.op('Transpose', [g.op('Squeeze', [output, g.ints([1])], {}, `${l.name}_y`)[0]!], { perm: [1, 0, 2] }, `${l.name}_batch_major`)[0]!;
    }
  } else if (directions === 1) {
    output = g.op('Squeeze', [Yh, g.ints([0])], {}, `${l.name}_last`)[0]!;
  } else if (mergeMode === 'concat') {
    const t = g.op('Transpose', [Yh], { perm: [1, 0, 2] }, `${l.name}_batch_major`)[0]!;
    output = g.op('Reshape', [t, g.ints([0, -1])], {}, `${l.name}_concat`)[0]!;
  } else {
    output = g.op('Squeeze', [mergeDirections(g, l.name, Yh, 0, mergeMode), g.ints([0])], {}, `${l.name}_last`)[0]!;
  }
  const result = [value(output, l.outShapes[0]!)];
  if (c.returnState) {
    // States per direction: h (and c for an LSTM), each [batch, units].
    for (let d = 0; d < directions; d++) {
      for (const s of kind === 'LSTM' ? [Yh, Yc!] : [Yh]) {
        const one = directions === 1 ? s : g.op('Slice', [s, g.ints([d]), g.ints([d + 1]), g.ints([0])], {}, `${l.name}_state`)[0]!;
        result.push(value(g.op('Squeeze', [one, g.ints([0])], {}, `${l.name}_state`)[0]!, [units]));
      }
    }
  }
  return result;
}

// Bidirectional's sum, mul and ave of the two directions along `axis` (kept, of size 1).
function mergeDirections(g: OnnxGraph, layer: string, y: string, axis: number, mode: string): string {
  const [f, b] = g.op('Split', [y, g.ints([1, 1])], { axis }, `${layer}_directions`, 2) as [string, string];
  if (mode === 'sum') return g.op('Add', [f, b], {}, `${layer}_sum`)[0]!;
  if (mode === 'mul') return g.op('Mul', [f, b], {}, `${layer}_mul`)[0]!;
  return g.op('Mul', [g.op('Add', [f, b], {}, `${layer}_sum`)[0]!, g.scalar(0.5)], {}, `${layer}_ave`)[0]!;
}

function convertLayer(g: OnnxGraph, l: LayerView, inputs: Value[]): Value[] {
  const out = (name: string, layout: Layout = 'nhwc'): Value[] => [{ name, layout, shape: l.outShapes[0]! }];
  const [x] = inputs as [Value];
  switch (l.className) {
    case 'Dense': return dense(g, l, inputs);
    case 'Activation': return [activate(g, x, l.config.activation, l.name)];
    case 'Dropout': case 'GaussianNoise': return [x]; // the identity at inference
    case 'Conv2D': return conv(g, l, inputs, false);
    case 'Conv2DTranspose': return conv(g, l, inputs, true);
    case 'MaxPooling2D': return pool(g, l, inputs, 'MaxPool');
    case 'AveragePooling2D': return pool(g, l, inputs, 'AveragePool');
    case 'GlobalAveragePooling2D': {
      const p = g.op('GlobalAveragePool', [toNchw(g, x, l.name).name], {}, l.name)[0]!;
      return out(g.op('Flatten', [p], { axis: 1 }, `${l.name}_flat`)[0]!);
    }
    case 'Flatten': return out(g.op('Flatten', [toNhwc(g, x).name], { axis: 1 }, l.name)[0]!);
    case 'Reshape': return out(g.op('Reshape', [toNhwc(g, x).name, g.ints([0, ...(l.config.targetShape as number[])])], {}, l.name)[0]!);
    case 'UpSampling2D': {
      const [sh, sw] = pair(l.config.size ?? 2);
      const scales = g.floats(`${l.name}/scales`, [4], () => Float32Array.from(x.layout === 'nchw' ? [1, 1, sh, sw] : [1, sh, sw, 1]));
      return out(g.op('Resize', [x.name, '', scales], { mode: 'nearest', coordinate_transformation_mode: 'asymmetric', nearest_mode: 'floor' }, l.name)[0]!, x.layout);
    }
    case 'ZeroPadding2D': {
      const [[t, b], [left, r]] = l.config.padding as [[number, number], [number, number]];
      const pads = x.layout === 'nchw' ? [0, 0, t, left, 0, 0, b, r] : [0, t, left, 0, 0, b, r, 0];
      return out(g.op('Pad', [x.name, g.ints(pads)], {}, l.name)[0]!, x.layout);
    }
    case 'BatchNormalization': return batchNorm(g, l, inputs);
    case 'LayerNormalization': {
      const v = toNhwc(g, x);
      const y = g.op('LayerNormalization', [v.name, weightInit(g, l, 'gamma'), weightInit(g, l, 'beta')], { axis: -1, epsilon: { float: l.config.epsilon as number ?? 0.001 } }, l.name)[0]!;
      return out(y);
    }
    case 'Add': case 'Subtract': case 'Multiply': case 'Average': case 'Maximum': case 'Minimum': case 'Concatenate':
      return merge(g, l, inputs);
    case 'Embedding': {
      if (l.config.maskZero) throw unsupported(`${l.name}: an embedding with maskZero has no ONNX form here (ONNX's recurrent operators take no per-step mask)`);
      const idx = g.op('Cast', [toNhwc(g, x).name], { to: 7 }, `${l.name}_indices`)[0]!;
      return out(g.op('Gather', [weightInit(g, l, 'embeddings'), idx], { axis: 0 }, l.name)[0]!);
    }
    case 'RepeatVector': {
      const u = g.op('Unsqueeze', [toNhwc(g, x).name, g.ints([1])], {}, `${l.name}_unsqueeze`)[0]!;
      return out(g.op('Tile', [u, g.ints([1, l.config.n as number, 1])], {}, l.name)[0]!);
    }
    case 'SimpleRNN': case 'LSTM': case 'GRU':
      if (l.config.stateful) throw unsupported(`${l.name}: a stateful ${l.className} carries states between calls; export a copy of the model that is not stateful`);
      return recurrent(g, l, inputs, l, 1, 'concat');
    case 'Bidirectional': {
      const inner = l.config.layer as { className: string; config: Record<string, unknown> };
      return recurrent(g, l, inputs, { ...l, className: inner.className, config: inner.config }, 2, l.config.mergeMode as string ?? 'concat');
    }
    case 'TimeDistributed': {
      const inner = l.config.layer as { className: string; config: Record<string, unknown> };
      const [steps, ...sample] = x.shape as number[];
      const [, ...outSample] = l.outShapes[0]! as number[];
      const flat = g.op('Reshape', [toNhwc(g, x).name, g.ints([-1, ...sample])], {}, `${l.name}_samples`)[0]!;
      const view: LayerView = { ...l, className: inner.className, config: inner.config, inShapes: [sample], outShapes: [outSample] };
      const [y] = convertLayer(g, view, [{ name: flat, layout: 'nhwc', shape: sample }]);
      return out(g.op('Reshape', [toNhwc(g, y!).name, g.ints([-1, steps!, ...outSample])], {}, l.name)[0]!);
    }
    case 'Sampling': { // mean + e^(logVar / 2)·ε, ε ~ N(0, 1) drawn by the runtime
      const [mean, logVar] = inputs.map((v) => toNhwc(g, v)) as [Value, Value];
      const sd = g.op('Exp', [g.op('Mul', [logVar.name, g.scalar(0.5)], {}, `${l.name}_half`)[0]!], {}, `${l.name}_sd`)[0]!;
      const eps = g.op('RandomNormalLike', [mean.name], {}, `${l.name}_eps`)[0]!;
      return out(g.op('Add', [mean.name, g.op('Mul', [sd, eps], {}, `${l.name}_noise`)[0]!], {}, l.name)[0]!);
    }
    case 'Masking':
      throw unsupported(`${l.name}: masking has no ONNX form here (ONNX's recurrent operators take no per-step mask)`);
    default:
      throw unsupported(`layer ${l.name} (${l.className}) has no ONNX export`);
  }
}

// ---- the graph -----------------------------------------------------------------------------------

function viewOf(layer: AnyLayer, node: Node): LayerView {
  const built = layer.built;
  const specs = built?.specs ?? [];
  const weights = new Map<string, Weight>();
  specs.forEach((s, i) => {
    const t = layer.weights[i];
    if (t) weights.set(s.name, { shape: t.shape, data: t.toArray() });
  });
  return {
    name: layer.name, className: layer.className, config: layer.getConfig(), weight: (n) => weights.get(n),
    inShapes: node.inputs.map((t) => t.sampleShape), outShapes: node.outputs.map((t) => t.sampleShape),
  };
}

// Writes a model's nodes for these input values; returns its output values (nested models inline).
function convertModel(g: OnnxGraph, model: Model, inputs: readonly Value[]): Value[] {
  const graph = model.graph;
  if (!graph) throw unsupported(`model ${model.name} is not built: give its first layer an inputShape, or call fit or predict first`);
  const values = new Map<SymbolicTensor, Value>();
  graph.inputs.forEach((t, i) => values.set(t, inputs[i]!));
  for (const node of graph.nodes) {
    const ins = node.inputs.map((t) => values.get(t)!);
    const outs = isModel(node.layer) ? convertModel(g, node.layer, ins) : convertLayer(g, viewOf(node.layer, node), ins);
    node.outputs.forEach((t, i) => values.set(t, outs[i]!));
  }
  return graph.outputs.map((t) => values.get(t)!);
}

/**
 * The model as an ONNX file (a ModelProto's bytes), for ONNX Runtime and other engines: inputs and
 * outputs named after the model's input and output layers, channels-last as predict() takes them, with
 * a symbolic batch dimension; the weights as they are now. Refused with INVALID_ARGUMENT naming the
 * layer: masking (ONNX's recurrent operators take no per-step mask) and stateful recurrent layers.
 */
export function toOnnx(model: Model, options: OnnxOptions = {}): Uint8Array {
  const { graph } = checkExportArgs('toOnnx', model, options, ['opset']);
  const opset = options.opset ?? MIN_OPSET;
  if (!Number.isInteger(opset) || opset < MIN_OPSET || opset > MAX_OPSET) {
    throw unsupported(`opset must be an integer from ${MIN_OPSET} to ${MAX_OPSET}, got ${JSON.stringify(opset)}`);
  }
  const g = new OnnxGraph();
  const inputs = graph.inputs.map((t) => ({ name: g.fresh(t.node.layer.name), layout: 'nhwc' as Layout, shape: t.sampleShape }));
  // The outputs' names are taken before any node is written, so that they are the layers' own.
  const outputNames = graph.outputs.map((t) => g.fresh(t.node.outputs.length > 1 ? `${t.node.layer.name}_${t.index}` : t.node.layer.name));
  const outputs = convertModel(g, model, inputs);
  outputs.forEach((v, i) => g.opNamed('Identity', [toNhwc(g, v).name], [outputNames[i]!]));
  const outputInfos = graph.outputs.map((t, i) => valueInfo(outputNames[i]!, ['batch', ...t.sampleShape]));
  return modelProto({
    name: model.name, nodes: g.nodes, initializers: g.initializers,
    inputs: inputs.map((v) => valueInfo(v.name, ['batch', ...v.shape])), outputs: outputInfos,
    doc: `${model.name}, exported by wasmgrad`,
  }, opset, IR_VERSIONS[opset]!, '0.1.0');
}
