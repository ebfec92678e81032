// Which runtime runs this suite: scripts/test-all.mjs sets WASMGRAD_RUNTIME for Node and Deno, and
// WASMGRAD_NODE_MAJOR for its two Node runs (the machine's Node and Node 24 from npm); the page has
// no process environment and must be Chromium.
import { expect, test } from 'vitest';
import { RUNTIME } from './helpers.js';

test('the suite runs in the runtime it was started for', () => {
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env ?? {};
  const expected = RUNTIME === 'chromium' ? 'chromium' : env.WASMGRAD_RUNTIME ?? 'node';
  expect(RUNTIME).toBe(expected);
  if (RUNTIME === 'chromium') expect(navigator.userAgent).toMatch(/Chrome\//);
  const major = env.WASMGRAD_NODE_MAJOR;
  if (RUNTIME === 'node' && major) expect(process.versions.node.split('.')[0]).toBe(major);
  if (RUNTIME === 'deno') expect((globalThis as { Deno?: { version: { deno: string } } }).Deno!.version.deno).toMatch(/^2\./);
});
