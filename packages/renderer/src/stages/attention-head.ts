/** One attention head opened up: projections, scores, pattern, weighted sum and its write. */
import { attentionSentence, focusSentence } from '@vectorview/content';
import type { Tensor } from '@vectorview/trace';
import type { Ctx } from '../context.js';
import { measure } from '../fonts.js';
import { triangle } from '../marks/attention.js';
import { arrowRight, fmtInt, formula, matrixGlyph, opBox, plusCircle } from '../marks/glyphs.js';
import { fmtDomain } from '../scale.js';
import { defineStage } from '../stage.js';
import { hstack, vstack } from '../svg.js';
import { INK, INNER_WIDTH, SIZE } from '../theme.js';
import { caption, COLUMN_HEIGHT, drawnCount, frame, positionRow, scaleKey, stageScale, stepGroup, tokenLabels } from './common.js';
import { B, centreY, lnOut, rows } from './layer.js';

const meta = { id: 'stage-attention-head', category: 'attention' } as const;

const drawnHead = (ctx: Ctx) => Math.min(ctx.opts.head, ctx.config.n_head - 1);

/** Why this head is open (the analysis's criterion, or the options' request) and what it reads at the last position. */
function whyOpened(ctx: Ctx, h0: number, pattern: Tensor | undefined): string {
  const L = ctx.opts.layer;
  const { circuits, attribution } = ctx.trace.analysis;
  const n = ctx.nTokens;
  const ids = ctx.trace.tokens.map((t) => t.id);
  const reads = pattern ? ` ${attentionSentence(L, h0, pattern.data.subarray((h0 * n + n - 1) * n, (h0 * n + n) * n), ids, ctx.tokenLabel)}` : '';
  if (circuits && attribution && circuits.layer === L && circuits.head === h0 && Array.from(attribution.targets).includes(ctx.decode.chosen.id)) {
    return focusSentence(circuits, attribution, ctx.decode.chosen.id, ctx.tokenLabel) + reads;
  }
  const elsewhere = circuits ? ` (the trace's analysis chose L${circuits.layer}H${circuits.head})` : '';
  return `L${L}H${h0} is drawn in full because the poster's options ask for it${elsewhere}.${reads}`;
}

export const attentionHeadStage = defineStage({
  ...meta,
  title: 'One attention head',
  tex(ctx) {
    const L = ctx.opts.layer;
    const h = drawnHead(ctx);
    return [
      ...['Q', 'K', 'V'].map((m) => `W_${m}^{${L},${h}}`),
      `W_O^{${L},${h}}`,
      'd_\\text{model} \\times d_\\text{head}',
      'd_\\text{head} \\times d_\\text{model}',
      'q_i \\cdot k_j,\\; j \\le i',
      '\\times \\tfrac{1}{\\sqrt{d_\\text{head}}}',
      '\\text{pattern } A_{ij} = \\operatorname{softmax}_j',
      'z_i = \\sum_{j \\le i} A_{ij}\\, v_j',
    ];
  },
  reads: (ctx) => [B(ctx, 'attn.hook_q'), B(ctx, 'attn.hook_k'), B(ctx, 'attn.hook_v'), B(ctx, 'attn.hook_z'), B(ctx, 'attn.hook_result'), lnOut(ctx, 'ln1'), B(ctx, 'attn.hook_attn_scores'), B(ctx, 'attn.hook_pattern')],
  prepare(ctx) {
    const h0 = drawnHead(ctx);
    const nTok = ctx.nTokens;
    const dh = ctx.config.d_head;
    const headCount = Math.min(dh, ctx.opts.componentsDrawn);
    const count = drawnCount(ctx);
    const at = (t: Tensor | undefined, qq: number, kk: number) => (t ? t.data[(h0 * nTok + qq) * nTok + kk]! : 0);
    const sqrt = Math.sqrt(dh);
    const q = rows(ctx, B(ctx, 'attn.hook_q'), h0);
    const k = rows(ctx, B(ctx, 'attn.hook_k'), h0);
    const v = rows(ctx, B(ctx, 'attn.hook_v'), h0);
    const z = rows(ctx, B(ctx, 'attn.hook_z'), h0);
    const result = rows(ctx, B(ctx, 'attn.hook_result'), h0);
    const lnIn = rows(ctx, lnOut(ctx, 'ln1'));
    const scaleQKV = stageScale([...q, ...k, ...v, ...z], headCount, `head ${h0} q, k, v, z`);
    const scaleIn = stageScale(lnIn, count, 'LayerNorm 1 output');
    const scaleOut = stageScale(result, count, `head ${h0} output`);
    const scores = ctx.tensor(B(ctx, 'attn.hook_attn_scores'));
    const pattern = ctx.tensor(B(ctx, 'attn.hook_pattern'));
    const scoreVals: number[] = [];
    for (let i = 0; i < nTok; i++) for (let j = 0; j <= i; j++) scoreVals.push(at(scores, i, j) * sqrt);
    const rawScale = stageScale([scoreVals], scoreVals.length, 'q·k');
    const scaledScale = stageScale([scoreVals.map((s) => s / sqrt)], scoreVals.length, 'q·k/√d_head');
    return { q, k, v, z, result, lnIn, scores, pattern, scaleQKV, scaleIn, scaleOut, rawScale, scaledScale, scales: [scaleQKV, scaleIn, scaleOut, rawScale, scaledScale] };
  },
  draw(ctx, { q, k, v, z, result, lnIn, scores, pattern, scaleQKV, scaleIn, scaleOut, rawScale, scaledScale }) {
    const L = ctx.opts.layer;
    const c = ctx.config;
    const h0 = drawnHead(ctx);
    const nTok = ctx.nTokens;
    const dh = c.d_head;
    const headCount = Math.min(dh, ctx.opts.componentsDrawn);
    const { positions: shown, breaks } = ctx.shown;
    const m = shown.length;
    // Row i, column j of a drawn triangle: the shown positions' query and key.
    const at = (t: Tensor | undefined, qq: number, kk: number) => (t ? t.data[(h0 * nTok + shown[qq]!) * nTok + shown[kk]!]! : 0);
    const small = Math.max(5, Math.min(14, 220 / m));
    const sqrt = Math.sqrt(dh);
    const headH = Math.max(64, Math.min(COLUMN_HEIGHT, headCount * 4));
    // Row A: projections.
    const inRow = positionRow(ctx, lnIn, { title: 'LayerNorm 1 output', scale: scaleIn, budget: 250, labels: true });
    const glyphs = (['Q', 'K', 'V'] as const).map((m) =>
      matrixGlyph({ name: `W_${m}^{${L},${h0}}`, rows: c.d_model, cols: dh, dimsTex: 'd_\\text{model} \\times d_\\text{head}', width: 46, height: 120, id: `mat-W_${m}-L${L}-h${h0}`, note: `+ bias b_${m}` }, ctx.tex),
    );
    const qkvBudget = (INNER_WIDTH - 250 - 3 * 150 - 60) / 3;
    const qkv = [q, k, v].map((vs, i) =>
      positionRow(ctx, vs, { title: ['queries q', 'keys k', 'values v'][i]!, scale: scaleQKV, budget: qkvBudget, ids: (p) => `vec-${'qkv'[i]}-L${L}-h${h0}-p${p}`, count: headCount, length: dh, height: headH }),
    );
    const projRow = hstack([inRow, arrowRight(30, COLUMN_HEIGHT), vstack([hstack(glyphs, 12), caption(ctx, 'each position is projected on its own', 190)], 10), ...qkv.flatMap((b, i) => (i ? [b] : [arrowRight(24, headH), b]))], 14, 'start');
    // Row B: scores → scaled → pattern.
    const labels = tokenLabels(ctx, 7);
    const t1 = triangle({ n: m, breaks, positions: shown, value: (i, j) => at(scores, i, j) * sqrt, cell: small, scale: rawScale, rowLabels: labels, id: `scores-raw-L${L}-h${h0}` });
    const t2 = triangle({ n: m, breaks, positions: shown, value: (i, j) => at(scores, i, j), cell: small, scale: scaledScale, id: `scores-L${L}-h${h0}` });
    const opW = 150;
    const labelW = Math.max(...labels.map((t) => measure(t, Math.min(SIZE.tiny + 1, 20)))) + 10;
    const cell = Math.max(20, Math.min(64, (INNER_WIDTH - t1.width - t2.width - 2 * opW - 4 * 20 - labelW) / m));
    const t3 = triangle({ n: m, breaks, positions: shown, value: (i, j) => at(pattern, i, j), cell, cellHeight: Math.max(SIZE.min / 0.55, Math.min(34, cell * 0.6)), numbers: true, rowLabels: labels, colLabels: labels, head: h0, dataName: 'pattern', id: `pattern-full-L${L}-h${h0}` });
    const step1 = stepGroup(1, vstack([formula('q_i \\cdot k_j,\\; j \\le i', ctx.tex, SIZE.small), t1], 8));
    const step2 = stepGroup(2, hstack([centreY(opBox({ tex: '\\times \\tfrac{1}{\\sqrt{d_\\text{head}}}' }, ctx.tex), t1.height), vstack([formula(`\\text{scores (}\\sqrt{${dh}} = ${fmtDomain(sqrt)}\\text{)}`, ctx.tex, SIZE.small), t2], 8)], 12));
    const step3 = stepGroup(3, hstack([centreY(opBox({ text: 'softmax per row' }, ctx.tex), t1.height), vstack([formula('\\text{pattern } A_{ij} = \\operatorname{softmax}_j', ctx.tex, SIZE.small), t3], 8)], 12));
    const triRow = hstack([step1, step2, step3], 20, 'start');
    const triNote = caption(ctx, `Only the ${fmtInt((nTok * (nTok + 1)) / 2)} causal pairs (key ≤ query) are computed${m < nTok ? ` (the ${fmtInt((m * (m + 1)) / 2)} among the shown positions are drawn; dashed rules mark the elided ones)` : ' and drawn'}; the masked half does not exist here. Each row of the pattern sums to 1.`, INNER_WIDTH, SIZE.small, INK);
    // Row C: weighted sum, W_O slice, output.
    const zRow = positionRow(ctx, z, { title: 'results z = Σ A v', scale: scaleQKV, budget: 300, ids: (p) => `vec-z-L${L}-h${h0}-p${p}`, count: headCount, length: dh, height: headH, labels: true });
    const step4 = stepGroup(4, vstack([formula('z_i = \\sum_{j \\le i} A_{ij}\\, v_j', ctx.tex, SIZE.body), zRow], 10));
    const wo = matrixGlyph({ name: `W_O^{${L},${h0}}`, rows: dh, cols: c.d_model, dimsTex: 'd_\\text{head} \\times d_\\text{model}', width: 150, height: 46, id: `mat-W_O-L${L}-h${h0}`, note: `this head's ${dh} rows of W_O` }, ctx.tex);
    const step5 = stepGroup(5, hstack([centreY(arrowRight(30), 140), wo], 10));
    const outRow = positionRow(ctx, result, { title: `head ${h0} output (${fmtInt(c.d_model)}-dim)`, scale: scaleOut, budget: 360, ids: (p) => `vec-head-out-L${L}-h${h0}-p${p}`, labels: true });
    const step6 = stepGroup(6, hstack([arrowRight(30, COLUMN_HEIGHT), outRow, vstack([plusCircle(13), caption(ctx, 'summed with the other heads and added to the stream', 140)], 6, 'middle')], 12, 'start'));
    const outRowAll = hstack([step4, step5, step6], 20, 'start');
    const keys = hstack([scaleKey(scaleIn, 200), scaleKey(scaleQKV, 200), scaleKey(rawScale, 200), scaleKey(scaledScale, 200), scaleKey(scaleOut, 200)], 26);
    const drawing = vstack([caption(ctx, whyOpened(ctx, h0, pattern), INNER_WIDTH, SIZE.body, INK), projRow, triRow, triNote, outRowAll, keys], 26);
    return frame(ctx, meta, drawing, { note: 'below' });
  },
});
