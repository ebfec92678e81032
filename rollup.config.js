// Bundles the host (compiled by tsc to build/tsc, with source maps) into build/index.js and
// build/index.js.map, and its typings into build/index.d.ts. The .wasm is built by asc beside them.
import { existsSync, readFileSync } from 'node:fs';
import { dts } from 'rollup-plugin-dts';

// Rollup reads a module's own source map only when a plugin hands it over: tsc's maps (with the
// TypeScript sources inlined) are chained so build/index.js.map points into src/*.ts.
const tscSourceMaps = {
  name: 'tsc-source-maps',
  load(id) {
    if (!id.endsWith('.js') || !existsSync(`${id}.map`)) return null;
    return { code: readFileSync(id, 'utf8'), map: readFileSync(`${id}.map`, 'utf8') };
  },
};

export default [
  {
    input: 'build/tsc/index.js',
    plugins: [tscSourceMaps],
    output: { file: 'build/index.js', format: 'es', sourcemap: true },
  },
  {
    input: 'src/index.ts',
    plugins: [dts({ tsconfig: './tsconfig.json', compilerOptions: { stripInternal: true } })],
    output: { file: 'build/index.d.ts', format: 'es' },
  },
];
