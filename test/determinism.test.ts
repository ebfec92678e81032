// The same seeded run gives bit-identical weights in Node, Deno and Chromium, on the main thread
// and in a worker. DIGEST was recorded once; every runtime is compared against it.
import { expect, test } from 'vitest';
import * as wg from '../src/index.js';
import { trainAndDigest } from './fixtures/train.js';
import { RUNTIME } from './helpers.js';

const DIGEST = 'b5d88db0cf024c527dad8005257bafe4961047395e5b5e286b5f3ce7a5105961';

interface Result { digest: string; steps: number; loss: number; weights: Float32Array[] }

test(`a seeded 200-step Adam run has the one weight digest (${RUNTIME}, main thread)`, async () => {
  const result = await trainAndDigest(wg);
  expect(result.steps).toBe(200);
  expect(result.loss).toBeLessThan(Math.log(3)); // below chance for 3 classes
  expect(result.digest).toBe(DIGEST);
});

test(`a worker trains the same model and sends back the same weights (${RUNTIME})`, async () => {
  const result = await new Promise<Result>((resolve, reject) => {
    if (RUNTIME === 'chromium') {
      const worker = new Worker(new URL('./fixtures/web-worker.js', import.meta.url), { type: 'module' });
      worker.onmessage = (e) => { resolve(e.data as Result); worker.terminate(); };
      worker.onerror = (e) => reject(new Error(`worker failed: ${e.message}`));
    } else {
      import('node:worker_threads').then(({ Worker: NodeWorker }) => {
        const worker = new NodeWorker(new URL('./fixtures/node-worker.js', import.meta.url));
        worker.on('message', (m) => { resolve(m as Result); void worker.terminate(); });
        worker.on('error', reject);
      }, reject);
    }
  });
  expect(result.steps).toBe(200);
  expect(result.weights.map((w) => w.length)).toEqual([128, 16, 48, 3]);
  expect(result.digest).toBe(DIGEST);
});
