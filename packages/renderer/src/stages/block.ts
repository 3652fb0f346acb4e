/** The transformer block: residual stream, LayerNorm, attention (sublayer, one head, circuits), MLP, other layers. */
import type { Ctx } from '../context.js';
import { miniTriangle, triangle } from '../marks/attention.js';
import { annotationBlock, callout } from '../marks/callout.js';
import { arrowRight, fmtInt, formula, matrixGlyph, opBox, paramBar, plusCircle, symbol } from '../marks/glyphs.js';
import { geluPlot, lineChart } from '../marks/plots.js';
import { fmtDomain } from '../scale.js';
import { format } from 'd3-format';

const fmt2 = format('.2~g');
import { attrs, hstack, n, place, vstack, type Block } from '../svg.js';
import { CATEGORY, INK, INNER_WIDTH, MUTED, SIZE } from '../theme.js';
import { label } from '../text.js';
import { measure } from '../fonts.js';
import { caption, COLUMN_HEIGHT, drawnCount, frame, positionRow, scaleKey, stageScale, stepGroup, tokenLabels } from './common.js';

const positions = (ctx: Ctx) => ctx.trace.tokens.map((_, p) => p);
const rows = (ctx: Ctx, name: string, ...lead: number[]) => positions(ctx).map((p) => ctx.row(name, p, ...lead));
const B = (ctx: Ctx, name: string, layer = ctx.opts.layer) => `blocks.${layer}.${name}`;
/** The LayerNorm's output after γ and β; traces from Python may only carry the normalised vector. */
const lnOut = (ctx: Ctx, prefix: string) => (ctx.tensor(`${prefix}.hook_out`) ? `${prefix}.hook_out` : `${prefix}.hook_normalized`);

function centreY(block: Block, height: number): Block {
  return { svg: place(block, 0, (height - block.height) / 2), width: block.width, height };
}

function norm(v: ArrayLike<number> | undefined): number {
  if (!v) return 0;
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i]! * v[i]!;
  return Math.sqrt(s);
}

export function residualStage(ctx: Ctx): Block {
  const L = ctx.opts.layer;
  const names = ['hook_resid_pre', 'hook_attn_out', 'hook_resid_mid', 'hook_mlp_out', 'hook_resid_post'] as const;
  const vecs = names.map((h) => rows(ctx, B(ctx, h)));
  const count = drawnCount(ctx);
  const scale = stageScale(ctx, 'stage-residual', [...vecs[0]!, ...vecs[2]!, ...vecs[4]!], count, `layer ${L} stream`);
  const writeScale = stageScale(ctx, 'stage-residual', [...vecs[1]!, ...vecs[3]!], count, `layer ${L} writes`);
  const budget = (INNER_WIDTH - 4 * 44) / 5 - 8;
  const titles = [`stream in (layer ${L})`, 'attention writes', 'stream, mid-layer', 'MLP writes', `stream out (layer ${L})`];
  const ids = ['resid-pre', 'attn-write', 'resid-mid', 'mlp-write', 'resid-post'];
  const blocks = vecs.map((v, i) => positionRow(ctx, v, { title: titles[i]!, scale: i % 2 ? writeScale : scale, budget, ids: (p) => `vec-${ids[i]}-L${L}-p${p}`, labels: i === 0 || i === 4 }));
  const h = COLUMN_HEIGHT + SIZE.small * 1.3;
  const op = (s: string, write: boolean) => {
    const sym = write ? plusCircle(13, { 'data-write': 'true' }) : symbol(s, 26, SIZE.stageTitle);
    return centreY(sym, h);
  };
  const row = hstack([blocks[0]!, op('+', true), blocks[1]!, op('=', false), blocks[2]!, op('+', true), blocks[3]!, op('=', false), blocks[4]!], 10, 'start');
  // Reads: arrows out of the stream into each LayerNorm.
  const readNote = label(`reads: LayerNorm 1 → attention, LayerNorm 2 → MLP (each reads a copy; the stream is unchanged)   ·   writes: ⊕ adds the output back`, 0, SIZE.caption, { size: SIZE.caption, fill: MUTED });
  // Norms across all layers for every position: the stream grows as layers write into it.
  const series = positions(ctx).map((p) => {
    const s: number[] = [];
    for (let l = 0; l < ctx.config.n_layer; l++) s.push(norm(ctx.row(`blocks.${l}.hook_resid_pre`, p)));
    s.push(norm(ctx.row(`blocks.${ctx.config.n_layer - 1}.hook_resid_post`, p)));
    return s;
  });
  const xLabels = [...Array.from({ length: ctx.config.n_layer }, (_, l) => String(l)), 'out'];
  const chart = lineChart(series, 420, 140, { xLabels, yTitle: `‖stream‖ per position, entering each layer (last position bold)`, highlight: ctx.nTokens - 1 });
  const drawing = vstack([{ ...readNote, height: SIZE.caption * 1.6 }, row, hstack([{ svg: place(chart, 40, 24), width: chart.width + 40, height: chart.height + 24 }, vstack([scaleKey(scale), scaleKey(writeScale)], 16)], 40)], 16);
  return frame(ctx, 'stage-residual', drawing, { note: 'below' });
}

export function layerNormStage(ctx: Ctx): Block {
  const L = ctx.opts.layer;
  const prefix = B(ctx, 'ln1');
  const input = rows(ctx, B(ctx, 'hook_resid_pre'));
  const normed = rows(ctx, `${prefix}.hook_normalized`);
  const hasOut = !!ctx.tensor(`${prefix}.hook_out`);
  const out = hasOut ? rows(ctx, `${prefix}.hook_out`) : normed.map(() => undefined);
  const count = drawnCount(ctx);
  const scaleIn = stageScale(ctx, 'stage-layernorm', input, count, 'LayerNorm input');
  const scaleN = stageScale(ctx, 'stage-layernorm', [...normed, ...out], count, 'normalised');
  const mean = input.map((v) => {
    if (!v) return 0;
    let s = 0;
    for (let i = 0; i < v.length; i++) s += v[i]!;
    return s / v.length;
  });
  const sigma = positions(ctx).map((p) => ctx.row(`${prefix}.hook_scale`, p)?.[0] ?? 0);
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
  return frame(ctx, 'stage-layernorm', drawing, { note: 'below' });
}

export function attentionStage(ctx: Ctx): Block {
  const L = ctx.opts.layer;
  const H = ctx.config.n_head;
  const h0 = Math.min(ctx.opts.head, H - 1);
  const pattern = ctx.tensor(B(ctx, 'attn.hook_pattern'));
  const nTok = ctx.nTokens;
  const pat = (h: number) => (q: number, k: number) => pattern ? pattern.data[(h * nTok + q) * nTok + k]! : 0;
  // Heads as stacked cards: the drawn head in front, the others behind.
  const card = 150;
  const off = 7;
  const stackParts: string[] = [];
  const order = Array.from({ length: H }, (_, h) => h).filter((h) => h !== h0).reverse();
  const depth = order.length;
  order.forEach((h, i) => {
    const x = (depth - i) * off;
    const y = (i) * off;
    stackParts.push(`<rect${attrs({ x, y, width: card, height: card, rx: 8, fill: CATEGORY.attention.tint, stroke: CATEGORY.attention.color, 'stroke-width': 1, 'data-head': h })}/>`);
  });
  const front = miniTriangle(nTok, pat(h0), card - 40, `head ${h0}`);
  const fy = depth * off;
  stackParts.push(`<rect${attrs({ x: 0, y: fy, width: card, height: card, rx: 8, fill: '#fff', stroke: CATEGORY.attention.color, 'stroke-width': 2 })}/>` + place(front, 14, fy + 8));
  const stack: Block = { svg: stackParts.join(''), width: card + depth * off, height: card + depth * off };
  const stackLabel = caption(ctx, `${H} heads in parallel, each with its own weights; head ${h0} is opened up below`, stack.width + 40);
  const outs = rows(ctx, B(ctx, 'hook_attn_out'));
  const count = drawnCount(ctx);
  const scale = stageScale(ctx, 'stage-attention', outs, count, 'attention output');
  const sum = opBox({ tex: '\\sum_{h} \\text{head}_h + b_O' }, ctx.tex);
  const outRow = positionRow(ctx, outs, { title: 'attention output', scale, budget: 420, ids: (p) => `vec-attn-out-L${L}-p${p}`, labels: true });
  const toStream = vstack([plusCircle(13), caption(ctx, 'into the stream', 100)], 6, 'middle');
  const hh = Math.max(stack.height, COLUMN_HEIGHT);
  const row = hstack([vstack([stack, stackLabel], 10), centreY(arrowRight(50), hh), centreY(sum, hh), centreY(arrowRight(50), hh), outRow, centreY(toStream, hh)], 14, 'start');
  const parts: Block[] = [row, scaleKey(scale)];
  if (ctx.opts.headGrid && pattern) {
    const size = Math.min(130, (INNER_WIDTH - 20 * 7) / Math.min(H, 8));
    const perRow = Math.max(1, Math.floor((INNER_WIDTH + 20) / (size + 20)));
    const minis = Array.from({ length: H }, (_, h) => miniTriangle(nTok, pat(h), size, `head ${h}`, `pattern-L${L}-h${h}`));
    const gridRows: Block[] = [];
    for (let i = 0; i < minis.length; i += perRow) gridRows.push(hstack(minis.slice(i, i + perRow), 20));
    parts.push(vstack([{ ...label(`Attention patterns of all ${H} heads in layer ${L} (rows: query position, columns: key position; darker = more weight)`, 0, SIZE.small, { size: SIZE.small, weight: 600, fill: INK }), height: SIZE.small * 1.6 }, vstack(gridRows, 16)], 6));
  }
  return frame(ctx, 'stage-attention', vstack(parts, 22), { note: 'below' });
}

export function attentionHeadStage(ctx: Ctx): Block {
  const L = ctx.opts.layer;
  const c = ctx.config;
  const h0 = Math.min(ctx.opts.head, c.n_head - 1);
  const nTok = ctx.nTokens;
  const q = rows(ctx, B(ctx, 'attn.hook_q'), h0);
  const k = rows(ctx, B(ctx, 'attn.hook_k'), h0);
  const v = rows(ctx, B(ctx, 'attn.hook_v'), h0);
  const z = rows(ctx, B(ctx, 'attn.hook_z'), h0);
  const result = rows(ctx, B(ctx, 'attn.hook_result'), h0);
  const lnIn = rows(ctx, lnOut(ctx, B(ctx, 'ln1')));
  const dh = c.d_head;
  const headCount = Math.min(dh, ctx.opts.componentsDrawn);
  const scaleQKV = stageScale(ctx, 'stage-attention-head', [...q, ...k, ...v, ...z], headCount, `head ${h0} q, k, v, z`);
  const count = drawnCount(ctx);
  const scaleIn = stageScale(ctx, 'stage-attention-head', lnIn, count, 'LayerNorm 1 output');
  const scaleOut = stageScale(ctx, 'stage-attention-head', result, count, `head ${h0} output`);
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
  const scores = ctx.tensor(B(ctx, 'attn.hook_attn_scores'));
  const pattern = ctx.tensor(B(ctx, 'attn.hook_pattern'));
  const at = (t: typeof scores, qq: number, kk: number) => (t ? t.data[(h0 * nTok + qq) * nTok + kk]! : 0);
  const sqrt = Math.sqrt(dh);
  const small = Math.max(5, Math.min(14, 220 / nTok));
  const scoreVals: number[] = [];
  for (let i = 0; i < nTok; i++) for (let j = 0; j <= i; j++) scoreVals.push(at(scores, i, j) * sqrt);
  const rawScale = stageScale(ctx, 'stage-attention-head', [scoreVals], scoreVals.length, 'q·k');
  const scaledScale = stageScale(ctx, 'stage-attention-head', [scoreVals.map((s) => s / sqrt)], scoreVals.length, 'q·k/√d_head');
  const labels = tokenLabels(ctx, 7);
  const t1 = triangle({ n: nTok, value: (i, j) => at(scores, i, j) * sqrt, cell: small, scale: rawScale, rowLabels: labels, id: `scores-raw-L${L}-h${h0}` });
  const t2 = triangle({ n: nTok, value: (i, j) => at(scores, i, j), cell: small, scale: scaledScale, id: `scores-L${L}-h${h0}` });
  const opW = 150;
  const labelW = Math.max(...labels.map((t) => measure(t, Math.min(SIZE.tiny + 1, 20)))) + 10;
  const cell = Math.max(20, Math.min(64, (INNER_WIDTH - t1.width - t2.width - 2 * opW - 4 * 20 - labelW) / nTok));
  const t3 = triangle({ n: nTok, value: (i, j) => at(pattern, i, j), cell, cellHeight: Math.max(16, Math.min(34, cell * 0.6)), numbers: true, rowLabels: labels, colLabels: labels, head: h0, dataName: 'pattern', id: `pattern-full-L${L}-h${h0}` });
  const step1 = stepGroup(1, vstack([formula('q_i \\cdot k_j,\\; j \\le i', ctx.tex, SIZE.small), t1], 8));
  const step2 = stepGroup(2, hstack([centreY(opBox({ tex: '\\times \\tfrac{1}{\\sqrt{d_\\text{head}}}' }, ctx.tex), t1.height), vstack([formula(`\\text{scores (}\\sqrt{${dh}} = ${fmtDomain(sqrt)}\\text{)}`, ctx.tex, SIZE.small), t2], 8)], 12));
  const step3 = stepGroup(3, hstack([centreY(opBox({ text: 'softmax per row' }, ctx.tex), t1.height), vstack([formula('\\text{pattern } A_{ij} = \\operatorname{softmax}_j', ctx.tex, SIZE.small), t3], 8)], 12));
  const triRow = hstack([step1, step2, step3], 20, 'start');
  const triNote = caption(ctx, `Only the ${fmtInt((nTok * (nTok + 1)) / 2)} causal pairs (key ≤ query) are computed and drawn; the masked half does not exist here. Each row of the pattern sums to 1.`, INNER_WIDTH, SIZE.small, INK);
  // Row C: weighted sum, W_O slice, output.
  const zRow = positionRow(ctx, z, { title: 'results z = Σ A v', scale: scaleQKV, budget: 300, ids: (p) => `vec-z-L${L}-h${h0}-p${p}`, count: headCount, length: dh, height: headH, labels: true });
  const step4 = stepGroup(4, vstack([formula('z_i = \\sum_{j \\le i} A_{ij}\\, v_j', ctx.tex, SIZE.body), zRow], 10));
  const wo = matrixGlyph({ name: `W_O^{${L},${h0}}`, rows: dh, cols: c.d_model, dimsTex: 'd_\\text{head} \\times d_\\text{model}', width: 150, height: 46, id: `mat-W_O-L${L}-h${h0}`, note: `this head's ${dh} rows of W_O` }, ctx.tex);
  const step5 = stepGroup(5, hstack([centreY(arrowRight(30), 140), wo], 10));
  const outRow = positionRow(ctx, result, { title: `head ${h0} output (${fmtInt(c.d_model)}-dim)`, scale: scaleOut, budget: 360, ids: (p) => `vec-head-out-L${L}-h${h0}-p${p}`, labels: true });
  const step6 = stepGroup(6, hstack([arrowRight(30, COLUMN_HEIGHT), outRow, vstack([plusCircle(13), caption(ctx, 'summed with the other heads and added to the stream', 140)], 6, 'middle')], 12, 'start'));
  const outRowAll = hstack([step4, step5, step6], 20, 'start');
  const keys = hstack([scaleKey(scaleIn, 200), scaleKey(scaleQKV, 200), scaleKey(rawScale, 200), scaleKey(scaledScale, 200), scaleKey(scaleOut, 200)], 26);
  const drawing = vstack([projRow, triRow, triNote, outRowAll, keys], 26);
  return frame(ctx, 'stage-attention-head', drawing, { note: 'below' });
}

function productGlyphs(ctx: Ctx, which: 'QK' | 'OV'): Block {
  const c = ctx.config;
  const L = ctx.opts.layer;
  const h0 = Math.min(ctx.opts.head, c.n_head - 1);
  const big = 130;
  const thin = Math.max(16, (big * c.d_head) / c.d_model);
  const a =
    which === 'QK'
      ? matrixGlyph({ name: 'W_Q', rows: c.d_model, cols: c.d_head, dimsTex: 'd_\\text{model} \\times d_\\text{head}', width: thin + 20, height: big }, ctx.tex)
      : matrixGlyph({ name: 'W_V', rows: c.d_model, cols: c.d_head, dimsTex: 'd_\\text{model} \\times d_\\text{head}', width: thin + 20, height: big }, ctx.tex);
  const b =
    which === 'QK'
      ? matrixGlyph({ name: 'W_K^\\top', rows: c.d_head, cols: c.d_model, dimsTex: 'd_\\text{head} \\times d_\\text{model}', width: big, height: thin + 20 }, ctx.tex)
      : matrixGlyph({ name: 'W_O', rows: c.d_head, cols: c.d_model, dimsTex: 'd_\\text{head} \\times d_\\text{model}', width: big, height: thin + 20 }, ctx.tex);
  const prod = matrixGlyph(
    { name: which === 'QK' ? 'W_{QK}' : 'W_{OV}', rows: c.d_model, cols: c.d_model, dimsTex: `d_\\text{model} \\times d_\\text{model}`, width: big, height: big, note: `rank ≤ ${c.d_head}` },
    ctx.tex,
  );
  const eq = formula(which === 'QK' ? `W_{QK}^{${L},${h0}} = W_Q \\, W_K^\\top` : `W_{OV}^{${L},${h0}} = W_V \\, W_O`, ctx.tex, SIZE.short);
  const row = hstack([a, symbol('·', big), b, symbol('=', big), prod], 10, 'start');
  return vstack([eq, row], 14);
}

function circuitStage(ctx: Ctx, id: 'stage-qk-circuit' | 'stage-ov-circuit'): Block {
  const which = id === 'stage-qk-circuit' ? 'QK' : 'OV';
  const glyphs = productGlyphs(ctx, which);
  const text = which === 'QK' ? 'where to read from: only the product of query and key maps matters' : 'what to copy: values and output map act as one matrix';
  const box = callout(which === 'QK' ? 'QK circuit as one unit' : 'OV circuit as one unit', vstack([glyphs, caption(ctx, text, 560, SIZE.small, INK)], 14), Math.max(600, glyphs.width + 36), CATEGORY.attention.color);
  return frame(ctx, id, box);
}

export const qkCircuitStage = (ctx: Ctx) => circuitStage(ctx, 'stage-qk-circuit');
export const ovCircuitStage = (ctx: Ctx) => circuitStage(ctx, 'stage-ov-circuit');

export function mlpStage(ctx: Ctx): Block {
  const L = ctx.opts.layer;
  const c = ctx.config;
  const input = rows(ctx, lnOut(ctx, B(ctx, 'ln2')));
  const pre = rows(ctx, B(ctx, 'mlp.hook_pre'));
  const post = rows(ctx, B(ctx, 'mlp.hook_post'));
  const out = rows(ctx, B(ctx, 'hook_mlp_out'));
  const count = drawnCount(ctx);
  const hidden = Math.min(c.d_mlp, Math.round((count * c.d_mlp) / c.d_model));
  const hiddenH = 2 * COLUMN_HEIGHT;
  const scaleIO = stageScale(ctx, 'stage-mlp', input, count, 'MLP input');
  const scaleOut = stageScale(ctx, 'stage-mlp', out, count, 'MLP output');
  const scaleH = stageScale(ctx, 'stage-mlp', [...pre, ...post], hidden, 'hidden activations');
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
  const note = caption(ctx, `${count} of ${fmtInt(c.d_model)} components drawn for ${fmtInt(c.d_model)}-vectors; ${hidden} of ${fmtInt(c.d_mlp)} for the hidden layer (first components; the rest are elided).`, INNER_WIDTH, SIZE.small, INK);
  const drawing = vstack([row1, row2, hstack([scaleKey(scaleIO), scaleKey(scaleH), scaleKey(scaleOut)], 40), note], 22);
  return frame(ctx, 'stage-mlp', drawing, { note: 'below' });
}

export function layersStage(ctx: Ctx): Block {
  const c = ctx.config;
  const L = ctx.opts.layer;
  const parts: Block[] = [];
  if (ctx.opts.allLayers) {
    const count = Math.min(64, drawnCount(ctx));
    const all = [] as (Float32Array | undefined)[];
    for (let l = 0; l < c.n_layer; l++) for (const h of ['hook_attn_out', 'hook_mlp_out', 'hook_resid_post']) all.push(...rows(ctx, B(ctx, h, l)));
    const scale = stageScale(ctx, 'stage-layers', all, count, 'all layers');
    const budget = (INNER_WIDTH - 80 - 3 * 20) / 3;
    for (let l = 0; l < c.n_layer; l++) {
      const blocks = ['hook_attn_out', 'hook_mlp_out', 'hook_resid_post'].map((h, i) =>
        positionRow(ctx, rows(ctx, B(ctx, h, l)), { title: l === 0 ? ['attention output', 'MLP output', 'stream out'][i]! : '', scale, budget, count, height: 72, ids: (p) => `vec-strip-${h.replace('hook_', '').replace('_', '-')}-L${l}-p${p}` }),
      );
      const tag = label(`layer ${l}`, 0, 40, { size: SIZE.small, weight: l === L ? 700 : 400, fill: INK });
      parts.push(hstack([{ svg: tag.svg, width: 70, height: 72 }, ...blocks], 20, 'end'));
    }
    parts.push(scaleKey(scale));
  } else {
    const others = Array.from({ length: c.n_layer }, (_, l) => l).filter((l) => l !== L);
    const boxes = Array.from({ length: c.n_layer }, (_, l) => {
      const on = l === L;
      return `<g${attrs({ 'data-layer': l, transform: `translate(${n(l * 58)},0)` })}><rect${attrs({ width: 50, height: 70, rx: 6, fill: on ? CATEGORY.attention.tint : '#f6f8fa', stroke: on ? CATEGORY.attention.color : '#8c959f', 'stroke-width': on ? 2 : 1, 'stroke-dasharray': on ? undefined : '4 3' })}/>${label(String(l), 25, 42, { size: SIZE.small, anchor: 'middle', weight: on ? 700 : 400, fill: INK }).svg}</g>`;
    }).join('');
    parts.push({ svg: boxes, width: c.n_layer * 58, height: 70 });
    const range = others.length ? `${others.length} more layer${others.length > 1 ? 's' : ''} (${others[0]}…${others[others.length - 1]})` : 'no other layers';
    parts.push(caption(ctx, `Layer ${L} is drawn in full above; ${range} elided: same structure, own weights. Each reads the stream through LayerNorm and adds its attention and MLP outputs back.`, INNER_WIDTH, SIZE.body, INK));
  }
  parts.push(caption(ctx, `After the last layer only position ${ctx.nTokens - 1} (the last token) is unembedded: the next-token prediction needs nothing else.`, INNER_WIDTH, SIZE.body, INK));
  return frame(ctx, 'stage-layers', vstack(parts, 14), { note: 'below' });
}

export { MUTED, annotationBlock };
