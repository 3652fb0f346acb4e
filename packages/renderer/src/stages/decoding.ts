/** Decoding: the filters from logits to the next token, and the candidates that survive them. */
import { hook } from '@vectorview/trace';
import { format } from 'd3-format';
import type { Ctx } from '../context.js';
import { arrowRight, fmtInt, opBox } from '../marks/glyphs.js';
import { chipRow } from '../marks/tokens.js';
import { fmtDomain } from '../scale.js';
import { defineStage, NO_SCALES } from '../stage.js';
import { attrs, hstack, vstack, type Block } from '../svg.js';
import { CATEGORY, INK, INNER_WIDTH, MUTED, SIZE } from '../theme.js';
import { capCentre, label } from '../text.js';
import { caption, frame, lastLogits, promptExcerpt, stepGroup } from './common.js';

const fmtProbNum = format('.3f');
const fmtLogit = format('.3f');
const meta = { id: 'stage-decoding', category: 'operation' } as const;

/** Text of a token id for the decoded sentence; an id without text is shown as ⟨#id⟩. */
function tokenString(ctx: Ctx, id: number): string {
  const t = ctx.opts.tokenText(id);
  return t === `#${id}` ? `⟨#${id}⟩` : t;
}

function escapeMd(text: string): string {
  return text.replace(/([\\`*_[\]$<>#|~])/g, '\\$1');
}

export const decodingStage = defineStage({
  ...meta,
  title: 'Decoding',
  tex: () => [],
  reads: () => [hook.logits],
  prepare: () => NO_SCALES,
  draw(ctx) {
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
    const chosenTok = tokenString(ctx, d.chosen.id);
    const chip = chipRow([{ id: d.chosen.id, display: chosenText, text: chosenTok, bytes: 0 }], 400, { withIds: true, size: SIZE.short, idClass: 'chosen-id' });
    // Markdown emphasis cannot start with a space, so a token's leading space stays outside the bold.
    const [, lead = '', word = ''] = /^(\s*)([\s\S]*)$/.exec(chosenTok) ?? [];
    const decoded = caption(ctx, `**Decoded text:** ${escapeMd(promptExcerpt(ctx.trace.prompt))}${lead}${word ? `**${escapeMd(word)}**` : ''}`, Math.min(520, INNER_WIDTH - table.width - 40), SIZE.body, INK);
    const result = stepGroup(7, vstack([{ ...label('next token', 0, SIZE.small, { size: SIZE.small, weight: 600, fill: INK }), height: SIZE.small * 1.5 }, chip, decoded], 10), { 'data-filter': 'result' });
    // A step of its own, so the talk's builds show the candidates the draw chose from.
    const tableBlock = stepGroup(
      6,
      vstack([{ ...label(`candidates after the filters (${Math.min(d.candidates.length, d.kept.top_p)} of ${fmtInt(d.kept.top_p)} kept shown)`, 0, SIZE.small, { size: SIZE.small, weight: 600, fill: INK }), height: SIZE.small * 1.6 }, table], 6),
      { 'data-filter': 'candidates' },
    );
    const drawing = vstack([pipeline, hstack([tableBlock, result], 40, 'start')], 26);
    return frame(ctx, meta, drawing, { note: 'below' });
  },
});
