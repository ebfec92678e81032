// safetensors (https://github.com/huggingface/safetensors), written and read by hand:
//
//   ┌──────────────┬──────────────────────────────────────────┬──────────────────────────────┐
//   │ N: u64 (LE)  │ header: N bytes of UTF-8 JSON, space-pad │ data: the tensors' bytes, LE │
//   └──────────────┴──────────────────────────────────────────┴──────────────────────────────┘
//   header = { "__metadata__"?: { string: string }, name: { dtype, shape, data_offsets: [begin, end] } }
//   offsets are relative to the start of data, contiguous from 0, covering it exactly.
//
// The reader treats every file as hostile: it checks everything below before it allocates anything
// sized by the file, and each failure is a WasmgradError with a stable code naming the field.
import { WasmgradError, type ErrorCode } from '../errors.js';


/** A named float32 tensor, row-major. */
export interface NamedTensor {
  name: string;
  shape: number[];
  data: Float32Array;
}

/** Largest header the reader accepts (the format's own reference reader allows 100 MB). */
export const MAX_HEADER_BYTES = 16 * 1024 * 1024;

const DTYPE_SIZES: Record<string, number> = {
  BOOL: 1, U8: 1, I8: 1, F8_E5M2: 1, F8_E4M3: 1, I16: 2, U16: 2, F16: 2, BF16: 2, I32: 4, U32: 4, F32: 4, F64: 8, I64: 8, U64: 8,
};
const FORBIDDEN = new Set(['__proto__', 'constructor', 'prototype']);
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function fail(code: ErrorCode, message: string): WasmgradError {
  return new WasmgradError(code, `safetensors: ${message}`);
}

/** Encodes tensors (and optional string metadata) as a safetensors file. */
export function writeSafetensors(tensors: readonly NamedTensor[], metadata?: Record<string, string>): Uint8Array {
  const header: Record<string, unknown> = {};
  if (metadata) header.__metadata__ = metadata;
  let offset = 0;
  for (const t of tensors) {
    const bytes = t.data.length * 4;
    header[t.name] = { dtype: 'F32', shape: t.shape, data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - ((new TextEncoder().encode(json).length) % 8)) % 8); // align data to 8 bytes
  const head = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + head.length + offset);
  const view = new DataView(out.buffer);
  view.setUint32(0, head.length, true);
  view.setUint32(4, 0, true);
  out.set(head, 8);
  let at = 8 + head.length;
  for (const t of tensors) {
    if (LITTLE_ENDIAN) out.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), at);
    else for (let i = 0; i < t.data.length; i++) view.setFloat32(at + i * 4, t.data[i]!, true);
    at += t.data.byteLength;
  }
  return out;
}

/** Decodes a safetensors file of F32 tensors, in file order, with its metadata; throws on anything malformed. */
export function readSafetensors(bytes: Uint8Array, maxHeaderBytes = MAX_HEADER_BYTES): { tensors: NamedTensor[]; metadata: Record<string, string> } {
  if (!(bytes instanceof Uint8Array)) throw fail('FILE_TOO_SHORT', 'expected the file as a Uint8Array');
  if (bytes.length < 8) throw fail('FILE_TOO_SHORT', `${bytes.length} bytes is too short for the 8-byte header length`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const lo = view.getUint32(0, true), hi = view.getUint32(4, true);
  if (hi !== 0 || lo > maxHeaderBytes) {
    throw fail('HEADER_TOO_LARGE', `header length ${hi * 2 ** 32 + lo} exceeds the limit of ${maxHeaderBytes} bytes`);
  }
  if (lo > bytes.length - 8) throw fail('HEADER_OUT_OF_BOUNDS', `header length ${lo} runs past the end of the ${bytes.length}-byte file`);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + lo));
  } catch {
    throw fail('HEADER_NOT_UTF8', 'the header is not valid UTF-8');
  }
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch (e) {
    throw fail('HEADER_NOT_JSON', `the header is not JSON (${(e as Error).message})`);
  }
  if (header === null || typeof header !== 'object' || Array.isArray(header)) throw fail('HEADER_NOT_OBJECT', 'the header must be a JSON object');
  const names = topLevelKeys(text);
  const seen = new Set<string>();
  for (const name of names) {
    if (seen.has(name)) throw fail('DUPLICATE_NAME', `the name ${JSON.stringify(name)} appears twice`);
    seen.add(name);
  }

  const dataStart = 8 + lo, dataLength = bytes.length - dataStart;
  let metadata: Record<string, string> = {};
  const entries: { name: string; shape: number[]; begin: number; end: number }[] = [];
  for (const name of Object.keys(header)) {
    if (FORBIDDEN.has(name)) throw fail('FORBIDDEN_KEY', `the name ${JSON.stringify(name)} is not allowed`);
    const entry = (header as Record<string, unknown>)[name];
    if (name === '__metadata__') {
      if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) throw fail('BAD_METADATA', '__metadata__ must be an object of strings');
      for (const [k, v] of Object.entries(entry)) {
        if (FORBIDDEN.has(k)) throw fail('FORBIDDEN_KEY', `__metadata__ key ${JSON.stringify(k)} is not allowed`);
        if (typeof v !== 'string') throw fail('BAD_METADATA', `__metadata__.${k} must be a string, got ${typeof v}`);
      }
      metadata = Object.assign(Object.create(null), entry) as Record<string, string>;
      continue;
    }
    if (name.length === 0) throw fail('BAD_NAME', 'a tensor name is empty');
    if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) throw fail('BAD_ENTRY', `${name}: expected { dtype, shape, data_offsets }`);
    const keys = Object.keys(entry).sort().join(',');
    if (keys !== 'data_offsets,dtype,shape') throw fail('BAD_ENTRY', `${name}: expected exactly dtype, shape and data_offsets, got ${keys || 'nothing'}`);
    const { dtype, shape, data_offsets: offsets } = entry as { dtype: unknown; shape: unknown; data_offsets: unknown };
    if (typeof dtype !== 'string' || !Object.prototype.hasOwnProperty.call(DTYPE_SIZES, dtype)) {
      throw fail('UNKNOWN_DTYPE', `${name}: unknown dtype ${JSON.stringify(dtype)}`);
    }
    if (dtype !== 'F32') throw fail('UNSUPPORTED_DTYPE', `${name}: dtype ${dtype} is valid safetensors but wasmgrad reads F32 only`);
    if (!Array.isArray(shape) || shape.some((d) => !Number.isSafeInteger(d) || d < 0)) {
      throw fail('BAD_SHAPE', `${name}: shape must be an array of non-negative integers, got ${JSON.stringify(shape)}`);
    }
    if (!Array.isArray(offsets) || offsets.length !== 2 || offsets.some((o) => !Number.isSafeInteger(o) || o < 0) || offsets[0] > offsets[1]) {
      throw fail('BAD_OFFSETS', `${name}: data_offsets must be two non-negative integers [begin, end] with begin <= end, got ${JSON.stringify(offsets)}`);
    }
    // Element count × 4 without overflow: stop as soon as the product passes the file's size.
    let count = 1;
    for (const d of shape as number[]) {
      count *= d;
      if (count * 4 > dataLength) break;
    }
    const [begin, end] = offsets as [number, number];
    if (count * 4 !== end - begin) {
      throw fail('SIZE_MISMATCH', `${name}: shape ${JSON.stringify(shape)} needs ${count > dataLength ? `more than ${dataLength}` : count * 4} bytes, data_offsets span ${end - begin}`);
    }
    entries.push({ name, shape: (shape as number[]).slice(), begin, end });
  }
  // Offsets must tile the data exactly: sorted, from 0, no gaps or overlaps, nothing after.
  const sorted = entries.slice().sort((a, b) => a.begin - b.begin || a.end - b.end);
  let expected = 0;
  for (const e of sorted) {
    if (e.begin !== expected) {
      throw fail('OFFSETS_NOT_CONTIGUOUS', `${e.name}: data starts at ${e.begin}, expected ${expected} (tensors must follow each other with no gap or overlap)`);
    }
    if (e.end > dataLength) throw fail('DATA_OUT_OF_BOUNDS', `${e.name}: data ends at ${e.end}, past the ${dataLength} bytes of data`);
    expected = e.end;
  }
  if (expected !== dataLength) throw fail('TRAILING_BYTES', `${dataLength - expected} bytes after the last tensor`);

  const tensors = entries.map((e) => {
    const data = new Float32Array((e.end - e.begin) / 4);
    if (LITTLE_ENDIAN) new Uint8Array(data.buffer).set(bytes.subarray(dataStart + e.begin, dataStart + e.end));
    else for (let i = 0; i < data.length; i++) data[i] = view.getFloat32(dataStart + e.begin + i * 4, true);
    return { name: e.name, shape: e.shape, data };
  });
  return { tensors, metadata };
}

// The keys of the top-level object of a JSON text, in order, duplicates included (JSON.parse keeps
// only the last of equal keys, which would hide a duplicate). The text has already parsed as JSON.
function topLevelKeys(text: string): string[] {
  const keys: string[] = [];
  let depth = 0, expectKey = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (ch === '"') {
      let j = i + 1;
      while (text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      if (depth === 1 && expectKey) keys.push(JSON.parse(text.slice(i, j + 1)) as string);
      expectKey = false;
      i = j;
    } else if (ch === '{' || ch === '[') {
      depth++;
      expectKey = ch === '{' && depth === 1;
    } else if (ch === '}' || ch === ']') {
      depth--;
    } else if (ch === ',' && depth === 1) {
      expectKey = true;
    }
  }
  return keys;
}
