// Facts about build/wasmgrad.wasm: size, imports, and how many SIMD (v128) instructions it holds.
// Run: npx tsx scripts/wasm-stats.ts
import binaryen from 'assemblyscript/binaryen';

/** Size in bytes, import count and SIMD instruction count of a wasm binary. */
export function wasmStats(bytes: Uint8Array): { bytes: number; imports: number; simdInstructions: number } {
  const imports = WebAssembly.Module.imports(new WebAssembly.Module(bytes as BufferSource)).length;
  const module = binaryen.readBinary(bytes);
  // Binaryen's text form opens one parenthesis per instruction: count the SIMD opcodes.
  const text = module.emitText();
  module.dispose();
  const simdInstructions = text.match(/\((v128|f32x4|f64x2|i8x16|i16x8|i32x4|i64x2)\.[a-z_0-9]+/g)?.length ?? 0;
  return { bytes: bytes.length, imports, simdInstructions };
}

if (typeof process !== 'undefined' && import.meta.url === `file://${process.argv[1]}`) {
  const { readFileSync } = await import('node:fs');
  const stats = wasmStats(readFileSync(new URL('../build/wasmgrad.wasm', import.meta.url)));
  console.log(JSON.stringify(stats, null, 2));
}
