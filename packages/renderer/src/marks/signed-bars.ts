/**
 * Signed bars: one labelled bar per item, growing left (negative) or right (positive) from a
 * zero line, with its value printed at the bar's end. For contributions that can push either way
 * (direct logit attribution: how much each component adds to a logit). The direction carries the
 * sign, so the colour (RdBu's ends) only repeats it and the mark reads in greyscale.
 */
import { scaleLinear } from 'd3-scale';
import { fmtDomain, STEPS, stepColor } from '../scale.js';
import { attrs, n, type AttrValue, type Block } from '../svg.js';
import { INK, MUTED, SIZE } from '../theme.js';
import { capCentre, label } from '../text.js';

export interface SignedBar {
  readonly label: string;
  readonly value: number;
  readonly data?: Readonly<Record<string, AttrValue>>;
}

export interface SignedBarsOptions {
  /** Room for the labels, left of the bars. */
  readonly labelWidth: number;
  /** Bars reach ±max; default the largest |value| (pass a shared max to compare several charts). */
  readonly max?: number;
  readonly size?: number;
  readonly format?: (value: number) => string;
  /** Room kept on each side of the bars for the printed values. */
  readonly valueWidth?: number;
}

/** The symmetric domain of some signed values: a scale computed before the bars are drawn. */
export function signedMax(values: Iterable<number>): number {
  let max = 0;
  for (const v of values) if (Number.isFinite(v)) max = Math.max(max, Math.abs(v));
  return max > 0 ? max : 1;
}

export function signedBars(items: readonly SignedBar[], width: number, o: SignedBarsOptions): Block {
  const size = o.size ?? SIZE.caption;
  const rowH = size * 1.6;
  const valueWidth = o.valueWidth ?? size * 4.5;
  const max = o.max ?? signedMax(items.map((i) => i.value));
  const x = scaleLinear().domain([-max, max]).range([o.labelWidth + valueWidth, width - valueWidth]).clamp(true);
  const zero = x(0);
  const format = o.format ?? fmtDomain;
  let svg = '';
  items.forEach((it, i) => {
    const y = i * rowH;
    const mid = y + rowH / 2 + capCentre(size);
    const end = x(it.value);
    const positive = it.value >= 0;
    svg += `<g${attrs({ class: 'signed-bar', 'data-value': it.value, ...it.data })}>`;
    svg += label(it.label, o.labelWidth - 8, mid, { size, anchor: 'end', fill: INK }).svg;
    svg += `<rect${attrs({ x: Math.min(zero, end), y: y + rowH * 0.18, width: Math.max(0.5, Math.abs(end - zero)), height: rowH * 0.64, fill: stepColor(positive ? STEPS - 2 : -(STEPS - 2)), stroke: stepColor(positive ? STEPS : -STEPS), 'stroke-width': 0.8 })}/>`;
    svg += label(format(it.value), positive ? end + 5 : end - 5, mid, { size, anchor: positive ? 'start' : 'end', fill: MUTED }).svg;
    svg += `</g>`;
  });
  const height = items.length * rowH;
  svg += `<path${attrs({ d: `M${n(zero)} 0V${n(height)}`, stroke: INK, 'stroke-width': 1 })}/>`;
  return { svg: `<g class="signed-bars" data-max="${n(max)}">${svg}</g>`, width, height };
}
