// The one check every options object of the API goes through. Plain JS would otherwise ignore a
// mistyped key ({ epoch: 10 } trains one epoch), so a key the function does not take is refused
// with UNKNOWN_OPTION, the known keys listed and the nearest one suggested; and values are quoted as
// given in messages ('got "32" (a string)', 'got a Map'), not as String() prints them.
import { WasmgradError, invalid } from './errors.js';

/** How a value reads in an error message: 0.5, "32" (a string), true (a boolean), a Map, an array of 3, null. */
export function describe(v: unknown): string {
  if (v === null || v === undefined || typeof v === 'number') return String(v);
  if (typeof v === 'string') return `${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v)} (a string)`;
  if (typeof v === 'boolean' || typeof v === 'bigint') return `${String(v)} (a ${typeof v})`;
  if (typeof v !== 'object') return `a ${typeof v}`;
  if (Array.isArray(v)) return `an array of ${v.length}`;
  const name = (Object.getPrototypeOf(v) as { constructor?: { name?: string } } | null)?.constructor?.name;
  if (!name || name === 'Object') return 'an object';
  return `${/^[AEIO]/.test(name) ? 'an' : 'a'} ${name}`; // a Uint8Array, a URL
}

// Edit distance, capped: only near misses become suggestions.
function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) row[j] = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = row;
  }
  return prev[b.length]!;
}

// Spellings of other libraries that name the same option differently.
const ALIASES: Record<string, string> = { lr: 'learningRate', metric: 'metrics', decay: 'rho' };

function suggestion(key: string, known: readonly string[]): string | undefined {
  const alias = ALIASES[key];
  if (alias && known.includes(alias)) return alias;
  const camel = key.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase()).toLowerCase();
  let best: string | undefined, bestD = Infinity;
  for (const k of known) {
    const d = distance(camel, k.toLowerCase());
    if (d < bestD) { best = k; bestD = d; }
  }
  if (bestD <= 2 && bestD < key.length / 2) return best;
  // A known key the given one starts (pct: pctStart), or that starts it (batchSizes: batchSize).
  return camel.length >= 3 ? known.find((k) => k.toLowerCase().startsWith(camel) || camel.startsWith(k.toLowerCase())) : undefined;
}

/**
 * `value` ({} when undefined) once it is an options object whose keys are all in `known` (keys
 * holding undefined pass); else UNKNOWN_OPTION naming the key, the nearest known one and all of them.
 * `op` starts the message; `owner` names who takes the keys when it differs (a layer's class).
 */
export function checkOptions<T extends object>(op: string, value: T | undefined, known: readonly string[], owner = op): T {
  if (value === undefined) return {} as T;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw invalid(`${op}: expected an options object ({ ${known.join(', ')} }), got ${describe(value)}`);
  }
  for (const [k, v] of Object.entries(value)) {
    if (v === undefined || known.includes(k)) continue;
    const near = suggestion(k, known);
    throw new WasmgradError('UNKNOWN_OPTION',
      `${op}: unknown option ${JSON.stringify(k)}${near ? ` (did you mean ${JSON.stringify(near)}?)` : ''}; ${owner} takes ${known.join(', ') || 'no options'}`);
  }
  return value;
}

/** `value` if it is a boolean, false when undefined; else INVALID_ARGUMENT (a 'false' string would otherwise count as true). */
export function booleanOption(op: string, name: string, value: unknown): boolean {
  if (value !== undefined && typeof value !== 'boolean') throw invalid(`${op}: ${name} must be true or false, got ${describe(value)}`);
  return value === true;
}

/** A finite number passing `ok` (described by `what`), else INVALID_ARGUMENT quoting the value as given. */
export function numberOption(op: string, name: string, value: unknown, what: string, ok: (v: number) => boolean = () => true): number {
  if (!(typeof value === 'number' && Number.isFinite(value) && ok(value))) throw invalid(`${op}: ${name} must be ${what}, got ${describe(value)}`);
  return value;
}
