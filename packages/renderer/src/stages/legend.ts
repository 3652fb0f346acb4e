/** The legend: the category vocabulary, the value colour ramp and every stage's scale domain. */
import { probColor } from '../marks/attention.js';
import { plusCircle } from '../marks/glyphs.js';
import { colorBar } from '../marks/plots.js';
import { fmtDomain, makeScale } from '../scale.js';
import { defineStage, NO_SCALES } from '../stage.js';
import { attrs, hstack, place, vstack, type Block } from '../svg.js';
import { CATEGORY, INK, INNER_WIDTH, MUTED, SIZE, type Category } from '../theme.js';
import { capCentre, label } from '../text.js';
import { caption, frame } from './common.js';

const meta = { id: 'stage-legend', category: 'operation' } as const;

function categorySwatch(cat: Category): Block {
  const c = CATEGORY[cat];
  const w = 64;
  const h = 34;
  let shape = '';
  switch (cat) {
    case 'operation':
      shape = `<rect${attrs({ width: w, height: h, rx: 8, fill: c.tint, stroke: c.color, 'stroke-width': 1.5 })}/>${label('op', w / 2, h / 2 + capCentre(SIZE.caption), { size: SIZE.caption, weight: 600, anchor: 'middle', fill: INK }).svg}`;
      break;
    case 'parameter': {
      shape = `<rect${attrs({ width: w, height: h, fill: c.tint, stroke: c.color, 'stroke-width': 1.6 })}/><path d="M0 ${h}L${h} 0M12 ${h}L${12 + h} 0M24 ${h}L${24 + h} 0M36 ${h}L${w} ${36 + h - w}" stroke="${c.color}" stroke-opacity="0.3"/>${label('W', w / 2, h / 2 + capCentre(SIZE.caption), { size: SIZE.caption, weight: 700, anchor: 'middle', fill: INK }).svg}`;
      break;
    }
    case 'tokenizer':
      shape = `<rect${attrs({ width: w, height: h, rx: 6, fill: c.tint, stroke: c.color, 'stroke-width': 1.4 })}/>${label('Ġtok', w / 2, h / 2 + capCentre(SIZE.caption), { size: SIZE.caption, weight: 600, anchor: 'middle', fill: INK }).svg}`;
      break;
    case 'residual':
      shape = `<rect${attrs({ width: w, height: h, fill: c.tint, stroke: c.color, 'stroke-width': 1.4, 'stroke-dasharray': '6 3' })}/>${place(plusCircle(10), w / 2 - 10, h / 2 - 10)}`;
      break;
    case 'attention':
      shape = `<rect${attrs({ width: w, height: h, fill: c.tint, stroke: c.color, 'stroke-width': 1.4 })}/><path d="M${w / 2 - 12} 6v22h24z" fill="${c.color}" fill-opacity="0.5"/>`;
      break;
    case 'mlp':
      shape = `<rect${attrs({ width: w, height: h, fill: c.tint, stroke: c.color, 'stroke-width': 1.4 })}/><path d="M8 26C24 26 28 26 32 22S44 8 56 6" fill="none" stroke="${c.color}" stroke-width="2.2"/>`;
      break;
  }
  const t = label(c.label, w + 12, h / 2 + capCentre(SIZE.small), { size: SIZE.small, fill: INK });
  return { svg: shape + t.svg, width: w + 12 + t.width, height: h };
}

export const legendStage = defineStage({
  ...meta,
  title: 'Legend',
  tex: () => [],
  reads: () => [],
  prepare: () => NO_SCALES,
  draw(ctx, _prepared, scales) {
    const cats: Category[] = ['operation', 'parameter', 'tokenizer', 'residual', 'attention', 'mlp'];
    const sw = cats.map(categorySwatch);
    const colW = (INNER_WIDTH - 40) / 3;
    const grid = vstack([hstack(sw.slice(0, 3).map((b) => ({ ...b, width: colW })), 20), hstack(sw.slice(3).map((b) => ({ ...b, width: colW })), 20)], 14);
    const ramp = vstack([caption(ctx, 'Vector cells: blue negative, white near zero, red positive; 15 steps. Each stage has its own symmetric scale (printed beside it), ending at the 99th percentile of |value| there.', 360, SIZE.tiny + 1), colorBar(makeScale(1, 'value'), 360)], 6);
    const seen = new Set<string>();
    const lines: string[] = [];
    for (const s of scales) {
      const text = `${s.stage.replace('stage-', '')}: ${s.scale.label} ±${fmtDomain(s.scale.max)}`;
      if (seen.has(text)) continue;
      lines.push(text);
      seen.add(text);
    }
    const perCol = Math.ceil(lines.length / 2);
    const colWidth = (INNER_WIDTH - 420) / 2;
    const domainCols = [lines.slice(0, perCol), lines.slice(perCol)].map((ls) => ({
      svg: ls.map((t, i) => label(t, 0, (i + 1) * SIZE.caption * 1.45, { size: SIZE.caption, fill: INK }).svg).join(''),
      width: colWidth,
      height: ls.length * SIZE.caption * 1.45 + 6,
    }));
    const domainText = vstack([{ ...label('Scale domains on this poster', 0, SIZE.small, { size: SIZE.small, weight: 600, fill: INK }), height: SIZE.small * 1.3 }, hstack(domainCols, 20)], 4);
    const probs = `<g>${[0, 0.25, 0.5, 0.75, 1].map((p, i) => `<rect${attrs({ x: i * 44, y: 0, width: 44, height: 16, fill: probColor(p), stroke: '#9aa4ad', 'stroke-width': 0.6 })}/>${label(String(p), i * 44 + 22, 30, { size: SIZE.tiny, anchor: 'middle', fill: INK }).svg}`).join('')}</g>`;
    const probBlock = vstack([{ ...label('attention weights (probabilities), also printed in the cells', 0, SIZE.tiny, { size: SIZE.tiny, fill: MUTED }), height: SIZE.tiny * 1.6 }, { svg: probs, width: 220, height: 34 }], 4);
    const drawing = vstack([grid, hstack([vstack([ramp, probBlock], 16), domainText], 40)], 24);
    return frame(ctx, meta, drawing, { note: 'below' });
  },
});
