import { describe, expect, test } from 'vitest';
import { Tensor, WasmgradError, add, keep, matmul, memory, mul, relu, sum, tensor, tidy, variable } from '../src/index.js';

describe('tensor', () => {
  test('from numbers, nested arrays and Float32Array', () => {
    const a = tensor([[1, 2, 3], [4, 5, 6]]);
    expect(a.shape).toEqual([2, 3]);
    expect(a.size).toBe(6);
    expect(Array.from(a.toArray())).toEqual([1, 2, 3, 4, 5, 6]);
    const b = tensor(new Float32Array([1, 2, 3, 4]), [2, 2]);
    expect(b.shape).toEqual([2, 2]);
    const c = tensor(7);
    expect(c.shape).toEqual([]);
    expect(c.item()).toBe(7);
    for (const t of [a, b, c]) t.dispose();
  });

  // A shared intermediate (y feeds z twice): a second backward() must add the same again to the
  // leaf, not re-send y's gradient of the first pass (36 instead of 24 before intermediate gradients
  // were reset per call).
  test('a second backward() over a graph with a shared node adds the same gradient again', () => tidy(() => {
    const x = variable([3]);
    const y = mul(x, x);
    const z = add(y, y);
    z.backward();
    expect(Array.from(x.grad!.toArray())).toEqual([12]);
    z.backward();
    expect(Array.from(x.grad!.toArray())).toEqual([24]);
    expect(Array.from(y.grad!.toArray())).toEqual([2]);
  }));

  test('toArray is a copy', () => tidy(() => {
    const a = tensor([1, 2]);
    const copy = a.toArray();
    copy[0] = 99;
    expect(a.toArray()[0]).toBe(1);
  }));

  test('bad values and shapes are refused', () => {
    const before = memory();
    expect(() => tensor([1, 2, 3], [2, 2])).toThrow(/shape \[2, 2\] needs 4 values, got 3/);
    expect(() => tensor([[1, 2], [3]])).toThrow(/ragged/);
    expect(() => tensor([1, 2], [-1, -2])).toThrow(WasmgradError);
    expect(() => tensor(['a'] as unknown as number[])).toThrow(/expected numbers, got "a" \(a string\)/);
    expect(memory().bytes).toBe(before.bytes);
  });

  test('a disposed tensor throws when used', () => {
    const a = tensor([1, 2]);
    a.dispose();
    expect(a.isDisposed).toBe(true);
    expect(() => a.toArray()).toThrow(/was disposed/);
    expect(() => relu(a)).toThrow(expect.objectContaining({ code: 'DISPOSED' }));
    a.dispose(); // twice is fine
  });

  test('tidy frees what it made except what it returns, also on throw', () => {
    const before = memory();
    const kept = tidy(() => {
      const a = tensor([1, 2, 3]);
      const b = add(a, a);
      return { result: relu(b), list: [sum(b)] };
    });
    expect(memory().tensors).toBe(before.tensors + 2);
    expect(Array.from(kept.result.toArray())).toEqual([2, 4, 6]);
    kept.result.dispose();
    kept.list[0]!.dispose();
    expect(memory().bytes).toBe(before.bytes);
    expect(() => tidy(() => { tensor([1]); throw new Error('boom'); })).toThrow('boom');
    expect(memory().bytes).toBe(before.bytes);
  });

  test('nested tidy hands returned tensors to the outer scope; keep() exempts one', () => {
    const before = memory();
    let escaped: Tensor | null = null;
    tidy(() => {
      const inner = tidy(() => tensor([1]));
      expect(inner.isDisposed).toBe(false);
      escaped = keep(tensor([2]));
    });
    expect(escaped!.isDisposed).toBe(false);
    escaped!.dispose();
    expect(memory().bytes).toBe(before.bytes);
  });
});

describe('autograd', () => {
  test('backward accumulates through a shared subexpression', () => tidy(() => {
    // y = Σ (x + x) ⊙ ... : d/dx Σ(x + x) = 2
    const x = variable([1, -2, 3]);
    sum(add(x, x)).backward();
    expect(Array.from(x.grad!.toArray())).toEqual([2, 2, 2]);
  }));

  test('a deep chain does not overflow the stack', () => tidy(() => {
    const x = variable([0.5]);
    let y = x;
    for (let i = 0; i < 5000; i++) y = add(y, x);
    sum(y).backward();
    expect(x.grad!.item()).toBe(5001);
  }));

  test('backward needs a scalar that depends on a variable', () => tidy(() => {
    expect(() => matmul(variable([[1, 2]]), variable([[1], [2]])).backward()).not.toThrow();
    expect(() => add(variable([1, 2]), tensor([1, 2])).backward()).toThrow(/expected a scalar/);
    expect(() => sum(tensor([1, 2])).backward()).toThrow(/does not depend on any tensor with requiresGrad/);
  }));
});

test('using wasmgrad before init() says to call init()', async () => {
  // The bundle is one module, so a query string gives an instance nobody has initialized.
  const fresh = await import('../build/index.js?uninitialized' as string) as typeof import('../build/index.js');
  expect(fresh.isInitialized()).toBe(false);
  expect(() => fresh.tensor([1])).toThrow(/call `await init\(\)` first/);
  expect(() => fresh.memory()).toThrow(expect.objectContaining({ code: 'NOT_INITIALIZED' }));
});
