/** The tokenizer: the string, its tokens, their ids, and the row of W_E each id selects. */
import { arrowDown, fmtInt } from '../marks/glyphs.js';
import { chipRow } from '../marks/tokens.js';
import { defineStage, NO_SCALES } from '../stage.js';
import { attrs, place, vstack, type Block } from '../svg.js';
import { CATEGORY, INK, INNER_WIDTH, MUTED, SIZE } from '../theme.js';
import { label, renderLines, wrap } from '../text.js';
import { frame, promptExcerpt, stepGroup } from './common.js';

const meta = { id: 'stage-tokenizer', category: 'tokenizer' } as const;

export const tokenizerStage = defineStage({
  ...meta,
  title: 'Tokenizer',
  tex: () => [],
  reads: () => ['tokens'],
  prepare: () => NO_SCALES,
  draw(ctx) {
    const prompt = ctx.trace.prompt;
    const chars = [...prompt].length;
    const bytes = new TextEncoder().encode(prompt).length;
    const width = INNER_WIDTH;
    const c = CATEGORY.tokenizer;
    // Step 1: the string.
    const strLines = wrap([{ kind: 'text', text: promptExcerpt(prompt), style: {} }], width - 32, { size: SIZE.short });
    const str = renderLines(strLines, { size: SIZE.short, color: INK }, ctx.tex);
    const strBox: Block = {
      svg: `<rect${attrs({ width, height: str.height + 20, rx: 6, fill: '#fff', stroke: c.color, 'stroke-width': 1.4, 'stroke-dasharray': '5 3' })}/>` + place(str, 16, 10),
      width,
      height: str.height + 20,
    };
    const counts = label(`input string: ${fmtInt(chars)} characters, ${fmtInt(bytes)} UTF-8 bytes`, 0, SIZE.caption, { size: SIZE.caption, fill: MUTED });
    const step1 = stepGroup(1, vstack([{ ...counts, height: SIZE.caption * 1.5 }, strBox], 4));
    // Steps 2 and 3: chips, then ids.
    const { positions: shown, breaks } = ctx.shown;
    const chips = chipRow(shown.map((p) => ctx.trace.tokens[p]!), width, { size: SIZE.body, withIds: true, withMerges: true, positions: shown, breaks });
    const tokensOnly = chips.svg.split('<g class="ids">');
    const step2 = stepGroup(2, { svg: tokensOnly[0]!, width: chips.width, height: chips.height });
    const step3 = stepGroup(3, { svg: tokensOnly[1] ? `<g class="ids">${tokensOnly[1]}` : '', width: chips.width, height: chips.height });
    const chipBlock: Block = { svg: step2.svg + step3.svg, width: chips.width, height: chips.height, marks: [...(step2.marks ?? []), ...(step3.marks ?? [])] };
    const tokensCaption = label(`${ctx.nTokens} tokens${ctx.shown.elided ? ` (${ctx.shown.positions.length} shown, ${ctx.shown.elided} elided)` : ''} (display form: Ġ marks a leading space) and their ids`, 0, SIZE.caption, { size: SIZE.caption, fill: MUTED });
    // Step 4: each id selects a row of W_E.
    const rows = label(`each id selects one row of W_E (${fmtInt(ctx.config.n_vocab)} rows): the token leaves the tokenizer and becomes a vector`, 30, 22, { size: SIZE.caption, fill: INK });
    const step4 = stepGroup(4, { svg: arrowDown(30).svg + rows.svg, width, height: 32 });
    const drawing = vstack([step1, { ...tokensCaption, height: SIZE.caption * 1.4 }, chipBlock, step4], 10);
    return frame(ctx, meta, drawing, { note: 'below' });
  },
});
