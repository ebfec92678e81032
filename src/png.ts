// PNG encoding with no dependency: 8-bit grayscale or RGB, one IDAT chunk compressed by a small
// deflate (LZ77 over a 32 KiB window with hash chains, fixed Huffman codes; RFC 1950/1951) — image
// grids of digits are mostly runs of one value, which this compresses ~10×.

/** Encodes 8-bit pixels (rows top to bottom, `channels` 1 gray or 3 RGB per pixel) as a PNG file. */
export function encodePng(pixels: Uint8Array, width: number, height: number, channels: 1 | 3): Uint8Array {
  const stride = width * channels;
  // Each scanline gets a filter byte: Up (2) for every row but the first (None), which turns the
  // repeated rows of a scaled-up image into zeros.
  const raw = new Uint8Array(height * (stride + 1));
  for (let y = 0; y < height; y++) {
    const at = y * (stride + 1), row = y * stride;
    raw[at] = y === 0 ? 0 : 2;
    for (let x = 0; x < stride; x++) raw[at + 1 + x] = y === 0 ? pixels[row + x]! : (pixels[row + x]! - pixels[row - stride + x]!) & 255;
  }
  const ihdr = new Uint8Array(13);
  const view = new DataView(ihdr.buffer);
  view.setUint32(0, width);
  view.setUint32(4, height);
  ihdr.set([8, channels === 1 ? 0 : 2, 0, 0, 0], 8); // bit depth 8, gray or RGB, deflate, no filter set, no interlace
  const parts = [new Uint8Array([137, 80, 78, 71, 13, 10, 26, 10]), chunk('IHDR', ihdr), chunk('IDAT', zlib(raw)), chunk('IEND', new Uint8Array(0))];
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) { out.set(p, at); at += p.length; }
  return out;
}

function chunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length);
  for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
  out.set(data, 8);
  view.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
  return out;
}

let crcTable: Uint32Array | null = null;

/** CRC-32 (ISO 3309, as PNG uses). */
export function crc32(bytes: Uint8Array): number {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = crcTable[(c ^ bytes[i]!) & 255]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** A zlib stream (RFC 1950): header, one deflate block, Adler-32. */
function zlib(data: Uint8Array): Uint8Array {
  const body = deflate(data);
  const out = new Uint8Array(body.length + 6);
  out[0] = 0x78; out[1] = 0x01; // deflate, 32 KiB window, no dictionary, (0x7801 % 31 == 0)
  out.set(body, 2);
  let a = 1, b = 0;
  for (let i = 0; i < data.length; i++) { a = (a + data[i]!) % 65521; b = (b + a) % 65521; }
  new DataView(out.buffer).setUint32(out.length - 4, ((b << 16) | a) >>> 0);
  return out;
}

// Length codes 257..285: base lengths and extra bits; distance codes 0..29 likewise (RFC 1951 3.2.5).
const LEN_BASE = [3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258];
const LEN_EXTRA = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0];
const DIST_BASE = [1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577];
const DIST_EXTRA = [0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13];
const WINDOW = 32768, MAX_CHAIN = 64, MIN_MATCH = 3, MAX_MATCH = 258;

/** One final deflate block with the fixed Huffman codes, matches found by hash chains. */
export function deflate(data: Uint8Array): Uint8Array {
  const bits = new BitWriter(data.length / 4 + 64);
  bits.write(1, 1); // BFINAL
  bits.write(1, 2); // BTYPE 01: fixed Huffman codes
  const head = new Int32Array(1 << 15).fill(-1), prev = new Int32Array(WINDOW);
  const hash = (i: number) => ((data[i]! << 10) ^ (data[i + 1]! << 5) ^ data[i + 2]!) & 0x7fff;
  const insert = (i: number) => {
    if (i + MIN_MATCH > data.length) return;
    const h = hash(i);
    prev[i & (WINDOW - 1)] = head[h]!;
    head[h] = i;
  };
  let i = 0;
  while (i < data.length) {
    let bestLen = 0, bestDist = 0;
    if (i + MIN_MATCH <= data.length) {
      let j = head[hash(i)]!, chain = MAX_CHAIN;
      const limit = Math.min(MAX_MATCH, data.length - i);
      while (j >= 0 && i - j <= WINDOW && chain-- > 0) {
        let len = 0;
        while (len < limit && data[j + len] === data[i + len]) len++;
        if (len > bestLen) { bestLen = len; bestDist = i - j; if (len === limit) break; }
        j = prev[j & (WINDOW - 1)]!;
      }
    }
    if (bestLen >= MIN_MATCH) {
      writeLength(bits, bestLen);
      writeDistance(bits, bestDist);
      for (let k = 0; k < bestLen; k++) insert(i + k);
      i += bestLen;
    } else {
      writeLiteral(bits, data[i]!);
      insert(i);
      i++;
    }
  }
  writeLiteral(bits, 256); // end of block
  return bits.finish();
}

// Fixed literal/length codes: 0-143 8 bits from 0x30, 144-255 9 bits from 0x190, 256-279 7 bits from
// 0, 280-287 8 bits from 0xC0; distance codes 5 bits. Huffman codes go most significant bit first,
// so each is stored bit-reversed once, ready for the least-significant-first writer.
let literalCodes: Uint16Array | null = null, literalBits: Uint8Array | null = null, distanceCodes: Uint16Array | null = null;

function reversed(code: number, count: number): number {
  let r = 0;
  for (let k = 0; k < count; k++) r |= ((code >>> k) & 1) << (count - 1 - k);
  return r;
}

function fixedCodes(): void {
  literalCodes = new Uint16Array(288);
  literalBits = new Uint8Array(288);
  for (let v = 0; v < 288; v++) {
    const [code, count] = v < 144 ? [0x30 + v, 8] : v < 256 ? [0x190 + v - 144, 9] : v < 280 ? [v - 256, 7] : [0xc0 + v - 280, 8];
    literalCodes[v] = reversed(code, count);
    literalBits[v] = count;
  }
  distanceCodes = Uint16Array.from({ length: 30 }, (_, c) => reversed(c, 5));
}

function writeLiteral(bits: BitWriter, v: number): void {
  if (!literalCodes) fixedCodes();
  bits.write(literalCodes![v]!, literalBits![v]!);
}

function writeLength(bits: BitWriter, len: number): void {
  let c = LEN_BASE.length - 1;
  while (LEN_BASE[c]! > len) c--;
  writeLiteral(bits, 257 + c);
  if (LEN_EXTRA[c]) bits.write(len - LEN_BASE[c]!, LEN_EXTRA[c]!);
}

function writeDistance(bits: BitWriter, dist: number): void {
  let c = DIST_BASE.length - 1;
  while (DIST_BASE[c]! > dist) c--;
  bits.write(distanceCodes![c]!, 5);
  if (DIST_EXTRA[c]) bits.write(dist - DIST_BASE[c]!, DIST_EXTRA[c]!);
}

/** Bits packed least significant first, as deflate stores them. */
class BitWriter {
  #buf: Uint8Array;
  #at = 0;
  #acc = 0;
  #n = 0;
  constructor(size: number) {
    this.#buf = new Uint8Array(Math.max(64, Math.ceil(size)));
  }
  /** The low `count` bits of v, least significant first (extra bits, header fields, bit-reversed codes). */
  write(v: number, count: number): void {
    this.#acc |= v << this.#n;
    this.#n += count;
    while (this.#n >= 8) this.#byte();
  }
  finish(): Uint8Array {
    if (this.#n > 0) this.#byte();
    return this.#buf.slice(0, this.#at);
  }
  #byte(): void {
    if (this.#at === this.#buf.length) {
      const grown = new Uint8Array(this.#buf.length * 2);
      grown.set(this.#buf);
      this.#buf = grown;
    }
    this.#buf[this.#at++] = this.#acc & 255;
    this.#acc >>>= 8;
    this.#n = Math.max(0, this.#n - 8);
  }
}
