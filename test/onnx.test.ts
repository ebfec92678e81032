// toOnnx (wasmgrad/onnx), checked by ONNX Runtime (onnxruntime-node, a dev dependency; Node and Deno, not pages):
// for a model of every layer type and option the exporter maps, and for the example models, ORT's
// outputs on random inputs equal model.predict's to 1e-5 (max |ours − ORT| / max(1, |ORT|)), with
// random weights everywhere (batch norm's moving statistics too) so that no weight passes unread.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  Tensor, WasmgradError, input, layers, model, sequential, setSeed, tensor, type Model, type SymbolicTensor,
} from '../src/index.js';
import { toOnnx } from '../src/onnx.js';
import { RUNTIME, randomizeWeights as randomize, rng } from './helpers.js';

type Ort = typeof import('onnxruntime-node');
let ort: Ort;
const report: string[] = [];
const TOLERANCE = 1e-5;

type S = SymbolicTensor;
const L = layers;


interface InputSpec { shape: number[]; ints?: number }
const randomInput = (spec: InputSpec, r: () => number): Float32Array =>
  Float32Array.from({ length: spec.shape.reduce((a, b) => a * b, 1) }, () => (spec.ints ? Math.floor(r() * spec.ints) : r() * 2 - 1));

// Runs the model in ORT and in wasmgrad on the same inputs; returns the largest error over all outputs.
async function compare(label: string, m: Model, specs: InputSpec[], options: { opset?: number; outputs?: number[]; seed?: number; dispose?: boolean } = {}): Promise<number> {
  randomize(m, options.seed ?? 7);
  const r = rng(11);
  const xs = specs.map((s) => randomInput(s, r));
  const session = await ort.InferenceSession.create(toOnnx(m, options.opset ? { opset: options.opset } : {}));
  expect(session.inputNames.length).toBe(specs.length);
  const feeds = Object.fromEntries(session.inputNames.map((n, i) => [n, new ort.Tensor('float32', xs[i]!, specs[i]!.shape)]));
  const result = await session.run(feeds);
  const inputs = xs.map((x, i) => tensor(x, specs[i]!.shape));
  const predicted = m.predict(inputs.length === 1 ? inputs[0]! : inputs) as Tensor | Tensor[];
  const ours = Array.isArray(predicted) ? predicted : [predicted];
  expect(session.outputNames.length).toBe(ours.length);
  let worst = 0;
  for (const i of options.outputs ?? ours.map((_, k) => k)) {
    const theirs = result[session.outputNames[i]!]!;
    expect(theirs.dims, `${label}: output ${i} shape`).toEqual(ours[i]!.shape);
    const a = ours[i]!.toArray(), b = theirs.data as Float32Array;
    for (let k = 0; k < a.length; k++) worst = Math.max(worst, Math.abs(a[k]! - b[k]!) / Math.max(1, Math.abs(b[k]!)));
    // Outputs that do not vary (saturated, all zero) would agree whatever the weights: none may.
    expect(Math.max(...a) - Math.min(...a), `${label}: output ${i} varies`).toBeGreaterThan(1e-3);
  }
  for (const t of [...inputs, ...ours]) t.dispose();
  await session.release();
  if (options.dispose !== false) m.dispose();
  report.push(`${label}: ${worst.toExponential(2)}`);
  expect(worst, label).toBeLessThan(TOLERANCE);
  return worst;
}

function fn(shape: number[], build: (x: S) => S | S[]): Model {
  const x = input({ shape });
  return model({ inputs: x, outputs: build(x) });
}

describe.skipIf(RUNTIME === 'chromium')('toOnnx: ONNX Runtime gives what predict gives', () => {
  beforeAll(async () => {
    const name = 'onnxruntime-node'; // not a literal: the browser project's bundler must not follow it
    ort = await import(/* @vite-ignore */ name) as Ort;
    setSeed(1);
  });
  afterAll(() => {
    if (report.length) console.log(`ONNX Runtime vs predict, max |ours − ORT| / max(1, |ORT|):\n  ${report.join('\n  ')}`);
  });

  test('dense with every activation, and the activation layer', async () => {
    for (const activation of ['linear', 'relu', 'sigmoid', 'tanh', 'softmax', 'elu', 'leakyRelu', 'softplus', 'swish', 'gelu'] as const) {
      await compare(`dense ${activation}`, sequential([L.dense({ units: 5, activation, inputShape: [7] })]), [{ shape: [3, 7] }]);
      await compare(`activation ${activation}`, sequential([L.dense({ units: 4, inputShape: [3] }), L.activation({ activation })]), [{ shape: [5, 3] }]);
    }
    await compare('dense without bias, on [steps, features]', sequential([L.dense({ units: 3, useBias: false, inputShape: [4, 5] })]), [{ shape: [2, 4, 5] }]);
  });

  test('conv2d and conv2dTranspose: padding, strides, odd sizes, activations', async () => {
    for (const padding of ['valid', 'same'] as const) {
      for (const strides of [1, 2, 3]) {
        await compare(`conv2d ${padding} stride ${strides}`, sequential([L.conv2d({ filters: 4, kernelSize: 3, strides, padding, activation: 'relu', inputShape: [9, 8, 3] })]), [{ shape: [2, 9, 8, 3] }]);
        await compare(`conv2dTranspose ${padding} stride ${strides}`, sequential([L.conv2dTranspose({ filters: 3, kernelSize: 3, strides, padding, inputShape: [5, 4, 2] })]), [{ shape: [2, 5, 4, 2] }]);
      }
    }
    await compare('conv2d [2, 5] kernel, [2, 1] strides, softmax', sequential([L.conv2d({ filters: 3, kernelSize: [2, 5], strides: [2, 1], padding: 'same', activation: 'softmax', useBias: false, inputShape: [7, 7, 2] })]), [{ shape: [3, 7, 7, 2] }]);
    await compare('conv2dTranspose kernel 2 < stride 3', sequential([L.conv2dTranspose({ filters: 2, kernelSize: 2, strides: 3, inputShape: [3, 3, 1] })]), [{ shape: [2, 3, 3, 1] }]);
    await compare('conv2dTranspose same, kernel 2 < stride 3', sequential([L.conv2dTranspose({ filters: 2, kernelSize: 2, strides: 3, padding: 'same', inputShape: [3, 3, 1] })]), [{ shape: [2, 3, 3, 1] }]);
  });

  test('pooling, flatten, reshape, upSampling2d, zeroPadding2d', async () => {
    await compare('maxPooling2d, averagePooling2d, flatten', sequential([
      L.conv2d({ filters: 3, kernelSize: 3, inputShape: [11, 10, 2] }), L.maxPooling2d({ poolSize: 2 }), L.averagePooling2d({ poolSize: [2, 1], strides: [1, 2] }), L.flatten(),
    ]), [{ shape: [2, 11, 10, 2] }]);
    await compare('globalAveragePooling2d', sequential([L.conv2d({ filters: 5, kernelSize: 1, inputShape: [4, 3, 2] }), L.globalAveragePooling2d()]), [{ shape: [3, 4, 3, 2] }]);
    await compare('reshape (with -1)', sequential([L.dense({ units: 12, inputShape: [5] }), L.reshape({ targetShape: [3, -1] }), L.dense({ units: 2 })]), [{ shape: [2, 5] }]);
    await compare('reshape of a convolution output', sequential([L.conv2d({ filters: 2, kernelSize: 2, inputShape: [4, 4, 1] }), L.reshape({ targetShape: [9, 2] })]), [{ shape: [2, 4, 4, 1] }]);
    await compare('upSampling2d after a convolution and on raw input', sequential([L.upSampling2d({ size: [2, 3], inputShape: [3, 2, 2] }), L.conv2d({ filters: 2, kernelSize: 2 }), L.upSampling2d({ size: 2 })]), [{ shape: [2, 3, 2, 2] }]);
    await compare('zeroPadding2d', sequential([L.zeroPadding2d({ padding: [[1, 2], [0, 3]], inputShape: [3, 3, 2] }), L.conv2d({ filters: 2, kernelSize: 3 }), L.zeroPadding2d({ padding: 1 })]), [{ shape: [2, 3, 3, 2] }]);
  });

  test('batch and layer normalization, dropout, gaussianNoise', async () => {
    await compare('batchNormalization on features', sequential([L.dense({ units: 6, inputShape: [4] }), L.batchNormalization({ epsilon: 0.01 }), L.dropout({ rate: 0.5 })]), [{ shape: [3, 4] }]);
    await compare('batchNormalization on images', sequential([L.conv2d({ filters: 3, kernelSize: 3, inputShape: [5, 5, 2] }), L.batchNormalization(), L.activation({ activation: 'relu' })]), [{ shape: [2, 5, 5, 2] }]);
    await compare('batchNormalization on raw images and on sequences', fn([4, 3], (x) => {
      const s = L.batchNormalization().apply(x) as S;
      return L.gaussianNoise({ stddev: 1 }).apply(s) as S;
    }), [{ shape: [2, 4, 3] }]);
    await compare('layerNormalization', sequential([L.dense({ units: 6, inputShape: [3, 4] }), L.layerNormalization({ epsilon: 1e-5 })]), [{ shape: [2, 3, 4] }]);
    await compare('layerNormalization of images', sequential([L.conv2d({ filters: 4, kernelSize: 2, inputShape: [3, 3, 1] }), L.layerNormalization()]), [{ shape: [2, 3, 3, 1] }]);
  });

  test('merge layers, on features and on images (layouts mixed)', async () => {
    for (const merge of ['add', 'subtract', 'multiply', 'average', 'maximum', 'minimum', 'concatenate'] as const) {
      await compare(`${merge} of vectors`, fn([5], (x) => {
        const a = L.dense({ units: 4 }).apply(x) as S, b = L.dense({ units: 4, activation: 'tanh' }).apply(x) as S;
        return L[merge]().apply(merge === 'subtract' ? [a, b] : [a, b, L.dense({ units: 4 }).apply(x) as S]) as S;
      }), [{ shape: [3, 5] }]);
      await compare(`${merge} of images`, fn([6, 5, 2], (x) => {
        const a = L.conv2d({ filters: 3, kernelSize: 3, padding: 'same' }).apply(x) as S;
        const b = L.conv2d({ filters: 3, kernelSize: 1 }).apply(x) as S;
        const c = L.dense({ units: 3 }).apply(x) as S; // channels-last
        return L.flatten().apply(L[merge]().apply(merge === 'subtract' ? [a, b] : [a, b, c]) as S) as S;
      }), [{ shape: [2, 6, 5, 2] }]);
    }
    await compare('concatenate on axis 1 and 2 of images', fn([4, 4, 1], (x) => {
      const a = L.conv2d({ filters: 2, kernelSize: 1 }).apply(x) as S, b = L.conv2d({ filters: 2, kernelSize: 1 }).apply(x) as S;
      return [L.concatenate({ axis: 1 }).apply([a, b]) as S, L.concatenate({ axis: 2 }).apply([a, b]) as S];
    }), [{ shape: [2, 4, 4, 1] }]);
  });

  test('embedding, repeatVector, timeDistributed', async () => {
    await compare('embedding → flatten → dense', sequential([L.embedding({ inputDim: 11, outputDim: 4, inputShape: [6] }), L.flatten(), L.dense({ units: 2 })]), [{ shape: [3, 6], ints: 11 }]);
    await compare('repeatVector', sequential([L.dense({ units: 3, inputShape: [2] }), L.repeatVector({ n: 4 })]), [{ shape: [2, 2] }]);
    await compare('timeDistributed dense', sequential([L.timeDistributed({ layer: L.dense({ units: 3, activation: 'relu' }), inputShape: [5, 4] })]), [{ shape: [2, 5, 4] }]);
    await compare('timeDistributed conv2d, flatten', sequential([
      L.timeDistributed({ layer: L.conv2d({ filters: 2, kernelSize: 2 }), inputShape: [3, 4, 4, 1] }), L.timeDistributed({ layer: L.flatten() }),
    ]), [{ shape: [2, 3, 4, 4, 1] }]);
  });

  test('simpleRNN, LSTM and GRU: every option ONNX can carry (batch 3, steps 5, features 7, units 9)', async () => {
    const seq = [{ shape: [3, 5, 7] }];
    for (const cell of ['simpleRNN', 'lstm', 'gru'] as const) {
      for (const returnSequences of [false, true]) {
        for (const goBackwards of [false, true]) {
          await compare(`${cell} returnSequences ${returnSequences} goBackwards ${goBackwards}`,
            sequential([L[cell]({ units: 9, returnSequences, goBackwards, inputShape: [5, 7] })]), seq);
        }
      }
      await compare(`${cell} relu, no bias`, sequential([L[cell]({ units: 9, activation: 'relu', useBias: false, returnSequences: true, inputShape: [5, 7] })]), seq);
      await compare(`${cell} linear`, sequential([L[cell]({ units: 4, activation: 'linear', inputShape: [5, 7] })]), seq);
      await compare(`${cell} returnState`, fn([5, 7], (x) => L[cell]({ units: 9, returnState: true, returnSequences: true }).apply(x) as S[]), seq);
      const states = cell === 'lstm' ? 2 : 1;
      await compare(`${cell} initial states`, (() => {
        const x = input({ shape: [5, 7] }), h = input({ shape: [9] }), c = input({ shape: [9] });
        return model({ inputs: states === 2 ? [x, h, c] : [x, h], outputs: L[cell]({ units: 9 }).apply(states === 2 ? [x, h, c] : [x, h]) as S });
      })(), [...seq, { shape: [3, 9] }, ...(states === 2 ? [{ shape: [3, 9] }] : [])]);
    }
    for (const recurrentActivation of ['hardSigmoid', 'tanh'] as const) {
      await compare(`lstm recurrentActivation ${recurrentActivation}`, sequential([L.lstm({ units: 9, recurrentActivation, inputShape: [5, 7] })]), seq);
      await compare(`gru recurrentActivation ${recurrentActivation}`, sequential([L.gru({ units: 9, recurrentActivation, inputShape: [5, 7] })]), seq);
    }
    await compare('gru resetAfter false', sequential([L.gru({ units: 9, resetAfter: false, returnSequences: true, inputShape: [5, 7] })]), seq);
    await compare('gru resetAfter false, hardSigmoid, no bias (TF.js form)', sequential([L.gru({ units: 9, resetAfter: false, recurrentActivation: 'hardSigmoid', useBias: false, inputShape: [5, 7] })]), seq);
  });

  test('bidirectional: every merge mode, with and without sequences, with states', async () => {
    const seq = [{ shape: [3, 5, 7] }];
    for (const cell of ['simpleRNN', 'lstm', 'gru'] as const) {
      for (const mergeMode of ['concat', 'sum', 'mul', 'ave'] as const) {
        for (const returnSequences of [false, true]) {
          await compare(`bidirectional ${cell} ${mergeMode} returnSequences ${returnSequences}`,
            sequential([L.bidirectional({ layer: L[cell]({ units: 9, returnSequences }), mergeMode, inputShape: [5, 7] })]), seq);
        }
      }
      await compare(`bidirectional ${cell} returnState`, fn([5, 7], (x) => L.bidirectional({ layer: L[cell]({ units: 4, returnState: true }) }).apply(x) as S[]), seq);
    }
    await compare('bidirectional gru resetAfter false', sequential([L.bidirectional({ layer: L.gru({ units: 9, resetAfter: false }), inputShape: [5, 7] })]), seq);
  });

  test('models in models, shared layers, several inputs and outputs, opsets 17 to 21', async () => {
    const shared = L.dense({ units: 4, activation: 'tanh' });
    const inner = sequential([L.dense({ units: 5, activation: 'relu', inputShape: [4] }), L.dense({ units: 3 })]);
    const a = input({ shape: [4], name: 'left' }), b = input({ shape: [4], name: 'right' });
    const sa = shared.apply(a) as S, sb = shared.apply(b) as S;
    const m = model({ inputs: [a, b], outputs: [inner.apply(sa) as S, L.add().apply([sa, sb]) as S] });
    for (const opset of [17, 18, 19, 20, 21]) await compare(`nested, shared, 2 in / 2 out, opset ${opset}`, m, [{ shape: [2, 4] }, { shape: [2, 4] }], { opset, dispose: false });
    const session = await ort.InferenceSession.create(toOnnx(m));
    expect(session.inputNames).toEqual(['left', 'right']);
    expect(session.outputNames).toEqual([inner.name, m.outputs[1]!.node.layer.name]);
    await session.release();
    m.dispose();
  });

  test('sampling: ONNX draws its own noise; z = mean + e^(logVar/2)·ε with ε ~ N(0, 1)', async () => {
    const x = input({ shape: [6] });
    const mean = L.dense({ units: 8 }).apply(x) as S, logVar = L.dense({ units: 8 }).apply(x) as S;
    const m = model({ inputs: x, outputs: [mean, logVar, L.sampling().apply([mean, logVar]) as S] });
    await compare('sampling: mean and logVar', m, [{ shape: [4, 6] }], { outputs: [0, 1], dispose: false });
    const session = await ort.InferenceSession.create(toOnnx(m));
    const n = 500, r = rng(5);
    const out = await session.run({ [session.inputNames[0]!]: new ort.Tensor('float32', randomInput({ shape: [n, 6] }, r), [n, 6]) });
    const [mu, lv, z] = session.outputNames.map((k) => out[k]!.data as Float32Array) as [Float32Array, Float32Array, Float32Array];
    const eps = z.map((v, i) => (v - mu[i]!) / Math.exp(lv[i]! / 2));
    const avg = eps.reduce((s, v) => s + v, 0) / eps.length, sd = Math.sqrt(eps.reduce((s, v) => s + (v - avg) ** 2, 0) / eps.length);
    expect(Math.abs(avg)).toBeLessThan(0.05); // 4,000 draws: the mean's standard error is 0.016
    expect(Math.abs(sd - 1)).toBeLessThan(0.05);
    await session.release();
    m.dispose();
  });

  test('the example models', async () => {
    await compare('examples/iris.ts MLP', sequential([L.dense({ units: 16, activation: 'relu', inputShape: [4] }), L.dense({ units: 3, activation: 'softmax' })]), [{ shape: [5, 4] }]);
    await compare('examples/mnist.ts LeNet-5', sequential([
      L.conv2d({ filters: 6, kernelSize: 5, padding: 'same', activation: 'relu', inputShape: [28, 28, 1] }), L.maxPooling2d({ poolSize: 2 }),
      L.conv2d({ filters: 16, kernelSize: 5, activation: 'relu' }), L.maxPooling2d({ poolSize: 2 }), L.flatten(),
      L.dense({ units: 120, activation: 'relu' }), L.dense({ units: 84, activation: 'relu' }), L.dense({ units: 10, activation: 'softmax' }),
    ]), [{ shape: [3, 28, 28, 1] }]);
    await compare('examples/resnet.ts residual CNN', (() => {
      const convBn = (t: S, filters: number, strides = 1, relu = true): S => {
        const b = L.batchNormalization().apply(L.conv2d({ filters, kernelSize: 3, strides, padding: 'same', useBias: false }).apply(t) as S) as S;
        return relu ? L.activation({ activation: 'relu' }).apply(b) as S : b;
      };
      const residual = (t: S, filters: number): S => L.activation({ activation: 'relu' }).apply(L.add().apply([t, convBn(convBn(t, filters), filters, 1, false)]) as S) as S;
      const inp = input({ shape: [28, 28, 1], name: 'digits' });
      let h = L.maxPooling2d({ poolSize: 2 }).apply(L.conv2d({ filters: 16, kernelSize: 3, padding: 'same', activation: 'relu' }).apply(inp) as S) as S;
      h = residual(convBn(residual(h, 16), 32, 2), 32);
      return model({ inputs: inp, outputs: L.dense({ units: 10, activation: 'softmax' }).apply(L.globalAveragePooling2d().apply(h) as S) as S });
    })(), [{ shape: [2, 28, 28, 1] }]);
    await compare('examples/sequence-mnist.ts LSTM(128)', sequential([L.lstm({ units: 128, inputShape: [28, 28] }), L.dense({ units: 10, activation: 'softmax' })]), [{ shape: [2, 28, 28] }]);
    for (const cell of ['gru', 'lstm'] as const) {
      await compare(`examples/names.ts embedding → ${cell}(128)`, sequential([
        L.embedding({ inputDim: 29, outputDim: 24, inputShape: [12] }), L[cell]({ units: 128 }), L.dense({ units: 29, activation: 'softmax' }),
      ]), [{ shape: [3, 12], ints: 29 }]);
    }
    await compare('examples/autoencoder.ts denoising autoencoder (encoder and decoder models inside)', (() => {
      const pixels = input({ shape: [784] });
      const hidden = L.dense({ units: 256, activation: 'relu' }).apply(L.gaussianNoise({ stddev: 0.5 }).apply(pixels) as S) as S;
      const encoder = model({ inputs: pixels, outputs: L.dense({ units: 32, activation: 'relu' }).apply(hidden) as S });
      const codes = input({ shape: [32] });
      const decoder = model({ inputs: codes, outputs: L.dense({ units: 784, activation: 'sigmoid' }).apply(L.dense({ units: 256, activation: 'relu' }).apply(codes) as S) as S });
      return model({ inputs: pixels, outputs: decoder.apply(encoder.apply(pixels) as S) as S });
    })(), [{ shape: [2, 784] }]);
    await compare('examples/autoencoder.ts VAE encoder (mean, logVar)', (() => {
      const pixels = input({ shape: [784] });
      const h = L.dense({ units: 256, activation: 'relu' }).apply(pixels) as S;
      const zMean = L.dense({ units: 2 }).apply(h) as S, zLogVar = L.dense({ units: 2 }).apply(h) as S;
      return model({ inputs: pixels, outputs: [zMean, zLogVar, L.sampling().apply([zMean, zLogVar]) as S] });
    })(), [{ shape: [2, 784] }], { outputs: [0, 1] });
    await compare('examples/gan.ts generator → discriminator', (() => {
      const generator = sequential({ layers: [
        L.dense({ units: 256, inputShape: [100] }), L.activation({ activation: 'leakyRelu' }), L.dense({ units: 512 }), L.activation({ activation: 'leakyRelu' }), L.dense({ units: 784, activation: 'tanh' }),
      ] });
      const discriminator = sequential({ layers: [
        L.dense({ units: 512, inputShape: [784] }), L.activation({ activation: 'leakyRelu' }), L.dropout({ rate: 0.3 }),
        L.dense({ units: 256 }), L.activation({ activation: 'leakyRelu' }), L.dropout({ rate: 0.3 }), L.dense({ units: 1, activation: 'sigmoid' }),
      ] });
      const z = input({ shape: [100] });
      return model({ inputs: z, outputs: discriminator.apply(generator.apply(z) as S) as S });
    })(), [{ shape: [3, 100] }]);
  });

  test('what has no ONNX form is refused by name, and bad options are refused', () => {
    const refused = (m: Model, pattern: RegExp) => {
      let error: unknown;
      try { toOnnx(m); } catch (e) { error = e; }
      expect(error).toBeInstanceOf(WasmgradError);
      expect((error as WasmgradError).code).toBe('INVALID_ARGUMENT');
      expect((error as Error).message).toMatch(pattern);
    };
    refused(sequential([L.masking({ inputShape: [3, 2] }), L.lstm({ units: 2 })]), /masking_\d+: masking has no ONNX form/);
    refused(sequential([L.embedding({ inputDim: 4, outputDim: 2, maskZero: true, inputShape: [3] }), L.gru({ units: 2 })]), /embedding_\d+: an embedding with maskZero/);
    refused(sequential([L.lstm({ units: 2, stateful: true, inputShape: [3, 2] })]), /lstm_\d+: a stateful LSTM/);
    refused(sequential([L.dense({ units: 2 })]), /is not built/);
    const m = sequential([L.dense({ units: 2, inputShape: [3] })]);
    expect(() => toOnnx(m, { opset: 16 })).toThrow(/opset must be an integer from 17 to 21, got 16/);
    expect(() => toOnnx(m, { opsett: 17 } as never)).toThrow(/unknown option "opsett"/);
    expect(() => toOnnx({} as never)).toThrow(/model must be a wasmgrad model/);
    m.dispose();
    expect(() => toOnnx(m)).toThrow(WasmgradError);
  });
});
