/** The causal attention triangle: only (query, key ≤ query) pairs exist, so only they are drawn. */
import { scaleLinear } from 'd3-scale';
import { measure } from '../fonts.js';
import type { ValueScale } from '../scale.js';
import { attrs, marked, marksAt, n, type Block } from '../svg.js';
import { CATEGORY, INK, MUTED, SIZE } from '../theme.js';
import { capCentre, label } from '../text.js';
import { shortToken } from './vector.js';

const ramp = scaleLinear<string>().domain([0, 1]).range(['#ffffff', '#064e5c']);
/** Probability → fill (8 steps, from white to dark teal). */
export function probColor(p: number): string {
  const step = Math.round(Math.max(0, Math.min(1, p)) * 8) / 8;
  return ramp(Math.pow(step, 0.8));
}

export function fmtProb(p: number): string {
  if (p >= 0.995) return '1';
  const s = p.toFixed(2);
  return s.startsWith('0') ? s.slice(1) : s;
}

export interface TriangleOptions {
  readonly n: number;
  /** Value at (query, key). */
  readonly value: (q: number, k: number) => number;
  readonly cell: number;
  readonly cellHeight?: number;
  /** Print numbers in the cells (probabilities). */
  readonly numbers?: boolean;
  /** Diverging scale for scores; omit for probabilities. */
  readonly scale?: ValueScale;
  readonly rowLabels?: readonly string[];
  readonly colLabels?: readonly string[];
  /** data-pattern="head,q,k" tag prefix. */
  readonly head?: number;
  readonly dataName?: string;
  readonly id?: string;
  /** The position each row/column stands for (default its index), for the data-pattern tags. */
  readonly positions?: readonly number[];
  /** Row/column indices after which positions are elided: a dashed rule marks each gap. */
  readonly breaks?: readonly number[];
}

export function triangle(o: TriangleOptions): Block {
  const cw = o.cell;
  const ch = o.cellHeight ?? o.cell;
  // A probability prints as at most three characters (“.42”), about 1.45 font sizes wide: three quarters of the cell.
  const size = Math.min(SIZE.caption, ch * 0.55, cw * 0.5);
  const labelSize = Math.max(SIZE.min, Math.min(SIZE.tiny + 1, ch * 0.75));
  // Cells too small for a number of at least `SIZE.min` carry colour only.
  const printNumbers = o.numbers === true && size >= SIZE.min - 1e-9;
  const rowLabels = (o.rowLabels ?? []).map((s) => shortToken(s, 9));
  const left = rowLabels.length ? Math.max(...rowLabels.map((s) => measure(s, labelSize))) + 8 : 0;
  const cells: string[] = [];
  const texts: string[] = [];
  const numbers: string[] = [];
  const fills = new Map<string, string[]>();
  for (let q = 0; q < o.n; q++) {
    for (let k = 0; k <= q; k++) {
      const v = o.value(q, k);
      const fill = o.scale ? o.scale.color(v) : probColor(v);
      const x = left + k * cw;
      const y = q * ch;
      let list = fills.get(fill);
      if (!list) fills.set(fill, (list = []));
      list.push(`M${n(x)} ${n(y)}h${n(cw)}v${n(ch)}h${n(-cw)}z`);
      if (printNumbers) {
        const dark = !o.scale && v > 0.55;
        numbers.push(
          `<text${attrs({ x: x + cw / 2, y: y + ch / 2 + capCentre(size), 'font-size': size, fill: dark ? '#fff' : INK, 'data-pattern': o.dataName ? `${o.head ?? 0},${o.positions?.[q] ?? q},${o.positions?.[k] ?? k}` : undefined, 'data-value': v })}>${fmtProb(v)}</text>`,
        );
      }
    }
  }
  for (const [fill, list] of fills) cells.push(`<path fill="${fill}" d="${list.join('')}"/>`);
  // Cell borders: one path for the grid of the triangle.
  const grid: string[] = [];
  for (let q = 0; q <= o.n; q++) grid.push(`M${n(left)} ${n(q * ch)}h${n(Math.min(o.n, q + 1) * cw)}`);
  for (let k = 0; k <= o.n; k++) grid.push(`M${n(left + k * cw)} ${n(Math.max(0, k - 1) * ch)}V${n(o.n * ch)}`);
  cells.push(`<path d="${grid.join('')}" fill="none" stroke="${printNumbers ? '#9aa4ad' : '#c5ccd3'}" stroke-width="${printNumbers ? 0.7 : 0.4}"/>`);
  if (o.breaks?.length) {
    const rules = o.breaks.map((i) => `M${n(left)} ${n((i + 1) * ch)}h${n((i + 1) * cw)}M${n(left + (i + 1) * cw)} ${n((i + 1) * ch)}V${n(o.n * ch)}`).join('');
    cells.push(`<path class="elided-gap" d="${rules}" fill="none" stroke="${INK}" stroke-width="${n(Math.max(1.5, Math.min(cw, ch) * 0.25))}" stroke-dasharray="4 3"/>`);
  }
  rowLabels.forEach((s, q) => texts.push(label(s, left - 6, q * ch + ch / 2 + capCentre(labelSize), { size: labelSize, anchor: 'end', fill: INK }).svg));
  let height = o.n * ch;
  const colLabels = (o.colLabels ?? []).map((s) => shortToken(s, 9));
  if (colLabels.length) {
    const longest = Math.max(...colLabels.map((s) => measure(s, labelSize)));
    const rotate = longest > cw - 2;
    colLabels.forEach((s, k) => {
      const cx = left + k * cw + cw / 2;
      if (rotate) texts.push(label(s, 0, 0, { size: labelSize, anchor: 'end', fill: INK, extra: { transform: `translate(${n(cx + labelSize * 0.35)},${n(height + 5)}) rotate(-90)` } }).svg);
      else texts.push(label(s, cx, height + labelSize * 1.2, { size: labelSize, anchor: 'middle', fill: INK }).svg);
    });
    height += rotate ? longest + 8 : labelSize * 1.6;
  }
  const textGroup = (numbers.length ? `<g text-anchor="middle">${numbers.join('')}</g>` : '') + texts.join('');
  const block: Block = { svg: `<g${attrs({ id: o.id, class: 'triangle' })}>${cells.join('')}${textGroup}</g>`, width: left + o.n * cw, height };
  return o.id ? marked(block, 'id', o.id) : block;
}

/** A tiny pattern for the head grid (no numbers). */
export function miniTriangle(nTok: number, value: (q: number, k: number) => number, size: number, title: string, id?: string, breaks?: readonly number[]): Block {
  const cell = size / nTok;
  const t = triangle({ n: nTok, value, cell, ...(id ? { id } : {}), ...(breaks ? { breaks } : {}) });
  const head = label(title, 0, SIZE.caption, { size: SIZE.caption, weight: 600, fill: CATEGORY.attention.color });
  return { svg: head.svg + `<g transform="translate(0,${n(SIZE.caption * 1.5)})">${t.svg}</g>`, width: Math.max(size, head.width), height: size + SIZE.caption * 1.5, marks: marksAt(t, 0, SIZE.caption * 1.5) };
}

export { MUTED };
