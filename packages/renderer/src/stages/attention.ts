/** The attention sublayer of the drawn layer: its heads in parallel, their sum, and every head's pattern. */
import { elementId } from '../drawings.js';
import { miniTriangle } from '../marks/attention.js';
import { arrowRight, opBox, plusCircle } from '../marks/glyphs.js';
import { defineStage } from '../stage.js';
import { attrs, hstack, place, vstack, type Block } from '../svg.js';
import { CATEGORY, INK, INNER_WIDTH, SIZE } from '../theme.js';
import { label } from '../text.js';
import { caption, COLUMN_HEIGHT, drawnCount, frame, positionRow, scaleKey, stageScale } from './common.js';
import { B, centreY, rows } from './layer.js';

const meta = { id: 'stage-attention', category: 'attention' } as const;
const SUM_TEX = '\\sum_{h} \\text{head}_h + b_O';

export const attentionStage = defineStage({
  ...meta,
  title: 'Attention sublayer',
  tex: () => [SUM_TEX],
  reads: (ctx) => [B(ctx, 'attn.hook_pattern'), B(ctx, 'hook_attn_out')],
  prepare(ctx) {
    const outs = rows(ctx, B(ctx, 'hook_attn_out'));
    const scale = stageScale(outs, drawnCount(ctx), 'attention output');
    return { outs, scale, scales: [scale] };
  },
  draw(ctx, { outs, scale }) {
    const L = ctx.opts.layer;
    const H = ctx.config.n_head;
    const h0 = Math.min(ctx.opts.head, H - 1);
    const pattern = ctx.tensor(B(ctx, 'attn.hook_pattern'));
    const nTok = ctx.nTokens;
    const { positions: shown, breaks } = ctx.shown;
    // Row i, column j of a drawn triangle: the shown positions' query and key.
    const pat = (h: number) => (q: number, k: number) => (pattern ? pattern.data[(h * nTok + shown[q]!) * nTok + shown[k]!]! : 0);
    // Heads as stacked cards: the drawn head in front, the others behind.
    const card = 150;
    const off = 7;
    const stackParts: string[] = [];
    const order = Array.from({ length: H }, (_, h) => h).filter((h) => h !== h0).reverse();
    const depth = order.length;
    order.forEach((h, i) => {
      const x = (depth - i) * off;
      const y = i * off;
      stackParts.push(`<rect${attrs({ x, y, width: card, height: card, rx: 8, fill: CATEGORY.attention.tint, stroke: CATEGORY.attention.color, 'stroke-width': 1, 'data-head': h })}/>`);
    });
    const front = miniTriangle(shown.length, pat(h0), card - 40, `head ${h0}`, undefined, breaks);
    const fy = depth * off;
    stackParts.push(`<rect${attrs({ x: 0, y: fy, width: card, height: card, rx: 8, fill: '#fff', stroke: CATEGORY.attention.color, 'stroke-width': 2 })}/>` + place(front, 14, fy + 8));
    const stack: Block = { svg: stackParts.join(''), width: card + depth * off, height: card + depth * off };
    const stackLabel = caption(ctx, `${H} heads in parallel, each with its own weights; head ${h0} is opened up below`, stack.width + 40);
    const sum = opBox({ tex: SUM_TEX }, ctx.tex);
    const outRow = positionRow(ctx, outs, { title: 'attention output', scale, budget: 420, ids: (p) => `vec-attn-out-L${L}-p${p}`, labels: true });
    const toStream = vstack([plusCircle(13), caption(ctx, 'into the stream', 100)], 6, 'middle');
    const hh = Math.max(stack.height, COLUMN_HEIGHT);
    const row = hstack([vstack([stack, stackLabel], 10), centreY(arrowRight(50), hh), centreY(sum, hh), centreY(arrowRight(50), hh), outRow, centreY(toStream, hh)], 14, 'start');
    const parts: Block[] = [row, scaleKey(scale)];
    if (ctx.opts.headGrid && pattern) {
      const size = Math.min(130, (INNER_WIDTH - 20 * 7) / Math.min(H, 8));
      const perRow = Math.max(1, Math.floor((INNER_WIDTH + 20) / (size + 20)));
      const minis = Array.from({ length: H }, (_, h) => miniTriangle(shown.length, pat(h), size, `head ${h}`, elementId.headPattern(L, h), breaks));
      const gridRows: Block[] = [];
      for (let i = 0; i < minis.length; i += perRow) gridRows.push(hstack(minis.slice(i, i + perRow), 20));
      parts.push(vstack([{ ...label(`Attention patterns of all ${H} heads in layer ${L} (rows: query position, columns: key position; darker = more weight)`, 0, SIZE.small, { size: SIZE.small, weight: 600, fill: INK }), height: SIZE.small * 1.6 }, vstack(gridRows, 16)], 6));
    }
    return frame(ctx, meta, vstack(parts, 22), { note: 'below' });
  },
});
