/**
 * Poster geometry in a real browser (issue 9's acceptance), on GPT-2-shaped traces: every text lies
 * inside its stage's frame, no two stage frames and no two texts (token labels among them) overlap,
 * nothing lies outside the page, the smallest text prints at 6 pt or more and the median at 8 pt or
 * more, and no blank band across the page is wider than 5 % of it.
 *
 * Every length (1, 16, 64, 300, 1,024 tokens) on every size and orientation: 55 posters, one trace
 * per length reused by every size.
 */
import { browserAvailableForTests, launchChromium, type Browser } from '@vectorview/chromium';
import type { Trace } from '@vectorview/trace';
import { afterAll, describe, expect, test } from 'vitest';
import { renderPoster, type PosterSize } from './index.js';
import { MAX_BLANK_BAND } from './layout.js';
import { PRINT_PT } from './theme.js';
import { syntheticTrace, tokenText } from './test-support/fixture-trace.js';

const PT_PER_MM = 72 / 25.4;
/** CSS pixels (the web strip's unit) are 0.75 pt. */
const PT_PER_PX = 0.75;

const traces = new Map<number, Trace>();
const traceOf = (n: number) => traces.get(n) ?? traces.set(n, syntheticTrace(n, 1, [0])).get(n)!;

const browserTest = browserAvailableForTests() ? test : test.skip;
let browser: Browser | undefined;
afterAll(async () => browser?.close());

interface Measured {
  readonly stagesOutsidePage: string[];
  readonly overlappingStages: string[];
  readonly textOutsideFrame: string[];
  readonly overlappingTexts: string[];
  readonly fontSizes: number[];
  widestBlank: { readonly x: number; readonly y: number };
}

/** Measures the poster's geometry in Chromium, in viewBox units. */
async function measure(svg: string): Promise<Measured> {
  browser ??= await launchChromium();
  const page = await browser.newPage();
  try {
    await page.setContent(`<!doctype html><body style="margin:0">${svg}</body>`);
    return await page.evaluate((): Measured => {
      const root = document.querySelector('svg')!;
      const vb = root.viewBox.baseVal;
      const r = root.getBoundingClientRect();
      const k = vb.width / r.width;
      const box = (e: Element) => {
        const b = e.getBoundingClientRect();
        return { x0: (b.left - r.left) * k, y0: (b.top - r.top) * k, x1: (b.right - r.left) * k, y1: (b.bottom - r.top) * k };
      };
      type Box = ReturnType<typeof box>;
      const overlap = (a: Box, b: Box, slack: number) => a.x0 + slack < b.x1 && b.x0 + slack < a.x1 && a.y0 + slack < b.y1 && b.y0 + slack < a.y1;
      const stages = [...root.querySelectorAll(':scope > g.stage')].map((g) => ({ id: g.id, g, frame: box(g.querySelector('rect')!) }));
      const out: Measured = { stagesOutsidePage: [], overlappingStages: [], textOutsideFrame: [], overlappingTexts: [], fontSizes: [], widestBlank: { x: 0, y: 0 } };
      for (const s of stages) if (s.frame.x0 < -0.5 || s.frame.y0 < -0.5 || s.frame.x1 > vb.width + 0.5 || s.frame.y1 > vb.height + 0.5) out.stagesOutsidePage.push(s.id);
      for (const a of stages) for (const b of stages) if (a.id < b.id && overlap(a.frame, b.frame, 0)) out.overlappingStages.push(`${a.id}/${b.id}`);
      for (const s of stages) {
        const texts: { box: Box; text: string }[] = [];
        for (const t of s.g.querySelectorAll('text')) {
          const b = box(t);
          if (b.x1 - b.x0 < 0.01) continue;
          const text = t.textContent!.slice(0, 40);
          if (b.x0 < s.frame.x0 - 1 || b.y0 < s.frame.y0 - 1 || b.x1 > s.frame.x1 + 1 || b.y1 > s.frame.y1 + 1) out.textOutsideFrame.push(`${s.id}: ${text}`);
          out.fontSizes.push(parseFloat(getComputedStyle(t).fontSize));
          // A wrapped line is one <text> of placed <tspan>s (links are texts of their own between them): compare the pieces.
          const pieces = [...t.querySelectorAll('tspan')].filter((p) => p.textContent!.trim());
          if (pieces.length) for (const p of pieces) texts.push({ box: box(p), text: p.textContent!.slice(0, 40) });
          else texts.push({ box: b, text });
        }
        // Line boxes of neighbouring lines touch; a real collision overlaps by more than a fifth of a line.
        for (let i = 0; i < texts.length; i++)
          for (let j = i + 1; j < texts.length; j++) {
            const a = texts[i]!.box;
            const b = texts[j]!.box;
            const slack = 0.2 * Math.min(a.y1 - a.y0, b.y1 - b.y0, a.x1 - a.x0, b.x1 - b.x0);
            if (overlap(a, b, slack)) out.overlappingTexts.push(`${s.id}: “${texts[i]!.text}” / “${texts[j]!.text}”`);
          }
      }
      // The widest strip across the page (edges included) that no stage frame covers, per axis.
      const widest = (spans: [number, number][], length: number) => {
        let reach = 0;
        let gap = 0;
        for (const [a, b] of spans.sort((p, q) => p[0] - q[0])) {
          gap = Math.max(gap, a - reach);
          reach = Math.max(reach, b);
        }
        return Math.max(gap, length - reach) / length;
      };
      out.widestBlank = {
        x: widest(stages.map((s) => [s.frame.x0, s.frame.x1]), vb.width),
        y: widest(stages.map((s) => [s.frame.y0, s.frame.y1]), vb.height),
      };
      return out;
    });
  } finally {
    await page.close();
  }
}

async function checkPoster(n: number, size: PosterSize, landscape: boolean): Promise<void> {
  const poster = await renderPoster(traceOf(n), { size, landscape, tokenText });
  const m = await measure(poster.svg);
  expect(m.stagesOutsidePage).toEqual([]);
  expect(m.overlappingStages).toEqual([]);
  expect(m.textOutsideFrame).toEqual([]);
  expect(m.overlappingTexts).toEqual([]);
  // User units → points at the printed size: the page's physical width over the viewBox width.
  const ptPerUnit = poster.physicalWidth.endsWith('mm') ? (parseFloat(poster.physicalWidth) * PT_PER_MM) / poster.width : PT_PER_PX;
  const sizes = m.fontSizes.map((s) => s * ptPerUnit).sort((a, b) => a - b);
  const smallest = sizes[0]!;
  const median = sizes[Math.floor(sizes.length / 2)]!;
  console.log(`${n} tokens on ${size}${landscape ? ' landscape' : ''}: ${poster.stages.length} stages, smallest text ${smallest.toFixed(2)} pt, median ${median.toFixed(2)} pt, widest blank band ${(100 * m.widestBlank.x).toFixed(1)} % of the width, ${(100 * m.widestBlank.y).toFixed(1)} % of the height`);
  expect(smallest).toBeGreaterThanOrEqual(PRINT_PT.min - 0.01);
  expect(median).toBeGreaterThanOrEqual(PRINT_PT.median - 0.01);
  expect(m.widestBlank.x).toBeLessThanOrEqual(MAX_BLANK_BAND + 1e-6);
  expect(m.widestBlank.y).toBeLessThanOrEqual(MAX_BLANK_BAND + 1e-6);
}

const PAPER = ['A0', 'A1', 'A2', '24x36in', '36x48in'] as const;
const EVERY_PAGE: [PosterSize, boolean][] = [...PAPER.flatMap((size): [PosterSize, boolean][] => [[size, false], [size, true]]), ['web', false]];

describe.each([1, 16, 64, 300, 1024])('a GPT-2-shaped poster of %i tokens', (n) => {
  browserTest.each(EVERY_PAGE)('on %s (landscape: %s) is legible, inside its frames and fills the page', (size, landscape) => checkPoster(n, size, landscape), 240_000);
});
