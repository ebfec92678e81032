// The playground (examples/playground) as a user opens it, in headless Chromium: it loads with no
// console error; on the spiral with 2×8 tanh units and the default settings, play brings the test loss
// under 0.1 within 20 s of training; the heat map's pixels change while it trains; the page's main
// thread never stalls over 100 ms (a requestAnimationFrame probe) while the worker trains; the URL hash
// round-trips every control; it trains at a phone's width. Saves screenshots to test/__screenshots__/.
import { mkdirSync } from 'node:fs';
import { serve } from '../examples/serve.mjs';
import { launchChromium } from './chromium.mjs';

const server = await serve(0);
const base = `http://127.0.0.1:${server.address().port}/examples/playground/`;
const browser = await launchChromium();
const failures = [];
// Every control's value, read in the page (the same reader for the page set by hand and the page opened from its hash).
const readControls = () => {
  const v = (id) => { const el = document.getElementById(id); return el.type === 'checkbox' ? el.checked : el.value; };
  return JSON.stringify({
    ...Object.fromEntries(['problem', 'optimizer', 'learningRate', 'activation', 'batchSize', 'regularization', 'regularizationRate', 'dropout', 'points', 'ratio', 'noise', 'seed', 'batchNorm', 'showTest'].map((id) => [id, v(id)])),
    dataset: document.querySelector('#datasets [aria-pressed=true]')?.textContent,
    layers: Array.from(document.querySelectorAll('.column')).slice(1, -1).map((c) => c.querySelectorAll('canvas.unit').length),
    features: Array.from(document.querySelectorAll('button.feature[aria-pressed=true]')).map((b) => b.getAttribute('aria-label')),
  });
};
const check = (ok, what) => { console.log(`  ${ok ? 'ok  ' : 'FAIL'} ${what}`); if (!ok) failures.push(what); };

try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  await page.goto(`${base}#dataset=spiral&layers=8,8&activation=tanh`);
  await page.waitForSelector('html[data-ready="1"]', { timeout: 30_000 });
  await page.waitForFunction(() => document.getElementById('testLoss').dataset.value !== undefined, null, { timeout: 30_000 });

  // Main-thread probe: the largest gap between two animation frames while training.
  await page.evaluate(() => {
    window.__gaps = { max: 0, last: performance.now(), frames: 0 };
    const tick = (t) => { const g = window.__gaps; g.max = Math.max(g.max, t - g.last); g.last = t; g.frames++; requestAnimationFrame(tick); };
    requestAnimationFrame(tick);
  });
  const pixels = () => page.evaluate(() => Array.from(document.getElementById('boundary').getContext('2d').getImageData(0, 0, 240, 240).data.filter((_, i) => i % 4 === 0)).join(','));
  const before = await pixels();
  const started = Date.now();
  await page.click('#play');
  await page.waitForTimeout(1500);
  const during = await pixels();
  await page.evaluate(() => { window.__gaps.max = 0; }); // measured from here, with training under way
  const framesAt = async () => Number(await page.getAttribute('html', 'data-frames'));
  const firstFrames = await framesAt(), windowStart = Date.now();
  let loss = Infinity, seconds = 0;
  while (Date.now() - started < 20_000) {
    const now = Number(await page.evaluate(() => document.getElementById('testLoss').dataset.value));
    if (now < loss) { loss = now; seconds = (Date.now() - started) / 1000; }
    if (loss < 0.1) break;
    await page.waitForTimeout(100);
  }
  // Training goes on: the frame probe covers at least 6 s of it.
  const rest = 7500 - (Date.now() - started);
  if (rest > 0) await page.waitForTimeout(rest);
  const after = await pixels();
  const gaps = await page.evaluate(() => window.__gaps);
  const redraws = (await framesAt() - firstFrames) / ((Date.now() - windowStart) / 1000);
  const stats = await page.evaluate(() => ({ epoch: document.getElementById('epoch').textContent, speed: document.getElementById('speed').textContent }));
  mkdirSync('test/__screenshots__', { recursive: true });
  await page.screenshot({ path: 'test/__screenshots__/playground.png' });
  await page.click('#play'); // pause
  console.log(`playground: spiral (1,000 points), 2×8 tanh, Adam 0.01, batch 10: test loss ${loss.toFixed(4)} after ${seconds.toFixed(1)} s of play (epoch ${stats.epoch}, ${stats.speed} steps/s); ` +
    `largest main-thread frame gap ${gaps.max.toFixed(0)} ms over ${gaps.frames} frames`);
  check(loss < 0.1, `test loss under 0.1 within 20 s (${loss.toFixed(4)} at ${seconds.toFixed(1)} s)`);
  check(before !== during && during !== after, 'the heat map changes while training');
  check(gaps.max < 100 && gaps.frames > 20, `the main thread never blocked over 100 ms (largest gap ${gaps.max.toFixed(0)} ms)`);
  check(redraws >= 10, `the heat maps are redrawn at least 10 times a second while training (${redraws.toFixed(1)})`);

  // Every control set away from its default, through the page's own controls; the hash carries them all.
  await page.selectOption('#problem', 'regression');
  await page.click('#datasets button:nth-child(2)');
  for (const [id, v] of [['#optimizer', 'momentum'], ['#learningRate', '0.1'], ['#activation', 'gelu'], ['#batchSize', '32'], ['#regularization', 'L2'],
    ['#regularizationRate', '0.01'], ['#dropout', '0.2'], ['#points', '500']]) await page.selectOption(id, v);
  await page.fill('#ratio', '30'); await page.dispatchEvent('#ratio', 'input');
  await page.fill('#noise', '15'); await page.dispatchEvent('#noise', 'input');
  await page.fill('#seed', '7'); await page.dispatchEvent('#seed', 'change');
  await page.check('#batchNorm'); await page.check('#showTest');
  await page.click('#addLayer');
  await page.click('.column:nth-child(2) button[aria-label^="Remove a unit"]');
  await page.click('button[aria-label="Feature x₁²"]');
  await page.click('button[aria-label="Feature sin x₂"]');
  const set = await page.evaluate(readControls);
  const hash = await page.evaluate(() => location.hash);
  const again = await browser.newPage({ viewport: { width: 390, height: 844 } }); // a phone's width
  again.on('pageerror', (e) => errors.push(e.message));
  again.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  await again.goto(`${base}${hash}`);
  await again.waitForSelector('html[data-ready="1"]', { timeout: 30_000 });
  const restored = await again.evaluate(readControls);
  console.log(`  controls set: ${set}`);
  const defaults = JSON.parse(set);
  check(defaults.problem === 'regression' && defaults.optimizer === 'momentum' && defaults.batchNorm === true && defaults.layers.length === 3, 'every control was moved off its default');
  check(restored === set, `the URL hash round-trips every control (${hash.length} characters)`);
  await again.click('#play');
  await again.waitForTimeout(1500);
  const phoneEpoch = Number((await again.textContent('#epoch')).replace(/,/g, ''));
  check(phoneEpoch > 0, `it trains at a phone's width too (epoch ${phoneEpoch})`);
  await again.screenshot({ path: 'test/__screenshots__/playground-phone.png', fullPage: true });
  check(errors.length === 0, `no page or console error${errors.length ? `: ${errors.join('; ')}` : ''}`);
} catch (e) {
  failures.push(e.message);
  console.log(`playground: ${e.message}`);
} finally {
  await browser.close();
  server.close();
}
process.exit(failures.length === 0 ? 0 : 1);
