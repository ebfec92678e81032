// npm pack / npm publish ship package.json as it is on disk. `prepack` runs this with "strip": the
// development fields (scripts, devDependencies, overrides) leave package.json, kept aside in
// build/package.json.dev; `postpack` runs it with "restore" to put the file back unchanged.
import { copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';

const kept = 'build/package.json.dev';
const mode = process.argv[2];
if (mode === 'strip') {
  mkdirSync('build', { recursive: true });
  if (existsSync(kept)) renameSync(kept, 'package.json'); // a pack that died before postpack
  copyFileSync('package.json', kept);
  const { scripts, devDependencies, overrides, ...published } = JSON.parse(readFileSync('package.json', 'utf8'));
  writeFileSync('package.json', `${JSON.stringify(published, null, 2)}\n`);
} else if (mode === 'restore') {
  if (existsSync(kept)) renameSync(kept, 'package.json');
} else {
  console.error('usage: node scripts/manifest.mjs strip|restore');
  process.exit(1);
}
