// What the ONNX and PyTorch exporters share: argument checks, TensorFlow's padding geometry, and
// the channels-last ↔ channels-first axis mapping. Bundled into each subpath (both import the core
// only through ../index.js).
import { WasmgradError, type Model } from '../index.js';
import type { AnyLayer } from '../layers/layer.js';

/** Whether a layer is a model (sequential or functional), inlined by the exporters. */
export const isModel = (l: AnyLayer): l is Model => l.className === 'Model' || l.className === 'Sequential';

/** n or [a, b] as [a, b]. */
export const pair = (v: unknown): [number, number] => (Array.isArray(v) ? [v[0] as number, v[1] as number] : [v as number, v as number]);

/** The axis of channels-last [batch, h, w, c] in channels-first [batch, c, h, w]. */
export const NCHW_AXIS = [0, 2, 3, 1] as const;

/** TensorFlow's 'same' padding [top, left, bottom, right]: out = ceil(in / stride), the odd pixel at the end. */
export function samePads(h: number, w: number, kh: number, kw: number, sh: number, sw: number): [number, number, number, number] {
  const oh = Math.ceil(h / sh), ow = Math.ceil(w / sw);
  const ph = Math.max((oh - 1) * sh + kh - h, 0), pw = Math.max((ow - 1) * sw + kw - w, 0);
  return [Math.floor(ph / 2), Math.floor(pw / 2), ph - Math.floor(ph / 2), pw - Math.floor(pw / 2)];
}

/**
 * A transposed convolution from [h, w] to [oh, ow] as the gradient of a convolution: its full output
 * (in - 1)·stride + kernel, cropped at the start by the forward convolution's padding [pt, pl], then
 * cut at the end [pb, pr] or extended there [eh, ew] (the bias reaches the extension too).
 */
export function transposeGeometry(h: number, w: number, oh: number, ow: number, kh: number, kw: number, sh: number, sw: number, padding: unknown): {
  pt: number; pl: number; pb: number; pr: number; eh: number; ew: number;
} {
  const [pt, pl] = padding === 'same' ? samePads(oh, ow, kh, kw, sh, sw) : [0, 0];
  const fullH = (h - 1) * sh + kh, fullW = (w - 1) * sw + kw;
  return {
    pt, pl, pb: Math.max(fullH - pt - oh, 0), pr: Math.max(fullW - pl - ow, 0),
    eh: Math.max(oh - (fullH - pt), 0), ew: Math.max(ow - (fullW - pl), 0),
  };
}

/** Checks an exporter's arguments: a built, live model and known options; returns the model's graph and weight names. */
export function checkExportArgs<O extends object>(op: string, model: Model, options: O, known: readonly string[]): { graph: NonNullable<Model['graph']>; names: string[] } {
  const refuse = (message: string) => new WasmgradError('INVALID_ARGUMENT', `${op}: ${message}`);
  if (model === null || typeof model !== 'object' || !isModel(model as AnyLayer)) {
    throw refuse(`model must be a wasmgrad model (sequential() or model()), got ${model === null ? 'null' : typeof model}`);
  }
  if (options === null || typeof options !== 'object') throw refuse(`options must be an object, got ${JSON.stringify(options)}`);
  for (const k of Object.keys(options)) {
    if (!known.includes(k)) throw new WasmgradError('UNKNOWN_OPTION', `${op}: unknown option ${JSON.stringify(k)}; ${op} takes ${known.join(', ')}`);
  }
  const graph = model.graph;
  if (!graph) throw refuse(`model ${model.name} is not built: give its first layer an inputShape, or call fit or predict first`);
  const names = model.namedWeights().map((w) => w.name); // throws DISPOSED for a disposed model
  return { graph, names };
}
