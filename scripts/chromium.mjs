// Debian's Chromium as the scripts drive it (the package check, the browser example): headless, no
// sandbox, nothing fetched from the network. CHROMIUM_PATH names another binary.
import { chromium } from 'playwright';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const CHROMIUM_FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--no-first-run'];

/** A headless Chromium browser (playwright's Browser). */
export function launchChromium() {
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_FLAGS });
}
