// First speed figure: a 784-128-10 MLP trained with Adam at batch 64 by model.fit, samples/s,
// wasmgrad against TF.js layers on its wasm (SIMD) backend, in one process, interleaved.
// Correctness first: each library must lower the loss on the same data before it is timed.
// Run: npm run bench
import { createRequire } from 'node:module';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import '@tensorflow/tfjs-backend-cpu';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { init, layers, sequential, tensor } from 'wasmgrad';
import { interleave, machine, rng } from './lib.js';

const N = 64 * 50; // samples per timed fit: 50 steps of 64
const REPS = Number(process.env.BENCH_REPS ?? 7);

// Synthetic MNIST-shaped data: 784 inputs in [0, 1), 10 classes from a fixed random projection,
// so there is something to learn.
const r = rng(1);
const xs = Float32Array.from({ length: N * 784 }, () => r());
const proj = Float32Array.from({ length: 784 * 10 }, () => r() - 0.5);
const ys = new Float32Array(N * 10);
for (let i = 0; i < N; i++) {
  let best = 0, bestV = -Infinity;
  for (let c = 0; c < 10; c++) {
    let s = 0;
    for (let j = 0; j < 784; j++) s += xs[i * 784 + j]! * proj[j * 10 + c]!;
    if (s > bestV) { bestV = s; best = c; }
  }
  ys[i * 10 + best] = 1;
}

// wasmgrad
await init();
const wg = sequential([
  layers.dense({ units: 128, activation: 'relu', inputShape: [784] }),
  layers.dense({ units: 10, activation: 'softmax' }),
]);
wg.compile({ optimizer: 'adam', loss: 'categoricalCrossentropy' });
const wx = tensor(xs, [N, 784]), wy = tensor(ys, [N, 10]);

// TF.js layers on the wasm backend
const require = createRequire(import.meta.url);
setWasmPaths(path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')) + '/dist/');
await tf.setBackend('wasm');
await tf.ready();
const tfModel = tfl.sequential({
  layers: [tfl.layers.dense({ units: 128, activation: 'relu', inputShape: [784] }), tfl.layers.dense({ units: 10, activation: 'softmax' })],
});
tfModel.compile({ optimizer: tf.train.adam(0.001), loss: 'categoricalCrossentropy' });
const tx = tf.tensor2d(xs, [N, 784]), ty = tf.tensor2d(ys, [N, 10]);

// Correctness: three epochs lower the loss in both.
const wh = await wg.fit(wx, wy, { epochs: 3, batchSize: 64, seed: 0, verbose: 0 });
const th = await tfModel.fit(tx, ty, { epochs: 3, batchSize: 64, verbose: 0 });
const wl = wh.history.loss!, tl = th.history.loss as number[];
console.log(`loss over 3 epochs: wasmgrad ${wl.map((v) => v.toFixed(3)).join(' → ')}, TF.js wasm ${tl.map((v) => v.toFixed(3)).join(' → ')}`);
if (!(wl[2]! < wl[0]! && tl[2]! < tl[0]!)) throw new Error('a library did not lower the loss: not timing it');

const results = await interleave([
  { name: 'wasmgrad', run: async () => { await wg.fit(wx, wy, { epochs: 1, batchSize: 64, verbose: 0 }); return N; } },
  { name: `TF.js ${tf.version_core} layers, wasm backend`, run: async () => { await tfModel.fit(tx, ty, { epochs: 1, batchSize: 64, verbose: 0 }); return N; } },
], REPS);

console.log(`\n784-128-10 MLP, Adam, batch 64, model.fit — ${machine()}`);
console.log('| library | samples/s (median) | min | max |');
console.log('|---|---:|---:|---:|');
for (const res of results) console.log(`| ${res.name} | ${res.median.toFixed(0)} | ${res.min.toFixed(0)} | ${res.max.toFixed(0)} |`);
console.log(`\nwasmgrad / TF.js wasm: ${(results[0]!.median / results[1]!.median).toFixed(1)}×`);
