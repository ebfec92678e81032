// The browser example (examples/browser) as a user opens it: served by examples/serve.mjs, loaded in
// headless Chromium, trained in its worker on the first 6,400 MNIST digits for one epoch; it must
// report a test accuracy over 80% on the 10,000 test digits and draw its 24 guesses, with no page error.
import { serve } from '../examples/serve.mjs';
import { launchChromium } from './chromium.mjs';

const server = await serve(0);
const browser = await launchChromium();
let ok = false;
try {
  const page = await browser.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  await page.goto(`http://127.0.0.1:${server.address().port}/examples/browser/?autostart&samples=6400`);
  await page.waitForFunction(() => document.title.startsWith('done') || document.title === 'error', null, { timeout: 120_000 });
  const status = await page.textContent('#status');
  const accuracy = Number(/Test accuracy ([\d.]+)%/.exec(status ?? '')?.[1]);
  const figures = await page.locator('#digits figure').count();
  console.log(`browser example: ${status} (${figures} digits drawn)${errors.length ? `; errors: ${errors.join('; ')}` : ''}`);
  ok = accuracy > 80 && figures === 24 && errors.length === 0;
} catch (e) {
  console.log(`browser example: ${e.message}`);
} finally {
  await browser.close();
  server.close();
}
process.exit(ok ? 0 : 1);
