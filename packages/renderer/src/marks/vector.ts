/**
 * A vector as a column of value cells. Cells of one colour are one <path> of vertical strokes
 * (stroke width = column width), so a 128-cell column costs a few hundred bytes, not 128 rects.
 */
import { STEPS, stepColor, type ValueScale } from '../scale.js';
import { attrs, marksAt, n, type AttrValue, type Block, type Mark } from '../svg.js';
import { FAINT, INK, MUTED, SIZE } from '../theme.js';
import { label } from '../text.js';

export interface ColumnOptions {
  readonly scale: ValueScale;
  readonly cellWidth: number;
  /** Total height of the column; cells are height / count tall. */
  readonly height: number;
  /** How many leading components to draw (the rest are elided). */
  readonly count: number;
  readonly id?: string;
  readonly data?: Readonly<Record<string, AttrValue>>;
  readonly outline?: string;
  /** Draw every `stride`-th component instead of the first `count` (for sampled long vectors). */
  readonly stride?: number;
}

export function vectorColumn(values: ArrayLike<number>, o: ColumnOptions): Block {
  const stride = o.stride ?? 1;
  const count = Math.max(1, Math.min(o.count, Math.ceil(values.length / stride)));
  const h = o.height / count;
  const byStep = new Map<number, string[]>();
  let runStart = 0;
  let runStep = o.scale.step(values[0] ?? 0);
  const flush = (end: number) => {
    let list = byStep.get(runStep);
    if (!list) byStep.set(runStep, (list = []));
    list.push(`M${n(o.cellWidth / 2)} ${n(runStart * h)}v${n((end - runStart) * h)}`);
  };
  for (let i = 1; i < count; i++) {
    const s = o.scale.step(values[i * stride] ?? 0);
    if (s !== runStep) {
      flush(i);
      runStart = i;
      runStep = s;
    }
  }
  flush(count);
  let paths = '';
  for (let s = -STEPS; s <= STEPS; s++) {
    const list = byStep.get(s);
    if (list) paths += `<path stroke="${stepColor(s)}" d="${list.join('')}"/>`;
  }
  const outline = `<rect${attrs({ width: o.cellWidth, height: o.height, fill: 'none', stroke: o.outline ?? '#6e7781', 'stroke-width': 0.6 })}/>`;
  return {
    svg: `<g${attrs({ id: o.id, class: 'vec', 'stroke-width': o.cellWidth, ...o.data })}>${paths}${outline}</g>`,
    width: o.cellWidth,
    height: o.height,
    ...(o.id ? { marks: [{ kind: 'id', key: o.id, x: 0, y: 0, width: o.cellWidth, height: o.height }] } : {}),
  };
}

export interface ColumnsOptions extends Omit<ColumnOptions, 'id' | 'data'> {
  readonly gap: number;
  readonly ids?: (i: number) => string | undefined;
  readonly data?: (i: number) => Readonly<Record<string, AttrValue>>;
  /** Labels under each column (e.g. token strings), drawn rotated when they do not fit. */
  readonly labels?: readonly string[];
  /** Small numbers under each column (e.g. σ). */
  readonly under?: readonly string[];
  readonly caption?: string;
  readonly title?: string;
  /** Column indices after which positions are elided: a wider gap with an ellipsis is drawn there. */
  readonly breaks?: readonly number[];
}

/**
 * Labels centred under columns at `centres`, starting at `y`: level when they fit their column's
 * pitch, else rotated. A rotated label needs about 1.25 font sizes of pitch; where the columns are
 * closer, the font shrinks to `SIZE.min` and then only every k-th label is drawn (always the last),
 * so labels never overlap.
 */
function labelRow(texts: readonly string[], centres: readonly number[], y: number, fill: string, maxRotated: number): Block {
  let pitch = Infinity;
  for (let i = 1; i < centres.length; i++) pitch = Math.min(pitch, centres[i]! - centres[i - 1]!);
  const level = texts.every((s) => label(s, 0, 0, { size: SIZE.tiny }).width <= pitch - 2);
  const size = level ? SIZE.tiny : Math.max(SIZE.min, Math.min(SIZE.tiny, pitch / 1.25));
  const every = level ? 1 : Math.max(1, Math.ceil((size * 1.25) / pitch));
  let svg = '';
  let longest = 0;
  const last = texts.length - 1;
  texts.forEach((s, i) => {
    if (i !== last && (i % every !== 0 || (i > 0 && last - i < every))) return;
    const cx = centres[i]!;
    const l = level ? label(s, cx, y + size * 1.2, { size, anchor: 'middle', fill }) : label(s, 0, 0, { size, anchor: 'end', fill, extra: { transform: `translate(${n(cx + size * 0.35)},${n(y + 4)}) rotate(-90)` } });
    longest = Math.max(longest, l.width);
    svg += l.svg;
  });
  return { svg, width: 0, height: level ? size * 1.6 : Math.min(longest, maxRotated) + 10 };
}

/** A row of vector columns, one per position, with optional title, labels and caption. */
export function columns(vectors: readonly (ArrayLike<number> | undefined)[], o: ColumnsOptions): Block {
  const parts: string[] = [];
  const marks: Mark[] = [];
  let y = 0;
  const breaks = new Set(o.breaks ?? []);
  const gapWidth = Math.max(2 * o.cellWidth + o.gap, SIZE.small * 1.6);
  const xs: number[] = [];
  for (let i = 0, x = 0; i < vectors.length; i++) {
    xs.push(x);
    x += o.cellWidth + o.gap + (breaks.has(i) ? gapWidth : 0);
  }
  const width = vectors.length ? xs[xs.length - 1]! + o.cellWidth : 0;
  let fullWidth = width;
  if (o.title) {
    const t = label(o.title, 0, SIZE.small * 0.8, { size: SIZE.small, weight: 600, fill: INK });
    parts.push(t.svg);
    fullWidth = Math.max(fullWidth, t.width);
    y += SIZE.small * 1.3;
  }
  const top = y;
  for (const i of breaks) {
    const cx = xs[i]! + o.cellWidth + o.gap / 2 + gapWidth / 2;
    parts.push(label('…', cx, top + o.height / 2, { size: SIZE.small, anchor: 'middle', fill: MUTED, extra: { class: 'elided-gap' } }).svg);
  }
  vectors.forEach((v, i) => {
    const x = xs[i]!;
    if (!v) {
      parts.push(`<rect${attrs({ x, y: top, width: o.cellWidth, height: o.height, fill: '#f3f4f6', stroke: FAINT, 'stroke-width': 0.6, 'stroke-dasharray': '2 2' })}/>`);
      return;
    }
    const { data, ids, ...rest } = o;
    const col = vectorColumn(v, { ...rest, ...(ids?.(i) ? { id: ids(i)! } : {}), ...(data ? { data: data(i) } : {}) });
    parts.push(`<g transform="translate(${n(x)},${n(top)})">${col.svg}</g>`);
    marks.push(...marksAt(col, x, top));
  });
  y += o.height;
  if (o.under) {
    const row = labelRow(o.under, xs.map((x) => x + o.cellWidth / 2), y, MUTED, Infinity);
    parts.push(row.svg);
    y += row.height;
  }
  if (o.labels) {
    const row = labelRow(o.labels, xs.map((x) => x + o.cellWidth / 2), y, INK, 90);
    parts.push(row.svg);
    y += row.height;
  }
  if (o.caption) {
    const c = label(o.caption, 0, y + SIZE.caption, { size: SIZE.caption, fill: MUTED });
    parts.push(c.svg);
    fullWidth = Math.max(fullWidth, c.width);
    y += SIZE.caption * 1.5;
  }
  return { svg: parts.join(''), width: fullWidth, height: y, marks };
}

/** Short display of a token for labels: visible spaces, at most `max` characters. */
export function shortToken(display: string, max = 10): string {
  const chars = [...display];
  return chars.length <= max ? display : `${chars.slice(0, max - 1).join('')}…`;
}
