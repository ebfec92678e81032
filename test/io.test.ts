// Saving and loading: round trips, the malformed-file corpus, fuzzing, resumed training, interop.
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import {
  Tensor, WasmgradError, fromArtifacts, input, layers, memory, model, optimizers, readSafetensors, sequential, writeSafetensors, type Model,
  type ModelArtifacts, type SymbolicTensor,
} from '../src/index.js';
import { RUNTIME } from './helpers.js';

/** summary()'s printFn that prints nothing. */
const quiet = { printFn: () => {} };

const X = [[0, 0, 1], [0, 1, 0], [1, 0, 0], [1, 1, 1], [0.5, 0.2, 0.9], [0.1, 0.8, 0.3]];
const Y = [[1, 0], [0, 1], [1, 0], [0, 1], [1, 0], [0, 1]];

function makeModel() {
  const model = sequential([
    layers.dense({ units: 5, activation: 'relu', inputShape: [3], name: 'hidden' }),
    layers.dense({ units: 2, activation: 'softmax', name: 'out' }),
  ]);
  model.compile({ optimizer: optimizers.adam({ learningRate: 0.05 }), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
  return model;
}

async function trained(): Promise<ModelArtifacts> {
  const model = makeModel();
  await model.fit(X, Y, { epochs: 10, batchSize: 2, seed: 11, verbose: 0 });
  const artifacts = model.toArtifacts({ includeOptimizer: true });
  model.dispose();
  return artifacts;
}

// A graph with what the format must carry: a layer applied twice, a nested model, a merge, a
// concatenation, batch norm, two outputs with their own losses and weights.
function makeGraph(): Model {
  const s = (t: unknown) => t as SymbolicTensor;
  const x = input({ shape: [3], name: 'gx' });
  const shared = layers.dense({ units: 4, activation: 'tanh', name: 'g_shared' });
  const h0 = s(layers.dense({ units: 4, name: 'g_in' }).apply(x));
  const h1 = s(shared.apply(h0)), h2 = s(shared.apply(h1));
  const zi = input({ shape: [4], name: 'g_zi' });
  const inner = model({ inputs: zi, outputs: s(layers.dense({ units: 4, name: 'g_inner_d' }).apply(zi)), name: 'g_inner' });
  const sum = s(layers.add({ name: 'g_add' }).apply([h1, s(inner.apply(h2))]));
  const cat = s(layers.concatenate({ name: 'g_cat' }).apply([sum, x]));
  const bn = s(layers.batchNormalization({ name: 'g_bn' }).apply(cat));
  const o1 = s(layers.dense({ units: 2, activation: 'softmax', name: 'g_out1' }).apply(bn));
  const o2 = s(layers.dense({ units: 1, name: 'g_out2' }).apply(cat));
  const m = model({ inputs: x, outputs: [o1, o2], name: 'g_model' });
  m.compile({ optimizer: optimizers.adam({ learningRate: 0.05 }), loss: ['categoricalCrossentropy', 'meanSquaredError'], metrics: [['accuracy'], []], lossWeights: [1, 0.5] });
  return m;
}
const Y2 = X.map((r) => [r[0]! - r[2]!]);

async function trainedGraph(): Promise<{ m: Model; artifacts: ModelArtifacts }> {
  const m = makeGraph();
  await m.fit(X, [Y, Y2], { epochs: 10, batchSize: 2, seed: 11, verbose: 0 });
  return { m, artifacts: m.toArtifacts({ includeOptimizer: true }) };
}

async function sha256(bytes: Uint8Array): Promise<string> {
  return Array.from(new Uint8Array(await crypto.subtle.digest('SHA-256', bytes as BufferSource)), (b) => b.toString(16).padStart(2, '0')).join('');
}

// Recorded once; Node, Deno and Chromium must all produce exactly these bytes and predictions.
const WEIGHTS_SHA256 = '98d6c36c9820569593a944e287f1554d682a163443399e3bc07614e5298964b6';
const PREDICTIONS_SHA256 = 'd3c285eb8da30d3130a0483380fe88db2bc359d547de8f2132c236dd42bdd0d7';
const GRAPH_WEIGHTS_SHA256 = 'f099c30364fe111eb8c540048e3c70d66b9958a1fee82105fd7de7fa01bdbd58';
const GRAPH_PREDICTIONS_SHA256 = 'c771b87feb7125ce2f2b60e66eedc0e2ee6a72b7b0875292f69b67ddd9dffff0';

describe('round trip', () => {
  test(`saved files and reloaded predictions are bit-identical across runtimes (${RUNTIME})`, async () => {
    const artifacts = await trained();
    expect(await sha256(artifacts.weights)).toBe(WEIGHTS_SHA256);
    const model = fromArtifacts(artifacts);
    const pred = model.predict(X) as Tensor;
    expect(await sha256(new Uint8Array(pred.toArray().buffer))).toBe(PREDICTIONS_SHA256);
    pred.dispose();
    model.dispose();
  });

  test(`a graph model (shared layer, nested model, two outputs) round-trips bit-identically across runtimes (${RUNTIME})`, async () => {
    const { m, artifacts } = await trainedGraph();
    expect(await sha256(artifacts.weights)).toBe(GRAPH_WEIGHTS_SHA256);
    const loaded = fromArtifacts(artifacts);
    expect(loaded.summary(quiet)).toBe(m.summary(quiet));
    expect(JSON.parse(loaded.toArtifacts({ includeOptimizer: true }).topology)).toEqual(JSON.parse(artifacts.topology));
    const [p1, p2] = loaded.predict(X) as Tensor[];
    const bytes = new Uint8Array([...new Uint8Array(p1!.toArray().buffer), ...new Uint8Array(p2!.toArray().buffer)]);
    expect(await sha256(bytes)).toBe(GRAPH_PREDICTIONS_SHA256);
    const [q1, q2] = m.predict(X) as Tensor[];
    expect(q1!.toArray()).toEqual(p1!.toArray());
    expect(q2!.toArray()).toEqual(p2!.toArray());
    // Training resumes where it stopped: the optimizer's moments and step came along.
    await m.fit(X, [Y, Y2], { epochs: 2, batchSize: 2, seed: 12, verbose: 0 });
    await loaded.fit(X, [Y, Y2], { epochs: 2, batchSize: 2, seed: 12, verbose: 0 });
    expect(loaded.getWeights()).toEqual(m.getWeights());
    for (const t of [p1!, p2!, q1!, q2!]) t.dispose();
    m.dispose();
    loaded.dispose();
  });

  test('every graph layer round-trips: conv2dTranspose, upSampling2d, zeroPadding2d, reshape and the merge layers', () => {
    const x = input({ shape: [3, 3, 2] });
    const t = layers.conv2dTranspose({ filters: 2, kernelSize: 3, strides: 2, padding: 'same', activation: 'tanh' }).apply(x); // 6×6×2
    const u = layers.zeroPadding2d({ padding: [[1, 2], [0, 3]] }).apply(layers.upSampling2d({ size: [1, 2] }).apply(x)); // 3×6×2 padded to 6×9×2
    const r = layers.reshape({ targetShape: [-1, 2] }).apply(t); // 36×2
    const a = layers.dense({ units: 2 }).apply(r);
    const merged = [layers.subtract(), layers.multiply(), layers.average(), layers.maximum(), layers.minimum()].map((l) => l.apply([r, a]));
    const cat = layers.concatenate({ axis: 1 }).apply([...merged, layers.reshape({ targetShape: [-1, 2] }).apply(u)]);
    const m = model({ inputs: x, outputs: cat });
    const data = { data: Float32Array.from({ length: 2 * 18 }, (_, i) => Math.sin(i)), shape: [2, 3, 3, 2] };
    const loaded = fromArtifacts(m.toArtifacts());
    expect(loaded.summary(quiet)).toBe(m.summary(quiet));
    const p = m.predict(data) as Tensor, q = loaded.predict(data) as Tensor;
    expect(p.shape).toEqual([2, 5 * 36 + 6 * 9, 2]);
    expect(q.toArray()).toEqual(p.toArray());
    p.dispose();
    q.dispose();
    m.dispose();
    loaded.dispose();
  });

  test('a layer used both in a model and in a model nested in it is refused when saving, clearly', () => {
    const x = input({ shape: [3] });
    const shared = layers.dense({ units: 3, name: 'both_levels' });
    const inner = model({ inputs: x, outputs: shared.apply(x), name: 'inner_level' });
    const y = input({ shape: [3] });
    const outer = model({ inputs: y, outputs: shared.apply(inner.apply(y)) });
    expect(() => outer.toArtifacts()).toThrow(/layer both_levels is used both in model inner_level and in model .* \(nested models of one file\)/);
    outer.dispose();
    inner.dispose();
  });

  test('a nested model used at two levels of nesting is refused when saving', () => {
    const zi = input({ shape: [3] });
    const inner = model({ inputs: zi, outputs: layers.dense({ units: 3 }).apply(zi), name: 'inner_twice' });
    const mi = input({ shape: [3] });
    const mid = model({ inputs: mi, outputs: inner.apply(mi) as SymbolicTensor, name: 'mid_level' });
    const oi = input({ shape: [3] });
    const outer = model({ inputs: oi, outputs: inner.apply(mid.apply(oi) as SymbolicTensor) as SymbolicTensor });
    expect(() => outer.toArtifacts()).toThrow(/layer inner_twice is used both in model \S+ and in model \S+ \(nested models of one file\)/);
    outer.dispose();
  });

  test('a sequential file written before graph models (no model name) still loads', async () => {
    const m = makeModel();
    await m.fit(X, Y, { epochs: 2, seed: 4, verbose: 0 });
    const a = m.toArtifacts({ includeOptimizer: true });
    const old = JSON.parse(a.topology);
    delete old.name;
    const loaded = fromArtifacts({ topology: JSON.stringify(old), weights: a.weights });
    expect((loaded.predict(X) as Tensor).toArray()).toEqual(m.predict(X).toArray());
    m.dispose();
    loaded.dispose();
  });

  test('a loaded model predicts exactly like the one saved, and keeps training', async () => {
    const model = makeModel();
    await model.fit(X, Y, { epochs: 5, seed: 1, verbose: 0 });
    const loaded = fromArtifacts(model.toArtifacts());
    expect((loaded.predict(X) as Tensor).toArray()).toEqual(model.predict(X).toArray());
    expect(loaded.summary(quiet)).toBe(model.summary(quiet));
    const h = await loaded.fit(X, Y, { epochs: 2, seed: 1, verbose: 0 });
    expect(h.history.loss).toHaveLength(2);
    model.dispose();
    loaded.dispose();
  });

  test('conv layers round trip', () => {
    const model = sequential([
      layers.conv2d({ filters: 2, kernelSize: [3, 2], strides: [1, 2], padding: 'same', activation: 'relu', inputShape: [5, 4, 1] }),
      layers.maxPooling2d({ poolSize: 2 }),
      layers.averagePooling2d({ poolSize: 1 }),
      layers.globalAveragePooling2d(),
      layers.dense({ units: 1 }),
    ]);
    const x = { data: Float32Array.from({ length: 40 }, (_, i) => Math.cos(i)), shape: [2, 5, 4, 1] };
    const loaded = fromArtifacts(model.toArtifacts());
    expect((loaded.predict(x) as Tensor).toArray()).toEqual(model.predict(x).toArray());
    model.dispose();
    loaded.dispose();
  });

  if (RUNTIME !== 'chromium') {
    test('save(dir) and loadModel(dir) in Node and Deno', async () => {
      const { loadModel } = await import('../src/index.js');
      const os = await import('node:os'), path = await import('node:path'), fs = await import('node:fs/promises');
      const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'wasmgrad-save-'));
      const model = makeModel();
      await model.save(dir);
      expect((await fs.readdir(dir)).sort()).toEqual(['model.json', 'weights.safetensors']);
      const loaded = await loadModel(dir);
      expect(loaded.getWeights()).toEqual(model.getWeights());
      model.dispose();
      loaded.dispose();
      await fs.rm(dir, { recursive: true });
    });
  }
});

test('resuming from a checkpoint equals uninterrupted training, bit for bit', async () => {
  const a = makeModel();
  await a.fit(X, Y, { epochs: 3, batchSize: 2, seed: 1, verbose: 0 });
  const checkpoint = a.toArtifacts({ includeOptimizer: true });
  await a.fit(X, Y, { epochs: 3, batchSize: 2, seed: 2, verbose: 0 });
  const resumed = fromArtifacts(checkpoint);
  await resumed.fit(X, Y, { epochs: 3, batchSize: 2, seed: 2, verbose: 0 });
  expect(resumed.getWeights()).toEqual(a.getWeights());
  // Without the optimizer state, Adam restarts and the weights differ.
  const fresh = fromArtifacts({ ...checkpoint, weights: writeSafetensors(readSafetensors(checkpoint.weights).tensors.filter((t) => !t.name.startsWith('optimizer/'))), topology: JSON.stringify({ ...JSON.parse(checkpoint.topology), optimizerState: undefined }) });
  await fresh.fit(X, Y, { epochs: 3, batchSize: 2, seed: 2, verbose: 0 });
  expect(fresh.getWeights()).not.toEqual(a.getWeights());
  for (const m of [a, resumed, fresh]) m.dispose();
});

test('the weights file is plain safetensors: an independent minimal parser reads it', async () => {
  const model = makeModel();
  const { weights } = model.toArtifacts();
  // Independent of src/io: the layout as the safetensors documentation gives it.
  const n = Number(new DataView(weights.buffer).getBigUint64(0, true));
  const header = JSON.parse(new TextDecoder().decode(weights.subarray(8, 8 + n))) as Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }>;
  expect(header.__metadata__).toEqual({ format: 'wasmgrad' });
  expect(Object.keys(header).filter((k) => k !== '__metadata__')).toEqual(['hidden/kernel', 'hidden/bias', 'out/kernel', 'out/bias']);
  expect(header['hidden/kernel']).toMatchObject({ dtype: 'F32', shape: [3, 5] });
  expect((8 + n) % 8).toBe(0);
  const w = model.getWeights();
  Object.keys(header).filter((k) => k !== '__metadata__').forEach((name, i) => {
    const [begin, end] = header[name]!.data_offsets;
    const bytes = weights.slice(8 + n + begin, 8 + n + end);
    const view = new DataView(bytes.buffer);
    const values = Float32Array.from({ length: bytes.length / 4 }, (_, j) => view.getFloat32(j * 4, true));
    expect(values).toEqual(w[i]);
  });
  model.dispose();
});

// ───────────────────────────────────────────── the malformed-file corpus
const enc = new TextEncoder();

function file(header: string | Uint8Array, data: Uint8Array = new Uint8Array(0), declared?: number, hi = 0): Uint8Array {
  const head = typeof header === 'string' ? enc.encode(header) : header;
  const out = new Uint8Array(8 + head.length + data.length);
  new DataView(out.buffer).setUint32(0, declared ?? head.length, true);
  new DataView(out.buffer).setUint32(4, hi, true);
  out.set(head, 8);
  out.set(data, 8 + head.length);
  return out;
}
const f32 = (n: number) => new Uint8Array(n * 4);
const entry = (shape: unknown, offsets: unknown, dtype: unknown = 'F32') => ({ dtype, shape, data_offsets: offsets });
const json = (o: unknown) => JSON.stringify(o);

const SAFETENSORS_CORPUS: [string, string, () => Uint8Array][] = [
  ['empty file', 'FILE_TOO_SHORT', () => new Uint8Array(0)],
  ['4 bytes', 'FILE_TOO_SHORT', () => new Uint8Array(4)],
  ['header length over 2^32', 'HEADER_TOO_LARGE', () => file('{}', undefined, 2, 1)],
  ['header length 100 MB', 'HEADER_TOO_LARGE', () => file('{}', undefined, 100 * 1024 * 1024)],
  ['header length past the end', 'HEADER_OUT_OF_BOUNDS', () => file('{}', undefined, 3)],
  ['header not UTF-8', 'HEADER_NOT_UTF8', () => file(Uint8Array.of(0x7b, 0xff, 0xfe, 0x7d))],
  ['header not JSON', 'HEADER_NOT_JSON', () => file('{"a":')],
  ['header an array', 'HEADER_NOT_OBJECT', () => file('[1,2]')],
  ['header null', 'HEADER_NOT_OBJECT', () => file('null')],
  ['duplicate name', 'DUPLICATE_NAME', () => file(`{"a":${json(entry([1], [0, 4]))},"a":${json(entry([1], [4, 8]))}}`, f32(2))],
  ['__proto__ entry', 'FORBIDDEN_KEY', () => file(`{"__proto__":${json(entry([1], [0, 4]))}}`, f32(1))],
  ['constructor entry', 'FORBIDDEN_KEY', () => file(json({ constructor: entry([1], [0, 4]) }), f32(1))],
  ['metadata value a number', 'BAD_METADATA', () => file(json({ __metadata__: { a: 1 } }))],
  ['metadata an array', 'BAD_METADATA', () => file(json({ __metadata__: ['a'] }))],
  ['metadata __proto__ key', 'FORBIDDEN_KEY', () => file('{"__metadata__":{"__proto__":"x"}}')],
  ['entry a string', 'BAD_ENTRY', () => file(json({ a: 'F32' }))],
  ['entry with an extra key', 'BAD_ENTRY', () => file(json({ a: { ...entry([1], [0, 4]), path: '../x' } }), f32(1))],
  ['entry without shape', 'BAD_ENTRY', () => file(json({ a: { dtype: 'F32', data_offsets: [0, 4] } }), f32(1))],
  ['unknown dtype', 'UNKNOWN_DTYPE', () => file(json({ a: entry([1], [0, 4], 'F33') }), f32(1))],
  ['dtype not a string', 'UNKNOWN_DTYPE', () => file(json({ a: entry([1], [0, 4], 7) }), f32(1))],
  ['F16 is not read', 'UNSUPPORTED_DTYPE', () => file(json({ a: entry([2], [0, 4], 'F16') }), f32(1))],
  ['negative dimension', 'BAD_SHAPE', () => file(json({ a: entry([-1], [0, 4]) }), f32(1))],
  ['fractional dimension', 'BAD_SHAPE', () => file(json({ a: entry([1.5], [0, 4]) }), f32(1))],
  ['shape not an array', 'BAD_SHAPE', () => file(json({ a: entry(4, [0, 4]) }), f32(1))],
  ['begin after end', 'BAD_OFFSETS', () => file(json({ a: entry([0], [4, 0]) }), f32(1))],
  ['three offsets', 'BAD_OFFSETS', () => file(json({ a: entry([1], [0, 4, 8]) }), f32(1))],
  ['offset not a safe integer', 'BAD_OFFSETS', () => file(json({ a: entry([1], [0, 2 ** 60]) }), f32(1))],
  ['negative offset', 'BAD_OFFSETS', () => file(json({ a: entry([1], [-4, 0]) }), f32(1))],
  ['shape and span disagree', 'SIZE_MISMATCH', () => file(json({ a: entry([2], [0, 4]) }), f32(1))],
  ['element count overflows', 'SIZE_MISMATCH', () => file(json({ a: entry([2 ** 40, 2 ** 40, 2 ** 40], [0, 4]) }), f32(1))],
  ['gap between tensors', 'OFFSETS_NOT_CONTIGUOUS', () => file(json({ a: entry([1], [0, 4]), b: entry([1], [8, 12]) }), f32(3))],
  ['overlapping tensors', 'OFFSETS_NOT_CONTIGUOUS', () => file(json({ a: entry([2], [0, 8]), b: entry([1], [4, 8]) }), f32(2))],
  ['data not starting at 0', 'OFFSETS_NOT_CONTIGUOUS', () => file(json({ a: entry([1], [4, 8]) }), f32(2))],
  ['data past the end (truncated file)', 'DATA_OUT_OF_BOUNDS', () => file(json({ a: entry([4], [0, 16]) }), f32(2))],
  ['trailing bytes', 'TRAILING_BYTES', () => file(json({ a: entry([1], [0, 4]) }), f32(2))],
  ['empty tensor name', 'BAD_NAME', () => file(json({ '': entry([1], [0, 4]) }), f32(1))],
];

async function goodArtifacts(): Promise<{ topology: Record<string, unknown>; weights: Uint8Array }> {
  const model = makeModel();
  await model.fit(X, Y, { epochs: 1, seed: 3, verbose: 0 });
  const a = model.toArtifacts({ includeOptimizer: true });
  model.dispose();
  return { topology: JSON.parse(a.topology), weights: a.weights };
}
type Topo = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const edit = (t: Topo, fn: (t: Topo) => void): string => { const c = JSON.parse(JSON.stringify(t)); fn(c); return JSON.stringify(c); };
const tensorsOf = (w: Uint8Array) => readSafetensors(w).tensors;

const TOPOLOGY_CORPUS: [string, string, (t: Topo, w: Uint8Array) => ModelArtifacts][] = [
  ['topology not JSON', 'TOPOLOGY_NOT_JSON', (_t, w) => ({ topology: '{"format":', weights: w })],
  ['topology over 1 MB', 'TOPOLOGY_TOO_LARGE', (_t, w) => ({ topology: ' '.repeat(1024 * 1024 + 1), weights: w })],
  ['artifacts without weights', 'BAD_TOPOLOGY', (t) => ({ topology: JSON.stringify(t) }) as unknown as ModelArtifacts],
  ['another format', 'UNKNOWN_FORMAT', (t, w) => ({ topology: edit(t, (c) => { c.format = 'keras'; }), weights: w })],
  ['a future version', 'UNKNOWN_FORMAT', (t, w) => ({ topology: edit(t, (c) => { c.formatVersion = 2; }), weights: w })],
  ['no layers', 'BAD_TOPOLOGY', (t, w) => ({ topology: edit(t, (c) => { c.layers = []; }), weights: w })],
  ['unknown top-level key', 'BAD_TOPOLOGY', (t, w) => ({ topology: edit(t, (c) => { c.script = 'alert(1)'; }), weights: w })],
  ['a Lambda layer', 'UNKNOWN_LAYER', (t, w) => ({ topology: edit(t, (c) => { c.layers[1].className = 'Lambda'; }), weights: w })],
  ['a layer option that is code', 'UNKNOWN_OPTION', (t, w) => ({ topology: edit(t, (c) => { c.layers[0].config.function = 'x => x'; }), weights: w })],
  ['__proto__ in a config', 'FORBIDDEN_KEY', (t, w) => ({ topology: JSON.stringify(t).replace('"units":5', '"units":5,"__proto__":{"polluted":1}'), weights: w })],
  ['constructor key', 'FORBIDDEN_KEY', (t, w) => ({ topology: JSON.stringify(t).replace('"units":5', '"units":5,"constructor":{"prototype":1}'), weights: w })],
  ['negative units', 'BAD_LAYER_CONFIG', (t, w) => ({ topology: edit(t, (c) => { c.layers[0].config.units = -1; }), weights: w })],
  ['a layer name like a path', 'BAD_LAYER_CONFIG', (t, w) => ({ topology: edit(t, (c) => { c.layers[0].config.name = '../../etc/passwd'; }), weights: w })],
  ['two layers with one name', 'BAD_LAYER_CONFIG', (t, w) => ({ topology: edit(t, (c) => { c.layers[1].config.name = 'hidden'; }), weights: w })],
  ['first layer without inputShape', 'BAD_LAYER_CONFIG', (t, w) => ({ topology: edit(t, (c) => { delete c.layers[0].config.inputShape; }), weights: w })],
  ['unknown activation', 'BAD_LAYER_CONFIG', (t, w) => ({ topology: edit(t, (c) => { c.layers[0].config.activation = 'eval'; }), weights: w })],
  ['an option that is an object', 'BAD_LAYER_CONFIG', (t, w) => ({ topology: edit(t, (c) => { c.layers[0].config.units = { valueOf: 5 }; }), weights: w })],
  ['unknown loss', 'BAD_TRAINING_CONFIG', (t, w) => ({ topology: edit(t, (c) => { c.training.loss = 'hinge2'; }), weights: w })],
  ['unknown optimizer', 'BAD_TRAINING_CONFIG', (t, w) => ({ topology: edit(t, (c) => { c.training.optimizer.className = 'evil'; }), weights: w })],
  ['optimizer option out of range', 'BAD_TRAINING_CONFIG', (t, w) => ({ topology: edit(t, (c) => { c.training.optimizer.config.beta1 = 2; }), weights: w })],
  ['a weight missing', 'WEIGHT_MISSING', (t, w) => ({ topology: JSON.stringify(t), weights: writeSafetensors(tensorsOf(w).filter((x) => x.name !== 'out/bias')) })],
  ['a weight of the wrong shape', 'WEIGHT_SHAPE_MISMATCH', (t, w) => ({ topology: edit(t, (c) => { c.layers[0].config.units = 6; }), weights: w })],
  ['an extra tensor', 'UNEXPECTED_WEIGHT', (t, w) => ({ topology: JSON.stringify(t), weights: writeSafetensors([...tensorsOf(w), { name: 'extra', shape: [1], data: new Float32Array(1) }]) })],
  ['negative optimizer step', 'BAD_OPTIMIZER_STATE', (t, w) => ({ topology: edit(t, (c) => { c.optimizerState.step = -1; }), weights: w })],
  ['optimizer state of the wrong size', 'BAD_OPTIMIZER_STATE', (t, w) => ({
    topology: JSON.stringify(t),
    weights: writeSafetensors(tensorsOf(w).map((x) => (x.name === 'optimizer/m' ? { ...x, shape: [3], data: new Float32Array(3) } : x))),
  })],
];

async function goodGraph(): Promise<{ topology: Record<string, unknown>; weights: Uint8Array }> {
  const m = makeGraph();
  await m.fit(X, [Y, Y2], { epochs: 1, seed: 3, verbose: 0 });
  const a = m.toArtifacts({ includeOptimizer: true });
  m.dispose();
  return { topology: JSON.parse(a.topology), weights: a.weights };
}
// The index of the first node of a layer, and a layer's entry, in a graph topology.
const ni = (c: Topo, layer: string): number => c.nodes.findIndex((n: Topo) => n.layer === layer);
const li = (c: Topo, name: string): Topo => c.layers.find((l: Topo) => l.config.name === name);
const nest = (d: number): Topo => (d === 0 ? {} : { name: `n${d}`, layers: [{ className: 'Model', config: nest(d - 1) }] });
// A model of 70 chained applications of the model one level down ([4] → [4]): 71^levels layer calls.
const chain = (level: number, count = 70): Topo => {
  const inner = level === 1 ? { className: 'Dense', config: { name: 'c1_d', units: 4 } } : { className: 'Model', config: chain(level - 1, count) };
  const innerName = level === 1 ? 'c1_d' : `c${level - 1}`;
  return {
    name: `c${level}`, layers: [{ className: 'InputLayer', config: { name: `c${level}_in`, inputShape: [4] } }, inner],
    nodes: [{ layer: `c${level}_in`, inbound: [] }, ...Array.from({ length: count }, (_, i) => ({ layer: innerName, inbound: [[i, 0]] }))],
    inputs: [0], outputs: [[count, 0]],
  };
};

const GRAPH_CORPUS: [string, string, (t: Topo, w: Uint8Array) => ModelArtifacts][] = [
  ['a node naming an unknown layer', 'DANGLING_REFERENCE', (t, w) => ({ topology: edit(t, (c) => { c.nodes[ni(c, 'g_in')].layer = 'ghost'; }), weights: w })],
  ['a node reading a later node', 'FORWARD_REFERENCE', (t, w) => ({ topology: edit(t, (c) => { c.nodes[ni(c, 'g_in')].inbound = [[ni(c, 'g_add'), 0]]; }), weights: w })],
  ['a node reading itself (a cycle)', 'FORWARD_REFERENCE', (t, w) => ({ topology: edit(t, (c) => { const i = ni(c, 'g_in'); c.nodes[i].inbound = [[i, 0]]; }), weights: w })],
  ['two nodes reading each other', 'FORWARD_REFERENCE', (t, w) => ({ topology: edit(t, (c) => { c.nodes[ni(c, 'g_in')].inbound = [[ni(c, 'g_shared'), 0]]; }), weights: w })],
  ['an output index past a node\'s outputs', 'DANGLING_REFERENCE', (t, w) => ({ topology: edit(t, (c) => { c.nodes[ni(c, 'g_shared')].inbound = [[ni(c, 'g_in'), 1]]; }), weights: w })],
  ['inputs naming no node', 'DANGLING_REFERENCE', (t, w) => ({ topology: edit(t, (c) => { c.inputs = [99]; }), weights: w })],
  ['an input that is not an input layer', 'BAD_TOPOLOGY', (t, w) => ({ topology: edit(t, (c) => { c.inputs = [ni(c, 'g_in')]; }), weights: w })],
  ['outputs past the nodes', 'DANGLING_REFERENCE', (t, w) => ({ topology: edit(t, (c) => { c.outputs[0] = [99, 0]; }), weights: w })],
  ['4,001 nodes', 'TOO_MANY_NODES', (t, w) => ({ topology: edit(t, (c) => { c.nodes = [...c.nodes, ...Array.from({ length: 4001 - c.nodes.length }, () => ({ layer: 'g_in', inbound: [[0, 0]] }))]; }), weights: w })],
  ['a fan-in of 65', 'FAN_IN_TOO_LARGE', (t, w) => ({ topology: edit(t, (c) => { c.nodes[ni(c, 'g_add')].inbound = Array.from({ length: 65 }, () => [0, 0]); }), weights: w })],
  ['models nested 6 deep', 'NESTING_TOO_DEEP', (t, w) => ({ topology: edit(t, (c) => { li(c, 'g_inner').config = nest(6); }), weights: w })],
  ['two layers with one name', 'BAD_LAYER_CONFIG', (t, w) => ({ topology: edit(t, (c) => { li(c, 'g_add').config.name = 'g_in'; }), weights: w })],
  ['a nested layer named like an outer one', 'BAD_LAYER_CONFIG', (t, w) => ({ topology: edit(t, (c) => { const inner = li(c, 'g_inner').config; inner.layers[1].config.name = 'g_in'; inner.nodes[1].layer = 'g_in'; }), weights: w })],
  ['a layer never applied', 'BAD_TOPOLOGY', (t, w) => ({ topology: edit(t, (c) => { c.layers.push({ className: 'Dense', config: { name: 'idle', units: 1 } }); }), weights: w })],
  ['an input layer with inbound tensors', 'BAD_TOPOLOGY', (t, w) => ({ topology: edit(t, (c) => { c.nodes[0].inbound = [[0, 0]]; }), weights: w })],
  ['a node without inbound tensors', 'BAD_TOPOLOGY', (t, w) => ({ topology: edit(t, (c) => { c.nodes[ni(c, 'g_in')].inbound = []; }), weights: w })],
  ['an add of two shapes', 'BAD_TOPOLOGY', (t, w) => ({ topology: edit(t, (c) => { c.nodes[ni(c, 'g_add')].inbound = [[ni(c, 'g_in'), 0], [0, 0]]; }), weights: w })],
  ['a Lambda inside a nested model', 'UNKNOWN_LAYER', (t, w) => ({ topology: edit(t, (c) => { li(c, 'g_inner').config.layers[1].className = 'Lambda'; }), weights: w })],
  ['no nodes', 'BAD_TOPOLOGY', (t, w) => ({ topology: edit(t, (c) => { delete c.nodes; }), weights: w })],
  ['one loss for two outputs', 'BAD_TRAINING_CONFIG', (t, w) => ({ topology: edit(t, (c) => { c.training.loss = ['categoricalCrossentropy']; c.training.metrics = [['accuracy']]; c.training.lossWeights = [1]; }), weights: w })],
  ['a graph in the sequential format', 'BAD_TOPOLOGY', (t, w) => ({ topology: edit(t, (c) => { c.format = 'wasmgrad/sequential'; }), weights: w })],
  ['nested models that expand to 4,971 layer calls', 'TOO_MANY_NODES', (t, w) => ({ topology: edit(t, (c) => { li(c, 'g_inner').config = { ...chain(2), name: 'g_inner' }; }), weights: w })],
  ['4 levels of 1,000 nested applications (10^12 layer calls), refused at once', 'TOO_MANY_NODES', (t, w) => ({ topology: edit(t, (c) => { li(c, 'g_inner').config = { ...chain(4, 1000), name: 'g_inner' }; }), weights: w })],
  ['a layer output of 10^8 values a sample', 'BAD_LAYER_CONFIG', (t, w) => ({ topology: edit(t, (c) => { li(c, 'g_out2').config.units = 1e8; }), weights: w })],
  ['NaN in the optimizer state', 'BAD_OPTIMIZER_STATE', (t, w) => ({ topology: JSON.stringify(t), weights: writeSafetensors(tensorsOf(w).map((x) => (x.name === 'optimizer/m' ? { ...x, data: x.data.map((v, i) => (i === 3 ? NaN : v)) } : x))) })],
  ['a negative second moment', 'BAD_OPTIMIZER_STATE', (t, w) => ({ topology: JSON.stringify(t), weights: writeSafetensors(tensorsOf(w).map((x) => (x.name === 'optimizer/v' ? { ...x, data: x.data.map((v, i) => (i === 0 ? -1 : v)) } : x))) })],
  ['an optimizer slot named __proto__', 'BAD_OPTIMIZER_STATE', (t, w) => ({ topology: edit(t, (c) => { c.optimizerState.slots = ['__proto__']; }), weights: w })],
];

describe('malformed files: each rejected with its code, the arena left as it was', () => {
  test(`the corpus has ${SAFETENSORS_CORPUS.length + TOPOLOGY_CORPUS.length + GRAPH_CORPUS.length} cases (at least 40, ${GRAPH_CORPUS.length} of graphs: at least 15)`, () => {
    expect(SAFETENSORS_CORPUS.length + TOPOLOGY_CORPUS.length).toBeGreaterThanOrEqual(40);
    expect(GRAPH_CORPUS.length).toBeGreaterThanOrEqual(15);
  });
  for (const [what, code, make] of SAFETENSORS_CORPUS) {
    test(`safetensors: ${what} → ${code}`, () => {
      expect(() => readSafetensors(make())).toThrow(expect.objectContaining({ code, name: 'WasmgradError' }));
    });
  }
  for (const [what, code, make, good0] of [...TOPOLOGY_CORPUS.map((c) => [...c, goodArtifacts] as const), ...GRAPH_CORPUS.map((c) => [...c, goodGraph] as const)]) {
    test(`${good0 === goodGraph ? 'graph' : 'model'}: ${what} → ${code}`, async () => {
      const good = await good0();
      const artifacts = make(good.topology, good.weights);
      const before = memory();
      let error: unknown;
      try {
        fromArtifacts(artifacts).dispose();
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(WasmgradError);
      expect((error as WasmgradError).code).toBe(code);
      expect(memory().bytes).toBe(before.bytes);
      expect(memory().tensors).toBe(before.tensors);
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    });
  }
});

for (const [kind, good0] of [['sequential', goodArtifacts], ['graph', goodGraph]] as const) test(`fuzzing ${kind} files: 10,000 mutated files give a model or a WasmgradError, each within 1 s, never allocating more than the input`, async () => {
  const good = await good0();
  const topology = JSON.stringify(good.topology);
  const mutation = fc.oneof(
    fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
    fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
    fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), bytes: fc.uint8Array({ maxLength: 16 }) }),
    fc.record({ kind: fc.constant('header' as const), at: fc.nat(), text: fc.string({ maxLength: 8 }) }),
    fc.record({ kind: fc.constant('topology' as const), at: fc.nat(), text: fc.string({ maxLength: 8 }) }),
    // A number of the topology (a node index, an output index, a size) replaced: the references' checks.
    fc.record({ kind: fc.constant('number' as const), at: fc.nat(), value: fc.integer({ min: -2, max: 40 }) }),
  );
  let models = 0, errors = 0;
  const before = memory();
  fc.assert(fc.property(fc.array(mutation, { minLength: 1, maxLength: 4 }), (mutations) => {
    let weights = good.weights, topo = topology;
    for (const m of mutations) {
      const at = m.at % (weights.length + 1);
      if (m.kind === 'flip' && weights.length > 0) { weights = weights.slice(); weights[at % weights.length] = m.value; }
      else if (m.kind === 'truncate') weights = weights.slice(0, at);
      else if (m.kind === 'insert') weights = Uint8Array.from([...weights.subarray(0, at), ...m.bytes, ...weights.subarray(at)]);
      else if (m.kind === 'header' && weights.length >= 8) {
        const n = Math.min(new DataView(weights.buffer, weights.byteOffset).getUint32(0, true), Math.max(0, weights.length - 8));
        const head = new TextDecoder().decode(weights.subarray(8, 8 + n));
        const i = m.at % (head.length + 1);
        const next = enc.encode(head.slice(0, i) + m.text + head.slice(i));
        weights = file(next, weights.subarray(8 + n));
      } else if (m.kind === 'number') {
        const numbers = [...topo.matchAll(/\d+/g)];
        const hit = numbers[m.at % Math.max(1, numbers.length)];
        if (hit) topo = topo.slice(0, hit.index) + m.value + topo.slice(hit.index! + hit[0].length);
      } else if (m.kind === 'topology') {
        const i = m.at % (topo.length + 1);
        topo = topo.slice(0, i) + m.text + topo.slice(i);
      }
    }
    const t0 = performance.now();
    try {
      const { tensors } = readSafetensors(weights);
      expect(tensors.reduce((s, t) => s + t.data.byteLength, 0)).toBeLessThanOrEqual(weights.length);
    } catch (e) {
      if (!(e instanceof WasmgradError)) throw e;
    }
    try {
      fromArtifacts({ topology: topo, weights }).dispose();
      models++;
    } catch (e) {
      if (!(e instanceof WasmgradError)) throw e;
      errors++;
    }
    expect(performance.now() - t0).toBeLessThan(1000);
  }), { numRuns: 10_000, seed: 42 });
  console.log(`fuzzing ${kind} files (${RUNTIME}): 10,000 cases, ${models} loaded, ${errors} rejected with a WasmgradError`);
  expect(models + errors).toBe(10_000);
  expect(memory().tensors).toBe(before.tensors);
  expect(memory().bytes).toBe(before.bytes);
});
