// npm pack / npm publish ship package.json as it is on disk. `prepack` runs this with "strip": the
// development fields (scripts, devDependencies, overrides) leave package.json, kept aside in
// .package.json.dev (gitignored); `postpack` runs it with "restore" to put the file back unchanged.
// A pack that died in between leaves the copy: "restore" (also run first by npm test and the
// package test) puts it back.
import { copyFileSync, existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const manifest = path.join(root, 'package.json'), kept = path.join(root, '.package.json.dev');

/** Puts package.json back from the copy strip() kept, if there is one. */
export function restore() {
  if (existsSync(kept)) renameSync(kept, manifest);
}

/** Keeps a copy of package.json and leaves only what the published package needs in it. */
export function strip() {
  restore();
  copyFileSync(manifest, kept);
  const { scripts, devDependencies, overrides, ...published } = JSON.parse(readFileSync(manifest, 'utf8'));
  writeFileSync(manifest, `${JSON.stringify(published, null, 2)}\n`);
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(new URL(import.meta.url).pathname)) {
  const mode = process.argv[2];
  if (mode === 'strip') strip();
  else if (mode === 'restore') restore();
  else {
    console.error('usage: node scripts/manifest.mjs strip|restore');
    process.exit(1);
  }
}
