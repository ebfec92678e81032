// Node and Deno built-ins, imported only when a Node/Deno-only function runs (browsers never get
// there; bundlers leave the import alone: @vite-ignore).

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
}>('fs/promises');

/** A folder given as a path or a URL, as a URL ending in '/'. */
export async function folderUrl(dir: string | URL): Promise<URL> {
  const href = dir instanceof URL ? dir.href : (await builtin<{ pathToFileURL(p: string): URL }>('url')).pathToFileURL(dir).href;
  return new URL(href.endsWith('/') ? href : `${href}/`);
}
