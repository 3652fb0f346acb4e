/** What the token and positional embedding stages share: a row lookup in W_E or W_P. */
import { hook } from '@vectorview/trace';
import type { Ctx } from '../context.js';
import { arrowRight, fmtInt, matrixGlyph } from '../marks/glyphs.js';
import type { ValueScale } from '../scale.js';
import { hstack, vstack, type Block } from '../svg.js';
import { componentsDrawn } from '../annotations.js';
import { caption, drawnCount, frame, positionRow, scaleKey, stageScale, type StageMeta } from './common.js';

/** Width of a frontier model's residual stream, for scale. */
export const FRONTIER_WIDTH = 16384;

export type Lookup = 'embed' | 'pos';

const hookOf = (which: Lookup) => (which === 'embed' ? hook.embed : hook.posEmbed);

export const lookupTex = (which: Lookup) => (which === 'embed' ? ['W_E', 'n_\\text{vocab} \\times d_\\text{model}'] : ['W_P', 'n_\\text{context} \\times d_\\text{model}']);

export interface LookupPrepared {
  readonly vectors: readonly (Float32Array | undefined)[];
  readonly scale: ValueScale;
  readonly scales: readonly ValueScale[];
}

export function prepareLookup(ctx: Ctx, which: Lookup): LookupPrepared {
  const vectors = ctx.trace.tokens.map((_, p) => ctx.row(hookOf(which), p));
  const scale = stageScale(vectors, drawnCount(ctx), which === 'embed' ? 'token embedding' : 'positional embedding');
  return { vectors, scale, scales: [scale] };
}

export function drawLookup(ctx: Ctx, which: Lookup, stage: StageMeta, { vectors, scale }: LookupPrepared): Block {
  const c = ctx.config;
  const isE = which === 'embed';
  const rows = isE ? c.n_vocab : c.n_context;
  const count = drawnCount(ctx);
  const glyphH = 300;
  const marks = ctx.trace.tokens.map((t, p) => ({ at: isE ? t.id / rows : p / rows, label: String(isE ? t.id : p) }));
  const share = isE ? ctx.params.embedding / ctx.params.total : ctx.params.positional / ctx.params.total;
  const count_ = isE ? ctx.params.embedding : ctx.params.positional;
  const [name, dimsTex] = lookupTex(which) as [string, string];
  const glyph = matrixGlyph(
    { name, rows, cols: c.d_model, dimsTex, width: 90, height: glyphH, marks, elided: isE, id: isE ? 'mat-W_E' : 'mat-W_P', note: `${fmtInt(count_)} parameters (${(share * 100).toFixed(1)}%)` },
    ctx.tex,
  );
  const row = positionRow(ctx, vectors, {
    title: isE ? 'rows looked up: one per token id' : `rows 0…${ctx.nTokens - 1}: one per position`,
    scale,
    budget: 560,
    ids: (p) => `vec-${isE ? 'embed' : 'pos-embed'}-p${p}`,
    labels: true,
    under: isE ? ctx.trace.tokens.map((t) => String(t.id)) : ctx.trace.tokens.map((_, p) => String(p)),
  });
  const arrow = arrowRight(60, glyphH, isE ? 'look up' : 'rows');
  const drawing = vstack([hstack([glyph, arrow, row], 16, 'start'), scaleKey(scale), caption(ctx, `${componentsDrawn(count, c.d_model)} components drawn per vector; a frontier model's vectors have about ${fmtInt(FRONTIER_WIDTH)}.`, 520)], 14);
  return frame(ctx, stage, drawing);
}
