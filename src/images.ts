// A batch of images as one picture: a grid of cells, as PNG bytes (any runtime) or drawn onto a canvas.
import { fmtShape, invalid, shapeError } from './errors.js';
import { checkOptions, describe, numberOption } from './options.js';
import { encodePng } from './png.js';
import { Tensor, tensor, type TensorLike } from './tensor.js';

/** Options of imageGrid() and drawImageGrid(). */
export interface ImageGridOptions {
  /** Cells per row (default: ceil(sqrt(n)), or n / rows when rows is given). */
  cols?: number;
  /** Rows of cells (default: enough for every image). */
  rows?: number;
  /** Each pixel drawn as scale × scale pixels (default 1). */
  scale?: number;
  /** Pixels between cells and around the grid, before scaling (default 1). */
  padding?: number;
  /** The values drawn black and white (default [0, 1]; e.g. [-1, 1] for tanh outputs); others are clamped. */
  range?: [number, number];
  /** The padding's gray level in [0, 1] (default 0.5). */
  background?: number;
}

/** A grid as 8-bit pixels. */
interface Grid { pixels: Uint8Array; width: number; height: number; channels: 1 | 3 }

/**
 * A batch of images — [n, height, width], [n, height, width, 1 or 3], or [n, side·side] (square gray
 * images, such as flattened MNIST digits) — laid out as a grid and encoded as a PNG file.
 */
export function imageGrid(images: Tensor | TensorLike, options?: ImageGridOptions): Uint8Array {
  const g = layout('imageGrid', images, options);
  return encodePng(g.pixels, g.width, g.height, g.channels);
}

/** The same grid drawn onto a canvas (resized to fit it), in browsers and workers (OffscreenCanvas). */
export function drawImageGrid(canvas: HTMLCanvasElement | OffscreenCanvas, images: Tensor | TensorLike, options?: ImageGridOptions): void {
  const g = layout('drawImageGrid', images, options);
  const context = canvas.getContext('2d') as CanvasRenderingContext2D | OffscreenCanvasRenderingContext2D | null;
  if (!context) throw invalid('drawImageGrid: the canvas has no 2d context');
  const rgba = new Uint8ClampedArray(g.width * g.height * 4);
  for (let p = 0; p < g.width * g.height; p++) {
    for (let c = 0; c < 3; c++) rgba[p * 4 + c] = g.pixels[p * g.channels + (g.channels === 1 ? 0 : c)]!;
    rgba[p * 4 + 3] = 255;
  }
  canvas.width = g.width;
  canvas.height = g.height;
  context.putImageData(new ImageData(rgba, g.width, g.height), 0, 0);
}

function layout(op: string, images: Tensor | TensorLike, gridOptions: ImageGridOptions | undefined): Grid {
  const o = checkOptions(op, gridOptions, ['cols', 'rows', 'scale', 'padding', 'range', 'background']);
  const made = images instanceof Tensor ? null : tensor(images);
  const t = made ?? (images as Tensor);
  try {
    const shape = t.shape;
    let [n, h, w, c] = [shape[0] ?? 0, shape[1] ?? 0, shape[2] ?? 0, shape[3] ?? 1];
    if (shape.length === 2) {
      const side = Math.round(Math.sqrt(shape[1]!));
      if (side * side !== shape[1]) throw shapeError(`${op}: images of shape [n, ${shape[1]}] must be square (side² values), or give [n, height, width]`);
      [h, w, c] = [side, side, 1];
    } else if (!(shape.length === 3 || (shape.length === 4 && (c === 1 || c === 3)))) {
      throw shapeError(`${op}: images must be [n, height, width], [n, height, width, 1 or 3] or [n, side·side], got ${fmtShape(shape)}`);
    }
    if (n === 0 || h === 0 || w === 0) throw shapeError(`${op}: no images to draw (shape ${fmtShape(shape)})`);
    const int = (name: string, v: unknown, min: number) => numberOption(op, name, v, `an integer >= ${min}`, (x) => Number.isInteger(x) && x >= min);
    const rows0 = o.rows === undefined ? undefined : int('rows', o.rows, 1);
    const cols = o.cols !== undefined ? int('cols', o.cols, 1) : rows0 !== undefined ? Math.ceil(n / rows0) : Math.ceil(Math.sqrt(n));
    const rows = rows0 ?? Math.ceil(n / cols);
    if (rows * cols < n) throw invalid(`${op}: ${rows} rows × ${cols} cols hold ${rows * cols} images, fewer than the ${n} given`);
    const scale = o.scale === undefined ? 1 : int('scale', o.scale, 1);
    const pad = o.padding === undefined ? 1 : int('padding', o.padding, 0);
    const range: unknown = o.range ?? [0, 1];
    if (!Array.isArray(range) || range.length !== 2 || !range.every(Number.isFinite) || !(range[1] > range[0])) {
      throw invalid(`${op}: range must be [low, high], finite numbers with low < high, got ${describe(o.range)}`);
    }
    const [lo, hi] = range as [number, number];
    const bg = numberOption(op, 'background', o.background ?? 0.5, 'in [0, 1]', (v) => v >= 0 && v <= 1);
    const channels = c === 3 ? 3 : 1;
    const cellW = (w + pad) * scale, cellH = (h + pad) * scale;
    const width = cols * cellW + pad * scale, height = rows * cellH + pad * scale;
    if (width * height * channels > 2 ** 28) throw invalid(`${op}: a grid of ${width}×${height} pixels is too large`);
    const pixels = new Uint8Array(width * height * channels).fill(Math.round(bg * 255));
    const values = t.toArray();
    const level = (v: number) => Math.round(Math.min(1, Math.max(0, (v - lo) / (hi - lo))) * 255);
    for (let i = 0; i < n; i++) {
      const x0 = (i % cols) * cellW + pad * scale, y0 = Math.floor(i / cols) * cellH + pad * scale;
      for (let y = 0; y < h * scale; y++) {
        for (let x = 0; x < w * scale; x++) {
          const src = ((i * h + Math.floor(y / scale)) * w + Math.floor(x / scale)) * c;
          const dst = ((y0 + y) * width + x0 + x) * channels;
          for (let k = 0; k < channels; k++) pixels[dst + k] = level(values[src + k]!);
        }
      }
    }
    return { pixels, width, height, channels };
  } finally {
    made?.dispose();
  }
}
