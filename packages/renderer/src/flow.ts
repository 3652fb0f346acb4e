/**
 * A small flow diagram (boxes on a grid, arrows between them) drawn with the poster's own marks:
 * Inter measured with its real metrics, the poster's colours and arrowhead. The docs use it for the
 * architecture figure; it knows nothing about traces.
 */
import { embeddedFontCss, FONT_FAMILY, measure } from './fonts.js';
import { TexRegistry } from './math.js';
import { attrs, esc, n } from './svg.js';
import { textBlock } from './text.js';
import { CATEGORY, INK, MUTED } from './theme.js';

export type FlowNodeKind = 'package' | 'data' | 'app' | 'external';

export interface FlowNode {
  readonly id: string;
  /** Bold first line, e.g. a package name. */
  readonly title: string;
  /** Smaller lines under the title, each wrapped to the box. */
  readonly lines?: readonly string[];
  /** Grid cell: columns run left to right, rows top to bottom. */
  readonly column: number;
  readonly row: number;
  /** package (solid), data (dashed, a contract between packages), app (thick), external (dotted). */
  readonly kind?: FlowNodeKind;
}

export interface FlowEdge {
  readonly from: string;
  readonly to: string;
  /** A short label on the arrow, e.g. the type that travels along it. */
  readonly label?: string;
}

export interface FlowDiagram {
  readonly nodes: readonly FlowNode[];
  readonly edges: readonly FlowEdge[];
  /** Accessible title of the SVG. */
  readonly title?: string;
  /** Width of every box (default 240). */
  readonly nodeWidth?: number;
  /** Horizontal room between columns, where arrows and their labels run (default 130). */
  readonly columnGap?: number;
}

const KIND: Record<FlowNodeKind, { color: string; tint: string; dash?: string; stroke: number }> = {
  package: { color: CATEGORY.attention.color, tint: CATEGORY.attention.tint, stroke: 1.6 },
  data: { color: CATEGORY.parameter.color, tint: CATEGORY.parameter.tint, dash: '7 4', stroke: 1.6 },
  app: { color: CATEGORY.mlp.color, tint: CATEGORY.mlp.tint, stroke: 2.8 },
  external: { color: CATEGORY.residual.color, tint: '#ffffff', dash: '2 3', stroke: 1.6 },
};

const PAD = 14;
const TITLE = 17;
const LINE = 13;
const EDGE_LABEL = 12.5;
const MARGIN = 24;
const ROW_GAP = 44;

interface Box {
  readonly node: FlowNode;
  readonly svg: string;
  height: number;
  x: number;
  y: number;
}

/** Draws the diagram as a standalone SVG string (with Inter embedded: latin, regular and bold). */
export function renderFlowDiagram(diagram: FlowDiagram): string {
  const width = diagram.nodeWidth ?? 240;
  const gap = diagram.columnGap ?? 130;
  const tex = new TexRegistry();
  const boxes = new Map<string, Box>();
  for (const node of diagram.nodes) {
    if (boxes.has(node.id)) throw new Error(`two nodes have the id ${JSON.stringify(node.id)}`);
    const title = textBlock(node.title, width - 2 * PAD, { size: TITLE, weight: 700, color: INK }, tex);
    let y = PAD + title.height;
    let body = `<g transform="translate(${PAD},${PAD})">${title.svg}</g>`;
    for (const line of node.lines ?? []) {
      const block = textBlock(line, width - 2 * PAD, { size: LINE, color: MUTED, leading: 1.3 }, tex);
      body += `<g transform="translate(${PAD},${n(y + 4)})">${block.svg}</g>`;
      y += 4 + block.height;
    }
    boxes.set(node.id, { node, svg: body, height: y + PAD, x: 0, y: 0 });
  }
  // Grid: every box as tall as the tallest in its row.
  const rows = Math.max(0, ...diagram.nodes.map((d) => d.row)) + 1;
  const columns = Math.max(0, ...diagram.nodes.map((d) => d.column)) + 1;
  const rowHeight = Array.from({ length: rows }, (_, r) => Math.max(0, ...[...boxes.values()].filter((b) => b.node.row === r).map((b) => b.height)));
  const rowTop: number[] = [];
  let top = MARGIN;
  for (const h of rowHeight) {
    rowTop.push(top);
    top += h + ROW_GAP;
  }
  for (const b of boxes.values()) {
    b.x = MARGIN + b.node.column * (width + gap);
    b.y = rowTop[b.node.row]!;
    b.height = rowHeight[b.node.row]!;
  }
  const totalWidth = 2 * MARGIN + columns * width + (columns - 1) * gap;
  const totalHeight = top - ROW_GAP + MARGIN;

  // Ports: a box's outgoing arrows leave its right side, incoming arrive on its left, spread evenly.
  const get = (id: string) => {
    const b = boxes.get(id);
    if (!b) throw new Error(`an edge names the unknown node ${JSON.stringify(id)}`);
    return b;
  };
  const sideways = diagram.edges.filter((e) => get(e.to).node.column > get(e.from).node.column);
  const portY = (box: Box, list: readonly FlowEdge[], edge: FlowEdge, end: 'from' | 'to') => {
    const other = end === 'from' ? 'to' : 'from';
    const mine = list.filter((e) => e[end] === box.node.id).sort((a, b) => get(a[other]).y - get(b[other]).y || get(a[other]).x - get(b[other]).x);
    return box.y + (box.height * (mine.indexOf(edge) + 1)) / (mine.length + 1);
  };
  // Each source gets its own vertical lane in the gap before the target, so arrows from different
  // boxes never share a segment (arrows from one box fork from one lane).
  const laneX = (edge: FlowEdge) => {
    const b = get(edge.to);
    const sources = [...new Set(sideways.filter((e) => get(e.to).node.column === b.node.column).map((e) => e.from))].sort((p, q) => get(p).y - get(q).y || get(p).x - get(q).x);
    const gapLeft = b.x - gap;
    return gapLeft + (gap * (sources.indexOf(edge.from) + 1)) / (sources.length + 1);
  };
  const edgeLabel = (text: string | undefined, x: number, y: number, anchor: 'start' | 'middle' | 'end') => {
    if (!text) return '';
    const w = measure(text, EDGE_LABEL);
    const left = anchor === 'start' ? x : anchor === 'middle' ? x - w / 2 : x - w;
    return `<rect${attrs({ x: left - 3, y: y - EDGE_LABEL, width: w + 6, height: EDGE_LABEL * 1.35, rx: 3, fill: '#ffffff', 'fill-opacity': 0.9 })}/><text${attrs({ x, y, 'font-size': EDGE_LABEL, 'text-anchor': anchor === 'start' ? undefined : anchor, fill: INK })}>${esc(text)}</text>`;
  };
  let arrows = '';
  let labels = '';
  for (const edge of diagram.edges) {
    const a = get(edge.from);
    const b = get(edge.to);
    let d: string;
    if (b.node.column > a.node.column) {
      const x1 = a.x + width;
      const y1 = portY(a, sideways, edge, 'from');
      const x2 = b.x - 2;
      const y2 = portY(b, sideways, edge, 'to');
      const mid = laneX(edge);
      d = Math.abs(y1 - y2) < 0.5 ? `M${n(x1)} ${n(y1)}H${n(x2)}` : `M${n(x1)} ${n(y1)}H${n(mid)}V${n(y2)}H${n(x2)}`;
      labels += edgeLabel(edge.label, b.x - 10, y2 - 6, 'end');
    } else if (b.node.column === a.node.column) {
      const down = b.y > a.y;
      const x = a.x + width / 2;
      const y1 = down ? a.y + a.height : a.y;
      const y2 = down ? b.y - 2 : b.y + b.height + 2;
      d = `M${n(x)} ${n(y1)}V${n(y2)}`;
      labels += edgeLabel(edge.label, x + 8, (y1 + y2) / 2 + EDGE_LABEL / 3, 'start');
    } else {
      // Backwards: from the source's left side to the target's right side.
      const y1 = a.y + a.height / 2;
      const y2 = b.y + b.height / 2;
      d = `M${n(a.x)} ${n(y1)}L${n(b.x + width + 2)} ${n(y2)}`;
      labels += edgeLabel(edge.label, (a.x + b.x + width) / 2, (y1 + y2) / 2 - 6, 'middle');
    }
    arrows += `<path${attrs({ d, fill: 'none', stroke: INK, 'stroke-width': 1.5, 'marker-end': 'url(#flow-arrow)', 'data-from': edge.from, 'data-to': edge.to })}/>`;
  }
  let nodes = '';
  for (const b of boxes.values()) {
    const k = KIND[b.node.kind ?? 'package'];
    nodes +=
      `<g${attrs({ id: `node-${b.node.id}`, class: `flow-node ${b.node.kind ?? 'package'}`, transform: `translate(${n(b.x)},${n(b.y)})` })}>` +
      `<rect${attrs({ width, height: b.height, rx: b.node.kind === 'data' ? 2 : 10, fill: k.tint, stroke: k.color, 'stroke-width': k.stroke, 'stroke-dasharray': k.dash })}/>${b.svg}</g>`;
  }
  const title = diagram.title ?? 'Flow diagram';
  const css = embeddedFontCss({ subsets: ['latin'], faces: [{ weight: 400, italic: false }, { weight: 700, italic: false }] });
  return (
    `<svg${attrs({ xmlns: 'http://www.w3.org/2000/svg', width: totalWidth, height: totalHeight, viewBox: `0 0 ${n(totalWidth)} ${n(totalHeight)}`, role: 'img', 'aria-label': title, 'font-family': FONT_FAMILY, fill: INK })}>` +
    `<title>${esc(title)}</title>` +
    `<defs><style>${css}</style><marker id="flow-arrow" viewBox="0 0 10 10" refX="8" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0 0L10 5L0 10z" fill="${INK}"/></marker></defs>` +
    `<rect width="${n(totalWidth)}" height="${n(totalHeight)}" fill="#ffffff"/>` +
    arrows +
    nodes +
    labels +
    `</svg>`
  );
}
