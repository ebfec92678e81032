// Threads in a page, in headless Chromium: served cross-origin isolated (COOP + COEP), init() on the
// page's main thread starts the machine's threads and gives the seeded digest of issue #4 and a split
// product equal to one thread's; served without those headers it runs one thread and says why.
import { serve } from '../examples/serve.mjs';
import { launchChromium } from './chromium.mjs';

const DIGEST = 'b5d88db0cf024c527dad8005257bafe4961047395e5b5e286b5f3ce7a5105961'; // test/determinism.test.ts
const browser = await launchChromium();
const failures = [];
const check = (ok, what) => { console.log(`  ${ok ? 'ok  ' : 'FAIL'} ${what}`); if (!ok) failures.push(what); };
try {
  for (const isolate of [true, false]) {
    const server = await serve(0, { isolate });
    try {
      const page = await browser.newPage();
      const errors = [];
      page.on('pageerror', (e) => errors.push(e.message));
      page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
      await page.goto(`http://127.0.0.1:${server.address().port}/test/fixtures/threads-page.html`);
      await page.waitForFunction(() => document.title === 'done', null, { timeout: 60_000 });
      const r = await page.evaluate(() => window.result);
      const cores = await page.evaluate(() => navigator.hardwareConcurrency);
      console.log(`threads page (${isolate ? 'isolated' : 'not isolated'}): ${JSON.stringify(r)}`);
      check(!r.error && errors.length === 0, `no error${errors.length ? `: ${errors.join('; ')}` : ''}`);
      check(r.isolated === isolate, `crossOriginIsolated is ${isolate}`);
      if (isolate) {
        check(r.count === Math.min(16, cores) && r.reason === `${r.count}: the machine's parallelism`, `${r.count} threads, the machine's parallelism`);
      } else {
        check(r.count === 1 && r.reason.startsWith('1: the page is not cross-origin isolated'), 'one thread, because the page is not cross-origin isolated');
      }
      check(r.digest === DIGEST, 'the seeded digest');
      check(r.sameProduct === true, 'the product equals one thread\'s, bit for bit');
      await page.close();
    } finally {
      server.close();
    }
  }
} catch (e) {
  check(false, e.message);
} finally {
  await browser.close();
}
console.log(`threads page: ${failures.length ? `${failures.length} failed` : 'all passed'}`);
process.exit(failures.length ? 1 : 0);
