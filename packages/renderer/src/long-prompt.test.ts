/** Prompts longer than the drawings hold: positions are elided with a labelled gap, and the poster says so. */
import { beforeAll, describe, expect, test } from 'vitest';
import { renderPoster, type Poster } from './index.js';
import { MAX_POSITIONS, shownPositions } from './positions.js';
import { syntheticTrace, tokenText } from './test-support/fixture-trace.js';
import { all, parseSvg, textOf } from './test-support/xml.js';

describe('shownPositions', () => {
  test('keeps every position up to the limit', () => {
    expect(shownPositions(5, [4])).toEqual({ positions: [0, 1, 2, 3, 4], breaks: [], elided: 0 });
    expect(shownPositions(1, [0]).positions).toEqual([0]);
  });

  test('keeps the first positions, the last and the ones asked for, and marks the gaps', () => {
    const s = shownPositions(300, [299, 120]);
    expect(s.positions).toHaveLength(MAX_POSITIONS);
    expect(s.positions.slice(0, 3)).toEqual([0, 1, 2]);
    expect(s.positions).toContain(120);
    expect(s.positions.at(-1)).toBe(299);
    expect(s.breaks.map((i) => s.positions[i])).toEqual([MAX_POSITIONS - 3, 120]);
    expect(s.elided).toBe(300 - MAX_POSITIONS);
  });
});

describe.each([300, 1024])('a GPT-2-shaped poster of %i tokens', (n) => {
  let poster: Poster;
  let short: Poster;
  beforeAll(async () => {
    poster = await renderPoster(syntheticTrace(n, 1, [0]), { size: 'A0', tokenText });
    short = await renderPoster(syntheticTrace(MAX_POSITIONS, 1, [0]), { size: 'A0', tokenText });
  }, 120_000);

  test('draws the same number of columns as a prompt that just fits, with labelled gaps', () => {
    const doc = parseSvg(poster.svg);
    const embed = all(doc, (e) => /^vec-embed-p\d+$/.test(e.getAttribute('id') ?? ''));
    expect(embed).toHaveLength(MAX_POSITIONS);
    expect(embed.map((e) => e.getAttribute('id'))).toContain(`vec-embed-p${n - 1}`);
    expect(all(doc, (e) => (e.getAttribute('class') ?? '').includes('elided-gap')).length).toBeGreaterThan(0);
    const cells = all(doc, (e) => e.hasAttribute('data-pattern'));
    expect(cells).toHaveLength((MAX_POSITIONS * (MAX_POSITIONS + 1)) / 2);
  });

  test('grows no stage much beyond its size for a prompt that fits', () => {
    for (const s of poster.stages) {
      const ref = short.stages.find((r) => r.id === s.id)!;
      expect(s.height, s.id).toBeLessThan(ref.height * 1.25 + 120);
    }
  });

  test('says on the poster what was elided', () => {
    const title = all(parseSvg(poster.svg), (e) => e.getAttribute('id') === 'stage-title')[0]!;
    const text = textOf(title);
    expect(text).toContain(`${n} tokens`);
    expect(text).toContain('elided');
  });
});
