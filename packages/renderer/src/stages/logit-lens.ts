/**
 * The logit lens from the trace's analysis: one row per read-out point, with the decoded token's
 * probability (a bar) and rank among the whole vocabulary there, and that point's top tokens with their probabilities.
 */
import { lensPointName, logitLensSentence, probability, quoteToken } from '@vectorview/content';
import type { LogitLensView } from '@vectorview/trace';
import { probColor } from '../marks/attention.js';
import { shortToken } from '../marks/vector.js';
import { defineStage } from '../stage.js';
import { attrs, vstack, type Block } from '../svg.js';
import { CATEGORY, INK, INNER_WIDTH, MUTED, RULE, SIZE } from '../theme.js';
import { capCentre, label } from '../text.js';
import { caption, frame } from './common.js';

const meta = { id: 'stage-logit-lens', category: 'residual' } as const;

/** Rows the stage draws at most; deeper models keep the embeddings and every layer's output (resid_post). */
export const LENS_ROWS = 25;

/** The points drawn: all of them, or the embeddings and each layer's resid_post when there are too many. */
export function drawnLensPoints(points: readonly string[]): number[] {
  const all = points.map((_, i) => i);
  if (points.length <= LENS_ROWS) return all;
  return all.filter((i) => i === 0 || points[i]!.endsWith('hook_resid_post'));
}

function table(ctx: { tokenLabel(id: number): string }, lens: LogitLensView, decoded: number, drawn: readonly number[]): Block {
  const size = SIZE.caption;
  const rowH = size * 1.9;
  const col = { point: 0, bar: 250, rank: 560, top: 640 };
  const barW = 220;
  const t = Array.from(lens.targets).indexOf(decoded);
  const T = lens.targets.length;
  // Bars run to the column's largest probability (printed), so a token that stays unlikely still shows its trend.
  const barMax = Math.max(1e-9, ...drawn.map((point) => lens.targetProbs[point * T + t]!));
  let svg = '';
  const head = (text: string, x: number) => label(text, x, size, { size, weight: 700, fill: INK }).svg;
  svg += head('read out', col.point) + head(`p(${quoteToken(ctx.tokenLabel(decoded))}), bar full at ${probability(barMax)}`, col.bar) + head('rank', col.rank) + head(`top ${lens.top} tokens at that point`, col.top);
  drawn.forEach((point, r) => {
    const y = rowH * (r + 1);
    const mid = y + rowH / 2 + capCentre(size);
    const p = lens.targetProbs[point * T + t]!;
    const rank = lens.targetRanks[point * T + t]!;
    svg += `<g${attrs({ class: 'lens-row', 'data-point': lens.points[point]! })}>`;
    if (r % 2 === 0) svg += `<rect${attrs({ x: 0, y, width: INNER_WIDTH, height: rowH, fill: '#f6f8fa' })}/>`;
    svg += label(lensPointName(lens.points[point]!), col.point + 4, mid, { size, fill: INK }).svg;
    svg += `<rect${attrs({ x: col.bar, y: y + rowH * 0.2, width: barW, height: rowH * 0.6, fill: '#fff', stroke: RULE, 'stroke-width': 0.8 })}/>`;
    svg += `<rect${attrs({ x: col.bar, y: y + rowH * 0.2, width: Math.max(0.5, (p / barMax) * barW), height: rowH * 0.6, fill: CATEGORY.residual.color })}/>`;
    svg += label(probability(p), col.bar + barW + 6, mid, { size, fill: MUTED, extra: { class: 'lens-prob', 'data-value': p } }).svg;
    svg += label(rank.toLocaleString('en-US'), col.rank, mid, { size, fill: INK, extra: { class: 'lens-rank' } }).svg;
    let x = col.top;
    for (let k = 0; k < lens.top; k++) {
      const id = lens.topIds[point * lens.top + k]!;
      const prob = lens.topProbs[point * lens.top + k]!;
      const word = shortToken(ctx.tokenLabel(id), 10);
      const chip = label(word, x + 4, mid, { size, weight: id === decoded ? 700 : 400, fill: INK });
      const value = label(probability(prob), x + chip.width + 10, mid, { size: SIZE.min, fill: MUTED, extra: { class: 'lens-top', 'data-token-id': id, 'data-value': prob } });
      svg += `<rect${attrs({ x, y: y + rowH * 0.12, width: chip.width + value.width + 16, height: rowH * 0.76, rx: 4, fill: probColor(prob * 0.5), stroke: id === decoded ? INK : 'none' })}/>` + chip.svg + value.svg;
      x += chip.width + value.width + 24;
    }
    svg += `</g>`;
  });
  return { svg, width: INNER_WIDTH, height: rowH * (drawn.length + 1) };
}

export const logitLensStage = defineStage({
  ...meta,
  title: 'Logit lens',
  tex: () => [],
  reads: () => [],
  prepare: () => ({ scales: [] }),
  draw(ctx) {
    const lens = ctx.trace.analysis.logitLens;
    const decoded = ctx.decode.chosen.id;
    if (!lens || !Array.from(lens.targets).includes(decoded)) {
      return frame(ctx, meta, caption(ctx, 'This trace has no logit lens for the decoded token (its analysis section is missing), so there is nothing to read out.', INNER_WIDTH, SIZE.small, INK));
    }
    const drawn = drawnLensPoints(lens.points);
    const condensed = drawn.length < lens.points.length ? ` Of the ${lens.points.length} read-out points, the ${drawn.length} after the embeddings and after each layer are drawn; the points after each attention sublayer are left out to fit.` : '';
    const notes = `Each row applies the final LayerNorm (with that vector's own statistics) and W_U at the last position, then a softmax; the last row is the model's own distribution. Rank 1 is the most probable of all ${ctx.config.n_vocab.toLocaleString('en-US')} tokens at that point.${condensed}`;
    const drawing = vstack([caption(ctx, logitLensSentence(lens, decoded, ctx.tokenLabel), INNER_WIDTH, SIZE.body, INK), table(ctx, lens, decoded, drawn), caption(ctx, notes, INNER_WIDTH, SIZE.caption, MUTED)], 16);
    return frame(ctx, meta, drawing, { note: 'below' });
  },
});
