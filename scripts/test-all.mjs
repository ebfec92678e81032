// npm test: the one vitest suite in Node, in Deno and in headless Chromium, then the package
// consumer check and (with Chromium) the browser example. Prints each runtime's counts and ends with
// the total as "N passed, N failed".
//   WASMGRAD_SKIP_BROWSER=1   run without Chromium (and say so)
//   extra arguments are passed to vitest (e.g. a test file filter)
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { CHROMIUM_PATH as chromium } from './chromium.mjs';
import { restore } from './manifest.mjs';

restore(); // a package.json an interrupted npm pack left stripped

const extra = process.argv.slice(2);
const vitest = 'node_modules/vitest/vitest.mjs';
const deno = 'node_modules/.bin/deno';

const runs = [
  { name: 'node', cmd: process.execPath, args: [vitest, 'run', '--project', 'node'] },
  { name: 'deno', cmd: deno, args: ['run', '-A', vitest, 'run', '--project', 'node'] },
  { name: 'chromium', cmd: process.execPath, args: [vitest, 'run', '--project', 'chromium'] },
];

if (!existsSync(chromium)) {
  if (process.env.WASMGRAD_SKIP_BROWSER === '1') {
    console.log(`Chromium not found at ${chromium}: skipping the browser run (WASMGRAD_SKIP_BROWSER=1).`);
    runs.pop();
  } else {
    console.error(`Chromium not found at ${chromium}. Install it with \`apt-get install -y chromium\` ` +
      '(or set CHROMIUM_PATH), or set WASMGRAD_SKIP_BROWSER=1 to run Node and Deno only.');
    console.log('0 passed, 1 failed');
    process.exit(1);
  }
}

const totals = { passed: 0, failed: 0 };
const lines = [];
function count(name, passed, failed) {
  lines.push(`${name}: ${passed} passed, ${failed} failed`);
  totals.passed += passed;
  totals.failed += failed;
}
// A check script counts as one test: it passes when it exits 0.
function script(name, file) {
  const ok = spawnSync(process.execPath, [file], { stdio: 'inherit' }).status === 0;
  count(name, ok ? 1 : 0, ok ? 0 : 1);
}
for (const run of runs) {
  const out = `.vitest-${run.name}.json`;
  rmSync(out, { force: true });
  console.log(`\n━━ ${run.name} ━━`);
  const p = spawnSync(run.cmd, [...run.args, '--reporter=default', '--reporter=json', `--outputFile=${out}`, ...extra], {
    stdio: 'inherit', env: { ...process.env, WASMGRAD_RUNTIME: run.name },
  });
  let passed = 0, failed = 0;
  if (existsSync(out)) {
    const r = JSON.parse(readFileSync(out, 'utf8'));
    passed = r.numPassedTests;
    failed = r.numFailedTests + (r.numTotalTests === 0 || p.status !== 0 && r.numFailedTests === 0 ? 1 : 0);
  } else {
    failed = 1; // the runner itself failed
  }
  count(run.name, passed, failed);
}

if (extra.length === 0) {
  console.log('\n━━ package ━━');
  script('package', 'scripts/package-test.mjs');
  if (existsSync(chromium)) {
    console.log('\n━━ browser example ━━');
    script('browser example', 'scripts/example-test.mjs');
  }
}

console.log('');
for (const line of lines) console.log(line);
console.log(`${totals.passed} passed, ${totals.failed} failed`);
process.exit(totals.failed === 0 ? 0 : 1);
