/** The MLP of the drawn layer: W_in, GELU on the real pre-activations, W_out, and the write back. */
import type { Ctx } from '../context.js';
import { componentsDrawn } from '../annotations.js';
import { arrowRight, fmtInt, matrixGlyph, plusCircle } from '../marks/glyphs.js';
import { geluPlot } from '../marks/plots.js';
import { defineStage } from '../stage.js';
import { hstack, vstack } from '../svg.js';
import { INK, INNER_WIDTH, SIZE } from '../theme.js';
import { caption, COLUMN_HEIGHT, drawnCount, frame, positionRow, scaleKey, stageScale } from './common.js';
import { B, centreY, lnOut, rows } from './layer.js';

const meta = { id: 'stage-mlp', category: 'mlp' } as const;

/** Hidden components drawn: the same share of d_mlp as of d_model. */
const hiddenCount = (ctx: Ctx) => Math.min(ctx.config.d_mlp, Math.round((drawnCount(ctx) * ctx.config.d_mlp) / ctx.config.d_model));

export const mlpStage = defineStage({
  ...meta,
  title: 'MLP sublayer',
  tex: () => ['W_\\text{in}', 'W_\\text{out}', '\\mathrm{GELU}(x)', 'd_\\text{model} \\times d_\\text{mlp}', 'd_\\text{mlp} \\times d_\\text{model}'],
  reads: (ctx) => [lnOut(ctx, 'ln2'), B(ctx, 'mlp.hook_pre'), B(ctx, 'mlp.hook_post'), B(ctx, 'hook_mlp_out')],
  prepare(ctx) {
    const input = rows(ctx, lnOut(ctx, 'ln2'));
    const pre = rows(ctx, B(ctx, 'mlp.hook_pre'));
    const post = rows(ctx, B(ctx, 'mlp.hook_post'));
    const out = rows(ctx, B(ctx, 'hook_mlp_out'));
    const count = drawnCount(ctx);
    const scaleIO = stageScale(input, count, 'MLP input');
    const scaleOut = stageScale(out, count, 'MLP output');
    const scaleH = stageScale([...pre, ...post], hiddenCount(ctx), 'hidden activations');
    return { input, pre, post, out, scaleIO, scaleOut, scaleH, scales: [scaleIO, scaleOut, scaleH] };
  },
  draw(ctx, { input, pre, post, out, scaleIO, scaleOut, scaleH }) {
    const L = ctx.opts.layer;
    const c = ctx.config;
    const count = drawnCount(ctx);
    const hidden = hiddenCount(ctx);
    const hiddenH = 2 * COLUMN_HEIGHT;
    const budget = 300;
    const inRow = positionRow(ctx, input, { title: 'LayerNorm 2 output', scale: scaleIO, budget, labels: true, ids: (p) => `vec-mlp-in-L${L}-p${p}` });
    const wIn = matrixGlyph({ name: 'W_\\text{in}', rows: c.d_model, cols: c.d_mlp, dimsTex: 'd_\\text{model} \\times d_\\text{mlp}', width: 150, height: 50, id: `mat-W_in-L${L}`, note: '+ bias' }, ctx.tex);
    const preRow = positionRow(ctx, pre, { title: 'pre-activation', scale: scaleH, budget, length: c.d_mlp, count: hidden, height: hiddenH, ids: (p) => `vec-mlp-pre-L${L}-p${p}`, labels: true });
    const last = pre[pre.length - 1];
    const plot = geluPlot(last ?? [], 190, ctx.tex);
    const plotBlock = vstack([plot, caption(ctx, `dots: the ${fmtInt(c.d_mlp)} real pre-activations of the last position`, 190)], 8);
    const postRow = positionRow(ctx, post, { title: 'activation (GELU)', scale: scaleH, budget, length: c.d_mlp, count: hidden, height: hiddenH, ids: (p) => `vec-mlp-post-L${L}-p${p}`, labels: true });
    const wOut = matrixGlyph({ name: 'W_\\text{out}', rows: c.d_mlp, cols: c.d_model, dimsTex: 'd_\\text{mlp} \\times d_\\text{model}', width: 50, height: 150, id: `mat-W_out-L${L}`, note: '+ bias' }, ctx.tex);
    const outRow = positionRow(ctx, out, { title: 'MLP output', scale: scaleOut, budget, labels: true, ids: (p) => `vec-mlp-out-L${L}-p${p}` });
    const hh = hiddenH;
    const row1 = hstack([centreY(inRow, hh), centreY(vstack([arrowRight(60), wIn], 6), hh), preRow, centreY(plotBlock, hh), postRow], 18, 'start');
    const row2 = hstack([centreY(wOut, COLUMN_HEIGHT + 20), arrowRight(40, COLUMN_HEIGHT + 20), outRow, centreY(vstack([plusCircle(13), caption(ctx, 'added to the stream', 100)], 6, 'middle'), COLUMN_HEIGHT + 20)], 18, 'start');
    const elided = count < c.d_model || hidden < c.d_mlp;
    const note = caption(ctx, `${componentsDrawn(count, c.d_model)} components drawn for ${fmtInt(c.d_model)}-vectors; ${componentsDrawn(hidden, c.d_mlp)} for the hidden layer${elided ? ' (the first components; the rest are elided)' : ''}.`, INNER_WIDTH, SIZE.small, INK);
    const drawing = vstack([row1, row2, hstack([scaleKey(scaleIO), scaleKey(scaleH), scaleKey(scaleOut)], 40), note], 22);
    return frame(ctx, meta, drawing, { note: 'below' });
  },
});
