// Facts about a built .wasm: size, imports, exports, how many SIMD (v128) instructions it holds and
// how many of them are relaxed_madd (the relaxed build's fused multiply-adds).
// Run: npx tsx scripts/wasm-stats.ts [file]   (default build/wasmgrad.wasm)
import binaryen from 'assemblyscript/binaryen';

/** Facts read from a wasm binary with Binaryen (no engine compile, so relaxed SIMD reads anywhere). */
export function wasmStats(bytes: Uint8Array): { bytes: number; imports: number; exports: string[]; simdInstructions: number; relaxedMadd: number } {
  const module = binaryen.readBinary(bytes);
  const exports: string[] = [];
  for (let i = 0; i < module.getNumExports(); i++) exports.push(binaryen.getExportInfo(module.getExportByIndex(i)).name);
  // Binaryen's text form opens one parenthesis per instruction: count the SIMD opcodes.
  const text = module.emitText();
  module.dispose();
  const imports = text.match(/^ \(import /gm)?.length ?? 0;
  const simdInstructions = text.match(/\((v128|f32x4|f64x2|i8x16|i16x8|i32x4|i64x2)\.[a-z_0-9]+/g)?.length ?? 0;
  const relaxedMadd = text.match(/\(f32x4\.relaxed_madd/g)?.length ?? 0;
  return { bytes: bytes.length, imports, exports, simdInstructions, relaxedMadd };
}

if (typeof process !== 'undefined' && import.meta.url === `file://${process.argv[1]}`) {
  const { readFileSync } = await import('node:fs');
  const file = process.argv[2] ?? new URL('../build/wasmgrad.wasm', import.meta.url);
  const { exports, ...stats } = wasmStats(readFileSync(file));
  console.log(JSON.stringify({ ...stats, exports: exports.length }, null, 2));
}
