/** Token embedding + positional embedding = the input vectors, the residual stream at layer 0. */
import { hook } from '@vectorview/trace';
import { componentsDrawn } from '../annotations.js';
import { fmtInt, symbol } from '../marks/glyphs.js';
import { defineStage } from '../stage.js';
import { hstack, vstack } from '../svg.js';
import { INK, INNER_WIDTH, SIZE } from '../theme.js';
import { caption, drawnCount, frame, positionRow, scaleKey, stageScale } from './common.js';
import { FRONTIER_WIDTH } from './lookup.js';

const meta = { id: 'stage-input-embeddings', category: 'residual' } as const;

function sum(a?: ArrayLike<number>, b?: ArrayLike<number>): Float32Array | undefined {
  if (!a || !b) return undefined;
  return Float32Array.from(a, (v, i) => v + (b[i] ?? 0));
}

export const inputEmbeddingsStage = defineStage({
  ...meta,
  title: 'Input embeddings',
  tex: () => [],
  reads: () => [hook.embed, hook.posEmbed, hook.block(0, 'hook_resid_pre')],
  prepare(ctx) {
    const e = ctx.trace.tokens.map((_, p) => ctx.row(hook.embed, p));
    const pe = ctx.trace.tokens.map((_, p) => ctx.row(hook.posEmbed, p));
    const x = ctx.trace.tokens.map((_, p) => ctx.row(hook.block(0, 'hook_resid_pre'), p) ?? sum(e[p], pe[p]));
    const scale = stageScale([...e, ...pe, ...x], drawnCount(ctx), 'embeddings');
    return { e, pe, x, scale, scales: [scale] };
  },
  draw(ctx, { e, pe, x, scale }) {
    const c = ctx.config;
    const count = drawnCount(ctx);
    const budget = (INNER_WIDTH - 2 * 60) / 3 - 10;
    const row = (vs: (ArrayLike<number> | undefined)[], title: string, idp: string) => positionRow(ctx, vs, { title, scale, budget, ids: (p) => `vec-${idp}-p${p}`, labels: true });
    const plus = symbol('+', 290);
    const eq = symbol('=', 290);
    const blocks = hstack([row(e, 'token embeddings', 'input-embed'), plus, row(pe, 'positional embeddings', 'input-pos'), eq, row(x, 'input vectors = residual stream at layer 0', 'input')], 18, 'start');
    const key = scaleKey(scale);
    const note = caption(
      ctx,
      `Each cell is one component; **${componentsDrawn(count, c.d_model)} components** are drawn per vector (${ctx.nTokens} vectors of ${fmtInt(c.d_model)}). For scale: frontier models carry vectors of about ${fmtInt(FRONTIER_WIDTH)} components.`,
      INNER_WIDTH - key.width - 30,
      SIZE.small,
      INK,
    );
    const drawing = vstack([blocks, hstack([key, note], 30)], 16);
    return frame(ctx, meta, drawing, { note: 'below' });
  },
});
