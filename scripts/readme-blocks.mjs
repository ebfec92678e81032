// The README's ```ts and ```js code blocks, for test/newcomer.test.ts: a Vite plugin serves each as
// a module (/@readme/<n>.ts, TypeScript compiled by Vite as any test file) with 'wasmgrad' mapped to
// src/index.ts and the data its placeholders stand for (test/readme-fixtures.ts) around it, and
// /@readme/index.js lists them.
import { readFileSync } from 'node:fs';
import path from 'node:path';

/** The code blocks of a markdown text, each with the heading it sits under. */
export function codeBlocks(markdown) {
  const blocks = [];
  let heading = '';
  const lines = markdown.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const h = /^#{1,4} (.+)$/.exec(lines[i]);
    if (h) { heading = h[1].trim(); continue; }
    const open = /^```(ts|js|typescript|javascript)\s*$/.exec(lines[i]);
    if (!open) {
      if (/^```/.test(lines[i])) while (++i < lines.length && !/^```\s*$/.test(lines[i])); // skip other fences
      continue;
    }
    const start = i + 1;
    while (++i < lines.length && !/^```\s*$/.test(lines[i]));
    const sameHeading = blocks.filter((b) => b.heading === heading).length;
    blocks.push({ n: blocks.length, heading, key: sameHeading ? `${heading} #${sameHeading + 1}` : heading, line: start + 1, code: lines.slice(start, i).join('\n') });
  }
  return blocks;
}

/** The Vite plugin; `fixtures` maps a block's key to { prelude, epilogue, nodeOnly, module }. */
export function readmeBlocks(root, fixtures) {
  const read = () => codeBlocks(readFileSync(path.join(root, 'README.md'), 'utf8'));
  return {
    name: 'readme-blocks',
    resolveId(id) {
      return id.startsWith('/@readme/') ? id : null;
    },
    load(id) {
      if (!id.startsWith('/@readme/')) return null;
      const blocks = read();
      if (id === '/@readme/index.js') {
        return `export default ${JSON.stringify(blocks.map(({ n, key, line }) => ({ n, key, line, nodeOnly: fixtures[key]?.nodeOnly ?? false, fixture: key in fixtures })))};`;
      }
      const block = blocks[Number(/^\/@readme\/(\d+)\.ts$/.exec(id)?.[1])];
      if (!block) throw new Error(`no README block for ${id}`);
      const f = fixtures[block.key] ?? {};
      const code = block.code.replace(/from 'wasmgrad'/g, `from '${f.module ?? '/src/index.ts'}'`)
        .replace(/from 'wasmgrad\/(onnx|pytorch)'/g, (_, sub) => `from '${f.module ? f.module.replace('/index.js', `/${sub}.js`) : `/src/${sub}.ts`}'`);
      // The block keeps its own lines (line numbers in errors point into it, offset by the prelude).
      return `${f.prelude ?? ''}\n${code}\n${f.epilogue ?? ''}\nexport {};\n`;
    },
  };
}
