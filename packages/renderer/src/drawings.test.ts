/** The stage drawings the talk builds slides from: the poster's drawings without their frames, with their structure as data. */
import { describe, expect, it } from 'vitest';
import { elementId, renderPoster, renderStageDrawings, sameVectors } from './index.js';
import { syntheticTrace, tokenText } from './test-support/fixture-trace.js';

describe.each([0, 1])('renderStageDrawings, layer %i drawn in full', (layer) => {
  const trace = syntheticTrace(7, 2, [0, 1]);
  const drawn = renderStageDrawings(trace, { tokenText, layer });
  // The web strip, which never condenses: its frames hold the drawings in full, as the slides do.
  const poster = renderPoster(trace, { tokenText, layer, size: 'web' });

  it('gives every framed stage its drawing, smaller than the poster frame, with the same steps and elements', async () => {
    const { stages } = await drawn;
    const { stages: boxes } = await poster;
    for (const d of stages.filter((s) => s.svg !== undefined)) {
      const box = boxes.find((b) => b.id === d.id)!;
      expect(d.height, d.id).toBeLessThan(box.height);
      expect(d.steps.map((s) => s.step), d.id).toEqual(box.steps.map((s) => s.step));
      expect(d.elements.map((e) => e.id).sort(), d.id).toEqual(box.elements.map((e) => e.id).sort());
      // In the drawing's own coordinates: every box inside it.
      for (const { box: b } of [...d.steps, ...d.elements]) {
        expect(b.x, d.id).toBeGreaterThanOrEqual(-0.01);
        expect(b.y + b.height, d.id).toBeLessThanOrEqual(d.height + 0.01);
      }
      expect(d.smallestText, d.id).toBeGreaterThan(0);
    }
  });

  it('lists the prose it hides from slides, whose words it does not count', async () => {
    const residual = (await drawn).stages.find((d) => d.id === 'stage-residual')!;
    expect(residual.prose.some((p) => p.startsWith('reads: LayerNorm 1'))).toBe(true);
    expect(residual.svg).toContain('<g class="prose">');
    const roles = (await drawn).stages.find((d) => d.id === 'stage-head-roles')!;
    expect(roles.svg).toContain('<g class="detail">');
  });

  it('places every counted word: anchors inside the drawing, the tokenizer\'s labels left to right', async () => {
    const { stages } = await drawn;
    for (const d of stages.filter((s) => s.svg !== undefined)) {
      expect(d.wordsAt.reduce((sum, w) => sum + w.words, 0), d.id).toBe(d.words);
      for (const w of d.wordsAt) {
        expect(w.x, d.id).toBeGreaterThanOrEqual(-1);
        expect(w.x, d.id).toBeLessThanOrEqual(d.width + 1);
        expect(w.y, d.id).toBeGreaterThanOrEqual(-1);
        expect(w.y, d.id).toBeLessThanOrEqual(d.height + 1);
      }
    }
    // Words at one height are in reading order along it: a translate that was not added would stack them at 0.
    const tokenizer = stages.find((d) => d.id === 'stage-tokenizer')!;
    expect(new Set(tokenizer.wordsAt.map((w) => w.x)).size).toBeGreaterThan(tokenizer.wordsAt.length / 3);
  });

  it('names, for each vector two consecutive stages share, an element both drawings have', async () => {
    const { stages } = await drawn;
    const pairs = sameVectors(layer, trace.tokens.length - 1);
    expect(pairs.length).toBe(layer === 0 ? 3 : 2);
    for (const { from, to } of pairs) {
      for (const end of [from, to]) expect(stages.find((d) => d.id === end.stage)!.elements.map((e) => e.id)).toContain(end.element);
    }
    for (let h = 0; h < trace.config.n_head; h++) expect(stages.find((d) => d.id === 'stage-attention')!.elements.map((e) => e.id)).toContain(elementId.headPattern(layer, h));
  });
});
