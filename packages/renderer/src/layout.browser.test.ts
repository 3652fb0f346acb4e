/**
 * Poster geometry in a real browser, on GPT-2-shaped traces of 1 to 1,024 tokens: every text lies
 * inside its stage's frame, frames do not overlap and stay on the page. Also prints the smallest and
 * median text size at the printed size, which the print-size work (issue 9, item 6) has to raise.
 */
import { browserAvailableForTests, launchChromium, type Browser } from '@vectorview/chromium';
import { afterAll, describe, expect, test } from 'vitest';
import { renderPoster as render } from './index.js';
import { syntheticTrace, tokenText } from './test-support/fixture-trace.js';

async function renderPoster(n: number, size: 'A0' | 'web'): Promise<{ svg: string; widthMm: number | undefined }> {
  const poster = await render(syntheticTrace(n, 1, [0]), { size, tokenText });
  return { svg: poster.svg, widthMm: poster.physicalWidth.endsWith('mm') ? parseFloat(poster.physicalWidth) : undefined };
}

const browserTest = browserAvailableForTests() ? test : test.skip;
let browser: Browser | undefined;
afterAll(async () => browser?.close());

interface Measured {
  readonly stagesOutsidePage: string[];
  readonly overlappingStages: string[];
  readonly textOutsideFrame: string[];
  readonly fontSizes: number[];
  readonly pageWidth: number;
}

describe.each([1, 16, 64, 300, 1024])('a GPT-2-shaped poster of %i tokens', (n) => {
  browserTest.each(['A0', 'web'] as const)('on %s: text inside frames, frames apart and on the page', async (size) => {
    const { svg, widthMm } = await renderPoster(n, size);
    browser ??= await launchChromium();
    const page = await browser.newPage();
    try {
      await page.setContent(`<!doctype html><body style="margin:0">${svg}</body>`);
      const m = await page.evaluate((): Measured => {
        const root = document.querySelector('svg')!;
        const vb = root.viewBox.baseVal;
        const r = root.getBoundingClientRect();
        const k = vb.width / r.width;
        const box = (e: Element) => {
          const b = e.getBoundingClientRect();
          return { x0: (b.left - r.left) * k, y0: (b.top - r.top) * k, x1: (b.right - r.left) * k, y1: (b.bottom - r.top) * k };
        };
        const stages = [...root.querySelectorAll(':scope > g.stage')].map((g) => ({ id: g.id, g, frame: box(g.querySelector('rect')!) }));
        const out: Measured = { stagesOutsidePage: [], overlappingStages: [], textOutsideFrame: [], fontSizes: [], pageWidth: vb.width };
        for (const s of stages) if (s.frame.x0 < -0.5 || s.frame.y0 < -0.5 || s.frame.x1 > vb.width + 0.5 || s.frame.y1 > vb.height + 0.5) out.stagesOutsidePage.push(s.id);
        for (const a of stages) for (const b of stages) if (a.id < b.id && a.frame.x0 < b.frame.x1 && b.frame.x0 < a.frame.x1 && a.frame.y0 < b.frame.y1 && b.frame.y0 < a.frame.y1) out.overlappingStages.push(`${a.id}/${b.id}`);
        for (const s of stages)
          for (const t of s.g.querySelectorAll('text')) {
            const b = box(t);
            if (b.x1 - b.x0 < 0.01) continue;
            if (b.x0 < s.frame.x0 - 1 || b.y0 < s.frame.y0 - 1 || b.x1 > s.frame.x1 + 1 || b.y1 > s.frame.y1 + 1) out.textOutsideFrame.push(`${s.id}: ${t.textContent!.slice(0, 40)}`);
            out.fontSizes.push(parseFloat(getComputedStyle(t).fontSize));
          }
        return out;
      });
      expect(m.stagesOutsidePage).toEqual([]);
      expect(m.overlappingStages).toEqual([]);
      expect(m.textOutsideFrame).toEqual([]);
      if (widthMm) {
        // User units → points at the printed size: the page's width in mm over the viewBox width.
        const pt = (units: number) => (units * widthMm) / m.pageWidth / 0.3528;
        const sizes = m.fontSizes.map(pt).sort((a, b) => a - b);
        console.log(`${n} tokens on ${size}: smallest text ${sizes[0]!.toFixed(1)} pt, median ${sizes[Math.floor(sizes.length / 2)]!.toFixed(1)} pt`);
      }
    } finally {
      await page.close();
    }
  }, 240_000);
});
