// Image grids: PNG bytes other decoders read (pngjs; Chromium's own in a page), the grid's layout,
// scaling and value range, and a canvas in browsers.
import { expect, test } from 'vitest';
import { data, tensor } from '../src/index.js';
import { crc32, deflate } from '../src/png.js';
import { RUNTIME } from './helpers.js';

// Two decoders that are not ours: pngjs in Node and Deno, the browser's own (Chromium's) in a page.
async function decode(png: Uint8Array): Promise<{ width: number; height: number; data: Uint8Array }> {
  if (RUNTIME === 'chromium') {
    const bitmap = await createImageBitmap(new Blob([png as BlobPart], { type: 'image/png' }));
    const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
    const context = canvas.getContext('2d')!;
    context.drawImage(bitmap, 0, 0);
    return { width: bitmap.width, height: bitmap.height, data: new Uint8Array(context.getImageData(0, 0, bitmap.width, bitmap.height).data.buffer) };
  }
  const { PNG } = await import('pngjs');
  const img = PNG.sync.read(Buffer.from(png));
  return { width: img.width, height: img.height, data: new Uint8Array(img.data) };
}

test('crc32 and deflate match known values and inflate back', async () => {
  expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926); // the standard check value
  if (RUNTIME === 'chromium') return; // node:zlib below
  const zlib = await import(/* @vite-ignore */ 'node:zlib' as string) as typeof import('node:zlib');
  const r = (() => { let a = 7; return () => (a = (a * 1103515245 + 12345) >>> 0) / 2 ** 32; })();
  for (const bytes of [new Uint8Array(0), new Uint8Array(1), new Uint8Array(70000), Uint8Array.from({ length: 5000 }, () => Math.floor(r() * 256)),
    Uint8Array.from({ length: 100000 }, (_, i) => (i % 300 < 200 ? 0 : Math.floor(r() * 4)))]) {
    const packed = deflate(bytes);
    expect(new Uint8Array(zlib.inflateRawSync(packed))).toEqual(bytes);
  }
});

test('imageGrid: a PNG that pngjs decodes, laid out as asked', async () => {
  // 5 images 2×3, pixel (y, x) of image i = (i + y·3 + x) / 10.
  const images = tensor(Float32Array.from({ length: 5 * 6 }, (_, k) => (Math.floor(k / 6) + (k % 6)) / 10), [5, 2, 3]);
  const png = data.imageGrid(images, { cols: 3, padding: 1, background: 0 });
  expect(Array.from(png.subarray(0, 8))).toEqual([137, 80, 78, 71, 13, 10, 26, 10]);
  const img = await decode(png);
  expect([img.width, img.height]).toEqual([3 * 4 + 1, 2 * 3 + 1]);
  const at = (x: number, y: number) => img.data[(y * img.width + x) * 4]!;
  for (let i = 0; i < 5; i++) {
    const x0 = (i % 3) * 4 + 1, y0 = Math.floor(i / 3) * 3 + 1;
    for (let y = 0; y < 2; y++) for (let x = 0; x < 3; x++) expect(at(x0 + x, y0 + y)).toBe(Math.round(Math.min(1, Math.fround((i + y * 3 + x) / 10)) * 255));
  }
  expect(at(0, 0)).toBe(0); // padding
  expect(at(9 + 1, 3 + 1)).toBe(0); // the sixth cell is empty: background
  images.dispose();
});

test('imageGrid: flattened square digits, scale, range, RGB; bad options are refused by name', async () => {
  const flat = tensor(Float32Array.from({ length: 4 * 16 }, (_, k) => (k % 16) / 7.5 - 1), [4, 16]); // values in [-1, 1]
  const img = await decode(data.imageGrid(flat, { scale: 3, padding: 0, range: [-1, 1] }));
  expect([img.width, img.height]).toEqual([2 * 4 * 3, 2 * 4 * 3]);
  expect(img.data[0]).toBe(0); // -1 → black
  expect(img.data[((3 * 3 + 2) * img.width + 3 * 3 + 2) * 4]).toBe(255); // pixel 15 of image 0, scaled: 1 → white
  const rgb = await decode(data.imageGrid([[[[1, 0, 0], [0, 1, 0]]]], { padding: 0 }));
  expect(Array.from(rgb.data)).toEqual([255, 0, 0, 255, 0, 255, 0, 255]);
  expect(() => data.imageGrid(tensor(new Float32Array(30), [3, 10]))).toThrow(/imageGrid: images of shape \[n, 10\] must be square/);
  expect(() => data.imageGrid(flat, { rows: 1, cols: 2 })).toThrow(/1 rows × 2 cols hold 2 images, fewer than the 4 given/);
  expect(() => data.imageGrid(flat, { scale: 0 })).toThrow(/imageGrid: scale must be an integer >= 1, got 0/);
  expect(() => data.imageGrid(flat, { range: [1, 0] })).toThrow(/range must be \[low, high\]/);
  expect(() => data.imageGrid(flat, { colums: 2 } as never)).toThrow(/unknown option "colums" \(did you mean "cols"\?\)/);
  // A grid of zeros-heavy digits compresses: far below its raw size.
  const big = tensor(Float32Array.from({ length: 100 * 784 }, (_, k) => (k % 784 > 300 && k % 784 < 480 && k % 28 > 9 && k % 28 < 18 ? 1 : 0)), [100, 784]);
  const png = data.imageGrid(big, { scale: 2 });
  expect(png.length).toBeLessThan((281 * 2) ** 2 / 10);
  for (const t of [flat, big]) t.dispose();
});

test.skipIf(RUNTIME !== 'chromium')('drawImageGrid draws the grid onto a canvas (a page: Node and Deno have no canvas)', () => {
  const canvas = document.createElement('canvas');
  data.drawImageGrid(canvas, [[[0, 1], [1, 0]]], { scale: 2, padding: 0 });
  expect([canvas.width, canvas.height]).toEqual([4, 4]);
  const px = canvas.getContext('2d')!.getImageData(0, 0, 4, 4).data;
  expect([px[0], px[2 * 4], px[(2 * 4 + 2) * 4]]).toEqual([0, 255, 0]);
});
