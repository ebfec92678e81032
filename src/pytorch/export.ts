// toPyTorch(model): Python source for a torch.nn.Module that computes what the model computes, with
// the mapping between wasmgrad's safetensors names and the module's state_dict written out, so a model
// trained here can go on training in PyTorch (DistributedDataParallel on many machines, GPUs) and come
// back: the module's save() writes wasmgrad's own safetensors layout, which fromPyTorch() reads.
//
// The module takes and returns channels-last tensors, as predict() does; inside, convolutions run
// channels-first (PyTorch's layout) and a permute is written only where the layout changes, as in
// the ONNX exporter. Layers map to torch.nn modules (Linear, Conv2d, ConvTranspose2d, MaxPool2d,
// AvgPool2d, BatchNorm1d/2d, LayerNorm, Embedding, RNN, LSTM, GRU, Dropout) or to a line of torch
// code (merges, reshapes, activations, padding). Weight layouts: a dense kernel [in, out] is Linear's
// weight [out, in]; a conv kernel [kh, kw, in, out] is Conv2d's [out, in, kh, kw]; recurrent kernels
// [in, gates·units] are weight_ih [gates·units, in] with the gate blocks in torch's order (LSTM i, f,
// g, o as Keras; GRU r, z, n from Keras' z, r, h); one recurrent bias becomes bias_ih (bias_hh zero:
// torch sums the two, and save() writes their sum back).
import { WasmgradError, fromArtifacts, type Model, type SymbolicTensor } from '../index.js';
import type { Node } from '../engine/symbolic.js';
import type { AnyLayer } from '../layers/layer.js';
import { NCHW_AXIS, checkExportArgs, isModel, pair, samePads, transposeGeometry } from '../export/common.js';

function unsupported(message: string): WasmgradError {
  return new WasmgradError('INVALID_ARGUMENT', `toPyTorch: ${message}`);
}

type Layout = 'nhwc' | 'nchw';
/** A tensor in the generated forward(): its Python variable, layout and sample shape (channels-last terms). */
interface Value { v: string; layout: Layout; shape: readonly number[] }
interface LayerView {
  name: string;
  attr: string;
  className: string;
  config: Record<string, unknown>;
  hasWeight(name: string): boolean;
  inShapes: readonly (readonly number[])[];
  outShapes: readonly (readonly number[])[];
}
/** One wasmgrad weight and the state_dict entries it becomes: kind names the transform (see the Python side). */
interface Mapping { ours: string; torch: string[]; kind: string; arg?: number[] }

// Python keywords and the members of torch.nn.Module and of the generated class: a layer of such a
// name gets a trailing underscore as its attribute.
const RESERVED = new Set([
  'False', 'None', 'True', 'and', 'as', 'assert', 'async', 'await', 'break', 'class', 'continue', 'def', 'del', 'elif', 'else', 'except',
  'finally', 'for', 'from', 'global', 'if', 'import', 'in', 'is', 'lambda', 'nonlocal', 'not', 'or', 'pass', 'raise', 'return', 'try',
  'while', 'with', 'yield', 'match', 'case', 'self', 'training', 'forward', 'save', 'load_wasmgrad', 'wasmgrad_tensors', 'train', 'eval',
  'parameters', 'named_parameters', 'buffers', 'named_buffers', 'children', 'named_children', 'modules', 'named_modules', 'state_dict',
  'load_state_dict', 'to', 'cpu', 'cuda', 'type', 'float', 'double', 'half', 'bfloat16', 'apply', 'zero_grad', 'requires_grad_',
  'register_buffer', 'register_parameter', 'register_module', 'add_module', 'get_submodule', 'get_parameter', 'get_buffer', 'extra_repr',
  'share_memory', 'to_empty', 'dump_patches', 'register_forward_hook', 'register_forward_pre_hook', 'register_backward_hook',
  'register_full_backward_hook', 'get_extra_state', 'set_extra_state', 'ipu', 'xpu', 'mtia', 'compile', 'call_super_init',
]);

const py = (v: unknown): string => (v === true ? 'True' : v === false ? 'False' : v === null || v === undefined ? 'None' : JSON.stringify(v));
const tuple = (xs: readonly (number | string)[]): string => `(${xs.join(', ')}${xs.length === 1 ? ',' : ''})`;

class PyGraph {
  readonly init: string[] = [];
  readonly lines: string[] = [];
  readonly weights: Mapping[] = [];
  readonly #attrs = new Set<string>();
  readonly #declared = new Set<string>();
  readonly #converted = new Map<string, string>();
  #n = 0;

  /** A fresh Python variable. */
  fresh(): string {
    return `v${++this.#n}`;
  }

  /** Emits `name = expr`; returns the variable. */
  set(expr: string): string {
    const v = this.fresh();
    this.lines.push(`${v} = ${expr}`);
    return v;
  }

  /** A module attribute for a layer: a Python identifier, unique, clear of keywords and nn.Module's own members. */
  attr(layerName: string): string {
    let base = layerName.replace(/[^A-Za-z0-9_]/g, '_');
    if (!/^[A-Za-z_]/.test(base)) base = `l_${base}`;
    if (RESERVED.has(base)) base = `${base}_`;
    let name = base, i = 1;
    while (this.#attrs.has(name)) name = `${base}_${i++}`;
    this.#attrs.add(name);
    return name;
  }

  /** A forward() argument for an input layer: x_<name> (never a temporary, keyword or import). */
  arg(layerName: string): string {
    return this.attr(`x_${layerName.replace(/[^A-Za-z0-9_]/g, '_')}`);
  }

  /** A value in the other layout, permuted once however many layers read it. */
  converted(v: string, layout: Layout, expr: string): string {
    const key = `${layout}:${v}`;
    let out = this.#converted.get(key);
    if (out === undefined) { out = this.set(expr); this.#converted.set(key, out); }
    return out;
  }

  /** Declares a layer's torch module and its weights' mapping once (a shared layer is applied again). */
  declare(layer: string, module: string, weights: Mapping[]): void {
    if (this.#declared.has(layer)) return;
    this.#declared.add(layer);
    this.init.push(module);
    this.weights.push(...weights);
  }
}

function toNhwc(g: PyGraph, x: Value): Value {
  return x.layout === 'nhwc' ? x : { v: g.converted(x.v, 'nhwc', `${x.v}.permute(0, 2, 3, 1)`), layout: 'nhwc', shape: x.shape };
}

function toNchw(g: PyGraph, x: Value, layer: string): Value {
  if (x.layout === 'nchw') return x;
  if (x.shape.length !== 3) throw unsupported(`${layer} needs [height, width, channels] samples, got [${x.shape.join(', ')}]`);
  return { v: g.converted(x.v, 'nchw', `${x.v}.permute(0, 3, 1, 2)`), layout: 'nchw', shape: x.shape };
}

function activate(g: PyGraph, x: Value, activation: unknown, layer: string): Value {
  const with_ = (expr: (v: string) => string, v: Value = x): Value => ({ ...v, v: g.set(expr(v.v)) });
  switch (activation ?? 'linear') {
    case 'linear': return x;
    case 'relu': return with_((v) => `torch.relu(${v})`);
    case 'sigmoid': return with_((v) => `torch.sigmoid(${v})`);
    case 'tanh': return with_((v) => `torch.tanh(${v})`);
    case 'elu': return with_((v) => `F.elu(${v}, alpha=1.0)`);
    case 'leakyRelu': return with_((v) => `F.leaky_relu(${v}, negative_slope=0.2)`);
    case 'softplus': return with_((v) => `F.softplus(${v})`);
    case 'swish': return with_((v) => `F.silu(${v})`);
    case 'gelu': return with_((v) => `F.gelu(${v})`); // exact (erf) GELU, as wasmgrad's
    case 'softmax': return with_((v) => `torch.softmax(${v}, dim=-1)`, toNhwc(g, x));
    default: throw unsupported(`${layer}: activation ${JSON.stringify(activation)} has no PyTorch form here`);
  }
}

const RNN_GATES: Record<string, number[]> = { SimpleRNN: [0], LSTM: [0, 1, 2, 3], GRU: [1, 0, 2] };

function recurrent(g: PyGraph, l: LayerView, inputs: Value[], cell: { className: string; config: Record<string, unknown> }, bidirectional: boolean, mergeMode: string): Value[] {
  const { className: kind, config: c } = cell;
  const units = c.units as number, act = (c.activation as string | undefined) ?? 'tanh', gate = (c.recurrentActivation as string | undefined) ?? 'sigmoid';
  if (c.stateful) throw unsupported(`${l.name}: a stateful ${kind} carries states between calls; export a copy of the model that is not stateful`);
  if (kind === 'SimpleRNN' && act !== 'tanh' && act !== 'relu') throw unsupported(`${l.name}: torch.nn.RNN computes tanh or relu, not ${JSON.stringify(act)}`);
  if (kind !== 'SimpleRNN' && (act !== 'tanh' || gate !== 'sigmoid')) {
    throw unsupported(`${l.name}: torch.nn.${kind} computes tanh with sigmoid gates, not activation ${JSON.stringify(act)} with recurrentActivation ${JSON.stringify(gate)}`);
  }
  if (kind === 'GRU' && c.resetAfter === false) throw unsupported(`${l.name}: torch.nn.GRU is the resetAfter: true form (Keras' default); a GRU with resetAfter false has no torch.nn form`);
  const [x, ...initial] = inputs.map((v) => toNhwc(g, v));
  const features = x!.shape[1]!, useBias = c.useBias !== false;
  const torchClass = kind === 'SimpleRNN' ? 'RNN' : kind;
  const extra = kind === 'SimpleRNN' ? `, nonlinearity=${py(act)}` : '';
  // One Keras bias is torch's bias_ih; bias_hh stays zero and untrained (trained, it would move the sum twice as fast).
  const frozen = useBias && kind !== 'GRU' ? (bidirectional ? ['', '_reverse'] : ['']).map((s) => `; self.${l.attr}.bias_hh_l0${s}.requires_grad_(False)`).join('') : '';
  g.declare(l.name, `self.${l.attr} = nn.${torchClass}(${features}, ${units}, batch_first=True, bias=${py(useBias)}, bidirectional=${py(bidirectional)}${extra})${frozen}`,
    (bidirectional ? [['forward_', ''], ['backward_', '_reverse']] : [['', '']]).flatMap(([ours, suffix]) => {
      const order = RNN_GATES[kind]!;
      const m: Mapping[] = [
        { ours: `${l.name}/${ours}kernel`, torch: [`${l.attr}.weight_ih_l0${suffix}`], kind: 'gates', arg: order },
        { ours: `${l.name}/${ours}recurrent_kernel`, torch: [`${l.attr}.weight_hh_l0${suffix}`], kind: 'gates', arg: order },
      ];
      if (useBias) m.push({ ours: `${l.name}/${ours}bias`, torch: [`${l.attr}.bias_ih_l0${suffix}`, `${l.attr}.bias_hh_l0${suffix}`], kind: kind === 'GRU' ? 'bias2' : 'bias', arg: order });
      return m;
    }));
  const seq = c.goBackwards && !bidirectional ? g.set(`${x!.v}.flip(1)`) : x!.v;
  const states = initial.length === 0 ? '' : kind === 'LSTM' ? `, (${initial[0]!.v}.unsqueeze(0), ${initial[1]!.v}.unsqueeze(0))` : `, ${initial[0]!.v}.unsqueeze(0)`;
  const y = g.fresh(), h = g.fresh(), cs = kind === 'LSTM' ? g.fresh() : '';
  g.lines.push(kind === 'LSTM' ? `${y}, (${h}, ${cs}) = self.${l.attr}(${seq}${states})` : `${y}, ${h} = self.${l.attr}(${seq}${states})`);
  let out: string;
  if (!bidirectional) {
    out = c.returnSequences ? y : g.set(`${y}[:, -1]`);
  } else {
    // torch's bidirectional output: [forward, backward] per step, the backward one aligned with the input (as Keras').
    const f = g.set(c.returnSequences ? `${y}[..., :${units}]` : `${y}[:, -1, :${units}]`);
    const b = g.set(c.returnSequences ? `${y}[..., ${units}:]` : `${y}[:, 0, ${units}:]`);
    out = g.set(mergeMode === 'concat' ? `torch.cat([${f}, ${b}], dim=-1)` : mergeMode === 'sum' ? `${f} + ${b}` : mergeMode === 'mul' ? `${f} * ${b}` : `(${f} + ${b}) * 0.5`);
  }
  const result: Value[] = [{ v: out, layout: 'nhwc', shape: l.outShapes[0]! }];
  if (c.returnState) {
    for (let d = 0; d < (bidirectional ? 2 : 1); d++) {
      for (const s of kind === 'LSTM' ? [h, cs] : [h]) result.push({ v: g.set(`${s}[${d}]`), layout: 'nhwc', shape: [units] });
    }
  }
  return result;
}

function convertLayer(g: PyGraph, l: LayerView, inputs: Value[]): Value[] {
  const [x] = inputs as [Value];
  const out = (v: string, layout: Layout = 'nhwc'): Value[] => [{ v, layout, shape: l.outShapes[0]! }];
  const c = l.config, self = `self.${l.attr}`;
  const merge = (op: (vs: string[]) => string): Value[] => {
    const keep = inputs.every((v) => v.layout === 'nchw');
    const xs = keep ? inputs : inputs.map((v) => toNhwc(g, v));
    return out(g.set(op(xs.map((v) => v.v))), keep ? 'nchw' : 'nhwc');
  };
  switch (l.className) {
    case 'Dense': {
      const xin = toNhwc(g, x), bias = l.hasWeight('bias');
      g.declare(l.name, `${self} = nn.Linear(${xin.shape[xin.shape.length - 1]}, ${c.units}, bias=${py(bias)})`,
        [{ ours: `${l.name}/kernel`, torch: [`${l.attr}.weight`], kind: 'T' }, ...(bias ? [{ ours: `${l.name}/bias`, torch: [`${l.attr}.bias`], kind: 'copy' }] : [])]);
      return [activate(g, { v: g.set(`${self}(${xin.v})`), layout: 'nhwc', shape: l.outShapes[0]! }, c.activation, l.name)];
    }
    case 'Conv2D': case 'Conv2DTranspose': {
      const xin = toNchw(g, x, l.name), transpose = l.className === 'Conv2DTranspose';
      const [h, w, ch] = x.shape as [number, number, number];
      const [kh, kw] = pair(c.kernelSize), [sh, sw] = pair(c.strides ?? 1), bias = l.hasWeight('bias');
      const [oh, ow] = l.outShapes[0]! as [number, number, number];
      // A transposed convolution: cropped at the start, cut or extended (output_padding) at the end.
      const { pt, pl, eh, ew } = transpose ? transposeGeometry(h, w, oh, ow, kh, kw, sh, sw, c.padding) : { pt: 0, pl: 0, eh: 0, ew: 0 };
      const fullH = (h - 1) * sh + kh, fullW = (w - 1) * sw + kw;
      const outputPadding = eh + ew > 0 ? `, output_padding=${tuple([eh, ew])}` : '';
      g.declare(l.name, `${self} = nn.${transpose ? 'ConvTranspose2d' : 'Conv2d'}(${ch}, ${c.filters}, kernel_size=${tuple([kh, kw])}, stride=${tuple([sh, sw])}${outputPadding}, bias=${py(bias)})`,
        [{ ours: `${l.name}/kernel`, torch: [`${l.attr}.weight`], kind: 'conv' }, ...(bias ? [{ ours: `${l.name}/bias`, torch: [`${l.attr}.bias`], kind: 'copy' }] : [])]);
      let y: string;
      if (!transpose) {
        const [pt2, pl2, pb, pr] = c.padding === 'same' ? samePads(h, w, kh, kw, sh, sw) : [0, 0, 0, 0];
        const padded = pt2 + pl2 + pb + pr > 0 ? g.set(`F.pad(${xin.v}, ${tuple([pl2, pr, pt2, pb])})`) : xin.v;
        y = g.set(`${self}(${padded})`);
      } else {
        const full = g.set(`${self}(${xin.v})`);
        y = fullH + eh === oh && fullW + ew === ow && pt + pl === 0 ? full : g.set(`${full}[:, :, ${pt}:${pt + oh}, ${pl}:${pl + ow}]`);
      }
      return [activate(g, { v: y, layout: 'nchw', shape: l.outShapes[0]! }, c.activation, l.name)];
    }
    case 'MaxPooling2D': case 'AveragePooling2D': {
      const xin = toNchw(g, x, l.name), size = pair(c.poolSize ?? 2), strides = pair(c.strides ?? size);
      g.declare(l.name, `${self} = nn.${l.className === 'MaxPooling2D' ? 'MaxPool2d' : 'AvgPool2d'}(${tuple(size)}, stride=${tuple(strides)})`, []);
      return out(g.set(`${self}(${xin.v})`), 'nchw');
    }
    case 'GlobalAveragePooling2D': return out(g.set(`${toNchw(g, x, l.name).v}.mean(dim=(2, 3))`));
    case 'Flatten': return out(g.set(`${toNhwc(g, x).v}.flatten(1)`));
    case 'Reshape': {
      const xin = toNhwc(g, x);
      return out(g.set(`${xin.v}.reshape(${xin.v}.shape[0], ${(c.targetShape as number[]).join(', ')})`));
    }
    case 'Dropout': {
      g.declare(l.name, `${self} = nn.Dropout(${c.rate})`, []);
      return out(g.set(`${self}(${x.v})`), x.layout);
    }
    case 'GaussianNoise': return out(g.set(`${x.v} + torch.randn_like(${x.v}) * ${c.stddev} if self.training else ${x.v}`), x.layout);
    case 'Activation': return [activate(g, x, c.activation, l.name)];
    case 'BatchNormalization': {
      const rank = x.shape.length + 1, channels = x.shape[x.shape.length - 1]!;
      if (rank > 5) throw unsupported(`${l.name}: batch normalization of rank-${rank} tensors has no torch.nn module (BatchNorm1d to 3d take ranks 2 to 5)`);
      const eps = (c.epsilon as number | undefined) ?? 0.001, momentum = 1 - ((c.momentum as number | undefined) ?? 0.99);
      const dims = rank === 4 ? 2 : rank === 5 ? 3 : 1;
      g.declare(l.name, `${self} = nn.BatchNorm${dims}d(${channels}, eps=${eps}, momentum=${+momentum.toPrecision(12)})`, [
        { ours: `${l.name}/gamma`, torch: [`${l.attr}.weight`], kind: 'copy' }, { ours: `${l.name}/beta`, torch: [`${l.attr}.bias`], kind: 'copy' },
        { ours: `${l.name}/moving_mean`, torch: [`${l.attr}.running_mean`], kind: 'copy' }, { ours: `${l.name}/moving_variance`, torch: [`${l.attr}.running_var`], kind: 'copy' },
      ]);
      if (rank === 2) return out(g.set(`${self}(${x.v})`));
      if (rank === 4) return out(g.set(`${self}(${toNchw(g, x, l.name).v})`), 'nchw');
      const xin = toNhwc(g, x); // [batch, ..., channels]: channels to axis 1 and back
      return out(g.set(`${self}(${xin.v}.movedim(-1, 1)).movedim(1, -1)`));
    }
    case 'LayerNormalization': {
      const xin = toNhwc(g, x);
      g.declare(l.name, `${self} = nn.LayerNorm(${x.shape[x.shape.length - 1]}, eps=${(c.epsilon as number | undefined) ?? 0.001})`,
        [{ ours: `${l.name}/gamma`, torch: [`${l.attr}.weight`], kind: 'copy' }, { ours: `${l.name}/beta`, torch: [`${l.attr}.bias`], kind: 'copy' }]);
      return out(g.set(`${self}(${xin.v})`));
    }
    case 'Add': return merge((vs) => vs.join(' + '));
    case 'Subtract': return merge((vs) => `${vs[0]} - ${vs[1]}`);
    case 'Multiply': return merge((vs) => vs.join(' * '));
    case 'Average': return merge((vs) => `(${vs.join(' + ')}) * ${1 / vs.length}`);
    case 'Maximum': return merge((vs) => vs.slice(1).reduce((a, b) => `torch.maximum(${a}, ${b})`, vs[0]!));
    case 'Minimum': return merge((vs) => vs.slice(1).reduce((a, b) => `torch.minimum(${a}, ${b})`, vs[0]!));
    case 'Concatenate': {
      const rank = inputs[0]!.shape.length + 1;
      let axis = (c.axis as number | undefined) ?? -1;
      if (axis < 0) axis += rank;
      const keep = inputs.every((v) => v.layout === 'nchw');
      const xs = keep ? inputs : inputs.map((v) => toNhwc(g, v));
      return out(g.set(`torch.cat([${xs.map((v) => v.v).join(', ')}], dim=${keep ? NCHW_AXIS[axis as 0 | 1 | 2 | 3] : axis})`), keep ? 'nchw' : 'nhwc');
    }
    case 'UpSampling2D': {
      const [sh, sw] = pair(c.size ?? 2), [hd, wd] = x.layout === 'nchw' ? [2, 3] : [1, 2];
      return out(g.set(`${x.v}.repeat_interleave(${sh}, dim=${hd}).repeat_interleave(${sw}, dim=${wd})`), x.layout);
    }
    case 'ZeroPadding2D': {
      const [[t, b], [left, r]] = c.padding as [[number, number], [number, number]];
      return out(g.set(`F.pad(${x.v}, ${tuple(x.layout === 'nchw' ? [left, r, t, b] : [0, 0, left, r, t, b])})`), x.layout);
    }
    case 'Embedding': {
      if (c.maskZero) throw unsupported(`${l.name}: an embedding with maskZero has no PyTorch form here (torch's recurrent modules take no per-step mask)`);
      g.declare(l.name, `${self} = nn.Embedding(${c.inputDim}, ${c.outputDim})`, [{ ours: `${l.name}/embeddings`, torch: [`${l.attr}.weight`], kind: 'copy' }]);
      return out(g.set(`${self}(${toNhwc(g, x).v}.long())`));
    }
    case 'RepeatVector': return out(g.set(`${toNhwc(g, x).v}.unsqueeze(1).expand(-1, ${c.n}, -1)`));
    case 'SimpleRNN': case 'LSTM': case 'GRU': return recurrent(g, l, inputs, l, false, 'concat');
    case 'Bidirectional': {
      const inner = c.layer as { className: string; config: Record<string, unknown> };
      return recurrent(g, l, inputs, inner, true, (c.mergeMode as string | undefined) ?? 'concat');
    }
    case 'TimeDistributed': {
      const inner = c.layer as { className: string; config: Record<string, unknown> };
      const xin = toNhwc(g, x), [steps, ...sample] = x.shape as number[], [, ...outSample] = l.outShapes[0]! as number[];
      const flat = g.set(`${xin.v}.reshape(-1, ${sample.join(', ')})`);
      const [y] = convertLayer(g, { ...l, className: inner.className, config: inner.config, inShapes: [sample], outShapes: [outSample] }, [{ v: flat, layout: 'nhwc', shape: sample }]);
      return out(g.set(`${toNhwc(g, y!).v}.reshape(-1, ${steps}, ${outSample.join(', ')})`));
    }
    case 'Sampling': {
      const [mean, logVar] = inputs.map((v) => toNhwc(g, v)) as [Value, Value];
      return out(g.set(`${mean.v} + torch.exp(${logVar.v} * 0.5) * torch.randn_like(${mean.v})`));
    }
    case 'Masking': throw unsupported(`${l.name}: masking has no PyTorch form here (torch's recurrent modules take no per-step mask)`);
    default: throw unsupported(`layer ${l.name} (${l.className}) has no PyTorch export`);
  }
}

function convertModel(g: PyGraph, model: Model, inputs: readonly Value[], attrs: Map<AnyLayer, string>): Value[] {
  const graph = model.graph;
  if (!graph) throw unsupported(`model ${model.name} is not built: give its first layer an inputShape, or call fit or predict first`);
  const values = new Map<SymbolicTensor, Value>();
  graph.inputs.forEach((t, i) => values.set(t, inputs[i]!));
  for (const node of graph.nodes as readonly Node[]) {
    const ins = node.inputs.map((t) => values.get(t)!);
    let outs: Value[];
    if (isModel(node.layer)) {
      outs = convertModel(g, node.layer, ins, attrs);
    } else {
      const layer = node.layer, specs = layer.built?.specs ?? [];
      if (!attrs.has(layer)) attrs.set(layer, g.attr(layer.name));
      outs = convertLayer(g, {
        name: layer.name, attr: attrs.get(layer)!, className: layer.className, config: layer.getConfig(),
        hasWeight: (n) => specs.some((s) => s.name === n),
        inShapes: node.inputs.map((t) => t.sampleShape), outShapes: node.outputs.map((t) => t.sampleShape),
      }, ins);
    }
    node.outputs.forEach((t, i) => values.set(t, outs[i]!));
  }
  return graph.outputs.map((t) => values.get(t)!);
}

// The Python side of the weight mapping, and safetensors read and written with the standard library
// and numpy (no safetensors package).
const PYTHON_SUPPORT = `
def read_safetensors(path):
    """The float32 tensors of a safetensors file, by name, as numpy arrays."""
    with open(path, 'rb') as f:
        data = f.read()
    n = int.from_bytes(data[:8], 'little')
    header = json.loads(data[8:8 + n])
    out = {}
    for name, entry in header.items():
        if name == '__metadata__':
            continue
        if entry['dtype'] != 'F32':
            raise ValueError(f'{name}: dtype {entry["dtype"]}, expected F32')
        begin, end = entry['data_offsets']
        out[name] = np.frombuffer(data[8 + n + begin:8 + n + end], dtype='<f4').reshape(entry['shape']).copy()
    return out


def write_safetensors(path, tensors):
    """Writes {name: array} as float32 safetensors, in wasmgrad's layout (header padded to 8 bytes)."""
    header, offset, blobs = {'__metadata__': {'format': 'wasmgrad'}}, 0, []
    for name, array in tensors.items():
        blob = np.ascontiguousarray(array, dtype='<f4').tobytes()
        header[name] = {'dtype': 'F32', 'shape': list(array.shape), 'data_offsets': [offset, offset + len(blob)]}
        offset += len(blob)
        blobs.append(blob)
    head = json.dumps(header).encode()
    head += b' ' * ((8 - len(head) % 8) % 8)
    with open(path, 'wb') as f:
        f.write(len(head).to_bytes(8, 'little'))
        f.write(head)
        for blob in blobs:
            f.write(blob)


def _blocks(a, order):
    """Splits the last axis into len(order) gate blocks and puts them in that order."""
    parts = np.split(a, len(order), axis=-1)
    return np.concatenate([parts[i] for i in order], axis=-1)


def _unblocks(a, order):
    inverse = [order.index(i) for i in range(len(order))]
    return _blocks(a, inverse)


def to_torch(kind, order, a):
    """A wasmgrad array as the state_dict arrays it maps to."""
    if kind == 'copy':
        return [a]
    if kind == 'T':
        return [a.T]
    if kind == 'conv':  # [kh, kw, in, out] -> [out, in, kh, kw] (transposed: [kh, kw, out, in] -> [in, out, kh, kw])
        return [a.transpose(3, 2, 0, 1)]
    if kind == 'gates':  # [rows, gates*units] -> [gates*units, rows], gate blocks in torch's order
        return [_blocks(a, order).T]
    if kind == 'bias':  # one bias -> bias_ih; bias_hh zero and frozen (torch adds the two)
        b = _blocks(a, order)
        return [b, np.zeros_like(b)]
    if kind == 'bias2':  # GRU resetAfter: [input bias, recurrent bias] -> bias_ih, bias_hh
        return [_blocks(a[0], order), _blocks(a[1], order)]
    raise ValueError(kind)


def from_torch(kind, order, arrays):
    """The wasmgrad array that state_dict arrays (or their gradients) map back to."""
    if kind == 'copy':
        return arrays[0]
    if kind == 'T':
        return arrays[0].T
    if kind == 'conv':
        return arrays[0].transpose(2, 3, 1, 0)
    if kind == 'gates':
        return _unblocks(arrays[0].T, order)
    if kind == 'bias':
        return _unblocks(arrays[0] + arrays[1], order)
    if kind == 'bias2':
        return np.stack([_unblocks(arrays[0], order), _unblocks(arrays[1], order)])
    raise ValueError(kind)
`;

/** Options of toPyTorch(). */
export interface PyTorchOptions {
  /** The Python class name (default 'Model'). */
  className?: string;
}

/**
 * Python source defining a torch.nn.Module equivalent to the model (channels-last inputs and outputs,
 * as predict), with load_wasmgrad(path) / save(path) reading and writing wasmgrad's safetensors, the
 * name and layout mapping (WEIGHTS) written out, and a safetensors reader and writer needing only the
 * standard library and numpy. Refused with INVALID_ARGUMENT naming the layer: what torch.nn cannot
 * compute as given (masking, stateful or non-default recurrent activations, GRU resetAfter false).
 */
export function toPyTorch(model: Model, options: PyTorchOptions = {}): string {
  const { graph, names } = checkExportArgs('toPyTorch', model, options, ['className']);
  const className = options.className ?? 'Model';
  if (!/^[A-Za-z_][A-Za-z0-9_]{0,63}$/.test(className) || RESERVED.has(className)) throw unsupported(`className must be a Python identifier, got ${JSON.stringify(className)}`);
  const g = new PyGraph();
  const args = graph.inputs.map((t) => g.arg(t.node.layer.name));
  const outputs = convertModel(g, model, args.map((v, i) => ({ v, layout: 'nhwc' as Layout, shape: graph.inputs[i]!.sampleShape })), new Map());
  const results = outputs.map((v) => toNhwc(g, v).v);
  const mapped = new Set(g.weights.map((w) => w.ours));
  const missing = names.filter((n) => !mapped.has(n));
  if (missing.length) throw unsupported(`no mapping was written for ${missing.join(', ')}`);
  const weightLines = g.weights.map((w) => `    (${py(w.ours)}, ${tuple(w.torch.map((t) => py(t)))}, ${py(w.kind)}, ${w.arg ? `[${w.arg.join(', ')}]` : 'None'}),`);
  const shapes = graph.inputs.map((t, i) => `${args[i]}: [batch, ${t.sampleShape.join(', ')}]`).join('; ');
  return `# ${className}: the wasmgrad model ${JSON.stringify(model.name)} as a torch.nn.Module, written by wasmgrad's toPyTorch().
#
#   model = ${className}()
#   model.load_wasmgrad('weights.safetensors')   # a file model.save() or model.toArtifacts() wrote
#   ...train it (torch.nn.parallel.DistributedDataParallel works as with any module)...
#   model.save('trained.safetensors')            # wasmgrad's names and layouts: fromPyTorch() reads it
#
# Inputs and outputs are channels-last, as wasmgrad's predict() takes and gives them (${shapes}).
# Needs torch and numpy only.
import json

import numpy as np
import torch
from torch import nn
import torch.nn.functional as F

# wasmgrad weight name, the state_dict entries it becomes, the transform, the gate order (see to_torch).
WEIGHTS = [
${weightLines.join('\n')}
]
${PYTHON_SUPPORT}

class ${className}(nn.Module):
    def __init__(self):
        super().__init__()
${g.init.length ? g.init.map((l) => `        ${l}`).join('\n') : '        pass'}

    def forward(self, ${args.join(', ')}):
${g.lines.map((l) => `        ${l}`).join('\n')}
        return ${results.length === 1 ? results[0] : `(${results.join(', ')})`}

    def load_wasmgrad(self, path):
        """Loads weights from a wasmgrad safetensors file (every weight must be there)."""
        tensors = read_safetensors(path)
        state = self.state_dict()
        for ours, keys, kind, order in WEIGHTS:
            if ours not in tensors:
                raise KeyError(f'{path} has no tensor {ours}')
            for key, array in zip(keys, to_torch(kind, order, tensors[ours])):
                if tuple(state[key].shape) != array.shape:
                    raise ValueError(f'{ours} -> {key}: shape {array.shape}, expected {tuple(state[key].shape)}')
                state[key] = torch.from_numpy(np.ascontiguousarray(array))
        self.load_state_dict(state)
        return self

    def wasmgrad_tensors(self, grads=False):
        """The weights (or, with grads=True, their gradients) by wasmgrad name and in wasmgrad's layout."""
        state = dict(self.named_parameters()) if grads else self.state_dict()
        buffers = dict(self.named_buffers())
        out = {}
        for ours, keys, kind, order in WEIGHTS:
            arrays = []
            for key in keys:
                t = state[key] if key in state else buffers[key]
                if grads:
                    t = t.grad if t.grad is not None else torch.zeros_like(t)
                arrays.append(t.detach().cpu().numpy())
            out[ours] = from_torch(kind, order, arrays)
        return out

    def save(self, path):
        """Writes the weights as a wasmgrad safetensors file."""
        write_safetensors(path, self.wasmgrad_tensors())
`;
}

/**
 * The model back from PyTorch: a new model of `model`'s architecture (compiled as it is) with the
 * weights of a safetensors file the generated module's save() wrote, every name and shape checked.
 */
export function fromPyTorch(model: Model, weights: Uint8Array): Model {
  if (model === null || typeof model !== 'object' || !isModel(model as AnyLayer)) throw new WasmgradError('INVALID_ARGUMENT', 'fromPyTorch: model must be a wasmgrad model');
  if (!(weights instanceof Uint8Array)) throw new WasmgradError('INVALID_ARGUMENT', 'fromPyTorch: weights must be the bytes of a safetensors file (a Uint8Array)');
  return fromArtifacts({ topology: model.toArtifacts().topology, weights });
}
