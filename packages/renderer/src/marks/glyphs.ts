/** Matrix glyphs, operation boxes, the + of a residual write, and arrows. */
import { format } from 'd3-format';
import type { TexRegistry } from '../math.js';
import { texBox } from '../math.js';
import type { ValueScale } from '../scale.js';
import { attrs, marked, n, type AttrValue, type Block } from '../svg.js';
import { CATEGORY, INK, MUTED, SIZE } from '../theme.js';
import { capCentre, label } from '../text.js';
import { measure } from '../fonts.js';

export const fmtInt = format(',');

export interface MatrixOptions {
  /** TeX name, e.g. "W_E". */
  readonly name: string;
  readonly rows: number;
  readonly cols: number;
  /** TeX of the symbolic dimensions, e.g. "n_\\text{vocab} \\times d_\\text{model}". */
  readonly dimsTex: string;
  /** Drawn size of the glyph's rectangle. */
  readonly width: number;
  readonly height: number;
  /** Rows to highlight (fractions 0..1 of the height) with a label each. */
  readonly marks?: readonly { at: number; label: string; data?: Readonly<Record<string, AttrValue>> }[];
  /** Draw a torn edge: the real matrix is far taller than drawn. */
  readonly elided?: boolean;
  readonly id?: string;
  readonly note?: string;
}

/** A weight matrix: a tinted rectangle with a faint grid, its name inside and both dimensions (symbolic and numeric) beside it. */
export function matrixGlyph(o: MatrixOptions, tex: TexRegistry): Block {
  const c = CATEGORY.parameter;
  const parts: string[] = [];
  const { width: w, height: h } = o;
  parts.push(`<rect${attrs({ width: w, height: h, fill: c.tint, stroke: c.color, 'stroke-width': 1.6 })}/>`);
  // Hatching makes parameters recognisable without colour.
  const hatch: string[] = [];
  for (let d = 12; d < w + h; d += 12) {
    const x1 = Math.max(0, d - h);
    const y1 = Math.min(h, d);
    const x2 = Math.min(w, d);
    const y2 = Math.max(0, d - w);
    hatch.push(`M${n(x1)} ${n(y1)}L${n(x2)} ${n(y2)}`);
  }
  parts.push(`<path d="${hatch.join('')}" stroke="${c.color}" stroke-opacity="0.18" stroke-width="1"/>`);
  if (o.elided) {
    const y = h * 0.62;
    parts.push(`<path d="M-2 ${n(y)}l${n(w / 4)} -6l${n(w / 4)} 6l${n(w / 4)} -6l${n(w / 4 + 4)} 6v10l${n(-w / 4 - 4)} -6l${n(-w / 4)} 6l${n(-w / 4)} -6l${n(-w / 4)} 6z" fill="#fff" stroke="none"/>`);
  }
  for (const m of o.marks ?? []) {
    const y = Math.max(1, Math.min(h - 1, m.at * h));
    parts.push(`<line${attrs({ x1: 0, x2: w, y1: y, y2: y, stroke: INK, 'stroke-width': 1.4 })}/>`);
  }
  const size = Math.min(SIZE.short, w * 0.4, h * 0.3);
  const nameBox = texBox(o.name, size);
  parts.push(`<rect${attrs({ x: w / 2 - nameBox.width / 2 - 3, y: h / 2 - nameBox.ascent - 2, width: nameBox.width + 6, height: nameBox.ascent + nameBox.descent + 4, fill: c.tint, rx: 3 })}/>`);
  parts.push(tex.use(o.name, size, w / 2 - nameBox.width / 2, h / 2 + capCentre(size) * 0.6, { fill: INK }));
  // Dimensions below.
  const dimSize = SIZE.caption;
  const dims = texBox(o.dimsTex, dimSize);
  let y = h + 6 + dims.ascent;
  parts.push(tex.use(o.dimsTex, dimSize, 0, y, { fill: INK }));
  y += dims.descent + 4;
  const numeric = `${fmtInt(o.rows)} × ${fmtInt(o.cols)}`;
  parts.push(label(numeric, 0, y + dimSize, { size: dimSize, fill: MUTED }).svg);
  let width = Math.max(w, dims.width, measure(numeric, dimSize));
  y += dimSize * 1.4;
  if (o.note) {
    parts.push(label(o.note, 0, y + dimSize, { size: dimSize, fill: MUTED }).svg);
    width = Math.max(width, measure(o.note, dimSize));
    y += dimSize * 1.4;
  }
  const block: Block = { svg: `<g${attrs({ id: o.id, class: 'matrix' })}>${parts.join('')}</g>`, width, height: y };
  return o.id ? marked(block, 'id', o.id) : block;
}

/** A rounded operation box with a TeX or plain label. */
export function opBox(content: { tex?: string; text?: string }, tex: TexRegistry, o: { size?: number; minWidth?: number; id?: string; data?: Readonly<Record<string, AttrValue>> } = {}): Block {
  const size = o.size ?? SIZE.small;
  const padX = 12;
  const padY = 8;
  let inner: string;
  let w: number;
  let asc = size * 0.75;
  let desc = size * 0.25;
  if (content.tex) {
    const b = texBox(content.tex, size);
    w = b.width;
    asc = Math.max(asc, b.ascent);
    desc = Math.max(desc, b.descent);
  } else w = measure(content.text ?? '', size, { weight: 600 });
  const width = Math.max(o.minWidth ?? 0, w + 2 * padX);
  const height = asc + desc + 2 * padY;
  const x = (width - w) / 2;
  const baseline = padY + asc;
  if (content.tex) inner = tex.use(content.tex, size, x, baseline, { fill: INK });
  else inner = label(content.text ?? '', width / 2, baseline, { size, weight: 600, anchor: 'middle', fill: INK }).svg;
  const c = CATEGORY.operation;
  return {
    svg: `<g${attrs({ id: o.id, class: 'op', ...o.data })}><rect${attrs({ width, height, rx: 8, fill: c.tint, stroke: c.color, 'stroke-width': 1.5 })}/>${inner}</g>`,
    width,
    height,
  };
}

/** The ⊕ of a write into the residual stream. */
export function plusCircle(r = 11, data?: Readonly<Record<string, AttrValue>>): Block {
  return {
    svg: `<g${attrs({ class: 'add', ...data })}><circle${attrs({ cx: r, cy: r, r, fill: '#fff', stroke: INK, 'stroke-width': 1.6 })}/><path d="M${n(r * 0.45)} ${n(r)}h${n(r * 1.1)}M${n(r)} ${n(r * 0.45)}v${n(r * 1.1)}" stroke="${INK}" stroke-width="2"/></g>`,
    width: 2 * r,
    height: 2 * r,
  };
}

/** A horizontal arrow block of the given length, vertically centred in `height`. */
export function arrowRight(length: number, height = 20, textAbove?: string): Block {
  const y = height / 2;
  let svg = `<path d="M0 ${n(y)}h${n(length - 2)}" stroke="${INK}" stroke-width="1.6" marker-end="url(#arrow)"/>`;
  if (textAbove) svg += label(textAbove, length / 2, y - 6, { size: SIZE.tiny, anchor: 'middle', fill: MUTED }).svg;
  return { svg, width: length, height };
}

export function arrowDown(length: number, width = 20): Block {
  return { svg: `<path d="M${n(width / 2)} 0v${n(length - 2)}" stroke="${INK}" stroke-width="1.6" marker-end="url(#arrow)"/>`, width, height: length };
}

/** A plain symbol (=, +, ×) at a given size, vertically centred in `height`. */
export function symbol(text: string, height: number, size = SIZE.stageTitle): Block {
  const w = measure(text, size, { weight: 400 });
  return { svg: label(text, w / 2 + 4, height / 2 + capCentre(size), { size, anchor: 'middle', fill: INK }).svg, width: w + 8, height };
}

/** A TeX formula as a block (baseline placed so the whole formula fits). */
export function formula(t: string, tex: TexRegistry, size: number = SIZE.body, fill = INK): Block {
  const b = texBox(t, size);
  return { svg: tex.use(t, size, 0, b.ascent, { fill }), width: b.width, height: b.ascent + b.descent };
}

/** Values as a horizontal strip of `width` × `height`, one cell per value, in runs of one colour. */
function valueStrip(values: ArrayLike<number>, scale: ValueScale, width: number, height: number): string {
  const w = width / Math.max(1, values.length);
  const runs = new Map<string, string[]>();
  for (let i = 0; i < values.length; i++) {
    const fill = Number.isFinite(values[i]!) ? scale.color(values[i]!) : '#f3f4f6';
    let list = runs.get(fill);
    if (!list) runs.set(fill, (list = []));
    list.push(`M${n(i * w)} 0h${n(w + 0.2)}v${n(height)}h${n(-w - 0.2)}z`);
  }
  return [...runs].map(([fill, d]) => `<path fill="${fill}" d="${d.join('')}"/>`).join('');
}

/** A learned vector parameter (γ, β, biases): a thin bar with its name, its cells coloured by value when they are known. */
export function paramBar(name: string, length: number, tex: TexRegistry, horizontal = true, known?: { values: ArrayLike<number>; scale: ValueScale; id: string }): Block {
  const c = CATEGORY.parameter;
  const size = SIZE.small;
  const b = texBox(name, size);
  const cells = known && horizontal ? valueStrip(known.values, known.scale, length, 10) : '';
  const bar = horizontal
    ? (cells ? `<g${attrs({ id: known!.id, class: 'param-values', transform: `translate(${n(b.width + 6)},0)` })}>${cells}</g>` : '') +
      `<rect${attrs({ x: b.width + 6, y: 0, width: length, height: 10, fill: cells ? 'none' : c.tint, stroke: c.color, 'stroke-width': 1.2 })}/>`
    : `<rect${attrs({ x: 0, y: b.ascent + b.descent + 4, width: 10, height: length, fill: c.tint, stroke: c.color, 'stroke-width': 1.2 })}/>`;
  const name_ = horizontal ? tex.use(name, size, 0, 5 + capCentre(size), { fill: INK }) : tex.use(name, size, 0, b.ascent, { fill: INK });
  return horizontal
    ? { svg: name_ + bar, width: b.width + 6 + length, height: Math.max(10, b.ascent + b.descent) }
    : { svg: name_ + bar, width: Math.max(10, b.width), height: b.ascent + b.descent + 4 + length };
}
