/** Small charts: the GELU curve with real pre-activations, histograms, bars, line charts and the colour bar. */
import { bin, extent } from 'd3-array';
import { scaleLinear } from 'd3-scale';
import type { TexRegistry } from '../math.js';
import { STEPS, stepColor, fmtDomain, type ValueScale } from '../scale.js';
import { attrs, n, type Block } from '../svg.js';
import { CATEGORY, FAINT, INK, MUTED, RULE, SIZE } from '../theme.js';
import { label } from '../text.js';
import { formula } from './glyphs.js';

/** GPT-2's GELU, tanh approximation (gelu_new). */
export function gelu(x: number): number {
  return 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3)));
}

/** The GELU curve over the range the real pre-activations use, with those values as dots. */
export function geluPlot(values: ArrayLike<number>, size: number, tex: TexRegistry): Block {
  const abs = Array.from(values, Math.abs).sort((a, b) => a - b);
  const lim = Math.min(6, Math.max(1, Math.ceil(abs[Math.floor(abs.length * 0.99)] ?? 4)));
  const x = scaleLinear().domain([-lim, lim]).range([0, size]);
  const y = scaleLinear().domain([-0.2 * lim, lim]).range([size * 0.8, 0]);
  const pts: string[] = [];
  for (let i = 0; i <= 80; i++) {
    const v = -lim + (2 * lim * i) / 80;
    pts.push(`${i ? 'L' : 'M'}${n(x(v))} ${n(y(gelu(v)))}`);
  }
  const dots: string[] = [];
  for (let i = 0; i < values.length; i++) {
    const v = Math.max(-lim, Math.min(lim, values[i]!));
    dots.push(`M${n(x(v))} ${n(y(gelu(v)))}h0.01`);
  }
  const h = size * 0.8;
  const c = CATEGORY.mlp.color;
  const title = formula('\\mathrm{GELU}(x)', tex, SIZE.small as number);
  const svg =
    `<g transform="translate(0,${n(title.height + 6)})">` +
    `<rect width="${n(size)}" height="${n(h)}" fill="#fff" stroke="${RULE}"/>` +
    `<path d="M0 ${n(y(0))}h${n(size)}M${n(x(0))} 0v${n(h)}" stroke="${FAINT}" stroke-width="0.8"/>` +
    `<path d="${pts.join('')}" fill="none" stroke="${c}" stroke-width="2.2"/>` +
    `<path d="${dots.join('')}" stroke="${INK}" stroke-opacity="0.5" stroke-width="4.5" stroke-linecap="round"/>` +
    label(`−${lim}`, 0, h + SIZE.tiny * 1.2, { size: SIZE.tiny, fill: MUTED }).svg +
    label(String(lim), size, h + SIZE.tiny * 1.2, { size: SIZE.tiny, anchor: 'end', fill: MUTED }).svg +
    label('0', x(0), h + SIZE.tiny * 1.2, { size: SIZE.tiny, anchor: 'middle', fill: MUTED }).svg +
    `</g>` +
    title.svg;
  return { svg, width: size, height: title.height + 6 + h + SIZE.tiny * 1.6 };
}

/** A histogram of many values (e.g. all n_vocab logits), with marked values. */
export function histogram(values: ArrayLike<number>, width: number, height: number, marks: readonly { value: number; text: string }[] = []): Block {
  const arr = Array.from(values).filter(Number.isFinite);
  const [lo = 0, hi = 1] = extent(arr) as [number, number];
  const x = scaleLinear().domain([lo, hi]).range([0, width]).nice();
  const bins = bin().domain(x.domain() as [number, number]).thresholds(60)(arr);
  const maxCount = Math.max(1, ...bins.map((b) => b.length));
  const y = scaleLinear().domain([0, Math.log1p(maxCount)]).range([height, 0]);
  const bars = bins
    .filter((b) => b.length > 0)
    .map((b) => `M${n(x(b.x0!))} ${n(height)}V${n(y(Math.log1p(b.length)))}H${n(x(b.x1!) - 0.5)}V${n(height)}z`)
    .join('');
  let svg = `<path d="${bars}" fill="${CATEGORY.parameter.tint}" stroke="${CATEGORY.parameter.color}" stroke-width="0.6"/>`;
  svg += `<path d="M0 ${n(height)}h${n(width)}" stroke="${INK}"/>`;
  for (const t of x.ticks(6)) svg += label(fmtDomain(t), x(t), height + SIZE.tiny * 1.3, { size: SIZE.tiny, anchor: 'middle', fill: MUTED }).svg;
  for (const m of marks) svg += `<path d="M${n(x(m.value))} ${n(height)}v${n(-height - 4)}" stroke="${INK}" stroke-width="1.2"/>` + label(m.text, x(m.value), -8, { size: SIZE.tiny, anchor: 'end', fill: INK }).svg;
  return { svg, width, height: height + SIZE.tiny * 1.8 };
}

/** The value colour scale as a stepped bar with its numeric domain. */
export function colorBar(scale: ValueScale, width: number, title?: string): Block {
  const cells = 2 * STEPS + 1;
  const w = width / cells;
  const h = 12;
  let svg = '';
  let y = 0;
  // The title wraps at the bar's width, so keys side by side never run into each other.
  const lines: string[] = [];
  for (const word of title?.split(' ') ?? []) {
    const last = lines.length ? `${lines[lines.length - 1]} ${word}` : word;
    if (lines.length && label(last, 0, 0, { size: SIZE.tiny }).width <= width) lines[lines.length - 1] = last;
    else lines.push(word);
  }
  for (const line of lines) {
    svg += label(line, 0, y + SIZE.tiny, { size: SIZE.tiny, fill: MUTED }).svg;
    y += SIZE.tiny * 1.3;
  }
  if (lines.length) y += SIZE.tiny * 0.2;
  for (let s = -STEPS; s <= STEPS; s++) svg += `<rect${attrs({ x: (s + STEPS) * w, y, width: w + 0.3, height: h, fill: stepColor(s) })}/>`;
  svg += `<rect${attrs({ x: 0, y, width, height: h, fill: 'none', stroke: '#6e7781', 'stroke-width': 0.6 })}/>`;
  const ty = y + h + SIZE.tiny * 1.2;
  svg += label(`−${fmtDomain(scale.max)}`, 0, ty, { size: SIZE.tiny, fill: INK }).svg;
  svg += label('0', width / 2, ty, { size: SIZE.tiny, anchor: 'middle', fill: INK }).svg;
  svg += label(`+${fmtDomain(scale.max)}`, width, ty, { size: SIZE.tiny, anchor: 'end', fill: INK }).svg;
  return { svg: `<g class="colorbar" data-domain="${n(scale.max)}">${svg}</g>`, width, height: ty + 4 };
}

/** Horizontal bars for a few labelled values (e.g. the top logits). */
export function barList(items: readonly { label: string; value: number; data?: Record<string, string | number | undefined> }[], width: number, o: { labelWidth: number; size?: number; color?: string; format?: (v: number) => string }): Block {
  const size = o.size ?? SIZE.caption;
  const rowH = size * 1.55;
  const maxV = Math.max(1e-9, ...items.map((i) => Math.abs(i.value)));
  const barW = width - o.labelWidth - 70;
  let svg = '';
  items.forEach((it, i) => {
    const y = i * rowH;
    svg += label(it.label, o.labelWidth - 8, y + rowH / 2 + size * 0.36, { size, anchor: 'end', fill: INK }).svg;
    const w = Math.max(1, (Math.abs(it.value) / maxV) * barW);
    svg += `<rect${attrs({ x: o.labelWidth, y: y + rowH * 0.18, width: w, height: rowH * 0.64, fill: o.color ?? CATEGORY.parameter.tint, stroke: CATEGORY.parameter.color, 'stroke-width': 0.8 })}/>`;
    svg += label((o.format ?? fmtDomain)(it.value), o.labelWidth + w + 6, y + rowH / 2 + size * 0.36, { size, fill: MUTED, ...(it.data ? { extra: it.data } : {}) }).svg;
  });
  return { svg, width, height: items.length * rowH };
}

/** A small multi-series line chart (e.g. ‖residual‖ per layer for each position). */
export function lineChart(series: readonly (readonly number[])[], width: number, height: number, o: { xLabels: readonly string[]; yTitle: string; highlight?: number }): Block {
  const all = series.flat();
  const y = scaleLinear().domain([0, Math.max(1e-9, ...all)]).range([height, 0]).nice();
  const len = Math.max(1, ...series.map((s) => s.length));
  const x = scaleLinear().domain([0, len - 1]).range([0, width]);
  let svg = `<rect width="${n(width)}" height="${n(height)}" fill="#fff" stroke="${RULE}"/>`;
  for (const t of y.ticks(4)) svg += `<path d="M0 ${n(y(t))}h${n(width)}" stroke="${RULE}" stroke-width="0.6"/>` + label(fmtDomain(t), -6, y(t) + 4, { size: SIZE.tiny, anchor: 'end', fill: MUTED }).svg;
  series.forEach((s, i) => {
    const d = s.map((v, j) => `${j ? 'L' : 'M'}${n(x(j))} ${n(y(v))}`).join('');
    const hi = i === o.highlight;
    svg += `<path d="${d}" fill="none" stroke="${hi ? CATEGORY.residual.color : '#9aa4ad'}" stroke-width="${hi ? 2.4 : 1}"/>`;
  });
  const step = Math.ceil(o.xLabels.length / 14);
  o.xLabels.forEach((t, j) => {
    if (j % step === 0 || j === o.xLabels.length - 1) svg += label(t, x(j), height + SIZE.tiny * 1.3, { size: SIZE.tiny, anchor: 'middle', fill: MUTED }).svg;
  });
  svg += label(o.yTitle, 0, -8, { size: SIZE.tiny, fill: MUTED }).svg;
  return { svg, width, height: height + SIZE.tiny * 1.8 };
}
