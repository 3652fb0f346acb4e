/** The stage registry: one registration per stage, checked against the content and the stage modules. */
import { readdirSync } from 'node:fs';
import { STAGE_IDS } from '@vectorview/content';
import { hook } from '@vectorview/trace';
import { beforeAll, describe, expect, test } from 'vitest';
import { renderPoster, type Poster } from './index.js';
import { signedBars, signedMax } from './marks/signed-bars.js';
import { defineStage, type AnyStage } from './stage.js';
import { frame, stageScale } from './stages/common.js';
import { STAGES } from './stages/index.js';
import { fixtureTrace, tokenText } from './test-support/fixture-trace.js';
import { all, parseSvg, textOf } from './test-support/xml.js';

const isStage = (v: unknown): v is AnyStage => typeof v === 'object' && v !== null && 'id' in v && 'prepare' in v && 'draw' in v;

describe('the registry', () => {
  test('lists each stage once, in the content package’s reading order', () => {
    const ids = STAGES.map((s) => s.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toEqual([...STAGE_IDS]);
  });

  test('holds every stage a module under stages/ declares', async () => {
    const dir = new URL('./stages/', import.meta.url);
    const declared: AnyStage[] = [];
    for (const file of readdirSync(dir).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts') && f !== 'index.ts')) {
      const mod = (await import(new URL(file, dir).href)) as Record<string, unknown>;
      declared.push(...Object.values(mod).filter(isStage));
    }
    expect(declared.length).toBeGreaterThan(0);
    for (const stage of declared) expect(STAGES as readonly AnyStage[], stage.id).toContain(stage);
  });

  test('refuses a stage registered twice', async () => {
    await expect(renderPoster(fixtureTrace(0), { stages: [...STAGES, STAGES[1]] })).rejects.toThrow(/registered twice: stage-tokenizer/);
  });
});

/** A stage the content package does not know: a signed bar per position (the stream's first component at layer 0). */
const extraMeta = { id: 'stage-extra-test', category: 'residual' } as const;
const extraStage = defineStage({
  ...extraMeta,
  title: 'Extra test stage',
  tex: () => ['x_0^{\\text{extra}}'],
  reads: () => [hook.block(0, 'hook_resid_pre')],
  prepare(ctx) {
    const vectors = ctx.trace.tokens.map((_, p) => ctx.row(hook.block(0, 'hook_resid_pre'), p));
    const firsts = vectors.map((v) => v?.[0] ?? 0);
    const scale = stageScale(vectors, 1, 'extra first component');
    return { firsts, max: signedMax(firsts), scale, scales: [scale] };
  },
  draw: (ctx, { firsts, max }) =>
    frame(ctx, extraMeta, signedBars(firsts.map((value, p) => ({ label: ctx.trace.tokens[p]!.display, value, data: { 'data-pos': p } })), 700, { labelWidth: 160, max }), { note: 'none' }),
});

describe('a stage added in one registration', () => {
  let poster: Poster;
  const stages = [...STAGES.slice(0, -2), extraStage, ...STAGES.slice(-2)];
  beforeAll(async () => {
    poster = await renderPoster(fixtureTrace(1), { size: 'web', stages, tokenText });
  });

  test('is drawn on the poster, in its place, with its own title', () => {
    expect(poster.stages.map((s) => s.id)).toEqual(stages.map((s) => s.id));
    const doc = parseSvg(poster.svg);
    const group = all(doc, (e) => e.getAttribute('id') === 'stage-extra-test');
    expect(group).toHaveLength(1);
    expect(textOf(group[0]!)).toContain('Extra test stage');
    expect(poster.stages.find((s) => s.id === 'stage-extra-test')!.title).toBe('Extra test stage');
  });

  test('has its scale listed by the legend, which reads the prepared scales', () => {
    const legend = all(parseSvg(poster.svg), (e) => e.getAttribute('id') === 'stage-legend')[0]!;
    expect(textOf(legend)).toContain('extra-test: extra first component');
  });
});

describe('signedBars', () => {
  test('draws positive values right of the zero line and negative ones left, in proportion, with their values printed', () => {
    const bars = signedBars([{ label: 'a', value: 2 }, { label: 'b', value: -1 }, { label: 'c', value: 0.5 }], 600, { labelWidth: 100, valueWidth: 50 });
    const doc = parseSvg(`<svg xmlns="http://www.w3.org/2000/svg">${bars.svg}</svg>`);
    // Bars span [labelWidth + valueWidth, width − valueWidth] = [150, 550]: zero at 350, ±2 → ±200 units.
    const zero = 350;
    const rects = all(doc, (e) => e.tagName === 'rect').map((r) => ({ x: Number(r.getAttribute('x')), w: Number(r.getAttribute('width')) }));
    expect(rects[0]!.x).toBeCloseTo(zero, 3);
    expect(rects[0]!.w).toBeCloseTo(200, 3);
    expect(rects[1]!.x + rects[1]!.w).toBeCloseTo(zero, 3);
    expect(rects[1]!.w).toBeCloseTo(100, 3);
    expect(rects[2]!.w).toBeCloseTo(50, 3);
    const texts = all(doc, (e) => e.tagName === 'text').map(textOf);
    expect(texts).toEqual(['a', '2', 'b', '−1', 'c', '0.5']);
  });
});
