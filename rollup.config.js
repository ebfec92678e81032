// Bundles the host (compiled by tsc to build/tsc, with source maps) into build/index.js and
// build/index.js.map, and its typings into build/index.d.ts. The .wasm is built by asc beside them.
// The subpath exports wasmgrad/onnx and wasmgrad/pytorch are build/onnx.js and build/pytorch.js (+ .d.ts):
// they import the core from ./index.js, so the core bundle does not carry them and all share one module state.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
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

// The core, as the subpath bundles import it: the package's own entry beside them.
const core = (dir) => ({
  external: (id, importer) => importer !== undefined && id.startsWith('.') && path.resolve(path.dirname(importer), id) === path.resolve(dir, 'index.js'),
  paths: (id) => (path.resolve(id) === path.resolve(dir, 'index.js') ? './index.js' : id),
});

export default [
  {
    // The worker pool (src/threads.ts) is imported dynamically: its own chunk, build/threads.js,
    // fetched only where threads can run (Node, Deno, a cross-origin-isolated page).
    input: 'build/tsc/index.js',
    plugins: [tscSourceMaps],
    output: { dir: 'build', entryFileNames: 'index.js', chunkFileNames: '[name].js', format: 'es', sourcemap: true },
  },
  {
    input: 'src/index.ts',
    plugins: [dts({ tsconfig: './tsconfig.json', compilerOptions: { stripInternal: true } })],
    output: { file: 'build/index.d.ts', format: 'es' },
  },
  ...['onnx', 'pytorch'].flatMap((name) => [
    {
      input: `build/tsc/${name}.js`,
      plugins: [tscSourceMaps],
      external: core('build/tsc').external,
      output: { file: `build/${name}.js`, format: 'es', sourcemap: true, paths: core('build/tsc').paths },
    },
    {
      input: `src/${name}.ts`,
      plugins: [dts({ tsconfig: './tsconfig.json', compilerOptions: { stripInternal: true } })],
      external: core('src').external,
      output: { file: `build/${name}.d.ts`, format: 'es', paths: core('src').paths },
    },
  ]),
];
