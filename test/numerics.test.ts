// Check-numerics mode names the first layer and pass that made a NaN or Infinity, and leaves the
// arena as it was; without it, training on goes silently (what the mode is for).
import { afterEach, describe, expect, test } from 'vitest';
import { Layer, Tensor, WasmgradError, layers, memory, sequential, setCheckNumerics, type WeightSpec } from '../src/index.js';
import { heap, wasm } from '../src/wasm.js';

// Identity forward; its backward writes Infinity into the input gradient (a broken custom layer).
class InfGrad extends Layer {
  readonly className = 'InfGrad';
  constructor() { super({ name: 'inf_grad' }, 'inf_grad'); }
  build(shape: readonly number[]): { outputShape: number[]; weights: WeightSpec[] } { return { outputShape: shape.slice(), weights: [] }; }
  protected options() { return {}; }
  call(x: Tensor): Tensor {
    const out = Tensor.empty(x.shape);
    new Uint8Array(heap().memory.buffer).copyWithin(out.ptr, x.ptr, x.ptr + x.size * 4);
    return out.recordBackward([x], () => wasm().fill_f32(x.gradPtr(), x.size, Infinity));
  }
}

const X = [[1, 2], [3, 4], [5, 6], [7, 8]], Y = [[1], [0], [1], [0]];

afterEach(() => setCheckNumerics(false));

describe('checkNumerics', () => {
  test('names the first layer whose forward pass overflowed', async () => {
    const model = sequential([layers.dense({ units: 3, inputShape: [2], name: 'big' }), layers.dense({ units: 1, name: 'after' })]);
    model.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
    const w = model.getWeights();
    model.setWeights([w[0]!.map(() => 3e38), w[1]!, w[2]!, w[3]!]);
    await model.fit(X, Y, { epochs: 1, batchSize: 4, verbose: 0 }); // sizes the shared GEMM workspace
    model.setWeights([w[0]!.map(() => 3e38), w[1]!, w[2]!, w[3]!]);
    const before = model.getWeights();
    const live = memory();
    const err = await model.fit(X, Y, { epochs: 1, batchSize: 4, verbose: 0, checkNumerics: true }).catch((e) => e);
    expect(err).toBeInstanceOf(WasmgradError);
    expect(err.code).toBe('NON_FINITE');
    expect(err.message).toMatch(/big \(Dense\) in the forward pass \(epoch 1, batch 1\) produced Infinity/);
    expect(memory().bytes).toBe(live.bytes);
    expect(memory().tensors).toBe(live.tensors);
    expect(model.getWeights()).toEqual(before);
    model.dispose();
  });

  test('names the layer whose backward pass made the gradient non-finite, through the global switch', async () => {
    const model = sequential([layers.dense({ units: 3, inputShape: [2], name: 'first' }), new InfGrad(), layers.dense({ units: 1, name: 'last' })]);
    model.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
    setCheckNumerics(true);
    const err = await model.fit(X, Y, { epochs: 1, batchSize: 2, verbose: 0 }).catch((e) => e);
    expect(err.message).toMatch(/inf_grad \(InfGrad\) in the backward pass \(epoch 1, batch 1\): the gradient of its input produced Infinity/);
    // fit({ checkNumerics: false }) overrides the switch: training goes on, into NaN weights.
    const h = await model.fit(X, Y, { epochs: 2, batchSize: 2, verbose: 0, checkNumerics: false });
    expect(h.history.loss!.some((l) => !Number.isFinite(l)) || model.getWeights()[0]!.some((v) => !Number.isFinite(v))).toBe(true);
    model.dispose();
  });

  test('off, fit scans nothing but its inputs', async () => {
    const model = sequential([layers.dense({ units: 4, inputShape: [2] }), layers.dense({ units: 1 })]);
    model.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
    const k = wasm() as { nonfinite_index_f32: (p: number, n: number) => number };
    const original = k.nonfinite_index_f32;
    let scans = 0;
    k.nonfinite_index_f32 = (p, n) => { scans++; return original(p, n); };
    try {
      await model.fit(X, Y, { epochs: 3, batchSize: 2, verbose: 0 });
      expect(scans).toBe(2); // x and y, once
      scans = 0;
      await model.fit(X, Y, { epochs: 3, batchSize: 2, verbose: 0, checkNumerics: true });
      expect(scans).toBe(2 + 6 * (2 + 1 + 2 + 4)); // per step: 2 outputs, the loss, 2 input gradients, 4 weight gradients
    } finally {
      k.nonfinite_index_f32 = original;
    }
    model.dispose();
  });
});
