/** The residual stream of the drawn layer: what flows in, what each sublayer writes, what flows out. */
import { hook } from '@vectorview/trace';
import { plusCircle, symbol } from '../marks/glyphs.js';
import { lineChart } from '../marks/plots.js';
import { defineStage } from '../stage.js';
import { hstack, place, vstack } from '../svg.js';
import { INNER_WIDTH, MUTED, SIZE } from '../theme.js';
import { label } from '../text.js';
import { COLUMN_HEIGHT, drawnCount, frame, positionRow, scaleKey, stageScale } from './common.js';
import { B, centreY, norm, positions, rows } from './layer.js';

const meta = { id: 'stage-residual', category: 'residual' } as const;
const NAMES = ['hook_resid_pre', 'hook_attn_out', 'hook_resid_mid', 'hook_mlp_out', 'hook_resid_post'] as const;

export const residualStage = defineStage({
  ...meta,
  title: 'Residual stream',
  tex: () => [],
  reads: (ctx) => [...NAMES.map((h) => B(ctx, h)), ...Array.from({ length: ctx.config.n_layer }, (_, l) => hook.block(l, 'hook_resid_pre')), hook.block(ctx.config.n_layer - 1, 'hook_resid_post')],
  prepare(ctx) {
    const L = ctx.opts.layer;
    const vecs = NAMES.map((h) => rows(ctx, B(ctx, h)));
    const count = drawnCount(ctx);
    const scale = stageScale([...vecs[0]!, ...vecs[2]!, ...vecs[4]!], count, `layer ${L} stream`);
    const writeScale = stageScale([...vecs[1]!, ...vecs[3]!], count, `layer ${L} writes`);
    // Norms across all layers for every position: the stream grows as layers write into it.
    const series = positions(ctx).map((p) => {
      const s: number[] = [];
      for (let l = 0; l < ctx.config.n_layer; l++) s.push(norm(ctx.row(hook.block(l, 'hook_resid_pre'), p)));
      s.push(norm(ctx.row(hook.block(ctx.config.n_layer - 1, 'hook_resid_post'), p)));
      return s;
    });
    return { vecs, scale, writeScale, series, scales: [scale, writeScale] };
  },
  draw(ctx, { vecs, scale, writeScale, series }) {
    const L = ctx.opts.layer;
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
    const xLabels = [...Array.from({ length: ctx.config.n_layer }, (_, l) => String(l)), 'out'];
    const chart = lineChart(series, 420, 140, { xLabels, yTitle: `‖stream‖ per position, entering each layer (last position bold)`, highlight: ctx.nTokens - 1 });
    const drawing = vstack([{ ...readNote, height: SIZE.caption * 1.6 }, row, hstack([{ svg: place(chart, 40, 24), width: chart.width + 40, height: chart.height + 24 }, vstack([scaleKey(scale), scaleKey(writeScale)], 16)], 40)], 16);
    return frame(ctx, meta, drawing, { note: 'below' });
  },
});
