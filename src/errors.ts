// One error type for everything wasmgrad rejects, with a stable code to branch on.

/** Stable codes of WasmgradError, one per kind of failure. */
export type ErrorCode =
  | 'NOT_INITIALIZED'
  | 'DISPOSED'
  | 'SHAPE_MISMATCH'
  | 'INVALID_ARGUMENT'
  | 'NON_FINITE'
  | 'UNKNOWN_NAME'
  | 'NOT_COMPILED'
  | 'EMPTY_INPUT'
  | 'INVALID_LABEL'
  // Loading models: safetensors (see io/safetensors.ts) and topology (see io/model-io.ts).
  | 'FILE_TOO_SHORT' | 'HEADER_TOO_LARGE' | 'HEADER_OUT_OF_BOUNDS' | 'HEADER_NOT_UTF8' | 'HEADER_NOT_JSON'
  | 'HEADER_NOT_OBJECT' | 'DUPLICATE_NAME' | 'FORBIDDEN_KEY' | 'BAD_METADATA' | 'BAD_ENTRY' | 'UNKNOWN_DTYPE'
  | 'UNSUPPORTED_DTYPE' | 'BAD_SHAPE' | 'BAD_OFFSETS' | 'SIZE_MISMATCH' | 'OFFSETS_NOT_CONTIGUOUS'
  | 'DATA_OUT_OF_BOUNDS' | 'TRAILING_BYTES' | 'BAD_NAME'
  | 'TOPOLOGY_TOO_LARGE' | 'TOPOLOGY_NOT_JSON' | 'BAD_TOPOLOGY' | 'UNKNOWN_FORMAT' | 'UNKNOWN_LAYER'
  | 'UNKNOWN_OPTION' | 'BAD_LAYER_CONFIG' | 'BAD_TRAINING_CONFIG' | 'WEIGHT_MISSING' | 'UNEXPECTED_WEIGHT'
  | 'WEIGHT_SHAPE_MISMATCH' | 'BAD_OPTIMIZER_STATE' | 'DANGLING_REFERENCE' | 'FORWARD_REFERENCE' | 'TOO_MANY_NODES'
  | 'FAN_IN_TOO_LARGE' | 'NESTING_TOO_DEEP' | 'TFJS_FORMAT' | 'FETCH_FAILED'
  // Importing TF.js models (see io/tfjs.ts).
  | 'BAD_MANIFEST' | 'UNSAFE_PATH';

/** The error wasmgrad throws for bad input; `code` says which kind, the message names the argument. */
export class WasmgradError extends Error {
  /** Which kind of failure this is. */
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string) {
    super(message);
    this.name = 'WasmgradError';
    this.code = code;
  }
}

/** Formats a shape the way messages print it: [2, 3]. */
export function fmtShape(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

/** Throws UNKNOWN_NAME unless `name` is a key of `registry`, listing the known names. */
export function lookup<T>(what: string, registry: Readonly<Record<string, T>>, name: unknown): T {
  if (typeof name === 'string' && Object.prototype.hasOwnProperty.call(registry, name)) return registry[name]!;
  throw new WasmgradError('UNKNOWN_NAME',
    `unknown ${what} ${JSON.stringify(name)}; expected one of ${Object.keys(registry).map((k) => `'${k}'`).join(', ')}`);
}

/** A WasmgradError with code INVALID_ARGUMENT. */
export function invalid(message: string): WasmgradError {
  return new WasmgradError('INVALID_ARGUMENT', message);
}

/** A WasmgradError with code SHAPE_MISMATCH. */
export function shapeError(message: string): WasmgradError {
  return new WasmgradError('SHAPE_MISMATCH', message);
}
