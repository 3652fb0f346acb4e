/** The residual-stream panel: every column legible on its own scale, and the ‖stream‖ jump explained from the trace. */
import { format } from 'd3-format';
import { beforeAll, expect, test } from 'vitest';
import { renderPoster, type Poster } from './index.js';
import { valueScale } from './scale.js';
import { fixtureTrace, tokenText } from './test-support/fixture-trace.js';
import { all, parseSvg, textOf } from './test-support/xml.js';
import { hook, type TensorName, type Trace } from '@vectorview/trace';

let trace: Trace;
let poster: Poster;
beforeAll(async () => {
  trace = fixtureTrace(1);
  poster = await renderPoster(trace, { size: 'web', tokenText });
});

const stage = () => all(parseSvg(poster.svg), (e) => e.getAttribute('id') === 'stage-residual')[0]!;
const rows = (name: TensorName) => trace.tokens.map((_, p) => {
  const t = trace.tensors.get(name)!;
  const w = t.shape[t.shape.length - 1]!;
  return (t.data as Float32Array).subarray(p * w, (p + 1) * w);
});
const norm = (v: ArrayLike<number>) => Math.sqrt(Array.from(v).reduce((s, x) => s + x * x, 0));

test('gives each of the five columns its own scale, from its own values', () => {
  const bars: number[] = [];
  const visit = (e: ReturnType<typeof stage>) => {
    if (e.getAttribute('class') === 'colorbar') bars.push(Number(e.getAttribute('data-domain')));
    for (let c = e.firstChild; c; c = c.nextSibling) if (c.nodeType === 1) visit(c as typeof e);
  };
  visit(stage());
  const expected = (['hook_resid_pre', 'hook_attn_out', 'hook_resid_mid', 'hook_mlp_out', 'hook_resid_post'] as const).map((h) => valueScale(rows(hook.block(0, h))).max);
  expect(bars).toHaveLength(5);
  bars.forEach((b, i) => expect(b).toBeCloseTo(expected[i]!, 3));
  expect(textOf(stage())).toContain('Each column has its own colour scale');
});

test('explains the largest ‖stream‖ step with norms computed from the trace', () => {
  let best = { gain: -Infinity, text: '' };
  const mean = (name: TensorName) => rows(name).reduce((s, v) => s + norm(v), 0) / trace.tokens.length;
  const f = format('.3~g');
  for (let l = 0; l < trace.config.n_layer; l++) {
    const [pre, attn, mid, mlp, post] = (['hook_resid_pre', 'hook_attn_out', 'hook_resid_mid', 'hook_mlp_out', 'hook_resid_post'] as const).map((h) => mean(hook.block(l, h))) as [number, number, number, number, number];
    for (const [what, before, write, after] of [['attention', pre, attn, mid], ['MLP', mid, mlp, post]] as const)
      if (after - before > best.gain) best = { gain: after - before, text: `layer ${l}'s ${what}: averaged over the positions, it adds a vector of norm ${f(write)} to a stream of norm ${f(before)}` };
  }
  const lines: string[] = [];
  const visit = (e: ReturnType<typeof stage>) => {
    if (e.tagName === 'text') lines.push(textOf(e));
    else for (let c = e.firstChild; c; c = c.nextSibling) if (c.nodeType === 1) visit(c as typeof e);
  };
  visit(stage());
  expect(lines.join(' ')).toContain(best.text);
});
