import { beforeAll, describe, expect, test } from 'vitest';
import type { Trace } from '@vectorview/trace';
import { POSTER_STAGE_IDS, renderPoster, STAGES, type Poster } from './index.js';
import { fitsPage, layoutPrint, legibleScale, MAX_BLANK_BAND, textSizes, widestBlankBand } from './layout.js';
import { decodingStage } from './stages/decoding.js';
import { titleStage } from './stages/title.js';
import { tokenizerStage } from './stages/tokenizer.js';
import { PRINT_PT } from './theme.js';
import { fixtureTrace, tokenText } from './test-support/fixture-trace.js';
import { all, parseSvg, textOf } from './test-support/xml.js';

const MM_PER_PT = 25.4 / 72;

/** The printed size in points of every text of a poster: font-size in units × mm per unit. */
function printedSizes(poster: Poster): number[] {
  const mmPerUnit = parseFloat(poster.physicalWidth) / poster.width;
  return textSizes(poster.svg)
    .map((s) => (s * mmPerUnit) / MM_PER_PT)
    .sort((a, b) => a - b);
}

const condensedLine = (poster: Poster) => all(parseSvg(poster.svg), (e) => e.getAttribute('class') === 'condensed').map(textOf);

describe('the scale of a printed page', () => {
  test('puts the smallest text at the smallest printed size and the median at the body size, whichever needs more', () => {
    expect(legibleScale([12, 16, 16]) / MM_PER_PT).toBeCloseTo(Math.max(PRINT_PT.min / 12, PRINT_PT.median / 16), 9);
    expect(legibleScale([4, 30, 30]) / MM_PER_PT).toBeCloseTo(PRINT_PT.min / 4, 9);
  });

  test('lays out stages that fit so that no blank band is wider than the limit', () => {
    const page = { widthMm: 594, heightMm: 841 };
    const scale = legibleScale([16]);
    const heights = [900, 700, 1200, 800, 600, 1000, 900, 700];
    expect(fitsPage(heights, page, scale)).toBe(true);
    const layout = layoutPrint(heights, page, scale);
    expect(layout.mmPerUnit).toBeGreaterThanOrEqual(scale);
    expect(widestBlankBand(layout, heights)).toBeLessThanOrEqual(MAX_BLANK_BAND);
    // Twice as much does not fit the same page at that scale.
    expect(fitsPage([...heights, ...heights, ...heights], page, scale)).toBe(false);
  });
});

describe('a page too small for the whole poster', () => {
  let trace: Trace;
  let a2: Poster;
  let web: Poster;
  beforeAll(async () => {
    trace = fixtureTrace(2);
    a2 = await renderPoster(trace, { size: 'A2', tokenText });
    web = await renderPoster(trace, { size: 'web', tokenText });
  }, 120_000);

  test('keeps its text at 6 pt and more, the median at 8 pt and more', () => {
    const sizes = printedSizes(a2);
    expect(sizes[0]).toBeGreaterThanOrEqual(PRINT_PT.min - 1e-6);
    expect(sizes[Math.floor(sizes.length / 2)]).toBeGreaterThanOrEqual(PRINT_PT.median - 1e-6);
  });

  test('says on the poster what it left out and how it shortened the annotations', () => {
    const kept = a2.stages.map((s) => s.id);
    const left = web.stages.filter((s) => !kept.includes(s.id));
    expect(left.length).toBeGreaterThan(0);
    const [line, ...more] = condensedLine(a2);
    expect(more).toEqual([]);
    expect(line).toContain('Condensed for A2 so that no text prints under 6 pt');
    for (const s of left) expect(line, s.id).toContain(s.title);
    expect(kept).toEqual(POSTER_STAGE_IDS.filter((id) => kept.includes(id)));
    expect(kept[0]).toBe(titleStage.id);
  });

  test('draws its annotations without body text when it says so', () => {
    const line = condensedLine(a2)[0]!;
    const notes = all(parseSvg(a2.svg), (e) => e.getAttribute('class') === 'note');
    if (line.includes('only their summary lines')) expect(notes).toEqual([]);
    expect(all(parseSvg(web.svg), (e) => e.getAttribute('class') === 'note').length).toBeGreaterThan(0);
  });

  test('the web strip draws every stage with the whole text and says nothing of condensing', () => {
    expect(web.stages.map((s) => s.id)).toEqual(STAGES.map((s) => s.id));
    expect(condensedLine(web)).toEqual([]);
  });

  test('a page that holds every stage draws them whole and says nothing of condensing', async () => {
    const few = await renderPoster(trace, { size: 'A0', stages: [titleStage, tokenizerStage, decodingStage], tokenText });
    expect(few.stages.map((s) => s.id)).toEqual([titleStage.id, tokenizerStage.id, decodingStage.id]);
    expect(condensedLine(few)).toEqual([]);
    expect(all(parseSvg(few.svg), (e) => e.getAttribute('class') === 'note').length).toBeGreaterThan(0);
  }, 60_000);
});
