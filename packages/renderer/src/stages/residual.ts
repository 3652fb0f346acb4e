/** The residual stream of the drawn layer: what flows in, what each sublayer writes, what flows out. */
import { hook } from '@vectorview/trace';
import { format } from 'd3-format';
import type { Ctx } from '../context.js';
import { plusCircle, symbol } from '../marks/glyphs.js';
import { lineChart } from '../marks/plots.js';
import { defineStage } from '../stage.js';
import { hstack, place, vstack } from '../svg.js';
import { INK, INNER_WIDTH, MUTED, SIZE } from '../theme.js';
import { caption, COLUMN_HEIGHT, drawnCount, frame, positionRow, scaleKey, stageScale } from './common.js';
import { B, centreY, norm, positions, rows } from './layer.js';

const meta = { id: 'stage-residual', category: 'residual' } as const;
const NAMES = ['hook_resid_pre', 'hook_attn_out', 'hook_resid_mid', 'hook_mlp_out', 'hook_resid_post'] as const;
const COLUMN_NAMES = ['stream in', 'attention writes', 'stream mid', 'MLP writes', 'stream out'];

/** The sublayer whose write grows the mean ‖stream‖ most, with the norms that show it. */
export interface Jump {
  readonly layer: number;
  readonly sublayer: 'attention' | 'MLP';
  /** Mean over positions of ‖stream‖ before and after the write, and of ‖write‖. */
  readonly before: number;
  readonly after: number;
  readonly write: number;
}

const meanNorm = (vectors: readonly (ArrayLike<number> | undefined)[]) => (vectors.every((v) => v) && vectors.length ? vectors.reduce((s, v) => s + norm(v), 0) / vectors.length : undefined);

function largestJump(ctx: Ctx): Jump | undefined {
  let best: Jump | undefined;
  for (let l = 0; l < ctx.config.n_layer; l++) {
    const [pre, attn, mid, mlp, post] = NAMES.map((h) => meanNorm(rows(ctx, hook.block(l, h))));
    const steps = [
      { sublayer: 'attention' as const, before: pre, after: mid, write: attn },
      { sublayer: 'MLP' as const, before: mid, after: post, write: mlp },
    ];
    for (const s of steps) {
      if (s.before === undefined || s.after === undefined || s.write === undefined) continue;
      if (!best || s.after - s.before > best.after - best.before) best = { layer: l, sublayer: s.sublayer, before: s.before, after: s.after, write: s.write };
    }
  }
  return best && best.after > best.before ? best : undefined;
}

const fmtNorm = format('.3~g');

function jumpSentence(j: Jump): string {
  return (
    `The largest step in ‖stream‖ is layer ${j.layer}'s ${j.sublayer}: averaged over the positions, it adds a vector of norm ${fmtNorm(j.write)} to a stream of norm ${fmtNorm(j.before)}, ` +
    `which leaves the stream at ${fmtNorm(j.after)} (×${fmtNorm(j.after / j.before)}). Later layers read the stream through LayerNorm, which divides out this size.`
  );
}

export const residualStage = defineStage({
  ...meta,
  title: 'Residual stream',
  tex: () => [],
  reads: (ctx) => Array.from({ length: ctx.config.n_layer }, (_, l) => NAMES.map((h) => hook.block(l, h))).flat(),
  prepare(ctx) {
    const L = ctx.opts.layer;
    const vecs = NAMES.map((h) => rows(ctx, B(ctx, h)));
    const count = drawnCount(ctx);
    // Each column has its own scale: one write can be ten times the stream it lands in (MLP 0's
    // in GPT-2), and a shared scale would leave the other columns blank.
    const columnScales = vecs.map((v, i) => stageScale(v, count, `layer ${L} ${COLUMN_NAMES[i]}`));
    // Norms across all layers for every position: the stream grows as layers write into it.
    const series = positions(ctx).map((p) => {
      const s: number[] = [];
      for (let l = 0; l < ctx.config.n_layer; l++) s.push(norm(ctx.row(hook.block(l, 'hook_resid_pre'), p)));
      s.push(norm(ctx.row(hook.block(ctx.config.n_layer - 1, 'hook_resid_post'), p)));
      return s;
    });
    return { vecs, columnScales, series, jump: largestJump(ctx), scales: columnScales };
  },
  draw(ctx, { vecs, columnScales, series, jump }) {
    const L = ctx.opts.layer;
    const budget = (INNER_WIDTH - 4 * 44) / 5 - 8;
    const titles = [`stream in (layer ${L})`, 'attention writes', 'stream, mid-layer', 'MLP writes', `stream out (layer ${L})`];
    const blockWidth = (INNER_WIDTH - 4 * 44) / 5;
    const ids = ['resid-pre', 'attn-write', 'resid-mid', 'mlp-write', 'resid-post'];
    const blocks = vecs.map((v, i) => vstack([positionRow(ctx, v, { title: titles[i]!, scale: columnScales[i]!, budget, ids: (p) => `vec-${ids[i]}-L${L}-p${p}`, labels: i === 0 || i === 4 }), scaleKey(columnScales[i]!, Math.min(200, blockWidth - 8))], 10));
    const h = COLUMN_HEIGHT + SIZE.small * 1.3;
    const op = (s: string, write: boolean) => {
      const sym = write ? plusCircle(13, { 'data-write': 'true' }) : symbol(s, 26, SIZE.stageTitle);
      return centreY(sym, h);
    };
    const row = hstack([blocks[0]!, op('+', true), blocks[1]!, op('=', false), blocks[2]!, op('+', true), blocks[3]!, op('=', false), blocks[4]!], 10, 'start');
    // Reads: arrows out of the stream into each LayerNorm.
    // Prose (a caption), so a slide moves it to the notes.
    const readNote = caption(ctx, `reads: LayerNorm 1 → attention, LayerNorm 2 → MLP (each reads a copy; the stream is unchanged)   ·   writes: ⊕ adds the output back`, INNER_WIDTH, SIZE.caption, MUTED);
    const xLabels = [...Array.from({ length: ctx.config.n_layer }, (_, l) => String(l)), 'out'];
    const chart = lineChart(series, 420, 140, { xLabels, yTitle: `‖stream‖ per position, entering each layer (last position bold)`, highlight: ctx.nTokens - 1 });
    const scaleNote = caption(ctx, 'Each column has its own colour scale (its key is under it): a write can be many times larger than the stream it is added to.', INNER_WIDTH, SIZE.small, INK);
    const jumpNote = jump ? caption(ctx, jumpSentence(jump), INNER_WIDTH - chart.width - 80, SIZE.small, INK) : { svg: '', width: 0, height: 0 };
    const drawing = vstack([{ ...readNote, height: SIZE.caption * 1.6 }, row, scaleNote, hstack([{ svg: place(chart, 40, 24), width: chart.width + 40, height: chart.height + 24 }, jumpNote], 40)], 16);
    return frame(ctx, meta, drawing, { note: 'below' });
  },
});
