// The shipped files stay within issue #14's budget: build/wasmgrad.wasm ≤ 128 KiB raw, and the
// gzip -9 sizes of build/index.js (as shipped, minified) and build/wasmgrad.wasm ≤ 96 KiB together.
// A page loads one of the two builds, so the relaxed build (build/wasmgrad-relaxed.wasm) is held to
// the same budget on its own.
// The budget stops bloat; it is not a reason to refuse an option users expect.
import { expect, test } from 'vitest';
// @ts-expect-error: Vite's ?raw import gives the file's text
import bundle from '../build/index.js?raw';
import { readBytes } from './helpers.js';

// gzip -9 where node:zlib exists (Node, Deno); in a page, CompressionStream's gzip (its default
// level compresses no better than -9, so the figure there is an upper bound).
async function gzipSize(bytes: Uint8Array): Promise<number> {
  if (typeof window === 'undefined') {
    const zlib = await import(/* @vite-ignore */ 'node:zlib' as string) as { gzipSync(b: Uint8Array, o: { level: number }): Uint8Array };
    return zlib.gzipSync(bytes, { level: 9 }).length;
  }
  const stream = new Blob([bytes as BlobPart]).stream().pipeThrough(new CompressionStream('gzip'));
  return (await new Response(stream).arrayBuffer()).byteLength;
}

const BUILDS = {
  'wasmgrad.wasm': new URL('../build/wasmgrad.wasm', import.meta.url),
  'wasmgrad-relaxed.wasm': new URL('../build/wasmgrad-relaxed.wasm', import.meta.url),
};

for (const [name, url] of Object.entries(BUILDS)) {
  test(`${name} and the shipped bundle are within budget`, async () => {
    const wasm = await readBytes(url);
    const js = new TextEncoder().encode(bundle as string);
    const gzWasm = await gzipSize(wasm), gzJs = await gzipSize(js);
    console.log(`sizes: ${name} ${wasm.length} B (gzip ${gzWasm} B), index.js ${js.length} B (gzip ${gzJs} B), gzip together ${gzWasm + gzJs} B`);
    expect(wasm.length).toBeLessThanOrEqual(128 * 1024);
    expect(gzWasm + gzJs).toBeLessThanOrEqual(96 * 1024);
  });
}
