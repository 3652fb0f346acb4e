/** The unembedding: the last position's final vector against every token's row of W_U, as logits. */
import { hook } from '@vectorview/trace';
import { format } from 'd3-format';
import type { Ctx } from '../context.js';
import { arrowRight, fmtInt, formula, matrixGlyph } from '../marks/glyphs.js';
import { barList, histogram } from '../marks/plots.js';
import { columns } from '../marks/vector.js';
import { defineStage } from '../stage.js';
import { hstack, place, vstack } from '../svg.js';
import { INK, INNER_WIDTH, MUTED, SIZE } from '../theme.js';
import { label } from '../text.js';
import { caption, COLUMN_HEIGHT, drawnCount, frame, lastLogits, stageScale } from './common.js';

const fmtLogit = format('.3f');
const meta = { id: 'stage-unembed', category: 'parameter' } as const;
const LOGIT_TEX = '\\text{logit}_t = x \\cdot W_U[:, t]';

/** The final LayerNorm's output after γ and β, or the normalised vector where the trace has only that. */
const finalHook = (ctx: Ctx) => (ctx.tensor(hook.lnFinal('hook_out')) ? hook.lnFinal('hook_out') : hook.lnFinal('hook_normalized'));

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

export const unembedStage = defineStage({
  ...meta,
  title: 'Unembedding',
  tex: (ctx) => [ctx.config.tied_embeddings ? 'W_U = W_E^\\top' : 'W_U', 'd_\\text{model} \\times n_\\text{vocab}', LOGIT_TEX],
  reads: (ctx) => [finalHook(ctx), hook.logits],
  prepare(ctx) {
    const finals = [ctx.row(finalHook(ctx), ctx.nTokens - 1)];
    const scale = stageScale(finals, drawnCount(ctx), 'final LayerNorm');
    return { finals, scale, scales: [scale] };
  },
  draw(ctx, { finals, scale }) {
    const c = ctx.config;
    const last = ctx.nTokens - 1;
    const hasOut = !!ctx.tensor(hook.lnFinal('hook_out'));
    const count = drawnCount(ctx);
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
    const mid = vstack([formula(LOGIT_TEX, ctx.tex, SIZE.small), wu], 12);
    const row = hstack([lnRow, arrowRight(40, COLUMN_HEIGHT), mid, arrowRight(40, COLUMN_HEIGHT), right], 14, 'start');
    return frame(ctx, meta, vstack([row, caption(ctx, `Only the last position's vector is unembedded (${fmtInt(c.d_model)} → ${fmtInt(c.n_vocab)}); logits are the dot products with every token's embedding.`, INNER_WIDTH, SIZE.small, INK)], 16), { note: 'below' });
  },
});
