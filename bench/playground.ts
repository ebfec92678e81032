// The playground's networks (examples/playground) trained by wasmgrad and by a plain-JS network of
// the TensorFlow Playground's kind (one object per neuron and per link, written here after its
// nn.ts), on the playground's spiral: the same data, the same initial weights, the same batches in
// the same order, SGD on the mean binary cross-entropy of a sigmoid output, so both follow the same
// path and differ in speed only. Reports training steps per second and the training seconds until
// the test loss first falls under 0.1 (checked every 10 epochs; the time spent checking excluded).
import * as wg from '../src/index.js';
import { rng } from './lib.js';

// ---- the playground's spiral (examples/playground/playground.js: its defaults, noise 0, 1,000 points, 50% test)
function spiral(seed: number): { train: number[][]; test: number[][] } {
  const r = rng(seed), u = (a: number, b: number) => a + (b - a) * r(), n = 1000, out: number[][] = [];
  for (const [delta, label] of [[0, 1], [Math.PI, 0]] as const) {
    for (let i = 0; i < n / 2; i++) {
      const rad = (i / (n / 2)) * 5, t = (1.75 * i / (n / 2)) * 2 * Math.PI + delta;
      out.push([rad * Math.sin(t) + u(-1, 1) * 0, rad * Math.cos(t) + u(-1, 1) * 0, label]);
    }
  }
  for (let i = out.length - 1; i > 0; i--) { const j = Math.floor(r() * (i + 1)); [out[i], out[j]] = [out[j]!, out[i]!]; }
  return { test: out.slice(0, n / 2), train: out.slice(n / 2) };
}

// ---- a plain-JS network of the TensorFlow Playground's kind -------------------------------------
class Neuron {
  inputLinks: Link[] = [];
  outputs: Link[] = [];
  bias = 0.1; totalInput = 0; output = 0; outputDer = 0; inputDer = 0; accInputDer = 0; numAccumulatedDers = 0;
  constructor(readonly sigmoid: boolean) {}
  update(): number {
    this.totalInput = this.bias;
    for (const l of this.inputLinks) this.totalInput += l.weight * l.source.output;
    this.output = this.sigmoid ? 1 / (1 + Math.exp(-this.totalInput)) : Math.tanh(this.totalInput);
    return this.output;
  }
}
class Link {
  errorDer = 0; accErrorDer = 0; numAccumulatedDers = 0;
  constructor(readonly source: Neuron, readonly dest: Neuron, public weight: number) {}
}

class PlainNet {
  readonly layers: Neuron[][];
  constructor(shape: number[], weights: () => number) {
    this.layers = shape.map((n, li) => Array.from({ length: n }, () => new Neuron(li === shape.length - 1)));
    for (let li = 1; li < shape.length; li++) {
      for (const d of this.layers[li]!) for (const s of this.layers[li - 1]!) { const l = new Link(s, d, weights()); s.outputs.push(l); d.inputLinks.push(l); }
    }
  }
  forward(x1: number, x2: number): number {
    this.layers[0]![0]!.output = x1; this.layers[0]![1]!.output = x2;
    for (let li = 1; li < this.layers.length; li++) for (const n of this.layers[li]!) n.update();
    return this.layers.at(-1)![0]!.output;
  }
  // Sigmoid output with binary cross-entropy: dL/d(total input) = output − target.
  backward(target: number): void {
    for (let li = this.layers.length - 1; li >= 1; li--) {
      for (const n of this.layers[li]!) {
        n.inputDer = li === this.layers.length - 1 ? n.output - target : n.outputDer * (1 - n.output * n.output);
        n.accInputDer += n.inputDer; n.numAccumulatedDers++;
        for (const l of n.inputLinks) { l.errorDer = n.inputDer * l.source.output; l.accErrorDer += l.errorDer; l.numAccumulatedDers++; }
      }
      if (li === 1) continue;
      for (const n of this.layers[li - 1]!) { n.outputDer = 0; for (const l of n.outputs) n.outputDer += l.weight * l.dest.inputDer; }
    }
  }
  update(lr: number): void {
    for (let li = 1; li < this.layers.length; li++) {
      for (const n of this.layers[li]!) {
        if (n.numAccumulatedDers > 0) { n.bias -= lr * n.accInputDer / n.numAccumulatedDers; n.accInputDer = 0; n.numAccumulatedDers = 0; }
        for (const l of n.inputLinks) if (l.numAccumulatedDers > 0) { l.weight -= lr * l.accErrorDer / l.numAccumulatedDers; l.accErrorDer = 0; l.numAccumulatedDers = 0; }
      }
    }
  }
  loss(points: number[][]): number {
    let s = 0;
    for (const [a, b, y] of points) { const p = Math.min(Math.max(this.forward(a!, b!), 1e-7), 1 - 1e-7); s -= y! * Math.log(p) + (1 - y!) * Math.log(1 - p); }
    return s / points.length;
  }
}

export interface PlaygroundRow { hidden: number[]; plainStepsPerSecond: number; oursStepsPerSecond: number; plainSeconds: number | null; oursSeconds: number | null; epochs: number | null; minLoss: [number, number] }

/** Runs both kinds of network for a while, so that the measured cases start warm (JIT tiers, arena). */
export function playgroundWarmUp(): void {
  playgroundCase([3, 3], { maxEpochs: 200 });
}

/** One network: steps/s of both, and training seconds to a test loss under 0.1 (null: not within maxEpochs). */
export function playgroundCase(hidden: number[], { lr = 0.03, batch = 10, maxEpochs = 3000, seed = 1 } = {}): PlaygroundRow {
  const { train, test } = spiral(seed);
  const shape = [2, ...hidden, 1];
  const init = rng(seed + 100), w0 = () => init() - 0.5;
  const plain = new PlainNet(shape, w0);
  // wasmgrad: the same layers, the plain network's initial weights (kernel [in, out]: links by source), biases 0.1.
  const x = wg.input({ shape: [2] });
  let h = x;
  for (const u of hidden) h = wg.layers.dense({ units: u, activation: 'tanh' }).apply(h) as wg.SymbolicTensor;
  const ours = wg.model({ inputs: x, outputs: wg.layers.dense({ units: 1, activation: 'sigmoid' }).apply(h) as wg.SymbolicTensor });
  ours.compile({ optimizer: wg.optimizers.sgd({ learningRate: lr }), loss: 'binaryCrossentropy' });
  const weights: Float32Array[] = [];
  for (let li = 1; li < shape.length; li++) {
    const ins = shape[li - 1]!, outs = shape[li]!, k = new Float32Array(ins * outs);
    plain.layers[li]!.forEach((d, j) => d.inputLinks.forEach((l, i) => { k[i * outs + j] = l.weight; }));
    weights.push(k, new Float32Array(outs).fill(0.1));
  }
  ours.setWeights(weights);
  const order = rng(seed + 7), xs = new Float32Array(batch * 2), ys = new Float32Array(batch);
  const testX = { data: Float32Array.from(test.flatMap((p) => [p[0]!, p[1]!])), shape: [test.length, 2] };
  const testY = { data: Float32Array.from(test.map((p) => p[2]!)), shape: [test.length, 1] };
  let plainTime = 0, oursTime = 0, plainSteps = 0, oursSteps = 0, plainDone: number | null = null, oursDone: number | null = null, epochs: number | null = null;
  const minLoss: [number, number] = [Infinity, Infinity];
  for (let e = 1; e <= maxEpochs && (plainDone === null || oursDone === null); e++) {
    const idx = train.map((_, i) => i);
    for (let i = idx.length - 1; i > 0; i--) { const j = Math.floor(order() * (i + 1)); [idx[i], idx[j]] = [idx[j]!, idx[i]!]; }
    if (plainDone === null) {
      const t0 = performance.now();
      for (let s = 0; s + batch <= idx.length; s += batch) {
        for (let k = 0; k < batch; k++) { const p = train[idx[s + k]!]!; plain.forward(p[0]!, p[1]!); plain.backward(p[2]!); }
        plain.update(lr); plainSteps++;
      }
      plainTime += performance.now() - t0;
    }
    if (oursDone === null) {
      const t0 = performance.now();
      for (let s = 0; s + batch <= idx.length; s += batch) {
        for (let k = 0; k < batch; k++) { const p = train[idx[s + k]!]!; xs[2 * k] = p[0]!; xs[2 * k + 1] = p[1]!; ys[k] = p[2]!; }
        ours.trainOnBatch({ data: xs, shape: [batch, 2] }, { data: ys, shape: [batch, 1] });
        oursSteps++;
      }
      oursTime += performance.now() - t0;
    }
    if (e % 10 === 0) {
      if (plainDone === null) { const l = plain.loss(test); minLoss[0] = Math.min(minLoss[0], l); if (l < 0.1) plainDone = plainTime / 1000; }
      if (oursDone === null) { const l = ours.evaluate(testX, testY, { batchSize: 512 }).loss!; minLoss[1] = Math.min(minLoss[1], l); if (l < 0.1) { oursDone = oursTime / 1000; epochs = e; } }
    }
  }
  ours.dispose();
  return { hidden, plainStepsPerSecond: plainSteps / (plainTime / 1000), oursStepsPerSecond: oursSteps / (oursTime / 1000), plainSeconds: plainDone, oursSeconds: oursDone, epochs, minLoss };
}

// Run as a script (bench/run.ts spawns it, so that the networks train in a process of their own, as a
// page's worker does, not beside TF.js and the other sections' heaps): prints the runs as JSON.
if (process.argv[1]?.endsWith('playground.ts')) {
  await wg.init(new URL('../build/wasmgrad.wasm', import.meta.url));
  const reps = Number(process.argv[2] ?? 5);
  const nets = [[4, 2], [8, 8], [8, 8, 8, 8, 8, 8]];
  playgroundWarmUp();
  const runs = nets.map(() => [] as PlaygroundRow[]);
  for (let r = 0; r < reps; r++) nets.forEach((hidden, i) => runs[i]!.push(playgroundCase(hidden)));
  console.log(JSON.stringify({ nets, runs }));
}
