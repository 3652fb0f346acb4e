/**
 * What the QK and OV circuit stages share: the token × token circuits of the head the trace's
 * analysis chose (`circuits.qk`, `circuits.ov`), drawn as heatmaps with their values.
 */
import { ovSentence, qkSentence } from '@vectorview/content';
import type { CircuitsView } from '@vectorview/trace';
import { format } from 'd3-format';
import type { Ctx } from '../context.js';
import { formula } from '../marks/glyphs.js';
import { heatmap } from '../marks/heatmap.js';
import { elidedRuns } from '../positions.js';
import { valueScale, type ValueScale } from '../scale.js';
import { hstack, vstack, type Block } from '../svg.js';
import { GAP, INK, INNER_WIDTH, NOTE_WIDTH, SIZE } from '../theme.js';
import { caption, frame, scaleKey, type StageMeta } from './common.js';

export type Circuit = 'QK' | 'OV';

/** Values printed in the cells: two decimals, true minus sign. */
export const fmtCircuit = format('.2f');

/** Width the heatmap may take so the annotation still fits beside it. */
const DRAWING_WIDTH = INNER_WIDTH - NOTE_WIDTH - GAP;

const equation = (which: Circuit, c: CircuitsView | undefined) => {
  const head = c ? `^{${c.layer},${c.head}}` : '';
  return which === 'QK'
    ? `\\text{qk}_{ij} = (e_i W_Q${head} + b_Q)\\cdot(e_j W_K${head} + b_K) / \\sqrt{d_\\text{head}}`
    : `\\text{ov}_{ji} = (e_j W_V${head} + b_V)\\, W_O${head} \\cdot W_U[:, t_i]`;
};

export function circuitTex(ctx: Ctx, which: Circuit): string[] {
  return [equation(which, ctx.trace.analysis.circuits), 'e_i = \\mathrm{LN}_1(W_E[t_i])'];
}

export interface CircuitPrepared {
  readonly circuits: CircuitsView | undefined;
  readonly scale: ValueScale | undefined;
  readonly scales: readonly ValueScale[];
}

export function prepareCircuit(ctx: Ctx, which: Circuit): CircuitPrepared {
  const circuits = ctx.trace.analysis.circuits;
  if (!circuits) return { circuits, scale: undefined, scales: [] };
  const scale = valueScale([which === 'QK' ? circuits.qk : circuits.ov], `${which} circuit of L${circuits.layer}H${circuits.head}`);
  return { circuits, scale, scales: [scale] };
}

export function drawCircuit(ctx: Ctx, which: Circuit, stage: StageMeta, { circuits, scale }: CircuitPrepared): Block {
  if (!circuits || !scale) {
    const none = caption(ctx, 'This trace has no circuits analysis (traces written before it existed), so there are no values to draw.', DRAWING_WIDTH, SIZE.small, INK);
    return frame(ctx, stage, vstack([formula(equation(which, undefined), ctx.tex, SIZE.small), none], 14));
  }
  const n = ctx.nTokens;
  const tokens = ctx.trace.tokens.map((t) => t.display);
  const ids = ctx.trace.tokens.map((t) => t.id);
  // The positions every per-position stage shows, with a gap (null) after each break.
  const { positions, breaks } = ctx.shown;
  const axis = positions.flatMap((p, i) => (breaks.includes(i) ? [p, null] : [p]));
  const drawn = positions.length;
  const gaps = breaks.length;
  const cell = Math.min(64, (DRAWING_WIDTH - 120) / (drawn + 0.6 * gaps));
  const matrix = which === 'QK' ? circuits.qk : circuits.ov;
  const map = heatmap({
    rows: axis,
    cols: axis,
    value: (r, c) => matrix[r * n + c]!,
    scale,
    cell,
    rowLabels: tokens,
    colLabels: tokens,
    format: fmtCircuit,
    ...(which === 'QK' ? { faded: (r: number, c: number) => c > r } : {}),
    dataName: which === 'QK' ? 'qk' : 'ov',
    id: `circuit-${which.toLowerCase()}-L${circuits.layer}-h${circuits.head}`,
  });
  const axes = which === 'QK' ? 'Each value is q · k / √d_head, already scaled as the softmax sees it. Rows: the query token i; columns: the key token j. Causal attention lets a query score only keys at or before it, so the pairs above the diagonal are faint.' : 'Rows: the token j attended to; columns: the token t_i whose logit it moves. A copying head shows a bright diagonal.';
  const elided = gaps ? ` Only ${drawn} of the ${n} positions are drawn; elided where “…” stands: ${elidedRuns(ctx.shown).join(', ')}.` : '';
  const sentence = which === 'QK' ? qkSentence(circuits, ids, ctx.tokenLabel) : ovSentence(circuits, ids, ctx.tokenLabel);
  const drawing = vstack(
    [
      formula(equation(which, circuits), ctx.tex, SIZE.small),
      hstack([map, scaleKey(scale, 200)], 24, 'end'),
      caption(ctx, sentence, DRAWING_WIDTH, SIZE.small, INK),
      caption(ctx, `Head L${circuits.layer}H${circuits.head}, from the token embeddings alone (e_i is token i's row of W_E through layer ${circuits.layer}'s first LayerNorm): no position, no earlier layer. ${axes}${elided}`, DRAWING_WIDTH, SIZE.caption),
    ],
    14,
  );
  return frame(ctx, stage, drawing);
}
