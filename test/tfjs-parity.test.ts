// The same graphs in wasmgrad and in TF.js layers (a dev dependency, cpu backend), from the same
// seeded weights (TF.js' own initializers draw from Math.random, so their last bits varied by run):
// the loss and every weight's gradient of one training step agree to 1e-5 of the tensor's largest
// element (float32 sums taken in another order differ in the last bits, so elements near zero are
// not compared relatively). Covers a residual MLP, a residual CNN (batch norm in training mode,
// global average pooling), and a generator-like graph (conv2dTranspose, upSampling2d, zeroPadding2d,
// concatenate, maximum, average, multiply).
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, test } from 'vitest';
import {
  Tensor, categoricalCrossentropy, input, layers, meanSquaredError, model, tensor, variableGrads, type Model, type SymbolicTensor,
} from '../src/index.js';
import { randArray } from './helpers.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
  await tf.ready();
});

type Build<S> = (inp: S, L: Record<string, (c: Record<string, unknown>) => { apply(x: S | S[]): S | S[] }>) => S;

// Builds the graph twice, from one description: with wasmgrad's layers and with TF.js'.
function both(shape: number[], build: Build<unknown>): { ours: Model; theirs: tfl.LayersModel } {
  const ours = (() => {
    const x = input({ shape });
    const L = layers as unknown as Record<string, (c: Record<string, unknown>) => { apply(x: unknown): unknown }>;
    return model({ inputs: x, outputs: build(x, L as never) as SymbolicTensor });
  })();
  const theirs = (() => {
    const x = tfl.input({ shape });
    return tfl.model({ inputs: x, outputs: build(x, tfl.layers as never) as tfl.SymbolicTensor });
  })();
  return { ours, theirs };
}

function check(name: string, shape: number[], outUnits: number[], build: Build<unknown>, loss: 'mse' | 'cce', n = 5, inputs?: Float32Array) {
  test(name, () => {
    const { ours, theirs } = both(shape, build);
    // The same seeded weights in both (uniform in ±0.5; batch norm's γ near 1, its variance positive),
    // layer by layer: same names, same order within a layer.
    const mine = ours.namedWeights();
    const values = mine.map(({ name, tensor: t }, i) => {
      const r = randArray(t.size, 1000 + i, -0.5, 0.5);
      if (name.endsWith('/gamma') || name.endsWith('/moving_variance')) return r.map((v) => 1 + v / 2);
      return r;
    });
    ours.setWeights(values);
    for (const l of theirs.layers) {
      const own = mine.map((w, i) => [w.name, i] as const).filter(([n]) => n.startsWith(`${l.name}/`));
      if (own.length === 0) continue;
      tf.tidy(() => l.setWeights(own.map(([, i]) => tf.tensor(values[i]!, mine[i]!.tensor.shape as number[]))));
    }
    const xs = inputs ?? randArray(n * shape.reduce((a, b) => a * b, 1), 21, -1, 1);
    const ys = loss === 'cce'
      ? Float32Array.from({ length: n * outUnits[0]! }, (_, i) => +(i % outUnits[0]! === i % 3))
      : randArray(n * outUnits.reduce((a, b) => a * b, 1), 22);
    const xShape = [n, ...shape], yShape = [n, ...outUnits];
    // TF.js: loss and gradients of the trainable variables.
    const vars = theirs.trainableWeights.map((w) => w.read() as tf.Variable);
    // TF.js names a bidirectional layer's weights p_bi/forward_lstm_LSTM1/kernel; ours are p_bi/forward_kernel.
    const names = theirs.trainableWeights.map((w) => w.originalName.replace(/^(.*)\/(forward|backward)_[^/]+\/([^/]+)$/, '$1/$2_$3'));
    const xT = tf.tensor(xs, xShape), yT = tf.tensor(ys, yShape);
    const tfOut = tf.variableGrads(() => {
      const pred = theirs.apply(xT, { training: true }) as tf.Tensor;
      return (loss === 'mse' ? tf.losses.meanSquaredError(yT, pred) : tf.mean(tfl.metrics.categoricalCrossentropy(yT, pred))) as tf.Scalar;
    }, vars);
    // wasmgrad.
    const { value, grads } = variableGrads(() => {
      const pred = ours.apply(tensor(xs, xShape), { training: true }) as Tensor;
      return loss === 'mse' ? meanSquaredError(pred, tensor(ys, yShape)) : categoricalCrossentropy(pred, tensor(ys, yShape));
    }, ours.trainableWeights);
    expect(value.item()).toBeCloseTo(tfOut.value.dataSync()[0]!, 5);
    expect(Object.keys(grads).sort()).toEqual(names.slice().sort());
    for (const [i, wname] of names.entries()) {
      const want = tfOut.grads[vars[i]!.name]!.dataSync() as Float32Array;
      const got = grads[wname]!.toArray();
      const scale = want.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
      expect(scale, `${wname}: a zero gradient checks nothing`).toBeGreaterThan(0);
      got.forEach((v, j) => {
        if (!(Math.abs(v - want[j]!) <= 1e-5 * scale)) expect.fail(`${wname}[${j}]: wasmgrad ${v}, TF.js ${want[j]} (scale ${scale})`);
      });
    }
    value.dispose();
    for (const g of Object.values(grads)) g.dispose();
    tf.dispose([xT, yT, tfOut.value, ...Object.values(tfOut.grads)]);
    theirs.dispose();
    ours.dispose();
  });
}

describe('the same graph in TF.js layers: loss and every weight gradient of a step', () => {
  check('a residual MLP', [6], [3], (x, L) => {
    const h = L.dense!({ units: 8, activation: 'relu', name: 'p_mlp_h' }).apply(x);
    const r = L.dense!({ units: 6, activation: 'tanh', name: 'p_mlp_r' }).apply(h);
    const s = L.add!({ name: 'p_mlp_add' }).apply([x, r] as never);
    return L.dense!({ units: 3, name: 'p_mlp_out' }).apply(s);
  }, 'mse');

  check('a residual CNN with batch normalization and global average pooling', [7, 7, 2], [3], (x, L) => {
    const c1 = L.conv2d!({ filters: 4, kernelSize: 3, padding: 'same', activation: 'relu', name: 'p_cnn_c1' }).apply(x);
    const bn = L.batchNormalization!({ name: 'p_cnn_bn' }).apply(c1);
    const c2 = L.conv2d!({ filters: 2, kernelSize: 3, padding: 'same', name: 'p_cnn_c2' }).apply(bn);
    const s = L.add!({ name: 'p_cnn_add' }).apply([x, c2] as never);
    const a = L.activation!({ activation: 'relu', name: 'p_cnn_relu' }).apply(s);
    const g = L.globalAveragePooling2d!({ name: 'p_cnn_gap' }).apply(a);
    return L.dense!({ units: 3, activation: 'softmax', name: 'p_cnn_out' }).apply(g);
  }, 'cce');

  check('a generator-like graph: conv2dTranspose, zeroPadding2d, concatenate, maximum, average, multiply, upSampling2d', [3, 3, 2], [16, 16, 3], (x, L) => {
    const t = L.conv2dTranspose!({ filters: 3, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu', name: 'p_gen_t' }).apply(x); // 6×6×3
    const t2 = L.conv2dTranspose!({ filters: 2, kernelSize: 2, strides: 2, name: 'p_gen_t2' }).apply(x); // 6×6×2
    const c = L.concatenate!({ name: 'p_gen_cat' }).apply([t, t2] as never); // 6×6×5
    const p = L.zeroPadding2d!({ padding: 1, name: 'p_gen_pad' }).apply(c); // 8×8×5
    const a = L.conv2d!({ filters: 3, kernelSize: 1, name: 'p_gen_a' }).apply(p);
    const b = L.conv2d!({ filters: 3, kernelSize: 1, activation: 'tanh', name: 'p_gen_b' }).apply(p);
    const m = L.maximum!({ name: 'p_gen_max' }).apply([a, b] as never);
    const d = L.average!({ name: 'p_gen_avg' }).apply([a, b] as never); // TF.js has no subtract (float64-checked in ops/shape.test.ts)
    // Last, because TF.js' upSampling2d gives a static shape of nulls that its merge layers refuse.
    // One sample: TF.js 4.22's cpu gradient of resizeNearestNeighbor is wrong for a batch of more
    // than one (measured here against float64 at batch 2: off by up to 3.7; ours, float64-checked at
    // batch 2 in ops/shape.test.ts, is off by 2.4e-7).
    return L.upSampling2d!({ size: [2, 2], name: 'p_gen_up' }).apply(L.multiply!({ name: 'p_gen_mul' }).apply([m, d] as never)); // 16×16×3
  }, 'mse', 1);

  // Recurrent layers: TF.js' LSTM defaults to hardSigmoid gates, so both are given explicitly; its
  // orthogonal initializer throws in this version (rMat.flatten is not a function), and the weights
  // are set anyway, so the recurrent kernels start from glorotUniform.
  check('stacked recurrent layers: LSTM (sequences, sigmoid gates) → SimpleRNN (backwards) → dense', [5, 7], [3], (x, L) => {
    const a = L.lstm!({ units: 9, recurrentActivation: 'sigmoid', recurrentInitializer: 'glorotUniform', returnSequences: true, name: 'p_rnn_lstm' }).apply(x);
    const b = L.simpleRNN!({ units: 6, goBackwards: true, recurrentInitializer: 'glorotUniform', name: 'p_rnn_simple' }).apply(a);
    return L.dense!({ units: 3, name: 'p_rnn_out' }).apply(b);
  }, 'mse', 3);

  check('an LSTM with hardSigmoid gates going backwards, and a relu SimpleRNN over its sequence', [4, 3], [4, 2], (x, L) => {
    const a = L.lstm!({ units: 5, recurrentActivation: 'hardSigmoid', recurrentInitializer: 'glorotUniform', goBackwards: true, returnSequences: true, name: 'p_rnn_hard' }).apply(x);
    return L.simpleRNN!({ units: 2, activation: 'relu', recurrentInitializer: 'glorotUniform', returnSequences: true, name: 'p_rnn_relu' }).apply(a);
  }, 'mse', 3);

  // TF.js' GRU is Keras' resetAfter: false form (ours defaults to Keras' resetAfter: true, checked
  // against the float64 reference of Keras' formula in ops/recurrent.test.ts).
  check('a GRU (resetAfter false) over a sequence, then one going backwards', [5, 4], [3], (x, L) => {
    const a = L.gru!({ units: 6, recurrentActivation: 'sigmoid', resetAfter: false, returnSequences: true, recurrentInitializer: 'glorotUniform', name: 'p_gru_a' }).apply(x);
    return L.gru!({ units: 3, recurrentActivation: 'hardSigmoid', resetAfter: false, goBackwards: true, recurrentInitializer: 'glorotUniform', name: 'p_gru_b' }).apply(a);
  }, 'mse', 3);

  check('bidirectional LSTM (concat, sequences) → bidirectional GRU (ave) → dense', [5, 4], [3], (x, L) => {
    const a = L.bidirectional!({ layer: L.lstm!({ units: 4, recurrentActivation: 'sigmoid', returnSequences: true, recurrentInitializer: 'glorotUniform' }), name: 'p_bi_lstm' }).apply(x);
    const b = L.bidirectional!({ layer: L.gru!({ units: 3, recurrentActivation: 'sigmoid', resetAfter: false, recurrentInitializer: 'glorotUniform' }), mergeMode: 'ave', name: 'p_bi_gru' }).apply(a);
    return L.dense!({ units: 3, name: 'p_bi_out' }).apply(b);
  }, 'mse', 3);

  check('repeatVector → bidirectional SimpleRNN (sum, sequences), and mul', [4], [3, 5], (x, L) => {
    const r = L.repeatVector!({ n: 3, name: 'p_rep' }).apply(x);
    const a = L.bidirectional!({ layer: L.simpleRNN!({ units: 5, returnSequences: true, recurrentInitializer: 'glorotUniform' }), mergeMode: 'sum', name: 'p_bi_sum' }).apply(r);
    return L.bidirectional!({ layer: L.simpleRNN!({ units: 5, returnSequences: true, recurrentInitializer: 'glorotUniform' }), mergeMode: 'mul', name: 'p_bi_mul' }).apply(a);
  }, 'mse', 3);

  // Index 0 is padding: TF.js' recurrent layers keep their state over masked steps, as ours do.
  check('embedding (maskZero) with padded sequences → bidirectional LSTM → dense', [6], [2], (x, L) => {
    const e = L.embedding!({ inputDim: 7, outputDim: 4, maskZero: true, name: 'p_mask_emb' }).apply(x);
    const h = L.bidirectional!({ layer: L.lstm!({ units: 3, recurrentActivation: 'sigmoid', recurrentInitializer: 'glorotUniform' }), name: 'p_mask_bi' }).apply(e);
    return L.dense!({ units: 2, name: 'p_mask_out' }).apply(h);
  }, 'mse', 4, Float32Array.from([3, 1, 4, 0, 0, 0, /**/ 0, 0, 5, 2, 6, 1, /**/ 2, 0, 3, 0, 4, 0, /**/ 1, 2, 3, 4, 5, 6]));

  // An encoder's last states start a decoder: returnState, and initial states given as apply([x, h, c]).
  check('encoder LSTM (returnState) → repeatVector → decoder LSTM from its states → dense', [5, 3], [4, 2], (x, L) => {
    const [enc, h, c] = L.lstm!({ units: 4, returnState: true, recurrentActivation: 'sigmoid', recurrentInitializer: 'glorotUniform', name: 'p_enc' }).apply(x) as unknown[];
    const start = L.repeatVector!({ n: 4, name: 'p_rep2' }).apply(enc);
    const dec = L.lstm!({ units: 4, returnSequences: true, recurrentActivation: 'sigmoid', recurrentInitializer: 'glorotUniform', name: 'p_dec' }).apply([start, h, c] as never);
    return L.dense!({ units: 2, name: 'p_dec_out' }).apply(dec);
  }, 'mse', 3);

  check('GRU (sequences, returnState) → SimpleRNN from its state, going backwards', [5, 3], [5, 4], (x, L) => {
    const [seq, h] = L.gru!({ units: 4, returnSequences: true, returnState: true, resetAfter: false, recurrentActivation: 'sigmoid', recurrentInitializer: 'glorotUniform', name: 'p_gst' }).apply(x) as unknown[];
    return L.simpleRNN!({ units: 4, returnSequences: true, goBackwards: true, recurrentInitializer: 'glorotUniform', name: 'p_sst' }).apply([seq, h] as never);
  }, 'mse', 3);

  // A bidirectional layer's returnState: [output, forward h, c, backward h, c], as Keras and TF.js.
  check('bidirectional LSTM (sequences, returnState): its sequence read on, and its four states, joined → dense', [5, 3], [4], (x, L) => {
    const [seq, hf, cf, hb, cb] = L.bidirectional!({ layer: L.lstm!({ units: 4, returnSequences: true, returnState: true, recurrentActivation: 'sigmoid', recurrentInitializer: 'glorotUniform' }), name: 'p_bist' }).apply(x) as unknown[];
    const a = L.lstm!({ units: 3, recurrentActivation: 'sigmoid', recurrentInitializer: 'glorotUniform', name: 'p_bist_on' }).apply(seq as never);
    const j = L.concatenate!({ name: 'p_bist_cat' }).apply([a, hf, cf, hb, cb] as never);
    return L.dense!({ units: 4, name: 'p_bist_out' }).apply(j);
  }, 'mse', 3);

  check('bidirectional GRU (last output, returnState, concat) → its states joined → dense', [4, 3], [3], (x, L) => {
    const [y, hf, hb] = L.bidirectional!({ layer: L.gru!({ units: 3, returnState: true, resetAfter: false, recurrentActivation: 'sigmoid', recurrentInitializer: 'glorotUniform' }), name: 'p_bigst' }).apply(x) as unknown[];
    const j = L.concatenate!({ name: 'p_bigst_cat' }).apply([y, hf, hb] as never);
    return L.dense!({ units: 3, name: 'p_bigst_out' }).apply(j);
  }, 'mse', 3);

  // TF.js' wasm backend cannot train an embedding (no UnsortedSegmentSum kernel); its cpu backend can.
  check('embedding → LSTM → softmax', [6], [4], (x, L) => {
    const e = L.embedding!({ inputDim: 11, outputDim: 5, name: 'p_emb' }).apply(x);
    const h = L.lstm!({ units: 7, recurrentActivation: 'sigmoid', recurrentInitializer: 'glorotUniform', name: 'p_emb_lstm' }).apply(e);
    return L.dense!({ units: 4, activation: 'softmax', name: 'p_emb_out' }).apply(h);
  }, 'cce', 5, Float32Array.from({ length: 5 * 6 }, (_, i) => (i * 7) % 11));
});
