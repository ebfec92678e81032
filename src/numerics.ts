// Check-numerics mode: fit({ checkNumerics: true }) or setCheckNumerics(true) scans every layer's
// output after its forward pass and the gradients it produced after its backward pass, and stops at
// the first NaN or Infinity with an error naming the layer and the pass. Off, it costs nothing: the
// model does not call into this file.
import { WasmgradError } from './errors.js';
import { Tensor } from './tensor.js';
import { heap, wasm } from './wasm.js';

let enabled = false;

/** Turns check-numerics mode on or off for every fit() not given checkNumerics. */
export function setCheckNumerics(on: boolean): void {
  enabled = on === true;
}

/** Whether setCheckNumerics(true) is in force. */
export function checkNumericsEnabled(): boolean {
  return enabled;
}

/** Throws NON_FINITE saying `what` produced the first NaN or ±Infinity in size floats at ptr. */
export function assertFinite(ptr: number, size: number, what: string): void {
  const bad = wasm().nonfinite_index_f32(ptr, size);
  if (bad < 0) return;
  const value = new Float32Array(heap().memory.buffer, ptr + bad * 4, 1)[0];
  throw new WasmgradError('NON_FINITE', `checkNumerics: ${what} produced ${value} (first at element ${bad})`);
}

/** x unchanged, with a backward step that calls check(gradient of x) before passing the gradient on. */
export function watchGradient(x: Tensor, check: (grad: number) => void): Tensor {
  const out = Tensor.view(x.ptr, x.shape);
  return out.recordBackward([x], () => {
    check(out.gradPtr());
    if (x.requiresGrad) wasm().axpy_f32(x.gradPtr(), out.gradPtr(), x.size, 1);
  }, true);
}
