/**
 * Who wrote the prediction: direct logit attribution from the trace's analysis, as signed bars of
 * every component's share of the decoded token's logit, and of the gap between the two leading
 * candidates; each column's sum is checked against the trace's logits.
 */
import { attributionSentence, componentShortName, logitDifferenceSentence, quoteToken, signed } from '@vectorview/content';
import { hook, type AttributionView } from '@vectorview/trace';
import type { Ctx } from '../context.js';
import { signedBars, signedMax, type SignedBar } from '../marks/signed-bars.js';
import { defineStage } from '../stage.js';
import { hstack, vstack, type Block } from '../svg.js';
import { INK, INNER_WIDTH, SIZE } from '../theme.js';
import { label } from '../text.js';
import { caption, frame, lastLogits } from './common.js';

const meta = { id: 'stage-attribution', category: 'residual' } as const;

/** Bars drawn per chart; the components beyond them (by |share|) are summed into one "other" bar. */
export const ATTRIBUTION_BARS = 32;
const CHART_WIDTH = (INNER_WIDTH - 60) / 2;

/** One chart's shares: every component's value, the drawn ones and what was folded into "other". */
export interface Shares {
  readonly values: readonly number[];
  readonly sum: number;
  readonly bars: readonly SignedBar[];
  readonly folded: number;
}

function shares(a: AttributionView, value: (row: number) => number, target: string): Shares {
  const values = a.components.map((_, row) => value(row));
  const sum = values.reduce((s, v) => s + v, 0);
  const byMagnitude = values.map((_, i) => i).sort((x, y) => Math.abs(values[y]!) - Math.abs(values[x]!) || x - y);
  const fits = values.length <= ATTRIBUTION_BARS;
  const shown = fits ? byMagnitude : byMagnitude.slice(0, ATTRIBUTION_BARS - 1);
  const rest = fits ? [] : byMagnitude.slice(ATTRIBUTION_BARS - 1);
  const bars: SignedBar[] = shown
    .sort((x, y) => values[y]! - values[x]! || x - y)
    .map((i) => ({ label: componentShortName(a.components[i]!), value: values[i]!, data: { 'data-component': a.components[i]!, 'data-target': target } }));
  if (rest.length) bars.push({ label: `other (${rest.length} components)`, value: rest.reduce((s, i) => s + values[i]!, 0), data: { 'data-component': 'other', 'data-folded': rest.length, 'data-target': target } });
  return { values, sum, bars, folded: rest.length };
}

export interface AttributionPrepared {
  readonly scales: readonly [];
  readonly view?: AttributionView;
  readonly decoded: number;
  readonly logit?: Shares;
  readonly gap?: Shares;
  readonly max: number;
}

function prepare(ctx: Ctx): AttributionPrepared {
  const view = ctx.trace.analysis.attribution;
  const decoded = ctx.decode.chosen.id;
  const column = view ? Array.from(view.targets).indexOf(decoded) : -1;
  if (!view || column < 0) return { scales: [], decoded, max: 1 };
  const T = view.targets.length;
  const at = (row: number, t: number) => view.directLogit[row * T + t]!;
  const logit = shares(view, (row) => at(row, column), 'decoded');
  const gap = T >= 2 ? shares(view, (row) => at(row, 0) - at(row, 1), 'gap') : undefined;
  const max = signedMax([...logit.bars, ...(gap?.bars ?? [])].map((b) => b.value));
  return { scales: [], view, decoded, logit, ...(gap ? { gap } : {}), max };
}

/** "sum of the 42 shares +5.79; the trace's logit +5.79: equal" — both numbers from the data, the verdict computed. */
function sumLine(s: Shares, expected: number, what: string, kind: 'logit' | 'gap'): Block {
  const agree = Math.abs(s.sum - expected) <= 1e-3 * Math.max(1, Math.abs(expected));
  const text = `sum of all ${s.values.length} shares ${signed(s.sum)}; ${what} ${signed(expected)}: ${agree ? 'equal' : `differ by ${signed(s.sum - expected, 4)}`}`;
  const l = label(text, 0, SIZE.small, { size: SIZE.small, weight: 600, fill: INK, extra: { class: 'attribution-sum', 'data-kind': kind, 'data-sum': s.sum, 'data-expected': expected } });
  return { svg: l.svg, width: l.width, height: SIZE.small * 1.5 };
}

function chart(ctx: Ctx, title: string, s: Shares, max: number, check: Block): Block {
  const head = label(title, 0, SIZE.small, { size: SIZE.small, weight: 700, fill: INK });
  const bars = signedBars(s.bars, CHART_WIDTH, { labelWidth: 210, max, size: SIZE.caption, format: (v) => signed(v) });
  const folded = s.folded ? [caption(ctx, `The ${s.bars.length - 1} largest shares by size are drawn; the other ${s.folded} components are folded into one bar.`, CHART_WIDTH)] : [];
  return vstack([{ svg: head.svg, width: head.width, height: SIZE.small * 1.6 }, bars, check, ...folded], 8);
}

export const attributionStage = defineStage({
  ...meta,
  title: 'Who wrote the prediction',
  tex: () => [],
  reads: () => [hook.logits],
  prepare,
  draw(ctx, p: AttributionPrepared) {
    const logits = lastLogits(ctx);
    if (!p.view || !p.logit || !logits) {
      return frame(ctx, meta, caption(ctx, 'This trace has no direct logit attribution for the decoded token (its analysis section is missing), so there are no shares to draw.', INNER_WIDTH, SIZE.small, INK));
    }
    const v = p.view;
    const tok = (id: number) => quoteToken(ctx.tokenLabel(id));
    const charts: Block[] = [chart(ctx, `shares of the logit of ${tok(p.decoded)}, the decoded token`, p.logit, p.max, sumLine(p.logit, logits[p.decoded]!, `its logit in the trace`, 'logit'))];
    const sentences = [attributionSentence(v, p.decoded, ctx.tokenLabel)];
    if (p.gap) {
      const [a, b] = [v.targets[0]!, v.targets[1]!];
      charts.push(chart(ctx, `shares of the gap ${tok(a)} − ${tok(b)}, the two highest logits`, p.gap, p.max, sumLine(p.gap, logits[a]! - logits[b]!, 'the logit difference', 'gap')));
      sentences.push(logitDifferenceSentence(v, ctx.tokenLabel)!);
    }
    const drawing = vstack([hstack(charts, 60, 'start'), caption(ctx, sentences.join(' '), INNER_WIDTH, SIZE.body, INK)], 20);
    return frame(ctx, meta, drawing, { note: 'below' });
  },
});
