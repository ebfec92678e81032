// The playground's trainer, in a module Web Worker: it builds the network the page describes with
// wasmgrad, trains it in slices of ~40 ms, and after each slice posts a frame: losses, the output
// and every hidden unit over a grid of the input plane, the weights, and each layer's gradient norm.
// In your app import from 'wasmgrad' (with a bundler) or from '/node_modules/wasmgrad/build/index.js'
// (without one: a worker does not see the page's import map). Here: the repository's own build.
import {
  binaryCrossentropy, init, input, layers, meanSquaredError, model as makeModel, optimizers, regularizers, tensor, variableGrads,
} from '../../build/index.js';
import { rng } from './rng.js';

const GRID = 48; // the heat maps' resolution: GRID × GRID points of [-6, 6]²
const SLICE_MS = 40;

await init();

let state = null; // { model, viz, train, test, grid, cfg, epoch, step, ... }
let playing = false;
let running = false;

function build(cfg) {
  const reg = cfg.regularization === 'L1' ? () => regularizers.l1(cfg.regularizationRate)
    : cfg.regularization === 'L2' ? () => regularizers.l2(cfg.regularizationRate) : () => undefined;
  const x = input({ shape: [cfg.features.length], name: 'features' });
  let h = x;
  const hidden = [];
  cfg.layers.forEach((units, i) => {
    h = layers.dense({ units, activation: cfg.batchNorm ? 'linear' : cfg.activation, kernelRegularizer: reg(), name: `hidden_${i + 1}` }).apply(h);
    if (cfg.batchNorm) h = layers.activation({ activation: cfg.activation }).apply(layers.batchNormalization({ name: `bn_${i + 1}` }).apply(h));
    hidden.push(h);
    if (cfg.dropout > 0) h = layers.dropout({ rate: cfg.dropout, seed: cfg.seed + i }).apply(h);
  });
  const out = layers.dense({ units: 1, activation: cfg.problem === 'classification' ? 'sigmoid' : 'linear', kernelRegularizer: reg(), name: 'output' }).apply(h);
  const model = makeModel({ inputs: x, outputs: out });
  const optimizer = cfg.optimizer === 'adam' ? optimizers.adam({ learningRate: cfg.learningRate })
    : cfg.optimizer === 'momentum' ? optimizers.sgd({ learningRate: cfg.learningRate, momentum: 0.9 }) : optimizers.sgd({ learningRate: cfg.learningRate });
  model.compile({ optimizer, loss: cfg.problem === 'classification' ? 'binaryCrossentropy' : 'meanSquaredError' });
  // The same layers with every hidden layer's output too: one predict draws all the heat maps.
  const viz = makeModel({ inputs: x, outputs: [...hidden, out] });
  return { model, viz };
}

function setup(cfg, data) {
  const { model, viz } = build(cfg); // first: a configuration that fails to build leaves the last one running
  if (state) { state.viz.dispose(); state.model.dispose(); state.grid.dispose(); }
  const f = cfg.features.length;
  // The grid's points as features, for the heat maps.
  const gridX = new Float32Array(GRID * GRID * f);
  for (let r = 0; r < GRID; r++) {
    for (let c = 0; c < GRID; c++) {
      const x1 = -6 + (12 * (c + 0.5)) / GRID, x2 = 6 - (12 * (r + 0.5)) / GRID;
      gridX.set(featuresOf(cfg.features, x1, x2), (r * GRID + c) * f);
    }
  }
  state = {
    cfg, model, viz, generation: cfg.generation, epoch: 0, steps: 0, trainSeconds: 0, history: [],
    train: { x: Float32Array.from(data.train.x), y: Float32Array.from(data.train.y), n: data.train.y.length },
    test: { x: Float32Array.from(data.test.x), y: Float32Array.from(data.test.y), n: data.test.y.length },
    grid: tensor(gridX, [GRID * GRID, f]), order: rng(cfg.seed),
  };
}

function featuresOf(names, x1, x2) {
  return names.map((n) => (n === 'x1' ? x1 : n === 'x2' ? x2 : n === 'x1sq' ? x1 * x1 : n === 'x2sq' ? x2 * x2 : n === 'x1x2' ? x1 * x2 : n === 'sinx1' ? Math.sin(x1) : Math.sin(x2)));
}

// One epoch: the training set in a fresh seeded order, one step per batch.
function trainEpoch() {
  const { train, cfg, model } = state, f = cfg.features.length, b = Math.max(1, Math.min(cfg.batchSize, train.n));
  if (train.n === 0) throw new Error('no training points: lower the test share');
  const idx = Array.from({ length: train.n }, (_, i) => i);
  for (let i = idx.length - 1; i > 0; i--) { const j = Math.floor(state.order() * (i + 1)); [idx[i], idx[j]] = [idx[j], idx[i]]; }
  const xs = new Float32Array(b * f), ys = new Float32Array(b);
  for (let start = 0; start + b <= train.n; start += b) {
    for (let k = 0; k < b; k++) {
      const i = idx[start + k];
      xs.set(train.x.subarray(i * f, (i + 1) * f), k * f);
      ys[k] = train.y[i];
    }
    model.trainOnBatch({ data: xs, shape: [b, f] }, { data: ys, shape: [b, 1] });
    state.steps++;
  }
  state.epoch++;
}

function frame() {
  const { model, viz, cfg, train, test } = state, f = cfg.features.length;
  const loss = (set) => (set.n === 0 ? NaN : model.evaluate({ data: set.x, shape: [set.n, f] }, { data: set.y, shape: [set.n, 1] }, { batchSize: 512 }).loss);
  const trainLoss = loss(train), testLoss = loss(test);
  state.history.push([state.epoch, trainLoss, testLoss]);
  const outs = viz.predict(state.grid);
  const maps = (Array.isArray(outs) ? outs : [outs]).map((t) => { const a = t.toArray(); t.dispose(); return a; });
  const output = maps.pop();
  // Each layer's gradient norm (of the data loss) on a batch of the training set, without a step. In
  // inference mode: the probe must not move batch norm's statistics or draw dropout masks.
  const b = Math.max(1, Math.min(Math.max(cfg.batchSize, 32), train.n));
  const xb = tensor(train.x.subarray(0, b * f), [b, f]), yb = tensor(train.y.subarray(0, b), [b, 1]);
  const lossFn = cfg.problem === 'classification' ? binaryCrossentropy : meanSquaredError;
  const { value, grads } = variableGrads(() => lossFn(model.apply(xb), yb), model.trainableWeights);
  const gradNorms = [];
  const weights = [];
  for (const { name, tensor: w } of model.namedWeights()) {
    if (!name.endsWith('/kernel')) continue;
    const g = grads[name].toArray();
    gradNorms.push(Math.sqrt(g.reduce((s, v) => s + v * v, 0)));
    weights.push({ shape: w.shape.slice(), data: w.toArray() });
  }
  value.dispose(); xb.dispose(); yb.dispose();
  for (const g of Object.values(grads)) g.dispose();
  return {
    type: 'frame', generation: state.generation, epoch: state.epoch, steps: state.steps, trainLoss, testLoss, grid: GRID, output, hidden: maps, weights, gradNorms,
    stepsPerSecond: state.trainSeconds > 0 ? state.steps / state.trainSeconds : 0, history: state.history.slice(-400),
  };
}

// Trains while playing, posting a frame after each slice; yields between slices so messages get in.
async function run() {
  if (running) return;
  running = true;
  try {
    while (playing && state) {
      const start = performance.now();
      do trainEpoch(); while (performance.now() - start < SLICE_MS);
      state.trainSeconds += (performance.now() - start) / 1000;
      postMessage(frame());
      await new Promise((r) => setTimeout(r, 0));
    }
  } catch (e) {
    playing = false;
    postMessage({ type: 'error', message: e.message });
  } finally {
    running = false;
  }
}

onmessage = ({ data: m }) => {
  try {
    if (m.type === 'setup') {
      setup(m.cfg, m.data);
      postMessage(frame());
    } else if (m.type === 'play') {
      playing = true;
      run();
    } else if (m.type === 'pause') {
      playing = false;
    } else if (m.type === 'step' && state) {
      playing = false;
      const start = performance.now();
      trainEpoch();
      state.trainSeconds += (performance.now() - start) / 1000;
      postMessage(frame());
    }
  } catch (e) {
    playing = false;
    postMessage({ type: 'error', message: e.message });
  }
};
postMessage({ type: 'ready' });
