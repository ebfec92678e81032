// npm test: the one vitest suite in Node, in Deno and in headless Chromium, then the package
// consumer check and (with Chromium) the browser example. Prints each runtime's counts and ends with
// the total as "N passed, N failed".
//   WASMGRAD_SKIP_BROWSER=1   run without Chromium (and say so)
//   extra arguments are passed to vitest (e.g. a test file filter)
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';

const extra = process.argv.slice(2);
const chromium = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
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
  lines.push(`${run.name}: ${passed} passed, ${failed} failed`);
  totals.passed += passed;
  totals.failed += failed;
}

if (extra.length === 0) {
  console.log('\n━━ package ━━');
  const p = spawnSync(process.execPath, ['scripts/package-test.mjs'], { stdio: 'inherit' });
  const ok = p.status === 0;
  lines.push(`package: ${ok ? 1 : 0} passed, ${ok ? 0 : 1} failed`);
  totals.passed += ok ? 1 : 0;
  totals.failed += ok ? 0 : 1;
  if (existsSync(chromium)) {
    console.log('\n━━ browser example ━━');
    const e = spawnSync(process.execPath, ['scripts/example-test.mjs'], { stdio: 'inherit' }).status === 0;
    lines.push(`browser example: ${e ? 1 : 0} passed, ${e ? 0 : 1} failed`);
    totals.passed += e ? 1 : 0;
    totals.failed += e ? 0 : 1;
  }
}

console.log('');
for (const line of lines) console.log(line);
console.log(`${totals.passed} passed, ${totals.failed} failed`);
process.exit(totals.failed === 0 ? 0 : 1);
