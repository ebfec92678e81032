// toPyTorch / fromPyTorch (wasmgrad/pytorch), checked with Debian's python3-torch (.ci/run installs it):
// the generated module, loaded with our weights, predicts what predict() does (to 1e-5); for an MLP,
// LeNet-5, a residual CNN and an LSTM model, one training step's loss and every weight's gradient equal
// ours (to 1e-4 of each tensor's largest gradient), and after one SGD step taken in PyTorch through
// DistributedDataParallel the module's save() loads back with fromPyTorch holding the weights our own
// SGD step gives. Forward-only cases cover the other layer types. Node only (a child process).
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  Tensor, WasmgradError, categoricalCrossentropy, input, layers, meanSquaredError, model, optimizers, readSafetensors, sequential, setSeed,
  tensor, variableGrads, writeSafetensors, type Model, type SymbolicTensor,
} from '../src/index.js';
import { fromPyTorch, toPyTorch } from '../src/pytorch.js';
import { RUNTIME, randomizeWeights as randomize, rng } from './helpers.js';

type S = SymbolicTensor;
const L = layers;
const PYTHON = '/usr/bin/python3';

interface Case {
  name: string;
  model: Model;
  inputs: { shape: number[]; ints?: number }[];
  loss?: 'categoricalCrossentropy' | 'meanSquaredError';
  xs: Float32Array[];
  y?: Float32Array;
  dir?: string;
  out?: Map<string, Float32Array>;
  trained?: Uint8Array;
}
const LR = 0.1;
const cases: Case[] = [];


function add(name: string, m: Model, inputs: Case['inputs'], loss?: Case['loss']): void {
  randomize(m, 3 + cases.length);
  const r = rng(100 + cases.length);
  const xs = inputs.map((s) => Float32Array.from({ length: s.shape.reduce((a, b) => a * b, 1) }, () => (s.ints ? Math.floor(r() * s.ints) : r() * 2 - 1)));
  let y: Float32Array | undefined;
  if (loss) {
    const outShape = m.outputs[0]!.sampleShape, n = inputs[0]!.shape[0]!, k = outShape[outShape.length - 1]!;
    y = loss === 'categoricalCrossentropy'
      ? Float32Array.from({ length: n * k }, (_, i) => +(i % k === (Math.floor(i / k) * 7) % k))
      : Float32Array.from({ length: n * outShape.reduce((a, b) => a * b, 1) }, () => r() * 2 - 1);
  }
  cases.push({ name, model: m, inputs, loss, xs, y });
}

const fn = (shape: number[], build: (x: S) => S | S[]): Model => {
  const x = input({ shape });
  return model({ inputs: x, outputs: build(x) });
};

function lenet(): Model {
  return sequential([
    L.conv2d({ filters: 6, kernelSize: 5, padding: 'same', activation: 'relu', inputShape: [28, 28, 1] }), L.maxPooling2d({ poolSize: 2 }),
    L.conv2d({ filters: 16, kernelSize: 5, activation: 'relu' }), L.maxPooling2d({ poolSize: 2 }), L.flatten(),
    L.dense({ units: 120, activation: 'relu' }), L.dense({ units: 84, activation: 'relu' }), L.dense({ units: 10, activation: 'softmax' }),
  ]);
}

function resnet(): Model {
  const convBn = (t: S, filters: number, strides = 1, relu = true): S => {
    const b = L.batchNormalization().apply(L.conv2d({ filters, kernelSize: 3, strides, padding: 'same', useBias: false }).apply(t) as S) as S;
    return relu ? L.activation({ activation: 'relu' }).apply(b) as S : b;
  };
  const residual = (t: S, filters: number): S => L.activation({ activation: 'relu' }).apply(L.add().apply([t, convBn(convBn(t, filters), filters, 1, false)]) as S) as S;
  const inp = input({ shape: [12, 12, 1] });
  let h = L.maxPooling2d({ poolSize: 2 }).apply(L.conv2d({ filters: 8, kernelSize: 3, padding: 'same', activation: 'relu' }).apply(inp) as S) as S;
  h = residual(convBn(residual(h, 8), 16, 2), 16);
  return model({ inputs: inp, outputs: L.dense({ units: 10, activation: 'softmax' }).apply(L.globalAveragePooling2d().apply(h) as S) as S });
}

describe.skipIf(RUNTIME !== 'node')('toPyTorch: the module PyTorch runs is the model', () => {
  beforeAll(async () => {
    setSeed(2);
    // Trained one step in both: the four models the issue names.
    add('MLP', sequential([L.dense({ units: 16, activation: 'relu', inputShape: [4] }), L.dense({ units: 3, activation: 'softmax' })]), [{ shape: [8, 4] }], 'categoricalCrossentropy');
    add('LeNet-5', lenet(), [{ shape: [4, 28, 28, 1] }], 'categoricalCrossentropy');
    add('residual CNN (batch norm in training mode)', resnet(), [{ shape: [4, 12, 12, 1] }], 'categoricalCrossentropy');
    add('LSTM(32) on [28, 28] sequences', sequential([L.lstm({ units: 32, inputShape: [28, 28] }), L.dense({ units: 10, activation: 'softmax' })]), [{ shape: [4, 28, 28] }], 'categoricalCrossentropy');
    add('embedding → bidirectional GRU → dense (MSE)', sequential([
      L.embedding({ inputDim: 12, outputDim: 5, inputShape: [6] }), L.bidirectional({ layer: L.gru({ units: 4, returnSequences: true }) }), L.flatten(), L.dense({ units: 2 }),
    ]), [{ shape: [3, 6], ints: 12 }], 'meanSquaredError');
    // Forward only: the other layer types and options.
    add('conv2d same stride 2, conv2dTranspose same and valid, upSampling2d, zeroPadding2d', sequential([
      L.conv2d({ filters: 3, kernelSize: 3, strides: 2, padding: 'same', inputShape: [9, 8, 2] }), L.conv2dTranspose({ filters: 2, kernelSize: 3, strides: 2, padding: 'same' }),
      L.conv2dTranspose({ filters: 2, kernelSize: 2, strides: 3 }), L.upSampling2d({ size: [2, 1] }), L.zeroPadding2d({ padding: [[1, 0], [0, 2]] }), L.averagePooling2d({ poolSize: 2 }), L.flatten(),
    ]), [{ shape: [2, 9, 8, 2] }]);
    add('merges of images and vectors, concatenate on channels, layer norm, activations', fn([6, 6, 2], (x) => {
      const a = L.conv2d({ filters: 3, kernelSize: 3, padding: 'same', activation: 'elu' }).apply(x) as S;
      const b = L.conv2d({ filters: 3, kernelSize: 1, activation: 'swish' }).apply(x) as S;
      const c = L.dense({ units: 3, activation: 'gelu' }).apply(x) as S;
      const merged = [L.add(), L.multiply(), L.average(), L.maximum(), L.minimum()].map((m) => m.apply([a, b, c]) as S);
      const cat = L.concatenate().apply([...merged, L.subtract().apply([a, b]) as S]) as S;
      const flat = L.flatten().apply(L.layerNormalization().apply(cat) as S) as S;
      return L.dense({ units: 4, activation: 'softplus' }).apply(L.activation({ activation: 'leakyRelu' }).apply(flat) as S) as S;
    }), [{ shape: [2, 6, 6, 2] }]);
    add('batch norm on vectors and sequences, dropout, gaussianNoise, reshape', sequential([
      L.dense({ units: 12, inputShape: [5] }), L.batchNormalization(), L.dropout({ rate: 0.5 }), L.gaussianNoise({ stddev: 1 }), L.reshape({ targetShape: [3, 4] }), L.batchNormalization(), L.activation({ activation: 'sigmoid' }),
    ]), [{ shape: [3, 5] }]);
    add('simpleRNN relu goBackwards, LSTM returnState and initial states, timeDistributed, repeatVector', (() => {
      const x = input({ shape: [5, 3] }), h0 = input({ shape: [4] }), c0 = input({ shape: [4] });
      const s = L.simpleRNN({ units: 4, activation: 'relu', goBackwards: true, returnSequences: true }).apply(x) as S;
      const [out, h, c] = L.lstm({ units: 4, returnState: true, returnSequences: true }).apply([s, h0, c0]) as S[];
      const t = L.timeDistributed({ layer: L.dense({ units: 2, activation: 'tanh' }) }).apply(out!) as S;
      const r = L.repeatVector({ n: 2 }).apply(L.add().apply([h!, c!]) as S) as S;
      return model({ inputs: [x, h0, c0], outputs: [t, r] });
    })(), [{ shape: [2, 5, 3] }, { shape: [2, 4] }, { shape: [2, 4] }]);
    for (const mergeMode of ['concat', 'sum', 'mul', 'ave'] as const) {
      add(`bidirectional LSTM ${mergeMode}, last step`, sequential([L.bidirectional({ layer: L.lstm({ units: 3 }), mergeMode, inputShape: [4, 2] })]), [{ shape: [2, 4, 2] }]);
    }
    add('gru goBackwards last step, simpleRNN tanh no bias', sequential([L.gru({ units: 3, goBackwards: true, returnSequences: true, inputShape: [4, 2] }), L.simpleRNN({ units: 2, useBias: false })]), [{ shape: [2, 4, 2] }]);
    add('layers and inputs named like Python keywords, module members and temporaries', (() => {
      const a = input({ shape: [3], name: 'self' }), b = input({ shape: [3], name: 'v1' });
      const c = L.dense({ units: 3, name: 'class', activation: 'tanh' }).apply(a) as S;
      const d = L.dense({ units: 3, name: 'save' }).apply(L.add({ name: 'training' }).apply([c, b]) as S) as S;
      return model({ inputs: [a, b], outputs: L.dense({ units: 2, name: 'forward' }).apply(d) as S });
    })(), [{ shape: [2, 3] }, { shape: [2, 3] }]);
    add('sampling with a tiny variance (ε drawn by torch)', (() => {
      const x = input({ shape: [3] });
      const mean = L.dense({ units: 2 }).apply(x) as S, logVar = L.dense({ units: 2, name: 'tiny_log_var' }).apply(x) as S;
      return model({ inputs: x, outputs: L.sampling().apply([mean, logVar]) as S });
    })(), [{ shape: [4, 3] }]);
    // logVar = -60: e^-30·ε is far below float32's resolution of the mean.
    const sampling = cases.at(-1)!.model;
    sampling.setWeights(sampling.namedWeights().map(({ name, tensor: t }) => (name.startsWith('tiny_log_var') ? new Float32Array(t.size).fill(name.endsWith('bias') ? -60 : 0) : t.toArray())));

    const fs = await import(/* @vite-ignore */ 'node:fs/promises' as string) as typeof import('node:fs/promises');
    const os = await import(/* @vite-ignore */ 'node:os' as string) as typeof import('node:os');
    const cp = await import(/* @vite-ignore */ 'node:child_process' as string) as typeof import('node:child_process');
    const root = await fs.mkdtemp(`${os.tmpdir()}/wasmgrad-pytorch-`);
    for (const [i, c] of cases.entries()) {
      c.dir = `${root}/case${i}`;
      await fs.mkdir(c.dir);
      await fs.writeFile(`${c.dir}/model.py`, toPyTorch(c.model));
      await fs.writeFile(`${c.dir}/weights.safetensors`, c.model.toArtifacts().weights);
      await fs.writeFile(`${c.dir}/batch.safetensors`, writeSafetensors([
        ...c.xs.map((data, k) => ({ name: `x${k}`, shape: c.inputs[k]!.shape, data })),
        ...(c.y ? [{ name: 'y', shape: [c.inputs[0]!.shape[0]!, ...c.model.outputs[0]!.sampleShape], data: c.y }] : []),
      ]));
      await fs.writeFile(`${c.dir}/case.json`, JSON.stringify({ inputs: c.inputs.length, loss: c.loss ?? null, lr: LR }));
    }
    const run = cp.spawnSync(PYTHON, [new URL('./fixtures/pytorch_check.py', import.meta.url).pathname, ...cases.map((c) => c.dir!)], { encoding: 'utf8' });
    if (run.status !== 0) throw new Error(`python3 test/fixtures/pytorch_check.py failed (python3-torch installed? .ci/run installs it):\n${run.stderr}`);
    for (const c of cases) {
      c.out = new Map(readSafetensors(await fs.readFile(`${c.dir}/out.safetensors`)).tensors.map((t) => [t.name, t.data]));
      if (c.loss) c.trained = new Uint8Array(await fs.readFile(`${c.dir}/trained.safetensors`));
    }
    if (!process.env.KEEP_PYTORCH) await fs.rm(root, { recursive: true }); else console.log('kept', root);
  }, 300_000);

  afterAll(() => {
    for (const c of cases) if (!c.loss) c.model.dispose(); // the trained ones are disposed by their test
  });

  test('PyTorch predicts what predict() does, for every case (to 1e-5)', () => {
    const report: string[] = [];
    for (const c of cases) {
      const xs = c.xs.map((x, k) => tensor(x, c.inputs[k]!.shape));
      const p = c.model.predict(xs.length === 1 ? xs[0]! : xs) as Tensor | Tensor[];
      const ours = Array.isArray(p) ? p : [p];
      let worst = 0;
      ours.forEach((o, i) => {
        const theirs = c.out!.get(`pred/${i}`)!, a = o.toArray();
        expect(theirs.length, `${c.name}: output ${i} size`).toBe(a.length);
        expect(Math.max(...a) - Math.min(...a), `${c.name}: output ${i} varies`).toBeGreaterThan(1e-3);
        for (let k = 0; k < a.length; k++) worst = Math.max(worst, Math.abs(a[k]! - theirs[k]!) / Math.max(1, Math.abs(theirs[k]!)));
      });
      report.push(`${c.name}: ${worst.toExponential(2)}`);
      expect(worst, c.name).toBeLessThan(1e-5);
      for (const t of [...xs, ...ours]) t.dispose();
    }
    console.log(`PyTorch vs predict, max |ours − torch| / max(1, |torch|):\n  ${report.join('\n  ')}`);
  });

  test('one training step: the loss and every gradient equal ours (to 1e-4); the SGD step taken in PyTorch comes back with fromPyTorch', () => {
    const report: string[] = [];
    for (const c of cases.filter((k) => k.loss)) {
      const x = tensor(c.xs[0]!, c.inputs[0]!.shape), y = tensor(c.y!, [c.inputs[0]!.shape[0]!, ...c.model.outputs[0]!.sampleShape]);
      const lossFn = c.loss === 'categoricalCrossentropy' ? categoricalCrossentropy : meanSquaredError;
      const { value, grads } = variableGrads(() => lossFn(c.model.apply(x, { training: true }) as Tensor, y), c.model.trainableWeights);
      const loss = value.item();
      expect(loss, `${c.name}: loss`).toBeCloseTo(c.out!.get('loss')![0]!, 5);
      let worst = 0;
      for (const [name, g] of Object.entries(grads)) {
        const theirs = c.out!.get(`grad/${name}`), ours = g.toArray();
        expect(theirs, `${c.name}: PyTorch has a gradient for ${name}`).toBeDefined();
        expect(theirs!.length, `${c.name}: ${name} size`).toBe(ours.length);
        const scale = theirs!.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
        expect(scale, `${c.name}: ${name}: a zero gradient checks nothing`).toBeGreaterThan(0);
        for (let k = 0; k < ours.length; k++) worst = Math.max(worst, Math.abs(ours[k]! - theirs![k]!) / scale);
        g.dispose();
      }
      value.dispose();
      expect(worst, `${c.name}: gradients`).toBeLessThan(1e-4);
      // Our own SGD step on the same batch; PyTorch's, loaded back, holds the same weights.
      c.model.compile({ optimizer: optimizers.sgd({ learningRate: LR }), loss: c.loss! });
      c.model.trainOnBatch(x, y);
      const back = fromPyTorch(c.model, c.trained!);
      const file = new Map(readSafetensors(c.trained!).tensors.map((t) => [t.name, t.data]));
      const trainable = new Set(c.model.trainableWeights.map((w) => w.id));
      let stepWorst = 0;
      const mine = c.model.namedWeights(), theirs = back.namedWeights();
      mine.forEach(({ name, tensor: t }, i) => {
        expect(theirs[i]!.name).toBe(name);
        const loaded = theirs[i]!.tensor.toArray();
        expect(loaded, `${c.name}: fromPyTorch reads ${name} as saved`).toEqual(file.get(name));
        if (!trainable.has(t.id)) return; // moving statistics: torch updates the variance with Bessel's correction
        const a = t.toArray();
        for (let k = 0; k < a.length; k++) stepWorst = Math.max(stepWorst, Math.abs(a[k]! - loaded[k]!) / Math.max(1, Math.abs(loaded[k]!)));
      });
      expect(stepWorst, `${c.name}: weights after one SGD step`).toBeLessThan(1e-5);
      report.push(`${c.name}: loss ${loss.toFixed(6)} (torch ${c.out!.get('loss')![0]!.toFixed(6)}), gradients ${worst.toExponential(2)}, weights after the step ${stepWorst.toExponential(2)}`);
      back.dispose();
      x.dispose(); y.dispose();
      c.model.dispose();
    }
    console.log(`PyTorch vs wasmgrad, one step (gradient error relative to each tensor's largest):\n  ${report.join('\n  ')}`);
  });

  test('what torch.nn cannot compute as given is refused by name; bad arguments too', () => {
    const refused = (m: Model, pattern: RegExp): void => {
      let error: unknown;
      try { toPyTorch(m); } catch (e) { error = e; }
      expect(error).toBeInstanceOf(WasmgradError);
      expect((error as Error).message).toMatch(pattern);
    };
    refused(sequential([L.gru({ units: 2, resetAfter: false, inputShape: [3, 2] })]), /gru_\d+: torch\.nn\.GRU is the resetAfter: true form/);
    refused(sequential([L.lstm({ units: 2, recurrentActivation: 'hardSigmoid', inputShape: [3, 2] })]), /lstm_\d+: torch\.nn\.LSTM computes tanh with sigmoid gates/);
    refused(sequential([L.masking({ inputShape: [3, 2] }), L.lstm({ units: 2 })]), /masking_\d+: masking has no PyTorch form/);
    refused(sequential([L.simpleRNN({ units: 2, activation: 'linear', inputShape: [3, 2] })]), /torch\.nn\.RNN computes tanh or relu/);
    const m = sequential([L.dense({ units: 2, inputShape: [3] })]);
    expect(() => toPyTorch(m, { className: 'not valid' })).toThrow(/className must be a Python identifier/);
    expect(() => toPyTorch(m, { classname: 'X' } as never)).toThrow(/unknown option "classname"/);
    expect(() => fromPyTorch(m, new Uint8Array(4))).toThrow(WasmgradError); // not a safetensors file
    expect(() => fromPyTorch(m, writeSafetensors([{ name: 'dense_9/kernel', shape: [3, 2], data: new Float32Array(6) }]))).toThrow(/dense_\d+\/kernel|dense_9/);
    m.dispose();
  });
});
