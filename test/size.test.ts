// The shipped files stay small: build/wasmgrad.wasm ≤ 64 KiB and build/index.js ≤ 80 KiB once
// minified (terser). Gzip sizes are printed for the README. (Class-private state is #private, which
// terser shortens, and the Node/Deno file helpers are shared: that brought the bundle back under 80 KiB.)
import { minify } from 'terser';
import { expect, test } from 'vitest';
// @ts-expect-error: Vite's ?raw import gives the file's text
import bundle from '../build/index.js?raw';
import { readBytes } from './helpers.js';

async function gzipSize(bytes: Uint8Array): Promise<number> {
  const stream = new Blob([bytes as BlobPart]).stream().pipeThrough(new CompressionStream('gzip'));
  return (await new Response(stream).arrayBuffer()).byteLength;
}

test('the .wasm and the minified bundle are within budget', async () => {
  const wasm = await readBytes(new URL('../build/wasmgrad.wasm', import.meta.url));
  const min = (await minify(bundle as string, { module: true, compress: true, mangle: true })).code!;
  const js = new TextEncoder().encode(min);
  console.log(`sizes: wasmgrad.wasm ${wasm.length} B (gzip ${await gzipSize(wasm)} B), ` +
    `index.js minified ${js.length} B (gzip ${await gzipSize(js)} B)`);
  expect(wasm.length).toBeLessThanOrEqual(64 * 1024);
  expect(js.length).toBeLessThanOrEqual(80 * 1024);
});
