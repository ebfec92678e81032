// The package as a user gets it: `npm pack`, install the tarball in a temporary folder, and train a
// small model from Node, from Deno, from a page in Chromium with no bundler (an import map), and from
// a Vite build; type-check a consumer .ts file with tsc, and check that a wrong call fails to.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, readdirSync, writeFileSync, existsSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { launchChromium } from './chromium.mjs';
import { restore } from './manifest.mjs';
import { NODE24 } from './node24.mjs';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const dir = mkdtempSync(path.join(tmpdir(), 'wasmgrad-consumer-'));
const bin = (name) => path.join(root, 'node_modules/.bin', name);
const step = (name) => console.log(`• ${name}`);
const fail = (why) => { console.error(`package test failed: ${why}`); process.exit(1); };

restore(); // a package.json an interrupted npm pack left stripped
try {
  step('npm pack');
  const packed = JSON.parse(execFileSync('npm', ['pack', '--json', '--pack-destination', dir], { cwd: root, encoding: 'utf8' }));
  const files = packed[0].files.map((f) => f.path).sort();
  for (const want of ['LICENSE', 'README.md', 'build/index.d.ts', 'build/index.js', 'build/index.js.map', 'build/onnx.js', 'build/onnx.d.ts', 'build/pytorch.js', 'build/pytorch.d.ts', 'build/wasmgrad.wasm', 'build/wasmgrad-relaxed.wasm', 'package.json']) {
    if (!files.includes(want)) fail(`the tarball lacks ${want} (it has ${files.join(', ')})`);
  }
  console.log(`  ${packed[0].filename}: ${files.length} files, ${packed[0].size} bytes`);

  writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
  execFileSync('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', path.join(dir, packed[0].filename)], { cwd: dir, stdio: 'pipe' });
  // The published manifest carries no development fields (prepack strips them; postpack restores ours).
  const published = JSON.parse(readFileSync(path.join(dir, 'node_modules/wasmgrad/package.json'), 'utf8'));
  const noise = ['scripts', 'devDependencies', 'overrides'].filter((k) => k in published);
  if (noise.length > 0) fail(`the published package.json still has ${noise.join(', ')}`);
  if (!('devDependencies' in JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')))) fail('postpack did not restore package.json');
  // The typings hold no internals (stripInternal).
  const dts = readFileSync(path.join(dir, 'node_modules/wasmgrad/build/index.d.ts'), 'utf8');
  const internals = ['gradPtr', 'setGradView', 'recordBackward', 'static view(', 'activationOf'].filter((k) => dts.includes(k));
  if (internals.length > 0) fail(`the typings expose ${internals.join(', ')}`);

  const train = `
    await init();
    const model = sequential([layers.dense({ units: 8, activation: 'tanh', inputShape: [2] }), layers.dense({ units: 1, activation: 'sigmoid' })]);
    model.compile({ optimizer: optimizers.adam({ learningRate: 0.05 }), loss: 'binaryCrossentropy', metrics: ['accuracy'] });
    const h = await model.fit([[0, 0], [0, 1], [1, 0], [1, 1]], [[0], [1], [1], [0]], { epochs: 300, batchSize: 4, seed: 1, verbose: 0 });
    const { toOnnx } = await import('wasmgrad/onnx'); // the subpath exports, on the same module state
    const { toPyTorch } = await import('wasmgrad/pytorch');
    const result = { first: h.history.loss[0], last: h.history.loss.at(-1), accuracy: h.history.accuracy.at(-1), onnxBytes: toOnnx(model).length,
      pythonLines: toPyTorch(model).split(String.fromCharCode(10)).length };`;
  writeFileSync(path.join(dir, 'consumer.mjs'), `import { init, layers, optimizers, sequential } from 'wasmgrad';\n${train}\nconsole.log(JSON.stringify(result));\n`);
  const check = (who, out) => {
    const r = JSON.parse(out.trim().split('\n').at(-1));
    if (!(r.last < r.first / 2)) fail(`${who}: loss ${r.first} → ${r.last} did not fall`);
    if (!(r.onnxBytes > 100)) fail(`${who}: wasmgrad/onnx wrote ${r.onnxBytes} bytes`);
    if (!(r.pythonLines > 50)) fail(`${who}: wasmgrad/pytorch wrote ${r.pythonLines} lines`);
    console.log(`  ${who}: loss ${r.first.toFixed(4)} → ${r.last.toFixed(4)}, accuracy ${r.accuracy}, ONNX ${r.onnxBytes} bytes, PyTorch module ${r.pythonLines} lines`);
  };

  step("Node: import 'wasmgrad'");
  check('node', execFileSync(process.execPath, ['consumer.mjs'], { cwd: dir, encoding: 'utf8' }));

  if (NODE24) {
    step("Node 24: import 'wasmgrad' with init(undefined, { simd: 'relaxed' })");
    writeFileSync(path.join(dir, 'relaxed.mjs'), `import { init, layers, optimizers, sequential, simd } from 'wasmgrad';\n` +
      `${train.replace('await init();', "await init(undefined, { simd: 'relaxed' });")}\nresult.build = simd().build;\nconsole.log(JSON.stringify(result));\n`);
    const out = execFileSync(NODE24, ['relaxed.mjs'], { cwd: dir, encoding: 'utf8' });
    const build = JSON.parse(out.trim().split('\n').at(-1)).build;
    if (build !== 'relaxed') fail(`Node 24 ran the ${build} build, not build/wasmgrad-relaxed.wasm`);
    check('node 24, relaxed build', out);
  }

  step("Deno: import 'wasmgrad'");
  check('deno', execFileSync(bin('deno'), ['run', '-A', 'consumer.mjs'], { cwd: dir, encoding: 'utf8' }));

  step('tsc: a consumer .ts file type-checks, and a wrong call does not');
  const tsconfig = { compilerOptions: { strict: true, module: 'ESNext', moduleResolution: 'Bundler', target: 'ES2022', lib: ['ES2022', 'DOM'], noEmit: true, skipLibCheck: false } };
  writeFileSync(path.join(dir, 'tsconfig.json'), JSON.stringify({ ...tsconfig, files: ['good.ts'] }));
  writeFileSync(path.join(dir, 'good.ts'), `import { init, layers, optimizers, sequential, type History } from 'wasmgrad';\n${train}\nconst again: Promise<History> = model.fit([[1, 2]], [[1]]);\nexport { result, again };\n`);
  const good = spawnSync(bin('tsc'), ['-p', dir], { encoding: 'utf8' });
  if (good.status !== 0) fail(`good.ts does not type-check:\n${good.stdout}`);
  writeFileSync(path.join(dir, 'tsconfig.json'), JSON.stringify({ ...tsconfig, files: ['wrong.ts'] }));
  writeFileSync(path.join(dir, 'wrong.ts'), `import { layers } from 'wasmgrad';\nlayers.dense({ units: 4, activation: 'rellu' });\n`);
  const wrong = spawnSync(bin('tsc'), ['-p', dir], { encoding: 'utf8' });
  if (wrong.status === 0 || !/rellu/.test(wrong.stdout)) fail(`wrong.ts type-checked (or failed for another reason):\n${wrong.stdout}`);
  console.log(`  wrong.ts: ${wrong.stdout.trim().split('\n')[0]}`);

  step('Vite build');
  const app = path.join(dir, 'app');
  mkdirSync(app);
  writeFileSync(path.join(app, 'index.html'), '<!doctype html><title>start</title><script type="module" src="./main.js"></script>');
  writeFileSync(path.join(app, 'main.js'), `import { init, layers, optimizers, sequential } from 'wasmgrad';\n${train}\ndocument.title = 'done ' + JSON.stringify(result);\n`);
  const vite = spawnSync(process.execPath, [path.join(root, 'node_modules/vite/bin/vite.js'), 'build', '--logLevel', 'warn', app], { cwd: dir, encoding: 'utf8' });
  if (vite.status !== 0) fail(`vite build failed:\n${vite.stdout}\n${vite.stderr}`);
  const assets = readdirSync(path.join(app, 'dist/assets'));
  if (!assets.some((f) => f.endsWith('.wasm'))) fail(`the Vite build emitted no .wasm asset: ${assets.join(', ')}`);

  step('Chromium: a page with an import map (no bundler), and the Vite build');
  writeFileSync(path.join(dir, 'index.html'), `<!doctype html><title>start</title>
<script type="importmap">{ "imports": { "wasmgrad": "./node_modules/wasmgrad/build/index.js", "wasmgrad/onnx": "./node_modules/wasmgrad/build/onnx.js", "wasmgrad/pytorch": "./node_modules/wasmgrad/build/pytorch.js" } }</script>
<script type="module">import { init, layers, optimizers, sequential } from 'wasmgrad';\n${train}\ndocument.title = 'done ' + JSON.stringify(result);</script>`);
  const types = { '.html': 'text/html', '.js': 'text/javascript', '.wasm': 'application/wasm', '.json': 'application/json' };
  const serve = (base) => new Promise((resolve) => {
    const server = createServer((req, res) => {
      const file = path.join(base, decodeURIComponent(new URL(req.url, 'http://x').pathname));
      if (!file.startsWith(base) || !existsSync(file)) { res.writeHead(404).end(); return; }
      const f = file.endsWith('/') ? path.join(file, 'index.html') : file;
      res.writeHead(200, { 'content-type': types[path.extname(f)] ?? 'application/octet-stream' }).end(readFileSync(f));
    }).listen(0, '127.0.0.1', () => resolve(server));
  });
  const browser = await launchChromium();
  try {
    for (const [who, base] of [['page', dir], ['vite build', path.join(app, 'dist')]]) {
      const server = await serve(base);
      const page = await browser.newPage();
      const errors = [];
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(`http://127.0.0.1:${server.address().port}/index.html`);
      await page.waitForFunction(() => document.title.startsWith('done') , null, { timeout: 30_000 }).catch(() => fail(`${who}: no result (${errors.join('; ')})`));
      check(`chromium ${who}`, (await page.title()).slice(5));
      await page.close();
      server.close();
    }
  } finally {
    await browser.close();
  }
  console.log('package test passed');
} finally {
  rmSync(dir, { recursive: true, force: true });
}
