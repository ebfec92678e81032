// Every test file starts with the module loaded from the build (npm test builds first), as a user's
// init() does: the threaded build with the machine's threads where shared memory is available
// (Node, Deno, the cross-origin-isolated test page), so the whole suite runs on split kernels too.
import { init } from '../src/index.js';

await init({
  baseline: new URL('../build/wasmgrad.wasm', import.meta.url),
  threads: new URL('../build/wasmgrad-threads.wasm', import.meta.url),
});
