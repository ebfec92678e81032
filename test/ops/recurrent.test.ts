// simpleRnn, lstm and embeddingLookup against float64 references written from Keras' formulas, with
// gradient checks (x, kernel, recurrent kernel, bias) at odd sizes: batch 3, steps 5, features 7,
// units 9, and the options that change the pass (returnSequences, goBackwards, activations).
import { describe, expect, test } from 'vitest';
import { WasmgradError, embeddingLookup, gru, lstm, memory, simpleRnn, sum, tensor, tidy, variable, type Tensor } from '../../src/index.js';
import { expectClose, gradcheck, randArray } from '../helpers.js';

type Act = 'tanh' | 'relu' | 'linear' | 'sigmoid' | 'hardSigmoid';
const ACT: Record<Act, (x: number) => number> = {
  tanh: Math.tanh, relu: (x) => Math.max(0, x), linear: (x) => x, sigmoid: (x) => 1 / (1 + Math.exp(-x)),
  hardSigmoid: (x) => Math.min(1, Math.max(0, 0.2 * x + 0.5)),
};

interface Opts { activation?: Act; recurrentActivation?: Act; returnSequences?: boolean; goBackwards?: boolean; resetAfter?: boolean; mask?: number[]; h0?: ArrayLike<number>; c0?: ArrayLike<number>; rmask?: ArrayLike<number> }

// The float64 reference: x [b, s, f], W [f, g·u], U [u, g·u], bias [g·u]; g = 1 (SimpleRNN) or 4 (LSTM).
function refRecurrent(gates: number, x: Float64Array, W: Float64Array, U: Float64Array, bias: Float64Array | null,
  [b, s, f]: [number, number, number], u: number, o: Opts): number[] {
  const act = ACT[o.activation ?? 'tanh'], rec = ACT[o.recurrentActivation ?? 'sigmoid'], w = gates * u;
  const out: number[][][] = [];
  for (let n = 0; n < b; n++) {
    let h = Array.from({ length: u }, (_, j) => (o.h0 ? o.h0[n * u + j]! : 0)), c = Array.from({ length: u }, (_, j) => (o.c0 ? o.c0[n * u + j]! : 0));
    const seq: number[][] = [];
    for (let k = 0; k < s; k++) {
      const t = o.goBackwards ? s - 1 - k : k;
      // A masked step keeps the state and repeats the previous output.
      if (o.mask && o.mask[n * s + t] === 0) { seq.push(h); continue; }
      // Recurrent dropout: the recurrent product reads the masked state (and the GRU reads it everywhere).
      const hTrue = h;
      if (o.rmask) h = h.map((v, j) => v * o.rmask![n * u + j]!);
      const z = new Array<number>(w).fill(0);
      for (let j = 0; j < w; j++) {
        let v = bias ? bias[j]! : 0;
        for (let i = 0; i < f; i++) v += x[(n * s + t) * f + i]! * W[i * w + j]!;
        for (let i = 0; i < u; i++) v += h[i]! * U[i * w + j]!;
        z[j] = v;
      }
      if (gates !== 3) h = hTrue;
      if (gates === 1) {
        h = z.map(act);
      } else if (gates === 3) {
        // z holds x·W + b_input + h·U; the GRU needs the parts apart.
        const xp = new Array<number>(w).fill(0), hp = new Array<number>(w).fill(0);
        for (let j = 0; j < w; j++) {
          let xv = bias ? bias[j]! : 0, hv = bias && o.resetAfter !== false ? bias[w + j]! : 0;
          for (let i = 0; i < f; i++) xv += x[(n * s + t) * f + i]! * W[i * w + j]!;
          for (let i = 0; i < u; i++) hv += h[i]! * U[i * w + j]!;
          xp[j] = xv; hp[j] = hv;
        }
        const zg = h.map((_, j) => rec(xp[j]! + hp[j]!)), rg = h.map((_, j) => rec(xp[u + j]! + hp[u + j]!));
        const hh = h.map((_, j) => {
          if (o.resetAfter !== false) return act(xp[2 * u + j]! + rg[j]! * hp[2 * u + j]!);
          let v = xp[2 * u + j]!;
          for (let i = 0; i < u; i++) v += rg[i]! * h[i]! * U[i * w + 2 * u + j]!;
          return act(v);
        });
        h = h.map((hv, j) => zg[j]! * hv + (1 - zg[j]!) * hh[j]!);
      } else {
        const nc = new Array<number>(u), nh = new Array<number>(u);
        for (let j = 0; j < u; j++) {
          const ig = rec(z[j]!), fg = rec(z[u + j]!), g = act(z[2 * u + j]!), og = rec(z[3 * u + j]!);
          nc[j] = fg * c[j]! + ig * g;
          nh[j] = og * act(nc[j]!);
        }
        c = nc; h = nh;
      }
      seq.push(h);
    }
    out.push(seq);
  }
  return o.returnSequences ? out.flat(2) : out.flatMap((seq) => seq.at(-1)!);
}

const B = 3, S = 5, F = 7, U = 9;

// A GRU with resetAfter (its default) has an input and a recurrent bias: [2, 3·units].
const biasShape = (gates: number, w: number, o: Opts) => (gates === 3 && o.resetAfter !== false ? [2, w] : [w]);

for (const [gates, name, op] of [[1, 'simpleRnn', simpleRnn], [4, 'lstm', lstm], [3, 'gru', gru]] as const) {
  describe(`${name} against the float64 reference`, () => {
    const cases: Opts[] = [
      {}, { returnSequences: true }, { goBackwards: true }, { returnSequences: true, goBackwards: true },
      gates === 1 ? { activation: 'relu', returnSequences: true } : { recurrentActivation: 'hardSigmoid', returnSequences: true },
      gates === 1 ? { activation: 'sigmoid' } : { activation: 'linear', goBackwards: true },
      ...(gates === 3 ? [{ resetAfter: false }, { resetAfter: false, returnSequences: true, goBackwards: true }, { resetAfter: false, recurrentActivation: 'hardSigmoid' as Act }] : []),
    ];
    for (const o of cases) {
      test(`batch ${B}, steps ${S}, features ${F}, units ${U}, ${JSON.stringify(o)}`, () => {
        const w = gates * U, bShape = biasShape(gates, w, o);
        const xd = randArray(B * S * F, 11), Wd = randArray(F * w, 12, -0.5, 0.5), Ud = randArray(U * w, 13, -0.5, 0.5);
        const bd = randArray(bShape.reduce((a, c) => a * c, 1), 14, -0.2, 0.2);
        const want = refRecurrent(gates, Float64Array.from(xd), Float64Array.from(Wd), Float64Array.from(Ud), Float64Array.from(bd), [B, S, F], U, o);
        tidy(() => expectClose(op(tensor(xd, [B, S, F]), tensor(Wd, [F, w]), tensor(Ud, [U, w]), tensor(bd, bShape), o).toArray(), want, 1e-4, 1e-5));
        gradcheck((x, W, R, b) => op(x!, W!, R!, b!, o),
          (x, W, R, b) => refRecurrent(gates, x!, W!, R!, b!, [B, S, F], U, o),
          [{ data: xd, shape: [B, S, F] }, { data: Wd, shape: [F, w] }, { data: Ud, shape: [U, w] }, { data: bd, shape: bShape }]);
      });
    }

    test('an input dropout mask scales every step of each sample\'s features alike, forward and backward', () => {
      const w = gates * U, bShape = biasShape(gates, w, {}), o: Opts = { returnSequences: true, goBackwards: true };
      const xd = randArray(B * S * F, 51), Wd = randArray(F * w, 52, -0.5, 0.5), Ud = randArray(U * w, 53, -0.5, 0.5);
      const bd = randArray(bShape.reduce((a, c) => a * c, 1), 54, -0.2, 0.2);
      const md = Float32Array.from({ length: B * F }, (_, i) => (i % 3 === 0 ? 0 : 1.5));
      const masked = (x: Float64Array) => x.map((v, i) => v * md[Math.floor(i / (S * F)) * F + (i % F)]!);
      gradcheck((x, W, R, b) => op(x!, W!, R!, b!, { ...o, inputMask: tensor(md, [B, F]) }),
        (x, W, R, b) => refRecurrent(gates, masked(x!), W!, R!, b!, [B, S, F], U, o),
        [{ data: xd, shape: [B, S, F] }, { data: Wd, shape: [F, w] }, { data: Ud, shape: [U, w] }, { data: bd, shape: bShape }]);
    });

    for (const o of [{ returnSequences: true }, { goBackwards: true }, { returnSequences: true, goBackwards: true, resetAfter: false }] as Opts[]) {
      test(`a step mask (padding at either end and inside) keeps the state: ${JSON.stringify(o)}`, () => {
        const w = gates * U, bShape = biasShape(gates, w, o);
        const mask = [1, 1, 1, 0, 0, /**/ 0, 0, 1, 1, 1, /**/ 1, 0, 1, 0, 1];
        const xd = randArray(B * S * F, 61), Wd = randArray(F * w, 62, -0.5, 0.5), Ud = randArray(U * w, 63, -0.5, 0.5);
        const bd = randArray(bShape.reduce((a, c) => a * c, 1), 64, -0.2, 0.2);
        const ref = (x: Float64Array, W: Float64Array, R: Float64Array, b: Float64Array) => refRecurrent(gates, x, W, R, b, [B, S, F], U, { ...o, mask });
        const opts = { ...o, ...(gates === 3 ? {} : { resetAfter: undefined }) } as Record<string, unknown>;
        if (gates !== 3) delete opts.resetAfter;
        tidy(() => expectClose(op(tensor(xd, [B, S, F]), tensor(Wd, [F, w]), tensor(Ud, [U, w]), tensor(bd, bShape), { ...opts, stepMask: tensor(mask, [B, S]) }).toArray(),
          ref(Float64Array.from(xd), Float64Array.from(Wd), Float64Array.from(Ud), Float64Array.from(bd)), 1e-4, 1e-5));
        gradcheck((x, W, R, b) => op(x!, W!, R!, b!, { ...opts, stepMask: tensor(mask, [B, S]) }), (x, W, R, b) => ref(x!, W!, R!, b!),
          [{ data: xd, shape: [B, S, F] }, { data: Wd, shape: [F, w] }, { data: Ud, shape: [U, w] }, { data: bd, shape: bShape }]);
      });
    }

    for (const variant of gates === 3 ? [{}, { resetAfter: false }] : [{}]) test(`a recurrent dropout mask on the previous state, with padding and an initial state ${JSON.stringify(variant)}`, () => {
      const o: Opts = { returnSequences: true, goBackwards: true, ...variant }, w = gates * U, bShape = biasShape(gates, w, o);
      const xd = randArray(B * S * F, 81), Wd = randArray(F * w, 82, -0.5, 0.5), Ud = randArray(U * w, 83, -0.5, 0.5);
      const bd = randArray(bShape.reduce((a, c) => a * c, 1), 84, -0.2, 0.2), hd = randArray(B * U, 85);
      const rmask = Float32Array.from({ length: B * U }, (_, i) => (i % 4 === 1 ? 0 : 4 / 3));
      const mask = [1, 0, 1, 1, 1, /**/ 1, 1, 1, 0, 0, /**/ 0, 1, 1, 1, 1];
      const cd = new Float32Array(B * U);
      const { rmask: _r, mask: _m, h0: _h, c0: _c, ...opts } = o;
      gradcheck((x, W, R, b, h) => op(x!, W!, R!, b!, { ...opts, stepMask: tensor(mask, [B, S]), recurrentMask: tensor(rmask, [B, U]),
        initialState: gates === 4 ? [h!, tensor(cd, [B, U])] : [h!] }),
      (x, W, R, b, h) => refRecurrent(gates, x!, W!, R!, b!, [B, S, F], U, { ...o, mask, h0: h!, c0: cd, rmask }),
      [{ data: xd, shape: [B, S, F] }, { data: Wd, shape: [F, w] }, { data: Ud, shape: [U, w] }, { data: bd, shape: bShape }, { data: hd, shape: [B, U] }]);
    });

    test('an initial state: the output depends on it and its gradient reaches it', () => {
      const w = gates * U, bShape = biasShape(gates, w, {}), o: Opts = { returnSequences: true, goBackwards: true };
      const xd = randArray(B * S * F, 71), Wd = randArray(F * w, 72, -0.5, 0.5), Ud = randArray(U * w, 73, -0.5, 0.5);
      const bd = randArray(bShape.reduce((a, c) => a * c, 1), 74, -0.2, 0.2), hd = randArray(B * U, 75), cd = randArray(B * U, 76);
      const mask = [1, 1, 0, 1, 1, /**/ 0, 0, 1, 1, 1, /**/ 1, 1, 1, 1, 1];
      const stateOf = (h: Tensor, c: Tensor) => (gates === 4 ? [h, c] : [h]);
      const inputs = [{ data: xd, shape: [B, S, F] }, { data: Wd, shape: [F, w] }, { data: Ud, shape: [U, w] }, { data: bd, shape: bShape },
        { data: hd, shape: [B, U] }, ...(gates === 4 ? [{ data: cd, shape: [B, U] }] : [])];
      gradcheck((x, W, R, b, h, c) => op(x!, W!, R!, b!, { ...o, stepMask: tensor(mask, [B, S]), initialState: stateOf(h!, c!) }),
        (x, W, R, b, h, c) => refRecurrent(gates, x!, W!, R!, b!, [B, S, F], U, { ...o, mask, h0: h!, c0: c }), inputs);
    });

    test('without a bias, one step and one unit; the buffers go with the output', () => {
      const before = memory().bytes;
      const xd = randArray(2 * 1 * 3, 21), Wd = randArray(3 * gates, 22), Ud = randArray(gates, 23);
      gradcheck((x, W, R) => op(x!, W!, R!, null, { returnSequences: true }),
        (x, W, R) => refRecurrent(gates, x!, W!, R!, null, [2, 1, 3], 1, { returnSequences: true }),
        [{ data: xd, shape: [2, 1, 3] }, { data: Wd, shape: [3, gates] }, { data: Ud, shape: [1, gates] }]);
      expect(memory().bytes).toBe(before);
    });

    test('a 1,000-step sequence runs forward and backward (no recursion, no growth between calls)', () => {
      const steps = 1000, w = gates * 4;
      const x = tensor(randArray(2 * steps * 3, 31), [2, steps, 3]), W = variable(randArray(3 * w, 32, -0.3, 0.3), [3, w]);
      const R = variable(randArray(4 * w, 33, -0.3, 0.3), [4, w]), bShape = biasShape(gates, w, {});
      const b = variable(new Float32Array(bShape.reduce((a, c) => a * c, 1)), bShape);
      const step = () => tidy(() => { const l = sum(op(x, W, R, b)); l.backward(); return l.item(); });
      const first = step();
      const bytes = memory().bytes;
      expect(step()).toBe(first);
      expect(memory().bytes).toBe(bytes);
      expect(Number.isFinite(first)).toBe(true);
      for (const t of [x, W, R, b]) t.dispose();
    });

    test('wrong shapes and options are refused by name', () => {
      tidy(() => {
        const x = tensor(new Float32Array(2 * 3 * 4), [2, 3, 4]);
        expect(() => op(tensor([1, 2]), tensor(new Float32Array(8 * gates), [4, 2 * gates]), tensor(new Float32Array(4 * gates), [2, 2 * gates]), null))
          .toThrow(new RegExp(`${name}: x must be \\[batch, steps, features\\], got \\[2\\]`));
        expect(() => op(x, tensor(new Float32Array(5 * 2 * gates), [5, 2 * gates]), tensor(new Float32Array(4 * gates), [2, 2 * gates]), null))
          .toThrow(new RegExp(`${name}: kernel must be \\[4, ${2 * gates}\\]`));
        expect(() => op(x, tensor(new Float32Array(8 * gates), [4, 2 * gates]), tensor(new Float32Array(4 * gates), [2, 2 * gates]), null, { activation: 'gelu' as never }))
          .toThrow(/activation must be one of 'tanh', 'relu', 'linear', 'sigmoid', 'hardSigmoid', got "gelu" \(a string\)/);
        expect(() => op(x, tensor(new Float32Array(8 * gates), [4, 2 * gates]), tensor(new Float32Array(4 * gates), [2, 2 * gates]), null, { returnSequence: true } as never))
          .toThrow(/unknown option "returnSequence" \(did you mean "returnSequences"\?\)/);
      });
    });
  });
}

describe('embeddingLookup', () => {
  test('picks rows; the gradient is a scatter-add over repeated indices', () => {
    const table = randArray(5 * 3, 41);
    const idx = [[0, 4, 4], [2, 0, 1]];
    const want = idx.flat().flatMap((i) => Array.from(table.subarray(i * 3, i * 3 + 3)));
    tidy(() => expectClose(embeddingLookup(tensor(table, [5, 3]), tensor(idx)).toArray(), want));
    gradcheck((t) => embeddingLookup(t!, tensor(idx)), (t) => idx.flat().flatMap((i) => Array.from(t!.subarray(i * 3, i * 3 + 3))), [{ data: table, shape: [5, 3] }]);
  });

  test('an index out of range or not an integer is INVALID_LABEL naming sample and position, before anything is made', () => {
    const before = memory().bytes;
    tidy(() => {
      const t = tensor(new Float32Array(10), [5, 2]);
      for (const [bad, at] of [[[[0, 1], [5, 2]], 'sample 1, position 0'], [[[0, 1.5]], 'sample 0, position 1'], [[[-1]], 'sample 0, position 0']] as const) {
        let caught: unknown;
        try { embeddingLookup(t, tensor(bad as unknown as number[][])); } catch (e) { caught = e; }
        expect(caught).toBeInstanceOf(WasmgradError);
        expect((caught as WasmgradError).code).toBe('INVALID_LABEL');
        expect((caught as Error).message).toMatch(new RegExp(`embedding: the indices hold .* at ${at}; they must be integers in \\[0, 5\\)`));
      }
    });
    expect(memory().bytes).toBe(before);
  });
});
