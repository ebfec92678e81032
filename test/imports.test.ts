// src/ has no import cycle: every runtime import (type-only imports are erased) between its files
// forms a graph without cycles, so each file can be read, tested and changed from the bottom up.
import { expect, test } from 'vitest';
import { RUNTIME } from './helpers.js';

// The source files, as text (Vite's glob import; the same in Node, Deno and Chromium).
const sources = (import.meta as unknown as { glob(p: string, o: object): Record<string, string> }).glob('../src/**/*.ts', { query: '?raw', import: 'default', eager: true });

/** The runtime imports of a file: `import ... from './x.js'` and `export ... from`, not `import type`. */
export function runtimeImports(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(/^\s*(import|export)\s+(type\s+)?([^;]*?)\s+from\s+'(\.[^']+)'/gms)) {
    if (m[2]) continue; // import type / export type
    if (/^\{[^}]*\}$/s.test(m[3]!.trim()) && m[3]!.replace(/[{}]/g, '').split(',').every((s) => s.trim() === '' || s.trim().startsWith('type '))) continue;
    out.push(m[4]!);
  }
  return out;
}

function resolve(from: string, spec: string): string {
  const parts = from.split('/').slice(0, -1);
  for (const p of spec.replace(/\.js$/, '.ts').split('/')) {
    if (p === '..') parts.pop();
    else if (p !== '.') parts.push(p);
  }
  return parts.join('/');
}

/** A cycle in the graph of files, as a list of paths, or null. */
export function findCycle(graph: Map<string, string[]>): string[] | null {
  const state = new Map<string, 1 | 2>();
  const path: string[] = [];
  const visit = (f: string): string[] | null => {
    if (state.get(f) === 2) return null;
    if (state.get(f) === 1) return [...path.slice(path.indexOf(f)), f];
    state.set(f, 1);
    path.push(f);
    for (const g of graph.get(f) ?? []) {
      const c = visit(g);
      if (c) return c;
    }
    path.pop();
    state.set(f, 2);
    return null;
  };
  for (const f of graph.keys()) {
    const c = visit(f);
    if (c) return c;
  }
  return null;
}

test(`no import cycle in src/ (${RUNTIME})`, () => {
  const graph = new Map<string, string[]>();
  for (const [file, text] of Object.entries(sources)) graph.set(file, runtimeImports(text).map((s) => resolve(file, s)));
  expect(graph.size).toBeGreaterThan(30);
  for (const [file, deps] of graph) for (const d of deps) expect(graph.has(d), `${file} imports ${d}, which is not a source file`).toBe(true);
  expect(findCycle(graph)).toBeNull();
});

test('the cycle check finds a cycle, and ignores type-only imports', () => {
  expect(findCycle(new Map([['a', ['b']], ['b', ['c']], ['c', ['a']]]))).toEqual(['a', 'b', 'c', 'a']);
  expect(runtimeImports("import type { A } from './a.js';\nimport { type B } from './b.js';\nimport { C } from './c.js';\nexport { D } from './d.js';")).toEqual(['./c.js', './d.js']);
});
