/** Title, tokenizer, embeddings. */
import type { Ctx } from '../context.js';
import { measure } from '../fonts.js';
import { annotationBlock } from '../marks/callout.js';
import { arrowDown, arrowRight, fmtInt, matrixGlyph, symbol } from '../marks/glyphs.js';
import { chipRow } from '../marks/tokens.js';
import { attrs, hstack, place, vstack, type Block } from '../svg.js';
import { CATEGORY, INK, INNER_WIDTH, MUTED, SIZE, STAGE_PAD, STAGE_WIDTH } from '../theme.js';
import { label, renderLines, wrap } from '../text.js';
import { caption, drawnCount, frame, positionRow, scaleKey, stageScale, stepGroup } from './common.js';

const FRONTIER_WIDTH = 16384;

export function titleStage(ctx: Ctx): Block {
  const c = ctx.config;
  const note = ctx.note('stage-title');
  const parts: Block[] = [];
  const title = 'One forward pass, vector by vector';
  const tLines = wrap([{ kind: 'text', text: title, style: {} }], INNER_WIDTH, { size: SIZE.posterTitle, weight: 700 });
  parts.push(renderLines(tLines, { size: SIZE.posterTitle, weight: 700, color: INK, leading: 1.15 }, ctx.tex));
  parts.push({ ...label('vector-wise inference in a decoder-only transformer', 0, SIZE.posterSubtitle, { size: SIZE.posterSubtitle, fill: '#3d444d' }), height: SIZE.posterSubtitle * 1.4 });
  parts.push(renderLines(wrap([{ kind: 'text', text: `Model: ${c.name}`, style: {} }], INNER_WIDTH, { size: SIZE.posterSubtitle, weight: 700 }), { size: SIZE.posterSubtitle, weight: 700, color: CATEGORY.attention.color }, ctx.tex));
  const facts = `${fmtInt(ctx.params.total)} parameters · ${c.n_layer} layers · d_model ${fmtInt(c.d_model)} · ${c.n_head} heads of d_head ${c.d_head} · d_mlp ${fmtInt(c.d_mlp)} · vocabulary ${fmtInt(c.n_vocab)} · context ${fmtInt(c.n_context)}`;
  parts.push(renderLines(wrap([{ kind: 'text', text: facts, style: {} }], INNER_WIDTH, { size: SIZE.short }), { size: SIZE.short, color: INK }, ctx.tex));
  const promptRuns = [
    { kind: 'text' as const, text: 'Prompt: ', style: { weight: 700 as const } },
    { kind: 'text' as const, text: `“${ctx.trace.prompt}”`, style: {} },
  ];
  const prompt = renderLines(wrap(promptRuns, INNER_WIDTH, { size: SIZE.short + 4 }), { size: SIZE.short + 4, color: INK }, ctx.tex);
  parts.push({ ...prompt, svg: `<g class="prompt">${prompt.svg}</g>` });
  const meta = [ctx.opts.date && `Date: ${ctx.opts.date}`, ctx.opts.version && `Vectorview ${ctx.opts.version}`, `engine: ${ctx.trace.engine.name} ${ctx.trace.engine.version} (${ctx.trace.engine.mode})`].filter(Boolean).join(' · ');
  parts.push({ ...label(meta, 0, SIZE.small, { size: SIZE.small, fill: MUTED }), height: SIZE.small * 1.4 });
  if (note.short) parts.push(caption(ctx, note.short, INNER_WIDTH, SIZE.short, '#3d444d'));
  parts.push(annotationBlock(note, INNER_WIDTH, ctx.tex, { columns: 2 }));
  const content = vstack(parts, 18);
  const height = content.height + 2 * STAGE_PAD;
  const svg = `<rect${attrs({ width: STAGE_WIDTH, height, rx: 14, fill: '#fff', stroke: '#d0d7de', 'stroke-width': 1.2 })}/>` + place(content, STAGE_PAD, STAGE_PAD);
  return { svg: `<g id="stage-title" class="stage" data-stage="stage-title">${svg}</g>`, width: STAGE_WIDTH, height };
}

export function tokenizerStage(ctx: Ctx): Block {
  const prompt = ctx.trace.prompt;
  const chars = [...prompt].length;
  const bytes = new TextEncoder().encode(prompt).length;
  const width = INNER_WIDTH;
  const c = CATEGORY.tokenizer;
  // Step 1: the string.
  const strLines = wrap([{ kind: 'text', text: prompt, style: {} }], width - 32, { size: SIZE.short });
  const str = renderLines(strLines, { size: SIZE.short, color: INK }, ctx.tex);
  const strBox: Block = {
    svg: `<rect${attrs({ width, height: str.height + 20, rx: 6, fill: '#fff', stroke: c.color, 'stroke-width': 1.4, 'stroke-dasharray': '5 3' })}/>` + place(str, 16, 10),
    width,
    height: str.height + 20,
  };
  const counts = label(`input string: ${fmtInt(chars)} characters, ${fmtInt(bytes)} UTF-8 bytes`, 0, SIZE.caption, { size: SIZE.caption, fill: MUTED });
  const step1 = stepGroup(1, vstack([{ ...counts, height: SIZE.caption * 1.5 }, strBox], 4));
  // Steps 2 and 3: chips, then ids.
  const chips = chipRow(ctx.trace.tokens, width, { size: SIZE.body, withIds: true, withMerges: true });
  const tokensOnly = chips.svg.split('<g class="ids">');
  const step2 = stepGroup(2, { svg: tokensOnly[0]!, width: chips.width, height: chips.height });
  const step3 = stepGroup(3, { svg: tokensOnly[1] ? `<g class="ids">${tokensOnly[1]}` : '', width: chips.width, height: chips.height });
  const chipBlock: Block = { svg: step2.svg + step3.svg, width: chips.width, height: chips.height };
  const tokensCaption = label(`${ctx.nTokens} tokens (display form: Ġ marks a leading space) and their ids`, 0, SIZE.caption, { size: SIZE.caption, fill: MUTED });
  // Step 4: each id selects a row of W_E.
  const rows = label(`each id selects one row of W_E (${fmtInt(ctx.config.n_vocab)} rows): the token leaves the tokenizer and becomes a vector`, 30, 22, { size: SIZE.caption, fill: INK });
  const step4 = stepGroup(4, { svg: arrowDown(30).svg + rows.svg, width, height: 32 });
  const drawing = vstack([step1, { ...tokensCaption, height: SIZE.caption * 1.4 }, chipBlock, step4], 10);
  return frame(ctx, 'stage-tokenizer', drawing, { note: 'below' });
}

function lookupStage(ctx: Ctx, which: 'embed' | 'pos'): Block {
  const c = ctx.config;
  const isE = which === 'embed';
  const id = isE ? 'stage-embedding' : 'stage-positional';
  const hookName = isE ? 'hook_embed' : 'hook_pos_embed';
  const rows = isE ? c.n_vocab : c.n_context;
  const vectors = ctx.trace.tokens.map((_, p) => ctx.row(hookName, p));
  const count = drawnCount(ctx);
  const scale = stageScale(ctx, id, vectors, count, isE ? 'token embedding' : 'positional embedding');
  const glyphH = 300;
  const marks = ctx.trace.tokens.map((t, p) => ({ at: isE ? t.id / rows : p / rows, label: String(isE ? t.id : p) }));
  const share = isE ? ctx.params.embedding / ctx.params.total : ctx.params.positional / ctx.params.total;
  const count_ = isE ? ctx.params.embedding : ctx.params.positional;
  const glyph = matrixGlyph(
    {
      name: isE ? 'W_E' : 'W_P',
      rows,
      cols: c.d_model,
      dimsTex: isE ? 'n_\\text{vocab} \\times d_\\text{model}' : 'n_\\text{context} \\times d_\\text{model}',
      width: 90,
      height: glyphH,
      marks,
      elided: isE,
      id: isE ? 'mat-W_E' : 'mat-W_P',
      note: `${fmtInt(count_)} parameters (${(share * 100).toFixed(1)}%)`,
    },
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
  const drawing = vstack([hstack([glyph, arrow, row], 16, 'start'), scaleKey(scale), caption(ctx, `${count} of ${fmtInt(c.d_model)} components drawn per vector; a frontier model's vectors have about ${fmtInt(FRONTIER_WIDTH)}.`, 520)], 14);
  return frame(ctx, id, drawing);
}

export const embeddingStage = (ctx: Ctx) => lookupStage(ctx, 'embed');
export const positionalStage = (ctx: Ctx) => lookupStage(ctx, 'pos');

export function inputEmbeddingsStage(ctx: Ctx): Block {
  const c = ctx.config;
  const e = ctx.trace.tokens.map((_, p) => ctx.row('hook_embed', p));
  const pe = ctx.trace.tokens.map((_, p) => ctx.row('hook_pos_embed', p));
  const x = ctx.trace.tokens.map((_, p) => ctx.row('blocks.0.hook_resid_pre', p) ?? sum(e[p], pe[p]));
  const count = drawnCount(ctx);
  const scale = stageScale(ctx, 'stage-input-embeddings', [...e, ...pe, ...x], count, 'embeddings');
  const budget = (INNER_WIDTH - 2 * 60) / 3 - 10;
  const row = (vs: (ArrayLike<number> | undefined)[], title: string, idp: string) => positionRow(ctx, vs, { title, scale, budget, ids: (p) => `vec-${idp}-p${p}`, labels: true });
  const plus = symbol('+', 290);
  const eq = symbol('=', 290);
  const blocks = hstack([row(e, 'token embeddings', 'input-embed'), plus, row(pe, 'positional embeddings', 'input-pos'), eq, row(x, 'input vectors = residual stream at layer 0', 'input')], 18, 'start');
  const key = scaleKey(scale);
  const note = caption(
    ctx,
    `Each cell is one component; **${count} of ${fmtInt(c.d_model)} components** are drawn per vector (${ctx.nTokens} vectors of ${fmtInt(c.d_model)}). For scale: frontier models carry vectors of about ${fmtInt(FRONTIER_WIDTH)} components.`,
    INNER_WIDTH - key.width - 30,
    SIZE.small,
    INK,
  );
  const drawing = vstack([blocks, hstack([key, note], 30)], 16);
  return frame(ctx, 'stage-input-embeddings', drawing, { note: 'below' });
}

function sum(a?: ArrayLike<number>, b?: ArrayLike<number>): Float32Array | undefined {
  if (!a || !b) return undefined;
  return Float32Array.from(a, (v, i) => v + (b[i] ?? 0));
}

export { measure };
