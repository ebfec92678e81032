// Node and Deno built-ins, imported only when a Node/Deno-only function runs (browsers never get
// there; bundlers leave the import alone: @vite-ignore).
import { WasmgradError } from './errors.js';

/** The built-in module node:`name`. */
export function builtin<T>(name: string): Promise<T> {
  return import(/* @vite-ignore */ `node:${name}`) as Promise<T>;
}

/** The file system's promise API. */
export const fsPromises = () => builtin<{
  readFile(p: string | URL): Promise<Uint8Array>;
  readFile(p: string | URL, encoding: 'utf8'): Promise<string>;
  writeFile(p: string | URL, d: string | Uint8Array): Promise<void>;
  mkdir(p: string | URL, o: { recursive: boolean }): Promise<unknown>;
  stat(p: string | URL): Promise<{ size: number }>;
}>('fs/promises');

/** True in a page or a Web Worker (neither Node nor Deno). */
export const inBrowser = (): boolean => !(globalThis as { process?: { versions?: { node?: string } } }).process?.versions?.node && !('Deno' in globalThis);

/**
 * A folder given as a path, a file: URL, a URL string ('file:///tmp/model', 'https://host/model/?token=…')
 * or a URL object, as a URL whose path ends in '/'. In a browser a path is relative to the page.
 */
export async function folderUrl(dir: string | URL): Promise<URL> {
  let url: URL;
  if (dir instanceof URL) url = new URL(dir.href);
  // scheme:// (or blob:, data:) is a URL string; C:\models is a Windows path and run:3/model a relative one.
  else if (/^([a-z][a-z\d+.-]*:\/\/|blob:|data:)/i.test(dir)) url = new URL(dir);
  else if (inBrowser()) url = new URL(dir, (globalThis as unknown as { location: { href: string } }).location.href);
  else url = (await builtin<{ pathToFileURL(p: string): URL }>('url')).pathToFileURL(dir);
  if (!url.pathname.endsWith('/')) url.pathname += '/';
  url.hash = '';
  return url;
}

/** The file `name` in a folder URL, keeping the folder's query (a signed URL's token). */
export function fileIn(folder: URL, name: string): URL {
  const url = new URL(name, folder);
  url.search = folder.search;
  return url;
}

/** The bytes at a URL: read from disk for file: URLs (Node, Deno), fetched otherwise; `op` names the caller in errors. */
export async function readUrl(op: string, url: URL, maxBytes = Infinity): Promise<Uint8Array> {
  const tooLarge = () => new WasmgradError('SIZE_MISMATCH', `${op}: ${url.href} holds more than the ${maxBytes} bytes expected`);
  if (url.protocol === 'file:' && !inBrowser()) {
    const fs = await fsPromises();
    if (Number.isFinite(maxBytes) && (await fs.stat(url)).size > maxBytes) throw tooLarge();
    return new Uint8Array(await fs.readFile(url));
  }
  const response = await fetch(url);
  if (!response.ok) throw new WasmgradError('FETCH_FAILED', `${op}: fetching ${url.href} failed: ${response.status} ${response.statusText}`);
  if (!Number.isFinite(maxBytes) || !response.body) return new Uint8Array(await response.arrayBuffer());
  // A bounded read: stop as soon as the body passes maxBytes (a declared length is checked first).
  if (Number(response.headers.get('content-length') ?? 0) > maxBytes) { await response.body.cancel(); throw tooLarge(); }
  const reader = response.body.getReader(), chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.length;
    if (total > maxBytes) { await reader.cancel(); throw tooLarge(); }
    chunks.push(value);
  }
  return concatBytes(chunks);
}

/** The parts joined into one array (the part itself when there is one). */
export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0]!;
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) { out.set(p, at); at += p.length; }
  return out;
}
