// Every test file starts with the module loaded from the build (npm test builds first).
import { init } from '../src/index.js';

await init(new URL('../build/wasmgrad.wasm', import.meta.url));
