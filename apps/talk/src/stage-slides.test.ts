/** A stage added to the renderer's registry becomes a slide stack with no change to the talk. */
import { defaultModelDir, defaultPrompt } from '@vectorview/default-model';
import { traceFromFlags } from '@vectorview/engine/node';
import { defineStage, frame, NO_SCALES, renderPoster, STAGES, signedBars } from '@vectorview/renderer';
import { hook, type Trace } from '@vectorview/trace';
import { beforeAll, expect, it } from 'vitest';
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
  const stacks = buildSlides(trace, poster, { ...poster.drawn, componentsDrawn: 128 });
  expect(stacks.map((s) => s.id)).toEqual([...stages.map((s) => s.id), 'closing']);
  const extra = stacks.find((s) => s.id === 'stage-extra-test')!;
  expect(extra.slides.length).toBeGreaterThan(0);
  expect(extra.slides[0]!.title).toBe('Extra test stage');
  expect(extra.slides[0]!.html).toContain('signed-bar');
}, 120_000);

it('gives each analysis stage (attribution, logit lens, head roles) its slide stack, with the analysis drawn', async () => {
  const poster = await renderPoster(trace);
  const stacks = buildSlides(trace, poster, { ...poster.drawn, componentsDrawn: 128 });
  const html = (id: string) => stacks.find((s) => s.id === id)!.slides.map((s) => s.html).join('');
  expect(html('stage-attribution')).toContain('attribution-sum');
  expect(html('stage-logit-lens')).toContain('lens-row');
  expect(html('stage-head-roles')).toContain('grid-head-roles');
}, 120_000);
