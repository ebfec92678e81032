// The recurrent layers as a user meets them: Keras' defaults (orthogonal recurrent kernels, the
// LSTM's forget-gate bias at 1), training on a sequence task, saving and loading, and the options
// not implemented yet refused rather than ignored. The cells' math is checked in ops/recurrent.test.ts
// and against TF.js in tfjs-parity.test.ts.
import { describe, expect, test } from 'vitest';
import { WasmgradError, fromArtifacts, input, layers, memory, model, optimizers, sequential, setSeed, tensor, type SymbolicTensor, type Tensor } from '../src/index.js';
import { expectClose } from './helpers.js';

describe('recurrent layers', () => {
  test("Keras' defaults: glorot kernel, orthogonal recurrent kernel, LSTM forget bias 1", () => {
    setSeed(3);
    // Stacking needs the sequence: a SimpleRNN after an LSTM that returns only its last state is refused.
    expect(() => sequential([layers.lstm({ units: 4, inputShape: [3, 2] }), layers.simpleRNN({ units: 3 })]))
      .toThrow(/SimpleRNN takes samples of shape \[steps, features\], got \[4\] \(applied to the output of lstm_\d+ \[4\]\)/);
    const m = sequential([layers.lstm({ units: 4, inputShape: [3, 2], returnSequences: true }), layers.simpleRNN({ units: 3 })]);
    expect(m.countParams()).toBe(2 * 16 + 4 * 16 + 16 + 4 * 3 + 3 * 3 + 3);
    const lstm = sequential([layers.lstm({ units: 4, inputShape: [3, 2] })]);
    const [kernel, recurrent, bias] = lstm.getWeights();
    expect([kernel!.length, recurrent!.length, bias!.length]).toEqual([2 * 16, 4 * 16, 16]);
    expect(Array.from(bias!)).toEqual([0, 0, 0, 0, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0]);
    // [4, 16]: its rows are orthonormal.
    for (let i = 0; i < 4; i++) {
      for (let j = 0; j < 4; j++) {
        let dot = 0;
        for (let k = 0; k < 16; k++) dot += recurrent![i * 16 + k]! * recurrent![j * 16 + k]!;
        expect(Math.abs(dot - (i === j ? 1 : 0))).toBeLessThan(1e-5);
      }
    }
    const off = sequential([layers.lstm({ units: 2, inputShape: [3, 2], unitForgetBias: false })]);
    expect(Array.from(off.getWeights()[2]!)).toEqual(new Array(8).fill(0));
    // GRU: Keras' resetAfter by default, an input and a recurrent bias.
    const g = sequential([layers.gru({ units: 2, inputShape: [3, 2] })]), g1 = sequential([layers.gru({ units: 2, inputShape: [3, 2], resetAfter: false })]);
    expect(g.weightSpecs().map((w) => w.shape)).toEqual([[2, 6], [2, 6], [2, 6]]);
    expect(g1.weightSpecs().map((w) => w.shape)).toEqual([[2, 6], [2, 6], [6]]);
    for (const x of [m, lstm, off, g, g1]) x.dispose();
  });

  for (const cell of ['lstm', 'gru'] as const) test(`embedding → ${cell} learns which of two tokens came first; save and load give the same outputs`, async () => {
    // Sequences of 8 tokens from 1..9 with one 1 and one 2 somewhere: the label is whether the 1 comes first.
    const n = 256, steps = 8;
    const x: number[][] = [], y: number[] = [];
    for (let s = 0; s < n; s++) {
      const seq = Array.from({ length: steps }, (_, t) => 3 + ((s * 7 + t * 5) % 7));
      const a = s % steps, b = (s * 3 + 1) % steps === a ? (a + 1) % steps : (s * 3 + 1) % steps;
      seq[a] = 1; seq[b] = 2;
      x.push(seq); y.push(a < b ? 1 : 0);
    }
    const m = sequential([
      layers.embedding({ inputDim: 10, outputDim: 8, inputShape: [steps] }),
      layers[cell]({ units: 16 }),
      layers.dense({ units: 1, activation: 'sigmoid' }),
    ]);
    m.compile({ optimizer: optimizers.adam(0.01), loss: 'binaryCrossentropy', metrics: ['accuracy'] });
    const h = await m.fit(x, y.map((v) => [v]), { epochs: 30, batchSize: 32, seed: 4, verbose: 0 });
    expect(h.history.accuracy!.at(-1)!).toBeGreaterThanOrEqual(0.95);
    const bytes = memory().bytes;
    const again = fromArtifacts(m.toArtifacts());
    const [p, q] = [m.predict(x.slice(0, 8)) as Tensor, again.predict(x.slice(0, 8)) as Tensor];
    expect(q.toArray()).toEqual(p.toArray());
    // LSTM: 4·(8·16 + 16·16 + 16) parameters; GRU with resetAfter: 3·(8·16 + 16·16) + 2·3·16.
    expect(again.summary({ printFn: () => {} })).toMatch(cell === 'lstm' ? /lstm_\d+ \(LSTM\)\s+\(None, 16\)\s+1,600/ : /gru_\d+ \(GRU\)\s+\(None, 16\)\s+1,248/);
    p.dispose(); q.dispose(); again.dispose();
    expect(memory().bytes).toBe(bytes);
    // An index outside the table: INVALID_LABEL naming the sample and position, before any step.
    const w = m.getWeights();
    await expect(m.fit([[1, 2, 3, 4, 5, 6, 7, 10]], [[1]], { verbose: 0 })).rejects.toThrow(/embedding: the indices hold 10 at sample 0, position 7/);
    expect(m.getWeights()).toEqual(w);
    m.dispose();
  });

  test('bidirectional and repeatVector save, load and refuse what they cannot take', () => {
    const m = sequential([
      layers.repeatVector({ n: 4, inputShape: [3] }),
      layers.bidirectional({ layer: layers.lstm({ units: 5, returnSequences: true }), mergeMode: 'concat' }),
      layers.bidirectional({ layer: layers.gru({ units: 2 }), mergeMode: 'ave' }),
    ]);
    expect(m.weightSpecs().map((w) => w.name.replace(/^[a-z_]+\d+\//, ''))).toEqual([
      'forward_kernel', 'forward_recurrent_kernel', 'forward_bias', 'backward_kernel', 'backward_recurrent_kernel', 'backward_bias',
      'forward_kernel', 'forward_recurrent_kernel', 'forward_bias', 'backward_kernel', 'backward_recurrent_kernel', 'backward_bias',
    ]);
    const x = [[0.1, -0.2, 0.3], [1, 0.5, -1]];
    const again = fromArtifacts(m.toArtifacts());
    const [p, q] = [m.predict(x) as Tensor, again.predict(x) as Tensor];
    expect(p.shape).toEqual([2, 2]);
    expect(q.toArray()).toEqual(p.toArray());
    p.dispose(); q.dispose();
    // A file whose wrapped layer is not a recurrent one, or holds what a config cannot.
    const { topology, weights } = m.toArtifacts();
    const doc = JSON.parse(topology);
    const bad = (edit: (d: { layers: { config: { layer: { className: string; config: Record<string, unknown> } } }[] }) => void) => {
      const d = JSON.parse(topology);
      edit(d);
      try { fromArtifacts({ topology: JSON.stringify(d), weights }); } catch (e) { return `${(e as WasmgradError).code}: ${(e as Error).message}`; }
      return 'loaded';
    };
    void doc;
    expect(bad((d) => { d.layers[1]!.config.layer.className = 'Dense'; })).toMatch(/^UNKNOWN_LAYER: .*layers\[1\]\.config\.layer\.className must be SimpleRNN, LSTM, GRU, got "Dense"/);
    expect(bad((d) => { d.layers[1]!.config.layer.config.units = { evil: [1] }; })).toMatch(/^BAD_LAYER_CONFIG: .*layers\[1\]\.config\.layer\.config\.units must be a number/);
    expect(bad((d) => { d.layers[1]!.config.layer.config.layer = { className: 'LSTM', config: {} }; })).toMatch(/^UNKNOWN_OPTION: /);
    expect(() => layers.bidirectional({ layer: layers.dense({ units: 2 }) as never })).toThrow(/layer must be a recurrent layer \(layers\.lstm\(\), layers\.gru\(\), layers\.simpleRNN\(\)\), got a Dense/);
    expect(() => layers.bidirectional({ layer: layers.lstm({ units: 2 }), mergeMode: 'max' as never })).toThrow(/mergeMode must be 'concat', 'sum', 'mul' or 'ave', got "max" \(a string\)/);
    expect(() => sequential([layers.repeatVector({ n: 2, inputShape: [2, 3] })])).toThrow(/RepeatVector takes samples of shape \[features\], got \[2, 3\]/);
    for (const t of [m, again]) t.dispose();
  });

  test('dropout: one mask per sequence in fit (seeded), none at inference', async () => {
    const x = Array.from({ length: 8 }, (_, s) => Array.from({ length: 5 }, (_, t) => [Math.sin(s + t), Math.cos(s * t), (s + t) % 3]));
    const y = x.map((seq) => [seq[0]![0]! > 0 ? 1 : 0]);
    const run = async (dropout: number, seed: number, recurrentDropout = 0) => {
      setSeed(9);
      const m = sequential([layers.bidirectional({ layer: layers.lstm({ units: 4, dropout, recurrentDropout }), inputShape: [5, 3] }), layers.dense({ units: 1, activation: 'sigmoid' })]);
      m.compile({ optimizer: 'adam', loss: 'binaryCrossentropy' });
      const before = m.predict(x) as Tensor;
      const h = await m.fit(x, y, { epochs: 3, batchSize: 4, seed, verbose: 0 });
      const out = { first: before.toArray(), loss: h.history.loss!, weights: m.getWeights() };
      before.dispose();
      m.dispose();
      return out;
    };
    const plain = await run(0, 1), a = await run(0.5, 1), b = await run(0.5, 1), c = await run(0.5, 2);
    expect(a.first).toEqual(plain.first);         // inference ignores dropout
    expect(a.loss).not.toEqual(plain.loss);        // fit does not
    expect(b.weights).toEqual(a.weights);          // the seed fixes the masks
    expect(c.weights).not.toEqual(a.weights);
    const r1 = await run(0, 1, 0.5), r2 = await run(0, 1, 0.5);
    expect(r1.first).toEqual(plain.first);        // recurrentDropout: none at inference,
    expect(r1.loss).not.toEqual(plain.loss);       // a mask on the state in fit,
    expect(r2.weights).toEqual(r1.weights);        // seeded
    const bytes = memory().bytes;
    const m = sequential([layers.bidirectional({ layer: layers.gru({ units: 3, dropout: 0.3, recurrentDropout: 0.3, returnSequences: true }), inputShape: [5, 3] })]);
    m.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
    const target = x.map((seq) => seq.map(() => [0, 0, 0, 0, 0, 0]));
    await m.fit(x, target, { epochs: 1, batchSize: 4, seed: 3, verbose: 0 });
    const after1 = memory().bytes;
    await m.fit(x, target, { epochs: 5, batchSize: 4, seed: 3, verbose: 0 });
    expect(memory().bytes).toBe(after1);           // no arena growth over steps with dropout
    m.dispose();
    expect(memory().bytes).toBe(bytes);
    expect(() => layers.lstm({ units: 2, dropout: 1 })).toThrow(/dropout must be in \[0, 1\), got 1/);
  });

  test('padding is masked: a padded sequence gives the output of the unpadded one (maskZero and masking)', () => {
    for (const cell of ['lstm', 'gru', 'simpleRNN'] as const) {
      const make = (steps: number) => sequential([
        layers.embedding({ inputDim: 9, outputDim: 3, maskZero: true, inputShape: [steps] }),
        layers.bidirectional({ layer: layers[cell]({ units: 4, returnSequences: true }) }),
        layers.dropout({ rate: 0.5 }),   // passes the mask on
        layers[cell]({ units: 2 }),
      ]);
      const short = make(3), padded = make(6);
      padded.setWeights(short.getWeights());
      const a = short.predict([[4, 2, 7], [1, 8, 3]]) as Tensor;
      const b = padded.predict([[4, 2, 7, 0, 0, 0], [0, 1, 0, 8, 3, 0]]) as Tensor;
      expectClose(b.toArray(), a.toArray(), 1e-5, 1e-6);
      for (const t of [a, b, short, padded]) t.dispose();
    }
    // masking(): a step whose features all equal maskValue is padding.
    const m1 = sequential([layers.masking({ maskValue: -1, inputShape: [2, 2] }), layers.lstm({ units: 3 })]);
    const m2 = sequential([layers.masking({ maskValue: -1, inputShape: [4, 2] }), layers.lstm({ units: 3 })]);
    m2.setWeights(m1.getWeights());
    const p = m1.predict([[[0.5, 1], [2, -1]]]) as Tensor, q = m2.predict([[[-1, -1], [0.5, 1], [-1, -1], [2, -1]]]) as Tensor;
    expectClose(q.toArray(), p.toArray(), 1e-5, 1e-6);
    for (const t of [p, q, m1, m2]) t.dispose();
  });

  test('masks also reach layers applied one by one, and fit with checkNumerics trains as without', async () => {
    const masking = layers.masking({ maskValue: 0 }), cell = layers.gru({ units: 2 });
    // Padding after or before: the same output only if the mask reached the GRU.
    const x = tensor([[[0.5, 1], [2, 3], [0, 0]]]), before = tensor([[[0, 0], [0.5, 1], [2, 3]]]);
    const mx = masking.apply(x), mb = masking.apply(before);
    const a = cell.apply(mx) as Tensor, b = cell.apply(mb) as Tensor;
    expectClose(a.toArray(), b.toArray(), 1e-6, 1e-7);
    for (const t of [x, before, mx, mb, a, b]) t.dispose();
    const data = [[1, 2, 0, 0], [3, 0, 0, 0], [4, 5, 6, 0]], y = [[1], [0], [1]];
    const train = async (checkNumerics: boolean) => {
      setSeed(4);
      const m = sequential([layers.embedding({ inputDim: 7, outputDim: 3, maskZero: true, inputShape: [4] }), layers.lstm({ units: 3 }), layers.dense({ units: 1 })]);
      m.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
      await m.fit(data, y, { epochs: 3, seed: 1, verbose: 0, checkNumerics });
      const w = m.getWeights();
      m.dispose();
      return w;
    };
    expect(await train(true)).toEqual(await train(false));
    expect(() => layers.bidirectional({ layer: layers.lstm({ units: 2, goBackwards: true }) })).toThrow(/runs both ways already; give it no goBackwards/);
    expect(() => layers.bidirectional({ layer: layers.lstm({ units: 2, trainable: false }) })).toThrow(/freeze the bidirectional layer/);
    expect(() => layers.bidirectional({ layer: layers.lstm({ units: 2, inputShape: [3, 2] }) })).toThrow(/give inputShape to the bidirectional layer/);
  });

  test('an encoder-decoder: returnState and initial states, trained, saved and loaded', async () => {
    const source = input({ shape: [6, 3], name: 'source' }), target = input({ shape: [5, 2], name: 'target' });
    const [, h, c] = layers.lstm({ units: 8, returnState: true }).apply(source) as SymbolicTensor[];
    const decoded = layers.lstm({ units: 8, returnSequences: true }).apply([target, h!, c!]) as SymbolicTensor;
    const seq2seq = model({ inputs: [source, target], outputs: layers.dense({ units: 2 }).apply(decoded) as SymbolicTensor });
    seq2seq.compile({ optimizer: optimizers.adam(0.01), loss: 'meanSquaredError' });
    // Decode the source's first two features in reverse order.
    const n = 32, xs = Array.from({ length: n }, (_, s) => Array.from({ length: 6 }, (_, t) => [Math.sin(s + t), Math.cos(s * 0.7 + t), (t % 2) - 0.5]));
    const ys = xs.map((seq) => seq.slice(0, 5).reverse().map((v) => [v[0]!, v[1]!]));
    const starts = ys.map((seq) => [[0, 0], ...seq.slice(0, 4)]);
    const hist = await seq2seq.fit([xs, starts], ys, { epochs: 40, batchSize: 8, seed: 2, verbose: 0 });
    expect(hist.history.loss!.at(-1)!).toBeLessThan(hist.history.loss![0]! / 2);
    const again = fromArtifacts(seq2seq.toArtifacts());
    const [p, q] = [seq2seq.predict([xs.slice(0, 3), starts.slice(0, 3)]) as Tensor, again.predict([xs.slice(0, 3), starts.slice(0, 3)]) as Tensor];
    expect(q.toArray()).toEqual(p.toArray());
    expect(() => layers.lstm({ units: 8 }).apply([target, h!])).toThrow(/LSTM takes \[x, h0, c0\] with states of shape \[8\], got \[\[5, 2\], \[8\]\]/);
    for (const t of [p, q, seq2seq, again]) t.dispose();
  });

  test('stateful: each batch starts from the last states of the one before; resetStates starts from zeros', async () => {
    const xs = tensor(Float32Array.from({ length: 2 * 6 * 3 }, (_, i) => Math.sin(0.7 * i)), [2, 6, 3]);
    const halves = [0, 3].map((from) => tensor(Float32Array.from({ length: 2 * 3 * 3 }, (_, i) => xs.toArray()[Math.floor(i / 9) * 18 + from * 3 + (i % 9)]!), [2, 3, 3]));
    for (const make of [layers.lstm, layers.gru, layers.simpleRNN]) {
      const bytes = memory().bytes;
      setSeed(9);
      const whole = sequential([make({ units: 4, inputShape: [6, 3] })]);
      const carried = sequential([make({ units: 4, inputShape: [3, 3], stateful: true })]);
      carried.setWeights(whole.getWeights());
      const full = whole.predict(xs) as Tensor;
      const first = carried.predict(halves[0]!) as Tensor;
      const second = carried.predict(halves[1]!) as Tensor;
      // Six steps at once, or three and three more from the carried states: the same last output.
      expectClose(second.toArray(), full.toArray(), 1e-6, 1e-7);
      const rnn = carried.layers[0] as unknown as { states: Float32Array[] | null };
      expect(rnn.states!.map((s) => s.length)).toEqual(make === layers.lstm ? [8, 8] : [8]);
      expect(Array.from(rnn.states![0]!)).toEqual(Array.from(second.toArray()));
      carried.resetStates();
      expect(rnn.states).toBeNull();
      const again = carried.predict(halves[0]!) as Tensor;
      expect(again.toArray()).toEqual(first.toArray());
      // A batch of another size is refused, naming both sizes; after resetStates it is taken.
      const three = tensor(new Float32Array(3 * 3 * 3), [3, 3, 3]);
      expect(() => carried.predict(three)).toThrow(/predict: \w+ is stateful and carries states for batches of 2, but the samples make batches of 3; .*resetStates\(\)/);
      expect(() => carried.layers[0]!.apply(three)).toThrow(/stateful \w+ carries states for batches of 2, got a batch of 3; .*resetStates\(\)/);
      carried.resetStates();
      (carried.predict(three) as Tensor).dispose();
      for (const t of [full, first, second, again, three, whole, carried]) t.dispose();
      expect(memory().bytes).toBe(bytes); // the carried states go with the model
    }
    for (const t of [xs, ...halves]) t.dispose();
  });

  test('stateful in fit: batches of one size (checked before training), no gradient across batches, saved and loaded', async () => {
    setSeed(5);
    const m = sequential([layers.lstm({ units: 5, inputShape: [4, 2], stateful: true }), layers.dense({ units: 1 })]);
    m.compile({ optimizer: optimizers.adam(0.01), loss: 'meanSquaredError' });
    const x = Array.from({ length: 12 }, (_, s) => Array.from({ length: 4 }, (_, t) => [Math.sin(s + t), Math.cos(s - t)]));
    const y = x.map((seq) => [seq[0]![0]! + seq[3]![1]!]);
    const before = m.getWeights();
    await expect(m.fit(x, y, { batchSize: 5, verbose: 0 })).rejects.toThrow(/fit: lstm_\d+ is stateful, so every batch must hold the same number of samples, but 12 samples do not split into batches of 5; use a batchSize that divides 12/);
    expect(m.getWeights()).toEqual(before);
    const h = await m.fit(x, y, { batchSize: 4, epochs: 30, shuffle: false, verbose: 0 });
    expect(h.history.loss!.at(-1)!).toBeLessThan(h.history.loss![0]!);
    const bytes = memory().bytes;
    await m.fit(x, y, { batchSize: 4, epochs: 2, shuffle: false, verbose: 0 });
    expect(memory().bytes).toBe(bytes); // the carried states are reused, not reallocated
    expect(() => m.evaluate(x.slice(0, 10), y.slice(0, 10), { batchSize: 4 })).toThrow(/evaluate: .* is stateful/);
    // Batches of another size than the carried states', or validation batches unlike the training ones: refused before anything runs.
    expect(() => m.predict(x.slice(0, 3))).toThrow(/predict: lstm_\d+ is stateful and carries states for batches of 4, but the samples make batches of 3; use batches of that size, or call resetStates\(\) first/);
    const w = m.getWeights();
    await expect(m.fit(x.slice(0, 8), y.slice(0, 8), { batchSize: 4, validationData: [x.slice(8, 11), y.slice(8, 11)], verbose: 0 }))
      .rejects.toThrow(/fit: lstm_\d+ is stateful and trains on batches of 4, but the validation samples make batches of 3/);
    expect(m.getWeights()).toEqual(w);
    const again = fromArtifacts(m.toArtifacts());
    expect((again.layers[0] as unknown as { stateful: boolean }).stateful).toBe(true);
    m.resetStates();
    const [p, q] = [m.predict(x, { batchSize: 4 }) as Tensor, again.predict(x, { batchSize: 4 }) as Tensor];
    expect(q.toArray()).toEqual(p.toArray());
    const st = layers.lstm({ units: 2, stateful: true });
    expect(() => st.apply([tensor(new Float32Array(6), [1, 3, 2]), tensor(new Float32Array(2), [1, 2]), tensor(new Float32Array(2), [1, 2])]))
      .toThrow(/stateful LSTM starts from the states it carries; give it no initial states/);
    expect(() => layers.bidirectional({ layer: layers.gru({ units: 2, stateful: true }) })).toThrow(/a stateful wrapped layer is not supported yet/);
    for (const t of [p, q, m, again]) t.dispose();
    st.dispose();
  });

  test("bidirectional returnState: [output, the forward layer's states, the backward layer's], saved and loaded", () => {
    setSeed(4);
    const x = input({ shape: [4, 3] });
    const bi = layers.bidirectional({ layer: layers.lstm({ units: 2, returnState: true, returnSequences: true }), mergeMode: 'sum' });
    const outs = bi.apply(x) as SymbolicTensor[];
    expect(outs.map((t) => t.shape)).toEqual([[null, 4, 2], [null, 2], [null, 2], [null, 2], [null, 2]]);
    const m = model({ inputs: x, outputs: outs });
    const xs = tensor(Float32Array.from({ length: 2 * 4 * 3 }, (_, i) => Math.sin(i)), [2, 4, 3]);
    const [seq, hf, cf, hb, cb] = m.predict(xs) as Tensor[];
    // Each direction's states are those of the wrapped layer run alone with that direction's weights.
    const w = m.getWeights();
    const alone: Float32Array[] = [];
    for (const [back, h, c] of [[false, hf, cf], [true, hb, cb]] as const) {
      const xi = input({ shape: [4, 3] });
      const one = model({ inputs: xi, outputs: layers.lstm({ units: 2, returnSequences: true, returnState: true, goBackwards: back }).apply(xi) as SymbolicTensor[] });
      one.setWeights(back ? w.slice(3) : w.slice(0, 3));
      const [s1, h1, c1] = one.predict(xs) as Tensor[];
      expectClose(h!.toArray(), h1!.toArray(), 0, 0);
      expectClose(c!.toArray(), c1!.toArray(), 0, 0);
      alone.push(s1!.toArray());
      one.dispose();
    }
    // The merged sequence ('sum') at time t: the forward output at t plus the backward layer's output
    // for step t, which it computed (steps - 1 - t)-th; sample 0 shown.
    const merged = seq!.toArray();
    for (let t = 0; t < 4; t++) {
      for (let j = 0; j < 2; j++) expect(merged[t * 2 + j]).toBeCloseTo(alone[0]![t * 2 + j]! + alone[1]![(3 - t) * 2 + j]!, 6);
    }
    const again = fromArtifacts(m.toArtifacts());
    const loaded = again.predict(xs) as Tensor[];
    expect(loaded.map((t) => Array.from(t.toArray()))).toEqual([seq, hf, cf, hb, cb].map((t) => Array.from(t!.toArray())));
    for (const t of [xs, m, again]) t.dispose();
  });

  test('timeDistributed: the wrapped layer on every step with one set of weights, the same as running it on the steps as a batch', () => {
    // TF.js 4.22's TimeDistributed cannot backpropagate here (its Unpack gradient throws), so the
    // reference is the wrapped computation written out: reshape to a batch of frames, the layer, reshape back.
    const td = sequential([layers.timeDistributed({ layer: layers.conv2d({ filters: 2, kernelSize: 3, activation: 'relu' }), inputShape: [4, 5, 5, 1] }),
      layers.timeDistributed({ layer: layers.flatten() }), layers.lstm({ units: 3 })]);
    const frames = sequential([layers.conv2d({ filters: 2, kernelSize: 3, activation: 'relu', inputShape: [5, 5, 1] })]);
    frames.setWeights(td.getWeights().slice(0, 2));
    const x = tensor(Float32Array.from({ length: 2 * 4 * 25 }, (_, i) => Math.sin(i)), [2, 4, 5, 5, 1]);
    const inner = td.layers[0]!.apply(x) as Tensor;
    const perFrame = frames.predict(x.reshape([8, 5, 5, 1])) as Tensor;
    expect(inner.shape).toEqual([2, 4, 3, 3, 2]);
    expectClose(inner.toArray(), perFrame.toArray(), 1e-6, 1e-7);
    expect(td.weightSpecs().map((w) => w.shape)).toEqual([[3, 3, 1, 2], [2], [18, 12], [3, 12], [12]]);
    const again = fromArtifacts(td.toArtifacts());
    const [p, q] = [td.predict(x) as Tensor, again.predict(x) as Tensor];
    expect(q.toArray()).toEqual(p.toArray());
    expect(() => layers.timeDistributed({ layer: layers.lstm({ units: 2 }) as never })).toThrow(/layer must be one of Dense, Conv2D, .*, got a LSTM/);
    for (const t of [x, inner, perFrame, p, q, td, frames, again]) t.dispose();
  });

  test('500 steps of a bidirectional LSTM with masking and dropout: the arena does not grow', async () => {
    const x = Array.from({ length: 10 }, (_, s) => Array.from({ length: 7 }, (_, t) => (t < 3 + (s % 4) ? 1 + ((s + t) % 8) : 0)));
    const y = x.map((seq) => [seq.filter((v) => v > 4).length / 7]);
    const m = sequential([
      layers.embedding({ inputDim: 9, outputDim: 4, maskZero: true, inputShape: [7] }),
      layers.bidirectional({ layer: layers.lstm({ units: 6, dropout: 0.2, recurrentDropout: 0.2 }) }),
      layers.dense({ units: 1 }),
    ]);
    m.compile({ optimizer: 'adam', loss: 'meanSquaredError' });
    await m.fit(x, y, { epochs: 1, batchSize: 2, seed: 5, verbose: 0 });
    const bytes = memory().bytes;
    const h = await m.fit(x, y, { epochs: 100, batchSize: 2, seed: 5, verbose: 0 }); // 500 steps
    expect(memory().bytes).toBe(bytes);
    expect(h.history.loss!.at(-1)!).toBeLessThan(h.history.loss![0]!);
    m.dispose();
  });

  test('the options not implemented yet are refused, not ignored', () => {
    for (const option of ['unroll']) {
      let caught: unknown;
      try { layers.lstm({ units: 2, [option]: true } as never); } catch (e) { caught = e; }
      expect((caught as WasmgradError).code, option).toBe('UNKNOWN_OPTION');
    }
    expect(() => layers.simpleRNN({ units: 0 })).toThrow(/units must be a positive integer, got 0/);
    expect(() => layers.lstm({ units: 2, recurrentActivation: 'softmax' as never })).toThrow(/recurrentActivation must be one of 'tanh', 'relu', 'linear', 'sigmoid', 'hardSigmoid', got "softmax" \(a string\)/);
    expect(() => sequential([layers.lstm({ units: 2, inputShape: [4] })])).toThrow(/LSTM takes samples of shape \[steps, features\], got \[4\]/);
  });
});
