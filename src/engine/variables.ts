// Custom training steps, as TF.js users write them:
//   const { value, grads } = variableGrads(() => meanSquaredError(model.apply(x) as Tensor, y), model.trainableWeights);
//   optimizer.applyGradients(grads);                 // or: optimizer.minimize(f, { varList })
// Gradients are named like the weights (layerName/weightName; a plain variable() is variable_<id>).
// applyGradients copies each gradient into its weight's place in the store's gradient buffer (no copy
// when it already is that view) and updates each store in one optimizer pass over the runs given.
import { WasmgradError, fmtShape, invalid, shapeError } from '../errors.js';
import type { ParamGroup } from '../optimizers.js';
import { Tensor, leavesOf, tidy } from '../tensor.js';
import { heap, wasm } from '../wasm.js';
import { liveStores, storeEntry, weightsNamed, type ParameterStore } from './store.js';

// Plain variables (not weights of a model) that variableGrads has named, by name.
const plain = new Map<string, Tensor>();
// The variable each gradient variableGrads returned belongs to, so applyGradients needs no name
// lookup for them (names can clash: two copies of one model loaded side by side).
const owner = new WeakMap<Tensor, Tensor>();

function nameOf(t: Tensor): string {
  const e = storeEntry(t);
  if (e) return e.entry.name;
  const name = `variable_${t.id}`;
  if (!plain.has(name)) {
    plain.set(name, t);
    t.onDispose(() => plain.delete(name));
  }
  return name;
}

/** Gradients by variable name, as variableGrads returns them (TF.js' NamedTensorMap), or a list of { name, tensor }. */
export type NamedGradients = Record<string, Tensor> | { name: string; tensor: Tensor }[];

/**
 * The value of f() (a scalar) and its gradient with respect to each variable in varList (default:
 * every variable and trainable weight f's value depends on), as copies keyed by name. Weights not in
 * varList get no gradient (autograd does not follow them). The caller disposes value and grads.
 */
export function variableGrads(f: () => Tensor, varList?: readonly Tensor[]): { value: Tensor; grads: Record<string, Tensor> } {
  if (typeof f !== 'function') throw invalid(`variableGrads: f must be a function returning a scalar tensor, got ${typeof f}`);
  if (varList !== undefined) {
    if (!Array.isArray(varList) || varList.length === 0) throw invalid('variableGrads: varList must be a non-empty array of tensors (e.g. model.trainableWeights)');
    varList.forEach((v, i) => {
      if (!(v instanceof Tensor)) throw invalid(`variableGrads: varList[${i}] is not a Tensor`);
      if (v.isDisposed) throw new WasmgradError('DISPOSED', `variableGrads: varList[${i}] (tensor #${v.id}) was disposed`);
    });
  }
  // Autograd follows exactly the variables listed; with no list, every weight whose layer is
  // trainable now (TF.js' "all trainable variables") and any variable() f uses. A model's fit
  // leaves its own flags on the weights, so they are set here for every live weight, and put back.
  const saved = new Map<Tensor, boolean>();
  const wanted = varList ? new Set(varList) : null;
  for (const s of liveStores()) {
    for (const e of s.entries) {
      if (!e.trainable) continue;
      saved.set(e.tensor, e.tensor.requiresGrad);
      e.tensor.requiresGrad = wanted ? wanted.has(e.tensor) : e.layer.trainable;
    }
  }
  for (const v of varList ?? []) if (!saved.has(v)) { saved.set(v, v.requiresGrad); v.requiresGrad = true; }
  try {
    return tidy(() => {
      const value = f();
      if (!(value instanceof Tensor) || value.size !== 1) {
        throw invalid(`variableGrads: f must return a scalar tensor, got ${value instanceof Tensor ? `shape ${fmtShape(value.shape)}` : typeof value}`);
      }
      const vars = varList ? varList.slice() : leavesOf(value);
      if (!value.requiresGrad || vars.length === 0) throw invalid('variableGrads: f\'s value depends on none of the variables (are they frozen, or made inside f?)');
      const k = wasm();
      for (const v of vars) k.fill_f32(v.gradPtr(), v.size, 0);
      value.backward();
      const grads: Record<string, Tensor> = {};
      for (const v of vars) {
        const name = nameOf(v);
        if (name in grads) throw invalid(`variableGrads: two variables are named ${name}; give the layers unique names`);
        const g = Tensor.empty(v.shape);
        new Uint8Array(heap().memory.buffer).copyWithin(g.ptr, v.grad!.ptr, v.grad!.ptr + v.size * 4);
        grads[name] = g;
        owner.set(g, v);
      }
      return { value, grads };
    });
  } finally {
    for (const [t, flag] of saved) t.requiresGrad = flag;
  }
}

/** The optimizer's view of named gradients: one group per store (runs of the weights named) or per plain variable. */
export function gradientGroups(op: string, grads: NamedGradients): ParamGroup[] {
  const pairs: [string, Tensor][] = Array.isArray(grads) ? grads.map((g, i) => {
    if (g === null || typeof g !== 'object' || typeof g.name !== 'string') throw invalid(`${op}: grads[${i}] must be { name, tensor }`);
    return [g.name, g.tensor];
  }) : grads !== null && typeof grads === 'object' ? Object.entries(grads) : [];
  if (pairs.length === 0) throw invalid(`${op}: expected gradients by variable name (what variableGrads returns), got ${grads === null ? 'null' : typeof grads}`);
  const byStore = new Map<ParameterStore, Set<Tensor>>();
  const groups: ParamGroup[] = [];
  const bytes = () => new Uint8Array(heap().memory.buffer);
  for (const [name, g] of pairs) {
    if (!(g instanceof Tensor)) throw invalid(`${op}: the gradient of ${name} is not a Tensor`);
    const known = owner.get(g);
    const found = known && !known.isDisposed ? [known] : [...weightsNamed(name), ...(plain.has(name) ? [plain.get(name)!] : [])];
    if (found.length === 0) throw invalid(`${op}: no live variable is named ${JSON.stringify(name)}`);
    if (found.length > 1) throw invalid(`${op}: ${found.length} live weights are named ${JSON.stringify(name)}; give the layers unique names, or pass the gradients variableGrads returned`);
    const v = found[0]!;
    if (g.size !== v.size || g.shape.length !== v.shape.length || g.shape.some((d, i) => d !== v.shape[i])) {
      throw shapeError(`${op}: the gradient of ${name} has shape ${fmtShape(g.shape)}, the variable ${fmtShape(v.shape)}`);
    }
    const e = storeEntry(v);
    if (!e) {
      groups.push({ key: v, params: v.ptr, grads: g.ptr, count: v.size, runs: [{ offset: 0, size: v.size }], segments: [{ offset: 0, size: v.size }] });
      continue;
    }
    if (!e.entry.trainable) throw invalid(`${op}: ${name} is not trainable (moving statistics)`);
    const view = e.store.grads + e.entry.offset * 4;
    if (g.ptr !== view) bytes().copyWithin(view, g.ptr, g.ptr + g.size * 4);
    (byStore.get(e.store) ?? byStore.set(e.store, new Set()).get(e.store)!).add(v);
  }
  for (const [store, vars] of byStore) groups.push(store.group((e) => vars.has(e.tensor))!);
  return groups;
}
