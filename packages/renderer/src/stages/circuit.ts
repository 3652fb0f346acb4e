/** What the QK and OV circuit stages share: a head's two weight maps multiplied into one d_model × d_model matrix. */
import type { Ctx } from '../context.js';
import { callout } from '../marks/callout.js';
import { formula, matrixGlyph, symbol } from '../marks/glyphs.js';
import { hstack, vstack, type Block } from '../svg.js';
import { CATEGORY, INK, SIZE } from '../theme.js';
import { caption, frame, type StageMeta } from './common.js';

export type Circuit = 'QK' | 'OV';

const equation = (ctx: Ctx, which: Circuit) => {
  const L = ctx.opts.layer;
  const h0 = Math.min(ctx.opts.head, ctx.config.n_head - 1);
  return which === 'QK' ? `W_{QK}^{${L},${h0}} = W_Q \\, W_K^\\top` : `W_{OV}^{${L},${h0}} = W_V \\, W_O`;
};

export function circuitTex(ctx: Ctx, which: Circuit): string[] {
  const dims = ['d_\\text{model} \\times d_\\text{head}', 'd_\\text{head} \\times d_\\text{model}', 'd_\\text{model} \\times d_\\text{model}'];
  return [...(which === 'QK' ? ['W_Q', 'W_K^\\top', 'W_{QK}'] : ['W_V', 'W_O', 'W_{OV}']), ...dims, equation(ctx, which)];
}

function productGlyphs(ctx: Ctx, which: Circuit): Block {
  const c = ctx.config;
  const big = 130;
  const thin = Math.max(16, (big * c.d_head) / c.d_model);
  const a = matrixGlyph({ name: which === 'QK' ? 'W_Q' : 'W_V', rows: c.d_model, cols: c.d_head, dimsTex: 'd_\\text{model} \\times d_\\text{head}', width: thin + 20, height: big }, ctx.tex);
  const b = matrixGlyph({ name: which === 'QK' ? 'W_K^\\top' : 'W_O', rows: c.d_head, cols: c.d_model, dimsTex: 'd_\\text{head} \\times d_\\text{model}', width: big, height: thin + 20 }, ctx.tex);
  const prod = matrixGlyph(
    { name: which === 'QK' ? 'W_{QK}' : 'W_{OV}', rows: c.d_model, cols: c.d_model, dimsTex: `d_\\text{model} \\times d_\\text{model}`, width: big, height: big, note: `rank ≤ ${c.d_head}` },
    ctx.tex,
  );
  const eq = formula(equation(ctx, which), ctx.tex, SIZE.short);
  const row = hstack([a, symbol('·', big), b, symbol('=', big), prod], 10, 'start');
  return vstack([eq, row], 14);
}

export function drawCircuit(ctx: Ctx, which: Circuit, stage: StageMeta): Block {
  const glyphs = productGlyphs(ctx, which);
  const text =
    which === 'QK'
      ? 'where to read from: only the product of query and key maps matters. The score of query i on key j is x_i W_QK x_jᵀ / √d_head (biases aside): the 1/√d_head scale is applied after this product, not folded into W_QK.'
      : 'what to copy: values and output map act as one matrix';
  const box = callout(which === 'QK' ? 'QK circuit as one unit' : 'OV circuit as one unit', vstack([glyphs, caption(ctx, text, 560, SIZE.small, INK)], 14), Math.max(600, glyphs.width + 36), CATEGORY.attention.color);
  return frame(ctx, stage, box);
}
