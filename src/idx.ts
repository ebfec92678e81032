// IDX files (the format of MNIST): a 4-byte magic (0, 0, type, rank), rank big-endian u32
// dimensions, then the values big-endian. Works on bytes, so it runs in every runtime.
// Format: http://yann.lecun.com/exdb/mnist/ (bottom of the page).
import { WasmgradError, invalid } from './errors.js';

/** A decoded IDX file: its shape and its values. */
export interface IdxData {
  shape: number[];
  data: Uint8Array | Int8Array | Int16Array | Int32Array | Float32Array | Float64Array;
}

const TYPES: Record<number, [size: number, read: (v: DataView, at: number) => number, make: (n: number) => IdxData['data']]> = {
  0x08: [1, (v, at) => v.getUint8(at), (n) => new Uint8Array(n)],
  0x09: [1, (v, at) => v.getInt8(at), (n) => new Int8Array(n)],
  0x0b: [2, (v, at) => v.getInt16(at), (n) => new Int16Array(n)],
  0x0c: [4, (v, at) => v.getInt32(at), (n) => new Int32Array(n)],
  0x0d: [4, (v, at) => v.getFloat32(at), (n) => new Float32Array(n)],
  0x0e: [8, (v, at) => v.getFloat64(at), (n) => new Float64Array(n)],
};

/** Decodes an IDX file; throws WasmgradError('INVALID_ARGUMENT') naming what is wrong with it. */
export function readIdx(bytes: Uint8Array): IdxData {
  const bad = (why: string) => invalid(`readIdx: ${why}`);
  if (bytes.length < 4) throw bad(`${bytes.length} bytes is too short for the 4-byte header`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes[0] !== 0 || bytes[1] !== 0) throw bad(`magic must start with two zero bytes, got ${bytes[0]}, ${bytes[1]}`);
  const type = TYPES[bytes[2]!];
  if (!type) throw bad(`unknown value type 0x${bytes[2]!.toString(16)}`);
  const rank = bytes[3]!;
  const header = 4 + 4 * rank;
  if (bytes.length < header) throw bad(`${bytes.length} bytes is too short for ${rank} dimensions`);
  const shape = Array.from({ length: rank }, (_, i) => view.getUint32(4 + 4 * i));
  const count = shape.reduce((a, b) => a * b, 1);
  const [size, read, make] = type;
  if (bytes.length !== header + count * size) {
    throw bad(`shape [${shape.join(', ')}] needs ${header + count * size} bytes, the file has ${bytes.length}`);
  }
  if (size === 1) {
    const data = make(count);
    (data as Uint8Array).set(bytes.subarray(header, header + count));
    return { shape, data };
  }
  const data = make(count);
  for (let i = 0; i < count; i++) data[i] = read(view, header + i * size);
  return { shape, data };
}
