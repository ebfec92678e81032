// The few ONNX protobuf messages an exported model needs, written by hand (onnx.proto3 field numbers).
// Protobuf's wire format is small: a field is a key (field number << 3 | wire type) then a varint
// (type 0), 8 bytes (1), a length and bytes (2) or 4 bytes (5). A message is the concatenation of its
// fields, so each encoder below returns the bytes of one message; nested messages are length-delimited.
// Repeated numbers are written one field each (proto2's unpacked form: every reader accepts it).

/** ONNX TensorProto.DataType values used here. */
export const FLOAT = 1;
export const INT64 = 7;

const utf8 = new TextEncoder();

function concat(parts: readonly Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let at = 0;
  for (const p of parts) { out.set(p, at); at += p.length; }
  return out;
}

// An unsigned or two's-complement 64-bit varint (a negative int64 takes ten bytes).
function varint(value: number | bigint): Uint8Array {
  let v = BigInt.asUintN(64, BigInt(value));
  const bytes: number[] = [];
  do {
    let b = Number(v & 0x7fn);
    v >>= 7n;
    if (v !== 0n) b |= 0x80;
    bytes.push(b);
  } while (v !== 0n);
  return Uint8Array.from(bytes);
}

const key = (field: number, wire: number): Uint8Array => varint((field << 3) | wire);
const intField = (field: number, value: number | bigint): Uint8Array => concat([key(field, 0), varint(value)]);
const bytesField = (field: number, bytes: Uint8Array): Uint8Array => concat([key(field, 2), varint(bytes.length), bytes]);
const stringField = (field: number, s: string): Uint8Array => bytesField(field, utf8.encode(s));

function floatField(field: number, value: number): Uint8Array {
  const out = new Uint8Array(5);
  out.set(key(field, 5));
  new DataView(out.buffer).setFloat32(1, value, true);
  return out;
}

/** An attribute value: a number is an int unless given as { float }; arrays of numbers are ints; { strings } a list of strings. */
export type AttributeValue = number | { float: number } | { floats: readonly number[] } | { strings: readonly string[] } | readonly number[] | string;

// AttributeProto: name 1, f 2, i 3, s 4, floats 7, ints 8, strings 9, type 20 (FLOAT 1, INT 2, STRING 3,
// FLOATS 6, INTS 7, STRINGS 8).
function attribute(name: string, value: AttributeValue): Uint8Array {
  const parts = [stringField(1, name)];
  if (typeof value === 'number') parts.push(intField(3, value), intField(20, 2));
  else if (typeof value === 'string') parts.push(bytesField(4, utf8.encode(value)), intField(20, 3));
  else if ('float' in value) parts.push(floatField(2, value.float), intField(20, 1));
  else if ('floats' in value) parts.push(...value.floats.map((f) => floatField(7, f)), intField(20, 6));
  else if ('strings' in value) parts.push(...value.strings.map((t) => stringField(9, t)), intField(20, 8));
  else parts.push(...(value as readonly number[]).map((i) => intField(8, i)), intField(20, 7));
  return concat(parts);
}

/** One NodeProto: input 1, output 2, name 3, op_type 4, attribute 5. */
export function nodeProto(op: string, inputs: readonly string[], outputs: readonly string[], name: string,
                          attrs: Readonly<Record<string, AttributeValue>> = {}): Uint8Array {
  return concat([
    ...inputs.map((i) => stringField(1, i)),
    ...outputs.map((o) => stringField(2, o)),
    stringField(3, name),
    stringField(4, op),
    ...Object.entries(attrs).map(([k, v]) => bytesField(5, attribute(k, v))),
  ]);
}

/** One TensorProto with raw little-endian data: dims 1, data_type 2, name 8, raw_data 9. */
export function tensorProto(name: string, dims: readonly number[], data: Float32Array | BigInt64Array): Uint8Array {
  const raw = new Uint8Array(data.byteLength);
  const view = new DataView(raw.buffer);
  if (data instanceof Float32Array) data.forEach((v, i) => view.setFloat32(i * 4, v, true));
  else data.forEach((v, i) => view.setBigInt64(i * 8, v, true));
  return concat([
    ...dims.map((d) => intField(1, d)),
    intField(2, data instanceof Float32Array ? FLOAT : INT64),
    stringField(8, name),
    bytesField(9, raw),
  ]);
}

/** A ValueInfoProto of a float tensor; a string dimension is symbolic (the batch). */
export function valueInfo(name: string, dims: readonly (number | string)[]): Uint8Array {
  // TypeProto { tensor_type 1: { elem_type 1, shape 2: { dim 1: { dim_value 1 | dim_param 2 } } } }
  const shape = concat(dims.map((d) => bytesField(1, typeof d === 'string' ? stringField(2, d) : intField(1, d))));
  const tensorType = concat([intField(1, FLOAT), bytesField(2, shape)]);
  return concat([stringField(1, name), bytesField(2, bytesField(1, tensorType))]);
}

/** A whole ModelProto: ir_version 1, producer_name 2, producer_version 3, graph 7, opset_import 8. */
export function modelProto(graph: { name: string; nodes: Uint8Array[]; initializers: Uint8Array[]; inputs: Uint8Array[]; outputs: Uint8Array[]; doc: string },
                           opset: number, irVersion: number, producerVersion: string): Uint8Array {
  // GraphProto: node 1, name 2, initializer 5, doc_string 10, input 11, output 12.
  const g = concat([
    ...graph.nodes.map((n) => bytesField(1, n)),
    stringField(2, graph.name),
    ...graph.initializers.map((t) => bytesField(5, t)),
    stringField(10, graph.doc),
    ...graph.inputs.map((v) => bytesField(11, v)),
    ...graph.outputs.map((v) => bytesField(12, v)),
  ]);
  // OperatorSetIdProto: domain 1 ('' is the default ONNX domain, so it is left out), version 2.
  return concat([intField(1, irVersion), stringField(2, 'wasmgrad'), stringField(3, producerVersion), bytesField(7, g), bytesField(8, intField(2, opset))]);
}
