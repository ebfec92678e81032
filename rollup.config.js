// Bundles the host (compiled by tsc to build/tsc) into build/index.js, and its typings into
// build/index.d.ts. The .wasm is built by asc beside them.
import { dts } from 'rollup-plugin-dts';

export default [
  {
    input: 'build/tsc/index.js',
    output: { file: 'build/index.js', format: 'es' },
  },
  {
    input: 'src/index.ts',
    plugins: [dts({ tsconfig: './tsconfig.json' })],
    output: { file: 'build/index.d.ts', format: 'es' },
  },
];
