/**
 * A heatmap of a token × token matrix: one cell per (row, column) pair, coloured by a diverging
 * value scale and, where the cells are big enough, with the value printed. Long axes pass the
 * indices they draw with `null` where positions are elided; the gap is drawn as a labelled band.
 */
import { measure } from '../fonts.js';
import type { ValueScale } from '../scale.js';
import { attrs, marked, n, type Block } from '../svg.js';
import { INK, MUTED, SIZE } from '../theme.js';
import { capCentre, label } from '../text.js';
import { shortToken } from './vector.js';

export interface HeatmapOptions {
  /** Drawn row and column indices, in order; `null` is an elided run. */
  readonly rows: readonly (number | null)[];
  readonly cols: readonly (number | null)[];
  readonly value: (row: number, col: number) => number;
  readonly scale: ValueScale;
  readonly cell: number;
  readonly rowLabels: readonly string[];
  readonly colLabels: readonly string[];
  readonly format: (value: number) => string;
  /** Cells drawn faintly (e.g. pairs causal attention never scores). */
  readonly faded?: (row: number, col: number) => boolean;
  /** data-cell="row,col" on each printed value, under this name (e.g. data-qk). */
  readonly dataName: string;
  readonly id?: string;
}

/** The smallest cell whose printed value is at least `SIZE.min`; below it the cells carry colour only. */
const NUMBER_CELL = SIZE.min / 0.3;

export function heatmap(o: HeatmapOptions): Block {
  const cw = o.cell;
  const gapW = cw * 0.6;
  const labelSize = Math.min(SIZE.caption, Math.max(SIZE.min, cw * 0.5));
  const numberSize = Math.min(SIZE.caption, cw * 0.3);
  const numbers = cw >= NUMBER_CELL;
  const rowText = o.rows.map((r) => (r === null ? '…' : shortToken(o.rowLabels[r]!, 9)));
  const colText = o.cols.map((c) => (c === null ? '…' : shortToken(o.colLabels[c]!, 9)));
  const left = Math.max(...rowText.map((s) => measure(s, labelSize))) + 8;
  const longest = Math.max(...colText.map((s) => measure(s, labelSize)));
  const top = longest + 8;
  const offsets = (axis: readonly (number | null)[], start: number) => {
    const at: number[] = [];
    let x = start;
    for (const i of axis) {
      at.push(x);
      x += i === null ? gapW : cw;
    }
    return { at, end: x };
  };
  const xs = offsets(o.cols, left);
  const ys = offsets(o.rows, top);
  let svg = '';
  const texts: string[] = [];
  o.rows.forEach((r, ri) => {
    const y = ys.at[ri]!;
    texts.push(label(rowText[ri]!, left - 6, y + (r === null ? gapW : cw) / 2 + capCentre(labelSize), { size: labelSize, anchor: 'end', fill: r === null ? MUTED : INK }).svg);
    if (r === null) return;
    o.cols.forEach((c, ci) => {
      if (c === null) return;
      const v = o.value(r, c);
      const x = xs.at[ci]!;
      const faded = o.faded?.(r, c) ?? false;
      svg += `<rect${attrs({ x, y, width: cw, height: cw, fill: o.scale.color(v), stroke: '#ffffff', 'stroke-width': 0.6, opacity: faded ? 0.3 : undefined })}/>`;
      if (numbers) {
        const dark = !faded && Math.abs(o.scale.step(v)) >= 5;
        texts.push(`<text${attrs({ x: x + cw / 2, y: y + cw / 2 + capCentre(numberSize), 'font-size': numberSize, 'text-anchor': 'middle', fill: dark ? '#fff' : faded ? MUTED : INK, [`data-${o.dataName}`]: `${r},${c}`, 'data-value': v })}>${o.format(v)}</text>`);
      }
    });
  });
  o.cols.forEach((c, ci) => {
    const cx = xs.at[ci]! + (c === null ? gapW : cw) / 2;
    texts.push(label(colText[ci]!, 0, 0, { size: labelSize, fill: c === null ? MUTED : INK, extra: { transform: `translate(${n(cx + labelSize * 0.35)},${n(top - 6)}) rotate(-90)` } }).svg);
  });
  const block: Block = { svg: `<g${attrs({ id: o.id, class: 'heatmap' })}>${svg}${texts.join('')}</g>`, width: xs.end, height: ys.end };
  return o.id ? marked(block, 'id', o.id) : block;
}
