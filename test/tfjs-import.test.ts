// Importing TF.js layers models: models built and saved by TF.js layers (a dev dependency, cpu
// backend; tf.io.withSaveHandler gives the artifacts, and a model.json + .bin folder is written from
// them as TF.js' own file handler does) load with loadModel / fromArtifacts and predict what TF.js
// predicts, to 1e-5, for every layer type both libraries have. Malformed manifests and files are
// refused with their codes before anything is allocated.
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, test } from 'vitest';
import { Tensor, WasmgradError, fromArtifacts, loadModel, memory, tensor, type Model, type TfjsArtifacts } from '../src/index.js';
import { RUNTIME, randArray } from './helpers.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
  await tf.ready();
});

const inNodeOrDeno = RUNTIME !== 'chromium';
const report: string[] = [];

async function artifactsOf(m: tfl.LayersModel): Promise<TfjsArtifacts> {
  let saved: tf.io.ModelArtifacts | undefined;
  await m.save(tf.io.withSaveHandler(async (a) => {
    saved = a;
    return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
  }));
  return saved as unknown as TfjsArtifacts;
}

// Seeded weights for a TF.js model (γ and variances near 1), so every weight is read.
function randomize(m: tfl.LayersModel, seed: number): void {
  m.setWeights(m.weights.map((w, i) => {
    const r = randArray(w.shape.reduce((a: number, b) => a * (b ?? 1), 1), seed + i, -0.5, 0.5);
    const v = /gamma|moving_variance/.test(w.originalName) ? r.map((x) => 1 + x / 2) : r;
    return tf.tensor(v, w.shape as number[]);
  }));
}

interface Input { shape: number[]; ints?: number }

async function check(label: string, theirs: tfl.LayersModel, inputs: Input[], via: 'artifacts' | 'folder' = 'artifacts',
                     edit?: (topology: Record<string, unknown>) => void): Promise<Model> {
  randomize(theirs, 100);
  const xs = inputs.map((s, i) => {
    const r = randArray(s.shape.reduce((a, b) => a * b, 1), 7 + i, -1, 1);
    return s.ints ? r.map((v) => Math.floor((v + 1) / 2 * s.ints!)) : r;
  });
  const tfIn = xs.map((x, i) => tf.tensor(x, inputs[i]!.shape));
  const tfOut = theirs.predict(tfIn.length === 1 ? tfIn[0]! : tfIn);
  const want = (Array.isArray(tfOut) ? tfOut : [tfOut]).map((t) => ({ shape: t.shape, data: t.dataSync() as Float32Array }));
  const artifacts = await artifactsOf(theirs);
  edit?.(artifacts.modelTopology as Record<string, unknown>);
  const ours = via === 'folder' ? await loadModel(await writeFolder(artifacts)) : fromArtifacts(artifacts);
  const mine = xs.map((x, i) => tensor(x, inputs[i]!.shape));
  const got = ours.predict(mine.length === 1 ? mine[0]! : mine) as Tensor | Tensor[];
  const outs = Array.isArray(got) ? got : [got];
  expect(outs.length).toBe(want.length);
  let worst = 0;
  outs.forEach((o, k) => {
    expect(o.shape, `${label}: output ${k} shape`).toEqual(want[k]!.shape);
    const a = o.toArray(), b = want[k]!.data;
    expect(Math.max(...b) - Math.min(...b), `${label}: output ${k} varies`).toBeGreaterThan(1e-3);
    for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!) / Math.max(1, Math.abs(b[i]!)));
  });
  report.push(`${label}: ${worst.toExponential(2)}`);
  expect(worst, label).toBeLessThan(1e-5);
  for (const t of [...mine, ...outs]) t.dispose();
  tf.dispose([...tfIn, ...(Array.isArray(tfOut) ? tfOut : [tfOut])]);
  if (via === 'artifacts') ours.dispose();
  return ours;
}

// A TF.js folder as tf.io's file handler writes it: model.json (topology + manifest) and one shard.
async function writeFolder(a: TfjsArtifacts, edit?: (json: Record<string, unknown>, files: Record<string, Uint8Array>) => void): Promise<string> {
  const { mkdtemp, writeFile } = await import(/* @vite-ignore */ 'node:fs/promises' as string) as typeof import('node:fs/promises');
  const { tmpdir } = await import(/* @vite-ignore */ 'node:os' as string) as typeof import('node:os');
  const dir = await mkdtemp(`${tmpdir()}/wasmgrad-tfjs-`);
  const json: Record<string, unknown> = {
    modelTopology: structuredClone(a.modelTopology), format: 'layers-model', generatedBy: 'TensorFlow.js tfjs-layers v4.22.0', convertedBy: null,
    weightsManifest: [{ paths: ['group1-shard1of1.bin'], weights: structuredClone(a.weightSpecs) }],
  };
  const files: Record<string, Uint8Array> = { 'group1-shard1of1.bin': new Uint8Array(a.weightData as ArrayBuffer) };
  edit?.(json, files);
  await writeFile(`${dir}/model.json`, JSON.stringify(json));
  for (const [name, bytes] of Object.entries(files)) await writeFile(`${dir}/${name}`, bytes);
  return dir;
}

const L = tfl.layers;
const seq = (layers: tfl.layers.Layer[]): tfl.Sequential => tfl.sequential({ layers });

describe('TF.js layers models load and predict what TF.js predicts', () => {
  test('dense, activations, dropout, gaussianNoise, batch and layer norm', async () => {
    for (const activation of ['linear', 'relu', 'sigmoid', 'tanh', 'softmax', 'elu', 'softplus', 'swish', 'gelu'] as const) {
      await check(`dense ${activation}`, seq([L.dense({ units: 5, activation, inputShape: [7] })]), [{ shape: [3, 7] }]);
    }
    await check('activation layer, dropout, gaussianNoise', seq([
      L.dense({ units: 4, inputShape: [3] }), L.activation({ activation: 'tanh' }), L.dropout({ rate: 0.3 }), L.gaussianNoise({ stddev: 1 }), L.dense({ units: 2, useBias: false }),
    ]), [{ shape: [4, 3] }]);
    await check('batchNormalization', seq([L.dense({ units: 6, inputShape: [4] }), L.batchNormalization({ epsilon: 0.01, momentum: 0.9 })]), [{ shape: [3, 4] }]);
    await check('layerNormalization', seq([L.dense({ units: 6, inputShape: [4] }), L.layerNormalization({ epsilon: 1e-5 })]), [{ shape: [3, 4] }]);
  });

  test('convolutions, pooling, reshaping', async () => {
    for (const padding of ['valid', 'same'] as const) {
      await check(`conv2d ${padding} stride 2`, seq([L.conv2d({ filters: 3, kernelSize: 3, strides: 2, padding, activation: 'relu', inputShape: [7, 6, 2] })]), [{ shape: [2, 7, 6, 2] }]);
      await check(`conv2dTranspose ${padding} stride 2`, seq([L.conv2dTranspose({ filters: 2, kernelSize: 3, strides: 2, padding, inputShape: [4, 3, 2] })]), [{ shape: [2, 4, 3, 2] }]);
    }
    await check('LeNet-5 shapes: pools, flatten, dense', seq([
      L.conv2d({ filters: 6, kernelSize: 5, padding: 'same', activation: 'relu', inputShape: [28, 28, 1] }), L.maxPooling2d({ poolSize: 2 }),
      L.conv2d({ filters: 16, kernelSize: 5, activation: 'relu' }), L.averagePooling2d({ poolSize: 2 }), L.flatten(),
      L.dense({ units: 120, activation: 'relu' }), L.dense({ units: 10, activation: 'softmax' }),
    ]), [{ shape: [2, 28, 28, 1] }]);
    await check('globalAveragePooling2d, batchNormalization on images', seq([
      L.conv2d({ filters: 4, kernelSize: 3, inputShape: [6, 6, 1] }), L.batchNormalization(), L.globalAveragePooling2d({}),
    ]), [{ shape: [2, 6, 6, 1] }]);
    await check('reshape, upSampling2d, zeroPadding2d', seq([
      L.dense({ units: 12, inputShape: [5] }), L.reshape({ targetShape: [2, 3, 2] }), L.upSampling2d({ size: [2, 3] }), L.zeroPadding2d({ padding: [[1, 0], [2, 1]] }), L.flatten(),
    ]), [{ shape: [2, 5] }]);
  });

  test('merge layers, a shared layer, several inputs and outputs, a nested model', async () => {
    const a = tfl.input({ shape: [4] }), b = tfl.input({ shape: [4] });
    const shared = L.dense({ units: 3, activation: 'tanh' });
    const sa = shared.apply(a) as tfl.SymbolicTensor, sb = shared.apply(b) as tfl.SymbolicTensor;
    const inner = seq([L.dense({ units: 3, inputShape: [3] }), L.dense({ units: 3, activation: 'relu' })]);
    const merged = ['add', 'multiply', 'average', 'maximum', 'minimum'].map((k) => (L as unknown as Record<string, () => tfl.layers.Layer>)[k]!().apply([sa, sb]) as tfl.SymbolicTensor);
    const cat = L.concatenate({ axis: -1 }).apply([...merged, inner.apply(sa) as tfl.SymbolicTensor]) as tfl.SymbolicTensor;
    await check('merges, shared dense, nested sequential, 2 in / 2 out', tfl.model({ inputs: [a, b], outputs: [cat, sb] }), [{ shape: [3, 4] }, { shape: [3, 4] }]);
  });

  test('recurrent layers: TF.js defaults (GRU resetAfter false, hardSigmoid) and options', async () => {
    const rnn = { recurrentInitializer: 'glorotUniform' } as const; // TF.js' orthogonal initializer needs chained ops
    const s = [{ shape: [3, 5, 7] }];
    await check('TF.js GRU as TF.js makes it (resetAfter false, hardSigmoid)', seq([L.gru({ units: 9, ...rnn, inputShape: [5, 7] })]), s);
    // Files of TF.js versions before reset_after was written: a GRU without the key is TF.js' form.
    await check('TF.js GRU saved without reset_after', seq([L.gru({ units: 9, ...rnn, inputShape: [5, 7] })]), s, 'artifacts', (t) => {
      delete ((t.config as { layers: { config: Record<string, unknown> }[] }).layers[0]!.config).reset_after;
    });
    await check('TF.js LSTM (hardSigmoid), returnSequences, goBackwards', seq([L.lstm({ units: 9, returnSequences: true, goBackwards: true, ...rnn, inputShape: [5, 7] })]), s);
    await check('simpleRNN relu', seq([L.simpleRNN({ units: 6, activation: 'relu', ...rnn, inputShape: [5, 7] })]), s);
    await check('gru sigmoid, no bias, sequences', seq([L.gru({ units: 4, recurrentActivation: 'sigmoid', useBias: false, returnSequences: true, ...rnn, inputShape: [5, 7] })]), s);
    for (const mergeMode of ['concat', 'sum', 'mul', 'ave'] as const) {
      await check(`bidirectional lstm ${mergeMode}`, seq([L.bidirectional({ layer: L.lstm({ units: 4, returnSequences: true, ...rnn }) as tfl.RNN, mergeMode, inputShape: [5, 7] })]), s);
    }
    await check('timeDistributed dense, repeatVector', seq([
      L.timeDistributed({ layer: L.dense({ units: 3 }), inputShape: [5, 7] }), L.flatten(), L.repeatVector({ n: 2 }),
    ]), s);
    await check('embedding → masking-free LSTM → dense', seq([
      L.embedding({ inputDim: 20, outputDim: 4, inputLength: 6, inputShape: [6] }), L.lstm({ units: 5, ...rnn }), L.dense({ units: 3, activation: 'softmax' }),
    ]), [{ shape: [3, 6], ints: 20 }]);
    await check('masking → lstm (masked steps)', seq([L.masking({ maskValue: 0, inputShape: [5, 2] }), L.lstm({ units: 3, ...rnn })]), [{ shape: [4, 5, 2], ints: 2 }]); // 0/1 features: some steps all zero
    await check('embedding maskZero → gru', seq([L.embedding({ inputDim: 6, outputDim: 3, maskZero: true, inputShape: [5] }), L.gru({ units: 3, ...rnn })]), [{ shape: [4, 5], ints: 6 }]);
  });

  test.skipIf(!inNodeOrDeno)('from a folder: model.json + a .bin shard (Node, Deno); a loaded model trains', async () => {
    const m = await check('LeNet-like from a folder', seq([
      L.conv2d({ filters: 4, kernelSize: 3, activation: 'relu', inputShape: [8, 8, 1] }), L.maxPooling2d({ poolSize: 2 }), L.flatten(), L.dense({ units: 3, activation: 'softmax' }),
    ]), [{ shape: [2, 8, 8, 1] }], 'folder');
    m.compile({ optimizer: 'adam', loss: 'categoricalCrossentropy' });
    const x = tensor(randArray(4 * 64, 3), [4, 8, 8, 1]), y = tensor([[1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 0, 0]]);
    const h = await m.fit(x, y, { epochs: 20, verbose: 0, seed: 1 });
    expect(h.history.loss!.at(-1)!).toBeLessThan(h.history.loss![0]!);
    x.dispose(); y.dispose(); m.dispose();
    if (report.length) console.log(`TF.js predict vs wasmgrad after import, max |ours − TF.js| / max(1, |TF.js|):\n  ${report.join('\n  ')}`);
  });
});

test.skipIf(RUNTIME !== 'node')('from an http: URL: model.json and the shards beside it, the URL\'s query kept (a signed URL)', async () => {
  const m = seq([L.dense({ units: 3, activation: 'tanh', inputShape: [2] })]);
  randomize(m, 9);
  const artifacts = await artifactsOf(m);
  const dir = await writeFolder(artifacts);
  // A shard 4 bytes longer than its manifest says: the bounded read stops there.
  const big = await writeFolder(artifacts, (_, f) => { f['group1-shard1of1.bin'] = new Uint8Array([...f['group1-shard1of1.bin']!, 1, 2, 3, 4]); });
  const http = await import(/* @vite-ignore */ 'node:http' as string) as typeof import('node:http');
  const { readFile } = await import(/* @vite-ignore */ 'node:fs/promises' as string) as typeof import('node:fs/promises');
  const seen: string[] = [];
  const server = http.createServer((req, res) => {
    seen.push(req.url!);
    const u = new URL(req.url!, 'http://x');
    if (u.searchParams.get('token') !== 'abc') { res.writeHead(403).end(); return; }
    const file = u.pathname.startsWith('/models/big/') ? `${big}${u.pathname.slice(11)}` : `${dir}${u.pathname.replace('/models/tiny', '')}`;
    readFile(file).then((b) => res.end(b), () => res.writeHead(404).end());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    const port = (server.address() as { port: number }).port;
    const loaded = await loadModel(`http://127.0.0.1:${port}/models/tiny/model.json?token=abc`);
    expect(seen).toEqual(['/models/tiny/model.json?token=abc', '/models/tiny/group1-shard1of1.bin?token=abc']);
    const x = [[0.5, -1], [2, 0.25]];
    const want = (m.predict(tf.tensor(x)) as tf.Tensor).dataSync();
    const input = tensor(x), got = loaded.predict(input) as Tensor;
    const diffs = Array.from(got.toArray(), (v, i) => Math.abs(v - want[i]!));
    expect(Math.max(...diffs)).toBeLessThan(1e-6);
    input.dispose(); got.dispose();
    loaded.dispose();
    await expect(loadModel(`http://127.0.0.1:${port}/models/big/model.json?token=abc`)).rejects.toThrow(expect.objectContaining({ code: 'SIZE_MISMATCH' }));
  } finally {
    server.close();
  }
});

describe.skipIf(!inNodeOrDeno)('malformed TF.js files are refused with codes, the arena untouched', () => {
  let base: TfjsArtifacts;
  beforeAll(async () => {
    const m = seq([L.dense({ units: 3, inputShape: [2] }), L.dense({ units: 2 })]);
    randomize(m, 5);
    base = await artifactsOf(m);
  });

  const cases: [string, string, (json: Record<string, unknown>, files: Record<string, Uint8Array>) => void][] = [
    ['the manifest is not a list', 'BAD_MANIFEST', (j) => { j.weightsManifest = { paths: [] }; }],
    ['a path climbs out of the folder', 'UNSAFE_PATH', (j) => { (j.weightsManifest as { paths: string[] }[])[0]!.paths = ['../secret.bin']; }],
    ['a path climbs out, percent-encoded', 'UNSAFE_PATH', (j) => { (j.weightsManifest as { paths: string[] }[])[0]!.paths = ['%2e%2e/secret.bin']; }],
    ['an absolute path', 'UNSAFE_PATH', (j) => { (j.weightsManifest as { paths: string[] }[])[0]!.paths = ['/etc/passwd']; }],
    ['a URL on another host', 'UNSAFE_PATH', (j) => { (j.weightsManifest as { paths: string[] }[])[0]!.paths = ['http://example.com/w.bin']; }],
    ['a protocol-relative URL', 'UNSAFE_PATH', (j) => { (j.weightsManifest as { paths: string[] }[])[0]!.paths = ['//example.com/w.bin']; }],
    ['a backslash path', 'UNSAFE_PATH', (j) => { (j.weightsManifest as { paths: string[] }[])[0]!.paths = ['..\\secret.bin']; }],
    ['a tab inside a dot-dot (URL parsers drop tabs)', 'UNSAFE_PATH', (j) => { (j.weightsManifest as { paths: string[] }[])[0]!.paths = ['.\t./secret.bin']; }],
    ['a leading space before a root', 'UNSAFE_PATH', (j) => { (j.weightsManifest as { paths: string[] }[])[0]!.paths = [' /etc/passwd']; }],
    ['a drive letter written C|', 'UNSAFE_PATH', (j) => { (j.weightsManifest as { paths: string[] }[])[0]!.paths = ['C|/secret.bin']; }],
    ['a percent-encoded slash', 'UNSAFE_PATH', (j) => { (j.weightsManifest as { paths: string[] }[])[0]!.paths = ['a%2Fb.bin']; }],
    ['a shard listed twice', 'BAD_MANIFEST', (j) => { const g = (j.weightsManifest as { paths: string[] }[])[0]!; g.paths = [g.paths[0]!, g.paths[0]!]; }],
    ['the shard is shorter than the manifest says', 'SIZE_MISMATCH', (_, f) => { f['group1-shard1of1.bin'] = f['group1-shard1of1.bin']!.subarray(4); }],
    ['the shard is longer than the manifest says', 'SIZE_MISMATCH', (_, f) => { f['group1-shard1of1.bin'] = new Uint8Array(f['group1-shard1of1.bin']!.length + 4); }],
    ['an int32 weight', 'UNSUPPORTED_DTYPE', (j) => { (j.weightsManifest as { weights: { dtype: string }[] }[])[0]!.weights[0]!.dtype = 'int32'; }],
    ['a quantized weight', 'UNSUPPORTED_DTYPE', (j) => { (j.weightsManifest as { weights: Record<string, unknown>[] }[])[0]!.weights[0]!.quantization = { dtype: 'uint8', scale: 1, min: 0 }; }],
    ['a weight listed twice', 'DUPLICATE_NAME', (j) => { const w = (j.weightsManifest as { weights: { name: string }[] }[])[0]!.weights; w[1]!.name = w[0]!.name; }],
    ['a negative dimension', 'BAD_SHAPE', (j) => { (j.weightsManifest as { weights: { shape: number[] }[] }[])[0]!.weights[0]!.shape = [-2, 3]; }],
    ['a weight of the wrong shape', 'WEIGHT_SHAPE_MISMATCH', (j) => { const w = (j.weightsManifest as { weights: { shape: number[] }[] }[])[0]!.weights; w[0]!.shape = [3, 2]; }],
    ['a weight no layer has', 'UNEXPECTED_WEIGHT', (j, f) => {
      (j.weightsManifest as { weights: unknown[] }[])[0]!.weights.push({ name: 'stray/kernel', shape: [1], dtype: 'float32' });
      f['group1-shard1of1.bin'] = new Uint8Array([...f['group1-shard1of1.bin']!, 0, 0, 0, 0]);
    }],
    ["a layer's weight is missing", 'WEIGHT_MISSING', (j, f) => {
      const w = (j.weightsManifest as { weights: { shape: number[] }[] }[])[0]!.weights, last = w.pop()!;
      f['group1-shard1of1.bin'] = f['group1-shard1of1.bin']!.subarray(0, f['group1-shard1of1.bin']!.length - 4 * last.shape.reduce((a, b) => a * b, 1));
    }],
    ['a __proto__ key in a layer config', 'FORBIDDEN_KEY', (j) => { ((j.modelTopology as { config: { layers: { config: Record<string, unknown> }[] } }).config.layers[0]!.config) = JSON.parse('{"__proto__": {"units": 9}, "units": 3}'); }],
    ['a layer type wasmgrad lacks', 'UNKNOWN_LAYER', (j) => { (j.modelTopology as { config: { layers: { class_name: string }[] } }).config.layers[1]!.class_name = 'Conv1D'; }],
    ['channels-first data', 'BAD_LAYER_CONFIG', (j) => { (j.modelTopology as { config: { layers: { config: Record<string, unknown> }[] } }).config.layers[0]!.config.data_format = 'channels_first'; }],
    ['a constraint', 'BAD_LAYER_CONFIG', (j) => { (j.modelTopology as { config: { layers: { config: Record<string, unknown> }[] } }).config.layers[0]!.config.kernel_constraint = { class_name: 'MaxNorm', config: {} }; }],
    ['an option wasmgrad does not know', 'UNKNOWN_OPTION', (j) => { (j.modelTopology as { config: { layers: { config: Record<string, unknown> }[] } }).config.layers[0]!.config.frobnicate = true; }],
    ['a topology that is no Keras model', 'UNKNOWN_FORMAT', (j) => { (j.modelTopology as { class_name: string }).class_name = 'Pipeline'; }],
  ];

  for (const [what, code, edit] of cases) {
    test(`${what}: ${code}`, async () => {
      const dir = await writeFolder(base, edit);
      const before = memory();
      let error: unknown;
      try { (await loadModel(dir)).dispose(); } catch (e) { error = e; }
      expect(error, what).toBeInstanceOf(WasmgradError);
      expect((error as WasmgradError).code, (error as Error).message).toBe(code);
      expect(memory().bytes).toBe(before.bytes);
      expect(memory().tensors).toBe(before.tensors);
    });
  }

  test('a normalization axis given by index must be the last: refused otherwise, the arena untouched', async () => {
    const m = seq([L.layerNormalization({ axis: 1, inputShape: [3, 3] })]); // square: the weights' shapes fit either axis
    const a = await artifactsOf(m);
    const before = memory();
    expect(() => fromArtifacts(a)).toThrow(expect.objectContaining({ code: 'BAD_LAYER_CONFIG', message: expect.stringMatching(/axis 1 is not the last axis of its \[batch, 3, 3\] input/) }));
    expect(memory().bytes).toBe(before.bytes);
    const last = await artifactsOf(seq([L.layerNormalization({ axis: 2, inputShape: [3, 4] })]));
    fromArtifacts(last).dispose(); // axis 2 is the last: taken
  });

  test('a cycle between functional nodes: FORWARD_REFERENCE; a reference to a missing layer: DANGLING_REFERENCE', () => {
    const x = tfl.input({ shape: [2] });
    const m = tfl.model({ inputs: x, outputs: L.dense({ units: 2, name: 'd2' }).apply(L.dense({ units: 2, name: 'd1' }).apply(x)) as tfl.SymbolicTensor });
    const topo = () => JSON.parse(JSON.stringify(m.toJSON(undefined, false))) as { config: { layers: { name: string; inbound_nodes: unknown[][][] }[] } };
    const cyclic = topo();
    cyclic.config.layers.find((l) => l.name === 'd1')!.inbound_nodes = [[['d2', 0, 0, {}]]];
    expect(() => fromArtifacts({ modelTopology: cyclic, weightSpecs: [], weightData: new ArrayBuffer(0) })).toThrow(expect.objectContaining({ code: 'FORWARD_REFERENCE' }));
    const dangling = topo();
    dangling.config.layers.find((l) => l.name === 'd1')!.inbound_nodes = [[['nowhere', 0, 0, {}]]];
    expect(() => fromArtifacts({ modelTopology: dangling, weightSpecs: [], weightData: new ArrayBuffer(0) })).toThrow(expect.objectContaining({ code: 'DANGLING_REFERENCE' }));
    m.dispose();
  });
});
