// The restricted Boltzmann machine's own kernels: its parameter update (contrastive divergence with
// momentum and weight decay) and its free energy. Its products run on the GEMM, its sampling is
// rng_bernoulli_f32 (random.ts).

/**
 * velocity = momentum·velocity + lr·((pos − neg)·scale − decay·param); param += velocity, over n
 * values: Hinton's update (A Practical Guide to Training RBMs, 2010, sections 9-10).
 */
export function rbm_update_f32(param: usize, velocity: usize, pos: usize, neg: usize, n: i32, scale: f32, lr: f32, momentum: f32, decay: f32): void {
  const vs = f32x4.splat(scale), vl = f32x4.splat(lr), vm = f32x4.splat(momentum), vd = f32x4.splat(decay);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    const p = v128.load(param + o);
    const g = f32x4.sub(f32x4.mul(f32x4.sub(v128.load(pos + o), v128.load(neg + o)), vs), f32x4.mul(vd, p));
    const v = f32x4.add(f32x4.mul(vm, v128.load(velocity + o)), f32x4.mul(vl, g));
    v128.store(velocity + o, v);
    v128.store(param + o, f32x4.add(p, v));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const p = load<f32>(param + o);
    const g = (load<f32>(pos + o) - load<f32>(neg + o)) * scale - decay * p;
    const v = momentum * load<f32>(velocity + o) + lr * g;
    store<f32>(velocity + o, v);
    store<f32>(param + o, p + v);
  }
}

/**
 * out[r] = −vb[r] − Σ_j softplus(pre[r, j]) for rows × hidden pre-activations (v·W + c) and vb[r] = v·b:
 * the free energy of each visible vector. softplus(x) = max(x, 0) + log(1 + e^−|x|), summed in f64.
 */
export function rbm_free_energy_f32(out: usize, pre: usize, vb: usize, rows: i32, hidden: i32): void {
  for (let r = 0; r < rows; r++) {
    let s: f64 = 0;
    const row = pre + ((<usize>r * <usize>hidden) << 2);
    for (let j = 0; j < hidden; j++) {
      const x = load<f32>(row + (<usize>j << 2));
      s += <f64>(Mathf.max(x, 0) + Mathf.log(<f32>1 + Mathf.exp(-Mathf.abs(x))));
    }
    store<f32>(out + (<usize>r << 2), <f32>(-<f64>load<f32>(vb + (<usize>r << 2)) - s));
  }
}
