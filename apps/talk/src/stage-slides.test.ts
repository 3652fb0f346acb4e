/** A stage added to the renderer's registry becomes a slide stack with no change to the talk. */
import { defaultModelDir, defaultPrompt } from '@vectorview/default-model';
import { traceFromFlags } from '@vectorview/engine/node';
import { defineStage, frame, NO_SCALES, renderPoster, renderStageDrawings, STAGES, signedBars } from '@vectorview/renderer';
import { HEAD_ROLES, headScore, hook, type Trace } from '@vectorview/trace';
import { beforeAll, expect, it } from 'vitest';
import { drawingHref } from './figure.js';
import { buildSlides } from './slides.js';

const meta = { id: 'stage-extra-test', category: 'residual' } as const;
const extraStage = defineStage({
  ...meta,
  title: 'Extra test stage',
  tex: () => [],
  reads: () => [hook.block(0, 'hook_resid_pre')],
  prepare: () => NO_SCALES,
  draw: (ctx) => frame(ctx, meta, signedBars(ctx.trace.tokens.map((t, p) => ({ label: t.display, value: ctx.row(hook.block(0, 'hook_resid_pre'), p)?.[0] ?? 0 })), 700, { labelWidth: 160 }), { note: 'none' }),
});

let trace: Trace;
beforeAll(async () => {
  trace = await traceFromFlags({ model: 'random:tiny', prompt: 'One more stage' }, { model: defaultModelDir, prompt: defaultPrompt }, () => {});
}, 120_000);

it('draws a stage registered once as its own slide stack, titled from the stage', async () => {
  const stages = [...STAGES.slice(0, -2), extraStage, ...STAGES.slice(-2)];
  const poster = await renderPoster(trace, { stages });
  expect(poster.stages.map((s) => s.id)).toContain('stage-extra-test');
  const drawings = await renderStageDrawings(trace, { stages });
  const stacks = buildSlides(trace, drawings, { ...drawings.drawn, length: 'full' });
  expect(stacks.map((s) => s.id)).toContain('stage-extra-test');
  const extra = stacks.find((s) => s.id === 'stage-extra-test')!;
  expect(extra.slides.length).toBeGreaterThan(0);
  expect(extra.slides[0]!.title).toBe('Extra test stage');
  expect(extra.slides[0]!.html).toContain(`href="#${drawingHref('stage-extra-test')}"`);
  expect(drawings.stages.find((d) => d.id === 'stage-extra-test')!.svg).toContain('signed-bar');
}, 120_000);

it('gives each analysis stage (attribution, logit lens, head roles) its slide stack, showing the analysis drawn', async () => {
  const drawings = await renderStageDrawings(trace);
  const stacks = buildSlides(trace, drawings, { ...drawings.drawn, length: 'full' });
  const drawing = (id: string) => drawings.stages.find((d) => d.id === id)!.svg ?? '';
  const shown = (id: string) => stacks.find((s) => s.id === id)!.slides.every((s) => s.html.includes(`href="#${drawingHref(id)}"`));
  expect(drawing('stage-attribution')).toContain('attribution-sum');
  expect(drawing('stage-logit-lens')).toContain('lens-row');
  expect(drawing('stage-head-roles')).toContain('grid-head-roles');
  for (const id of ['stage-attribution', 'stage-logit-lens', 'stage-head-roles']) expect(shown(id)).toBe(true);
}, 120_000);

it('reveals the attention head and the decoding one step at a time, in the order of the computation', async () => {
  const drawings = await renderStageDrawings(trace);
  const stacks = buildSlides(trace, drawings, { ...drawings.drawn, length: 'full' });
  for (const id of ['stage-attention-head', 'stage-decoding']) {
    const steps = drawings.stages.find((d) => d.id === id)!.steps.map((s) => s.step);
    const revealed = stacks.find((s) => s.id === id)!.slides.flatMap((s) => [...s.html.matchAll(/class="vv-cover fragment fade-out" data-fragment-index="\d+" data-step="(\d+)"/g)].map((m) => Number(m[1])));
    expect(steps.length).toBeGreaterThan(3);
    expect(revealed).toEqual(steps);
  }
}, 120_000);

it('opens and closes with this pass’s numbers: the prediction, the heads’ detect_head scores, the top attribution', async () => {
  const drawings = await renderStageDrawings(trace);
  const stacks = buildSlides(trace, drawings, { ...drawings.drawn, length: 'full' });
  const chosen = trace.decode!.chosen;
  const opening = stacks[0]!.slides[0]!;
  expect(opening.html).toContain(`p = ${chosen.prob.toFixed(3)}`);
  expect(opening.html).toContain(`${trace.tokens.length} tokens`);
  const { layer, head } = drawings.drawn;
  const headSlide = stacks.find((s) => s.id === 'stage-attention')!.slides.find((s) => s.attrs['data-head'] === String(head))!;
  const scores = trace.analysis.heads!;
  for (const role of HEAD_ROLES) expect(headSlide.html).toContain(`<td class="num">${headScore(scores[role], trace.config, layer, head).toFixed(2)}</td>`);
  const mechanism = stacks.find((s) => s.id === 'closing')!.slides[0]!;
  const a = trace.analysis.attribution!;
  const column = Array.from(a.targets).indexOf(chosen.id);
  const values = a.components.map((_, i) => a.directLogit[i * a.targets.length + column]!);
  const best = values.indexOf(Math.max(...values));
  expect(mechanism.html).toContain(`<code>${a.components[best]}</code>`);
  expect(mechanism.html).toContain(values[best]!.toFixed(2));
}, 120_000);
