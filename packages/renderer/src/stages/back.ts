/** Unembedding, decoding, legend, terminology. */
import type { Ctx } from '../context.js';
import { annotationBlock } from '../marks/callout.js';
import { arrowRight, fmtInt, formula, matrixGlyph, opBox, plusCircle } from '../marks/glyphs.js';
import { barList, colorBar, histogram } from '../marks/plots.js';
import { chipRow } from '../marks/tokens.js';
import { columns } from '../marks/vector.js';
import { fmtDomain, makeScale } from '../scale.js';
import { attrs, hstack, n, place, vstack, type Block } from '../svg.js';
import { CATEGORY, INK, INNER_WIDTH, MUTED, SIZE, type Category } from '../theme.js';
import { capCentre, label } from '../text.js';
import { caption, COLUMN_HEIGHT, drawnCount, frame, stageScale, stepGroup } from './common.js';
import { format } from 'd3-format';

const fmtProbNum = format('.3f');
const fmtLogit = format('.3f');

function lastLogits(ctx: Ctx): Float32Array | undefined {
  const t = ctx.tensor('logits');
  return t ? ctx.row('logits', t.shape[0]! - 1) : undefined;
}

function topIds(values: ArrayLike<number>, k: number): number[] {
  const ids: number[] = [];
  for (let i = 0; i < values.length; i++) {
    if (ids.length < k) {
      ids.push(i);
      ids.sort((a, b) => values[b]! - values[a]!);
    } else if (values[i]! > values[ids[k - 1]!]!) {
      ids[k - 1] = i;
      ids.sort((a, b) => values[b]! - values[a]!);
    }
  }
  return ids;
}

export function unembedStage(ctx: Ctx): Block {
  const c = ctx.config;
  const last = ctx.nTokens - 1;
  const hasOut = !!ctx.tensor('ln_final.hook_out');
  const finalName = hasOut ? 'ln_final.hook_out' : 'ln_final.hook_normalized';
  const finals = [ctx.row(finalName, last)];
  const count = drawnCount(ctx);
  const scale = stageScale(ctx, 'stage-unembed', [ctx.row(finalName, last)], count, 'final LayerNorm');
  const lnRow = columns(finals, { cellWidth: 22, gap: 0, scale, height: COLUMN_HEIGHT, count, ids: () => `vec-ln-final-p${last}`, title: hasOut ? 'final LayerNorm' : 'final LayerNorm (x − μ)/σ', labels: [ctx.trace.tokens[last]!.display], caption: `position ${last} only` });
  const wu = matrixGlyph(
    { name: c.tied_embeddings ? 'W_U = W_E^\\top' : 'W_U', rows: c.d_model, cols: c.n_vocab, dimsTex: 'd_\\text{model} \\times n_\\text{vocab}', width: 240, height: 60, elided: true, id: 'mat-W_U', note: c.tied_embeddings ? 'tied: the same numbers as W_E, no new parameters' : `${fmtInt(ctx.params.unembedding)} parameters` },
    ctx.tex,
  );
  const logits = lastLogits(ctx);
  const top = logits ? topIds(logits, 10) : [];
  const hist = logits ? histogram(logits, 440, 110, top.slice(0, 1).map((id) => ({ value: logits[id]!, text: `max: ${ctx.tokenLabel(id)}` }))) : { svg: '', width: 0, height: 0 };
  const bars = barList(
    top.map((id) => ({ label: `${ctx.tokenLabel(id)}  #${id}`, value: logits![id]!, data: { 'data-token-id': id, 'data-logit': Number(fmtLogit(logits![id]!)) } })),
    440,
    { labelWidth: 190, format: (v) => fmtLogit(v) },
  );
  const right = vstack([
    { ...label(`logits of position ${last}: ${fmtInt(c.n_vocab)} numbers, one per vocabulary entry`, 0, SIZE.small, { size: SIZE.small, weight: 600, fill: INK }), height: SIZE.small * 1.6 },
    { ...label('all logits (count, log scale)', 0, SIZE.tiny, { size: SIZE.tiny, fill: MUTED }), height: SIZE.tiny * 2.4 },
    { svg: place(hist, 0, 14), width: hist.width, height: hist.height + 14 },
    { ...label('the ten largest', 0, SIZE.tiny, { size: SIZE.tiny, fill: MUTED }), height: SIZE.tiny * 1.8 },
    bars,
  ], 6);
  const mid = vstack([formula('\\text{logit}_t = x \\cdot W_U[:, t]', ctx.tex, SIZE.small), wu], 12);
  const row = hstack([lnRow, arrowRight(40, COLUMN_HEIGHT), mid, arrowRight(40, COLUMN_HEIGHT), right], 14, 'start');
  return frame(ctx, 'stage-unembed', vstack([row, caption(ctx, `Only the last position's vector is unembedded (${fmtInt(c.d_model)} → ${fmtInt(c.n_vocab)}); logits are the dot products with every token's embedding.`, INNER_WIDTH, SIZE.small, INK)], 16), { note: 'below' });
}

export function decodingStage(ctx: Ctx): Block {
  const d = ctx.decode;
  const s = d.settings;
  const c = ctx.config;
  const stepBox = (step: number, title: string, detail: string, filter: string) => {
    const t = opBox({ text: title }, ctx.tex, { minWidth: 170 });
    const cap = caption(ctx, detail, 190, SIZE.caption, INK);
    return stepGroup(step, vstack([t, cap], 8, 'start'), { 'data-filter': filter });
  };
  const steps: Block[] = [
    stepBox(1, s.strategy === 'greedy' ? 'temperature (unused)' : `÷ temperature ${fmtDomain(s.temperature)}`, `logits divided by ${fmtDomain(s.strategy === 'greedy' ? 1 : s.temperature)}; all ${fmtInt(c.n_vocab)} kept`, 'temperature'),
    stepBox(2, s.top_k > 0 ? `top-k, k = ${s.top_k}` : 'top-k off', `${fmtInt(d.kept.top_k)} tokens kept`, 'top-k'),
    stepBox(3, 'softmax', 'exponentiate and normalise: probabilities that sum to 1', 'softmax'),
    stepBox(4, s.top_p < 1 ? `top-p, p = ${fmtDomain(s.top_p)}` : 'top-p off (p = 1)', `${fmtInt(d.kept.top_p)} tokens kept`, 'top-p'),
    stepBox(5, s.strategy === 'greedy' ? 'greedy: argmax' : 'sample', s.strategy === 'greedy' ? 'the most probable token' : `seed ${s.seed}, uniform draw u = ${d.draw === null ? '–' : fmtDomain(d.draw)}`, 'choose'),
  ];
  const pipeline = hstack(steps.flatMap((b, i) => (i ? [arrowRight(34, 40), b] : [b])), 8, 'start');
  // Candidate table.
  const size = SIZE.small;
  const rowH = size * 1.7;
  const cols = { rank: 0, token: 40, id: 260, logit: 360, bar: 460, prob: 790 };
  const barMax = 250;
  const header = [
    label('#', cols.rank, size, { size, weight: 700, fill: MUTED }).svg,
    label('token', cols.token, size, { size, weight: 700, fill: MUTED }).svg,
    label('id', cols.id, size, { size, weight: 700, fill: MUTED }).svg,
    label('logit', cols.logit, size, { size, weight: 700, fill: MUTED }).svg,
    label('probability', cols.bar, size, { size, weight: 700, fill: MUTED }).svg,
  ].join('');
  const maxP = Math.max(1e-9, ...d.candidates.map((x) => x.prob));
  // The sampled token may lie outside the listed candidates: then it gets its own row, with its rank.
  const listed: { cand: (typeof d.candidates)[number]; rank: number }[] = d.candidates.map((cand, i) => ({ cand, rank: i + 1 }));
  let gapAfter = -1;
  if (!d.candidates.some((x) => x.id === d.chosen.id)) {
    const logits = lastLogits(ctx);
    let rank = 1;
    if (logits) for (let i = 0; i < logits.length; i++) if (logits[i]! > d.chosen.logit) rank++;
    gapAfter = listed.length;
    listed.push({ cand: d.chosen, rank });
  }
  const rowsSvg = listed
    .map(({ cand, rank }, i) => {
      const y = (i + 1 + (gapAfter >= 0 && i >= gapAfter ? 1 : 0)) * rowH + 6;
      const chosen = cand.id === d.chosen.id;
      const base = y + rowH / 2 + capCentre(size);
      const barW = (cand.prob / maxP) * barMax;
      return (
        `<g${attrs({ class: 'candidate', 'data-token-id': cand.id, 'data-prob': cand.prob.toPrecision(6), 'data-logit': cand.logit.toFixed(3), 'data-rank': rank, 'data-chosen': chosen ? 'true' : undefined })}>` +
        (chosen ? `<rect${attrs({ x: -8, y, width: cols.prob + 90, height: rowH, fill: '#fff8c5', stroke: '#9a6700', 'stroke-width': 1.2, rx: 4 })}/>` : i % 2 ? `<rect${attrs({ x: -8, y, width: cols.prob + 90, height: rowH, fill: '#f6f8fa' })}/>` : '') +
        label(String(rank), cols.rank, base, { size, fill: MUTED }).svg +
        label(ctx.tokenLabel(cand.id), cols.token, base, { size, weight: chosen ? 700 : 400, fill: INK }).svg +
        label(String(cand.id), cols.id, base, { size, fill: INK, extra: { class: 'cand-id' } }).svg +
        label(fmtLogit(cand.logit), cols.logit, base, { size, fill: INK }).svg +
        `<rect${attrs({ x: cols.bar, y: y + rowH * 0.2, width: Math.max(1, barW), height: rowH * 0.6, fill: CATEGORY.attention.tint, stroke: CATEGORY.attention.color, 'stroke-width': 0.8 })}/>` +
        label(fmtProbNum(cand.prob), cols.prob, base, { size, anchor: 'end', fill: INK, extra: { class: 'prob' } }).svg +
        (chosen ? label('chosen', cols.prob + 8, base, { size, weight: 700, fill: '#9a6700' }).svg : '') +
        `</g>`
      );
    })
    .join('') + (gapAfter >= 0 ? label('…', cols.token, (gapAfter + 1) * rowH + 6 + rowH / 2 + capCentre(size), { size, fill: MUTED }).svg : '');
  const table: Block = { svg: `<g class="candidates">${header}${rowsSvg}</g>`, width: cols.prob + 90, height: (listed.length + (gapAfter >= 0 ? 2 : 1)) * rowH + 12 };
  const chosenText = ctx.tokenLabel(d.chosen.id);
  const chosenTok = opts(ctx, d.chosen.id);
  const chip = chipRow([{ id: d.chosen.id, display: chosenText, text: chosenTok, bytes: 0 }], 400, { withIds: true, size: SIZE.short, idClass: 'chosen-id' });
  // Markdown emphasis cannot start with a space, so a token's leading space stays outside the bold.
  const [, lead = '', word = ''] = /^(\s*)([\s\S]*)$/.exec(chosenTok) ?? [];
  const decoded = caption(ctx, `**Decoded text:** ${escapeMd(ctx.trace.prompt)}${lead}${word ? `**${escapeMd(word)}**` : ''}`, Math.min(520, INNER_WIDTH - table.width - 40), SIZE.body, INK);
  const result = stepGroup(6, vstack([{ ...label('next token', 0, SIZE.small, { size: SIZE.small, weight: 600, fill: INK }), height: SIZE.small * 1.5 }, chip, decoded], 10), { 'data-filter': 'result' });
  const tableBlock = vstack([{ ...label(`candidates after the filters (${Math.min(d.candidates.length, d.kept.top_p)} of ${fmtInt(d.kept.top_p)} kept shown)`, 0, SIZE.small, { size: SIZE.small, weight: 600, fill: INK }), height: SIZE.small * 1.6 }, table], 6);
  const drawing = vstack([pipeline, hstack([tableBlock, result], 40, 'start')], 26);
  return frame(ctx, 'stage-decoding', drawing, { note: 'below' });
}

function opts(ctx: Ctx, id: number): string {
  const t = ctx.opts.tokenText(id);
  return t === `#${id}` ? `⟨#${id}⟩` : t;
}

function escapeMd(text: string): string {
  return text.replace(/([\\`*_[\]$<>#|~])/g, '\\$1');
}

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

export function legendStage(ctx: Ctx): Block {
  const cats: Category[] = ['operation', 'parameter', 'tokenizer', 'residual', 'attention', 'mlp'];
  const sw = cats.map(categorySwatch);
  const colW = (INNER_WIDTH - 40) / 3;
  const grid = vstack([hstack(sw.slice(0, 3).map((b) => ({ ...b, width: colW })), 20), hstack(sw.slice(3).map((b) => ({ ...b, width: colW })), 20)], 14);
  const ramp = vstack([caption(ctx, 'Vector cells: blue negative, white near zero, red positive; 15 steps. Each stage has its own symmetric scale (printed beside it), ending at the 99th percentile of |value| there.', 360, SIZE.tiny + 1), colorBar(makeScale(1, 'value'), 360)], 6);
  const seen = new Set<string>();
  const lines: string[] = [];
  for (const s of ctx.scales) {
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
  const probs = `<g>${[0, 0.25, 0.5, 0.75, 1].map((p, i) => `<rect${attrs({ x: i * 44, y: 0, width: 44, height: 16, fill: probColorRef(p), stroke: '#9aa4ad', 'stroke-width': 0.6 })}/>${label(String(p), i * 44 + 22, 30, { size: SIZE.tiny, anchor: 'middle', fill: INK }).svg}`).join('')}</g>`;
  const probBlock = vstack([{ ...label('attention weights (probabilities), also printed in the cells', 0, SIZE.tiny, { size: SIZE.tiny, fill: MUTED }), height: SIZE.tiny * 1.6 }, { svg: probs, width: 220, height: 34 }], 4);
  const drawing = vstack([grid, hstack([vstack([ramp, probBlock], 16), domainText], 40)], 24);
  return frame(ctx, 'stage-legend', drawing, { note: 'below' });
}

import { probColor as probColorRef } from '../marks/attention.js';

export function terminologyStage(ctx: Ctx): Block {
  const note = ctx.note('stage-terminology');
  const body = annotationBlock({ ...note, short: '' }, INNER_WIDTH, ctx.tex, { columns: 3 });
  return frame(ctx, 'stage-terminology', body, { note: 'none' });
}

export { n, MUTED };
