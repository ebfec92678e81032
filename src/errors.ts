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
  | 'EMPTY_INPUT';

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
