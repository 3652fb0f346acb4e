/** The other layers: elided boxes, or every layer as a compact strip with `allLayers`. */
import { defineStage, NO_SCALES } from '../stage.js';
import { attrs, hstack, n, vstack, type Block } from '../svg.js';
import { CATEGORY, INK, INNER_WIDTH, SIZE } from '../theme.js';
import { label } from '../text.js';
import { caption, drawnCount, frame, positionRow, scaleKey, stageScale } from './common.js';
import { B, rows } from './layer.js';

const meta = { id: 'stage-layers', category: 'residual' } as const;

/** Sorted layer indices as runs: [0, 2, 3, 4] → "0 and 2–4"; [0, 2, 4] → "0, 2 and 4". */
export function layerRanges(layers: readonly number[]): string {
  const runs: string[] = [];
  for (let i = 0; i < layers.length; ) {
    let j = i;
    while (j + 1 < layers.length && layers[j + 1] === layers[j]! + 1) j++;
    runs.push(j === i ? String(layers[i]) : `${layers[i]}–${layers[j]}`);
    i = j + 1;
  }
  return runs.length > 1 ? `${runs.slice(0, -1).join(', ')} and ${runs[runs.length - 1]}` : runs[0] ?? '';
}
const STRIP_HOOKS = ['hook_attn_out', 'hook_mlp_out', 'hook_resid_post'] as const;
/** Components drawn per vector in the all-layers strips. */
const STRIP_COUNT = 64;

export const layersStage = defineStage({
  ...meta,
  title: 'The other layers',
  tex: () => [],
  reads: (ctx) => (ctx.opts.allLayers ? Array.from({ length: ctx.config.n_layer }, (_, l) => STRIP_HOOKS.map((h) => B(ctx, h, l))).flat() : []),
  prepare(ctx) {
    if (!ctx.opts.allLayers) return { ...NO_SCALES, scale: undefined };
    const all = [] as (Float32Array | undefined)[];
    for (let l = 0; l < ctx.config.n_layer; l++) for (const h of STRIP_HOOKS) all.push(...rows(ctx, B(ctx, h, l)));
    const scale = stageScale(all, Math.min(STRIP_COUNT, drawnCount(ctx)), 'all layers');
    return { scale, scales: [scale] };
  },
  draw(ctx, { scale }) {
    const c = ctx.config;
    const L = ctx.opts.layer;
    const parts: Block[] = [];
    if (scale) {
      const count = Math.min(STRIP_COUNT, drawnCount(ctx));
      const budget = (INNER_WIDTH - 80 - 3 * 20) / 3;
      for (let l = 0; l < c.n_layer; l++) {
        const blocks = STRIP_HOOKS.map((h, i) =>
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
      const range = others.length ? `${others.length} more layer${others.length > 1 ? 's' : ''} (${layerRanges(others)})` : 'no other layers';
      parts.push(caption(ctx, `Layer ${L} is drawn in full above; ${range} elided: same structure, own weights. Each reads the stream through LayerNorm and adds its attention and MLP outputs back.`, INNER_WIDTH, SIZE.body, INK));
    }
    parts.push(caption(ctx, `After the last layer only position ${ctx.nTokens - 1} (the last token) is unembedded: the next-token prediction needs nothing else.`, INNER_WIDTH, SIZE.body, INK));
    return frame(ctx, meta, vstack(parts, 14), { note: 'below' });
  },
});
