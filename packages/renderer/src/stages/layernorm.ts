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

/**
 * γ and β of the LayerNorm, recovered from its input and output: out = γ ⊙ x̂ + β holds at every
 * position, so two positions with different x̂ in a component give that component's γ and β. Uses,
 * per component, the two positions where x̂ differs most; undefined with fewer than two positions.
 */
export function recoverGammaBeta(normed: readonly (Float32Array | undefined)[], out: readonly (Float32Array | undefined)[], count: number): { gamma: Float32Array; beta: Float32Array } | undefined {
  const pairs = normed.map((x, p) => [x, out[p]] as const).filter((pair): pair is readonly [Float32Array, Float32Array] => !!pair[0] && !!pair[1]);
  if (pairs.length < 2) return undefined;
  const gamma = new Float32Array(count);
  const beta = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    let lo = pairs[0]!;
    let hi = pairs[0]!;
    for (const pair of pairs) {
      if (pair[0][i]! < lo[0][i]!) lo = pair;
      if (pair[0][i]! > hi[0][i]!) hi = pair;
    }
    const dx = hi[0][i]! - lo[0][i]!;
    gamma[i] = dx > 1e-6 ? (hi[1][i]! - lo[1][i]!) / dx : NaN;
    beta[i] = hi[1][i]! - gamma[i]! * hi[0][i]!;
  }
  return { gamma, beta };
}

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
    const params = hasOut ? recoverGammaBeta(normed, out, count) : undefined;
    const scaleGamma = params && stageScale([params.gamma], count, 'γ (recovered)');
    const scaleBeta = params && stageScale([params.beta], count, 'β (recovered)');
    return { input, normed, out, hasOut, mean, sigma, scaleIn, scaleN, params, scaleGamma, scaleBeta, scales: [scaleIn, scaleN, ...(scaleGamma && scaleBeta ? [scaleGamma, scaleBeta] : [])] };
  },
  draw(ctx, { input, normed, out, hasOut, mean, sigma, scaleIn, scaleN, params, scaleGamma, scaleBeta }) {
    const L = ctx.opts.layer;
    const budget = (INNER_WIDTH - 2 * 190) / 3 - 10;
    const a = positionRow(ctx, input, { title: `x: stream at layer ${L}`, scale: scaleIn, budget, ids: (p) => `vec-ln1-in-L${L}-p${p}`, labels: true, under: mean.map((m) => `μ ${fmt2(m)}`) });
    const b = positionRow(ctx, normed, { title: '(x − μ) / σ', scale: scaleN, budget, ids: (p) => `vec-ln1-norm-L${L}-p${p}`, under: sigma.map((s) => `σ ${fmt2(s)}`) });
    const c = hasOut
      ? positionRow(ctx, out, { title: '× γ + β: what attention reads', scale: scaleN, budget, ids: (p) => `vec-ln1-out-L${L}-p${p}` })
      : vstack([{ ...label('× γ + β: what attention reads', 0, SIZE.small * 0.8, { size: SIZE.small, weight: 600, fill: INK }), height: SIZE.small * 1.3 }, caption(ctx, 'This trace holds only the normalised vectors (TransformerLens folds γ and β into the next weights), so this column is not drawn.', budget, SIZE.caption)], 4);
    const op1 = vstack([opBox({ tex: '\\frac{x-\\mu}{\\sqrt{\\sigma^2+\\varepsilon}}' }, ctx.tex, { size: 24 }), caption(ctx, 'per vector: its own μ and σ', 170)], 8, 'middle');
    const L_ = ctx.opts.layer;
    const gamma = paramBar('\\gamma', 110, ctx.tex, true, params && scaleGamma ? { values: params.gamma, scale: scaleGamma, id: `param-ln1-gamma-L${L_}` } : undefined);
    const beta = paramBar('\\beta', 110, ctx.tex, true, params && scaleBeta ? { values: params.beta, scale: scaleBeta, id: `param-ln1-beta-L${L_}` } : undefined);
    const range = (v: Float32Array) => { let lo = Infinity; let hi = -Infinity; for (const x of v) if (Number.isFinite(x)) { lo = Math.min(lo, x); hi = Math.max(hi, x); } return lo <= hi ? `${fmt2(lo)} … ${fmt2(hi)}` : 'not recoverable'; };
    const paramNote = params
      ? `γ ${range(params.gamma)}, β ${range(params.beta)}: ${fmtInt(ctx.config.d_model)} learned numbers each, shared by all positions (recovered from the trace: out = γ·x̂ + β at two positions)`
      : ctx.nTokens < 2 && hasOut
        ? `γ, β: ${fmtInt(ctx.config.d_model)} learned numbers each, shared by all positions (one position is not enough to recover them from the trace)`
        : `γ, β: ${fmtInt(ctx.config.d_model)} learned numbers each, shared by all positions`;
    const op2 = vstack([opBox({ tex: '\\gamma \\odot \\hat{x} + \\beta' }, ctx.tex), gamma, beta, caption(ctx, paramNote, 170)], 8, 'middle');
    const h = COLUMN_HEIGHT;
    const row = hstack([a, centreY(op1, h), b, centreY(op2, h), c], 14, 'start');
    const drawing = vstack([row, hstack([scaleKey(scaleIn), scaleKey(scaleN)], 40)], 16);
    return frame(ctx, meta, drawing, { note: 'below' });
  },
});
