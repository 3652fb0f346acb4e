/** The title card: the model, the prompt, the run, and the introduction. */
import { annotationBlock } from '../marks/callout.js';
import { fmtInt } from '../marks/glyphs.js';
import { defineStage, NO_SCALES } from '../stage.js';
import { attrs, place, vstack, type Block } from '../svg.js';
import { CATEGORY, INK, INNER_WIDTH, MUTED, SIZE, STAGE_PAD, STAGE_WIDTH } from '../theme.js';
import { label, renderLines, wrap } from '../text.js';
import { elidedRuns } from '../positions.js';
import { caption, promptExcerpt } from './common.js';

/** Models made with `random:NAME` have random weights (the engine names them so). */
export const hasRandomWeights = (modelName: string) => modelName.startsWith('random:');

export const titleStage = defineStage({
  id: 'stage-title',
  category: 'operation',
  title: 'Vectorview',
  tex: () => [],
  reads: () => [],
  prepare: () => NO_SCALES,
  draw(ctx) {
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
    if (hasRandomWeights(ctx.config.name)) {
      const warning = 'Weights: random, never trained. Every number here is real arithmetic on random weights, so no pattern on this poster was learned.';
      parts.push(renderLines(wrap([{ kind: 'text', text: warning, style: { weight: 700 } }], INNER_WIDTH, { size: SIZE.short }), { size: SIZE.short, color: CATEGORY.parameter.color }, ctx.tex));
    }
    const promptRuns = [
      { kind: 'text' as const, text: 'Prompt: ', style: { weight: 700 as const } },
      { kind: 'text' as const, text: `“${promptExcerpt(ctx.trace.prompt)}”`, style: {} },
    ];
    const prompt = renderLines(wrap(promptRuns, INNER_WIDTH, { size: SIZE.short + 4 }), { size: SIZE.short + 4, color: INK }, ctx.tex);
    parts.push({ ...prompt, svg: `<g class="prompt">${prompt.svg}</g>` });
    if (ctx.shown.elided) {
      const kept = ctx.shown.positions;
      const text = `${ctx.nTokens} tokens: the drawings of one vector per position show ${kept.length} of them (the first ones, the last, and any the drawn head's last query reads most); elided: ${elidedRuns(ctx.shown).join(', ')}. Every elided position was computed all the same.`;
      parts.push(renderLines(wrap([{ kind: 'text', text, style: {} }], INNER_WIDTH, { size: SIZE.short }), { size: SIZE.short, color: INK }, ctx.tex));
    }
    for (const text of ctx.opts.condensed) {
      const block = renderLines(wrap([{ kind: 'text', text, style: { weight: 600 } }], INNER_WIDTH, { size: SIZE.short }), { size: SIZE.short, color: INK }, ctx.tex);
      parts.push({ ...block, svg: `<g class="condensed">${block.svg}</g>` });
    }
    const meta = [ctx.opts.date && `Date: ${ctx.opts.date}`, ctx.opts.version && `Vectorview ${ctx.opts.version}`, `engine: ${ctx.trace.engine.name} ${ctx.trace.engine.version} (${ctx.trace.engine.mode})`].filter(Boolean).join(' · ');
    parts.push({ ...label(meta, 0, SIZE.small, { size: SIZE.small, fill: MUTED }), height: SIZE.small * 1.4 });
    if (note.short) parts.push(caption(ctx, note.short, INNER_WIDTH, SIZE.short, '#3d444d'));
    if (note.body || note.points.length) parts.push(annotationBlock(note, INNER_WIDTH, ctx.tex, { columns: 2 }));
    const content = vstack(parts, 18);
    const height = content.height + 2 * STAGE_PAD;
    const svg = `<rect${attrs({ width: STAGE_WIDTH, height, rx: 14, fill: '#fff', stroke: '#d0d7de', 'stroke-width': 1.2 })}/>` + place(content, STAGE_PAD, STAGE_PAD);
    return { svg: `<g id="stage-title" class="stage" data-stage="stage-title">${svg}</g>`, width: STAGE_WIDTH, height };
  },
});
