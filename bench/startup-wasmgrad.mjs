// Start-up case: from process start to the first matmul result, with the built package.
import { init, matmul, tensor } from '../build/index.js';

await init();
const out = matmul(tensor([[1, 2], [3, 4]]), tensor([[5, 6], [7, 8]])).toArray();
if (out[3] !== 50) throw new Error(`wrong result ${out}`);
