// model.summary(): Keras' table. One row per layer: name (type), output shape, parameters, and for
// graph models the "Connected to" column (inbound layer[node][tensor], as Keras prints it). Columns
// widen to fit long names.
import type { AnyLayer } from '../layers/layer.js';
import type { Model } from './model.js';
import type { SymbolicTensor } from './symbolic.js';

const params = (l: AnyLayer): number => {
  if ('leafLayers' in l) return (l as Model).countParams();
  return (l.built?.specs ?? []).reduce((n, s) => n + s.shape.reduce((a, b) => a * b, 1), 0);
};

const shapeText = (shapes: readonly (readonly number[])[]) => shapes.map((s) => `(${['None', ...s].join(', ')})`).join(', ');

/** The summary table of a model. */
export function summary(model: Model): string {
  const g = model.graph!;
  const sequential = model.className === 'Sequential';
  // Each application (node) of a layer in this graph, numbered per layer as Keras numbers them.
  const nodesOf = new Map<AnyLayer, { inputs: readonly SymbolicTensor[]; outputs: readonly SymbolicTensor[] }[]>();
  for (const t of g.inputs) nodesOf.set(t.node.layer, [{ inputs: [], outputs: [t] }]);
  for (const n of g.nodes) (nodesOf.get(n.layer) ?? nodesOf.set(n.layer, []).get(n.layer)!).push(n);
  const nodeIndex = (t: SymbolicTensor) => nodesOf.get(t.node.layer)!.findIndex((n) => n.outputs.includes(t));
  const layers = sequential ? g.nodes.map((n) => n.layer) : g.layers;
  const rows = layers.map((l) => {
    const nodes = nodesOf.get(l) ?? [];
    const row = [`${l.name} (${l.className})`, shapeText(nodes[0]?.outputs.map((t) => t.sampleShape) ?? []), params(l).toLocaleString('en-US')];
    if (!sequential) row.push(nodes.flatMap((n) => n.inputs.map((t) => `${t.node.layer.name}[${nodeIndex(t)}][${t.index}]`)).join(', '));
    return row;
  });
  const header = ['Layer (type)', 'Output Shape', 'Param #', ...(sequential ? [] : ['Connected to'])];
  const widths = header.map((h, i) => Math.max([29, 26, 10, 20][i]!, h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join(' ').trimEnd();
  const rule = (ch: string) => ch.repeat(widths.reduce((a, b) => a + b + 1, -1));
  const total = model.countParams(), trainable = model.countTrainableParams();
  return [
    `Model: "${model.name}"`,
    rule('_'),
    line(header),
    rule('='),
    ...rows.flatMap((r, i) => (i === 0 ? [line(r)] : [rule('_'), line(r)])),
    rule('='),
    `Total params: ${total.toLocaleString('en-US')}`,
    `Trainable params: ${trainable.toLocaleString('en-US')}`,
    `Non-trainable params: ${(total - trainable).toLocaleString('en-US')}`,
    rule('_'),
  ].join('\n');
}
