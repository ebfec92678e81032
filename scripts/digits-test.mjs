// The draw-a-digit page (examples/digits) in headless Chromium: it loads the LeNet-5 that
// examples/mnist.ts (npm run demo, here with EPOCHS=1) saved with model.save
// and classifies 20 MNIST test digits pasted onto its canvas (at least 18 right); a stroke drawn with
// the pointer reads as 1; then "Train in this page" trains LeNet-5 from scratch in the page's worker
// on the 60,000 MNIST files with a progress bar, and the 20 digits are classified again (at least 18
// right). No page error. Saves a screenshot to test/__screenshots__/digits.png.
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { serve } from '../examples/serve.mjs';
import { launchChromium } from './chromium.mjs';
import { loadMnist } from '../build/index.js';

// The demo itself (examples/mnist.ts), one epoch, saving where the page is pointed.
const folder = 'out/digits-test-model';
rmSync(folder, { recursive: true, force: true });
const demo = spawnSync(process.execPath, ['--import', 'tsx', 'examples/mnist.ts'], { encoding: 'utf8', env: { ...process.env, EPOCHS: '1', SAVE: folder } });
if (demo.status !== 0) { console.log(`digits page: npm run demo failed:\n${demo.stdout}\n${demo.stderr}`); process.exit(1); }
console.log(`  the demo: ${demo.stdout.trim().split('\n').filter((l) => /test accuracy|saved/.test(l)).join('; ')}`);
const { test } = await loadMnist();

const server = await serve(0);
const browser = await launchChromium();
const failures = [];
const check = (ok, what) => { console.log(`  ${ok ? 'ok  ' : 'FAIL'} ${what}`); if (!ok) failures.push(what); };
const digits = Array.from({ length: 20 }, (_, i) => ({ label: test.labels[i], pixels: Array.from(test.images.subarray(i * 784, (i + 1) * 784), (v) => Math.round(v * 255)) }));

try {
  const page = await browser.newPage({ viewport: { width: 1000, height: 900 } });
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  await page.goto(`http://127.0.0.1:${server.address().port}/examples/digits/?model=/${folder}/`);
  await page.waitForSelector('html[data-model]', { timeout: 30_000 });
  check(await page.getAttribute('html', 'data-model') === 'loaded', 'the saved model loads with loadModel');

  const classify = async () => {
    let right = 0;
    const guesses = [];
    for (const d of digits) {
      await page.evaluate((px) => window.__digits.paste(px), d.pixels);
      await page.waitForFunction(() => window.__digits.latest() !== null, null, { timeout: 10_000 });
      const p = await page.evaluate(() => window.__digits.latest());
      const guess = p.indexOf(Math.max(...p));
      guesses.push(guess);
      if (guess === d.label) right++;
    }
    return { right, guesses };
  };
  const loaded = await classify();
  console.log(`digits page, loaded model: ${loaded.right}/20 right (guesses ${loaded.guesses.join('')}, labels ${digits.map((d) => d.label).join('')})`);
  check(loaded.right >= 18, `the loaded model reads at least 18 of 20 pasted test digits (${loaded.right})`);

  // A stroke with the pointer: a vertical line.
  await page.click('#clear');
  const box = await page.locator('#pad').boundingBox();
  await page.mouse.move(box.x + box.width * 0.5, box.y + box.height * 0.2);
  await page.mouse.down();
  for (let k = 1; k <= 10; k++) await page.mouse.move(box.x + box.width * 0.5, box.y + box.height * (0.2 + 0.06 * k));
  await page.mouse.up();
  await page.waitForFunction(() => window.__digits.latest() !== null, null, { timeout: 10_000 });
  const stroke = await page.textContent('#guess');
  console.log(`  a vertical stroke drawn with the mouse reads as ${stroke}`);
  check(stroke === '1', `a vertical stroke drawn with the pointer reads as 1 (${stroke})`);
  mkdirSync('test/__screenshots__', { recursive: true });
  await page.screenshot({ path: 'test/__screenshots__/digits.png' });

  // Train in the page: 1 epoch of the 60,000 digits in the worker, with the progress bar moving.
  const started = Date.now();
  await page.click('#train');
  await page.waitForFunction(() => document.getElementById('progress').value > 0.2 && document.getElementById('progress').value < 1, null, { timeout: 120_000 });
  await page.waitForSelector('html[data-model="trained"]', { timeout: 300_000 });
  const seconds = (Date.now() - started) / 1000;
  const trained = await classify();
  console.log(`digits page, trained in the page (1 epoch of 60,000 digits, ${seconds.toFixed(1)} s): ${trained.right}/20 right; ${await page.textContent('#status')}`);
  check(trained.right >= 18, `the model trained in the page reads at least 18 of 20 (${trained.right})`);
  check(errors.length === 0, `no page or console error${errors.length ? `: ${errors.join('; ')}` : ''}`);
} catch (e) {
  failures.push(e.message);
  console.log(`digits page: ${e.message}`);
} finally {
  await browser.close();
  server.close();
  rmSync(folder, { recursive: true, force: true });
}
process.exit(failures.length === 0 ? 0 : 1);
