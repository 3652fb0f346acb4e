/** LayerNorm 1 of the drawn layer: x → (x − μ)/σ → × γ + β, per position. */
import { format } from 'd3-format';
import { fmtInt, opBox, paramBar } from '../marks/glyphs.js';
import { defineStage } from '../stage.js';
import { hstack, vstack } from '../svg.js';
import { INK, INNER_WIDTH, SIZE } from '../theme.js';
import { label } from '../text.js';
import { caption, COLUMN_HEIGHT, drawnCount, frame, positionRow, scaleKey, stageScale } from './common.js';
import { B, centreY, positions, rows } from './layer.js';

const fmt2 = format('.2~g');
const meta = { id: 'stage-layernorm', category: 'operation' } as const;

export const layerNormStage = defineStage({
  ...meta,
  title: 'LayerNorm',
  tex: () => ['\\gamma', '\\beta', '\\frac{x-\\mu}{\\sqrt{\\sigma^2+\\varepsilon}}', '\\gamma \\odot \\hat{x} + \\beta'],
  reads: (ctx) => [B(ctx, 'hook_resid_pre'), B(ctx, 'ln1.hook_normalized'), B(ctx, 'ln1.hook_out'), B(ctx, 'ln1.hook_scale')],
  prepare(ctx) {
    const input = rows(ctx, B(ctx, 'hook_resid_pre'));
    const normed = rows(ctx, B(ctx, 'ln1.hook_normalized'));
    const hasOut = !!ctx.tensor(B(ctx, 'ln1.hook_out'));
    const out = hasOut ? rows(ctx, B(ctx, 'ln1.hook_out')) : normed.map(() => undefined);
    const count = drawnCount(ctx);
    const scaleIn = stageScale(input, count, 'LayerNorm input');
    const scaleN = stageScale([...normed, ...out], count, 'normalised');
    const mean = input.map((v) => {
      if (!v) return 0;
      let s = 0;
      for (let i = 0; i < v.length; i++) s += v[i]!;
      return s / v.length;
    });
    const sigma = positions(ctx).map((p) => ctx.row(B(ctx, 'ln1.hook_scale'), p)?.[0] ?? 0);
    return { input, normed, out, hasOut, mean, sigma, scaleIn, scaleN, scales: [scaleIn, scaleN] };
  },
  draw(ctx, { input, normed, out, hasOut, mean, sigma, scaleIn, scaleN }) {
    const L = ctx.opts.layer;
    const budget = (INNER_WIDTH - 2 * 190) / 3 - 10;
    const a = positionRow(ctx, input, { title: `x: stream at layer ${L}`, scale: scaleIn, budget, ids: (p) => `vec-ln1-in-L${L}-p${p}`, labels: true, under: mean.map((m) => `μ ${fmt2(m)}`) });
    const b = positionRow(ctx, normed, { title: '(x − μ) / σ', scale: scaleN, budget, ids: (p) => `vec-ln1-norm-L${L}-p${p}`, under: sigma.map((s) => `σ ${fmt2(s)}`) });
    const c = hasOut
      ? positionRow(ctx, out, { title: '× γ + β: what attention reads', scale: scaleN, budget, ids: (p) => `vec-ln1-out-L${L}-p${p}` })
      : vstack([{ ...label('× γ + β: what attention reads', 0, SIZE.small * 0.8, { size: SIZE.small, weight: 600, fill: INK }), height: SIZE.small * 1.3 }, caption(ctx, 'This trace holds only the normalised vectors (TransformerLens folds γ and β into the next weights), so this column is not drawn.', budget, SIZE.caption)], 4);
    const op1 = vstack([opBox({ tex: '\\frac{x-\\mu}{\\sqrt{\\sigma^2+\\varepsilon}}' }, ctx.tex, { size: 24 }), caption(ctx, 'per vector: its own μ and σ', 170)], 8, 'middle');
    const gamma = paramBar('\\gamma', 110, ctx.tex);
    const beta = paramBar('\\beta', 110, ctx.tex);
    const op2 = vstack([opBox({ tex: '\\gamma \\odot \\hat{x} + \\beta' }, ctx.tex), gamma, beta, caption(ctx, `γ, β: ${fmtInt(ctx.config.d_model)} learned numbers each, shared by all positions`, 170)], 8, 'middle');
    const h = COLUMN_HEIGHT;
    const row = hstack([a, centreY(op1, h), b, centreY(op2, h), c], 14, 'start');
    const drawing = vstack([row, hstack([scaleKey(scaleIn), scaleKey(scaleN)], 40)], 16);
    return frame(ctx, meta, drawing, { note: 'below' });
  },
});
