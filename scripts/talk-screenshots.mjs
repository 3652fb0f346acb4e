#!/usr/bin/env node
/**
 * Writes the screenshots of docs/talk.md, made by the talk itself: the short deck of the default
 * prompt on the bundled model, opened offline in the system Chromium, each chosen slide shown at the
 * end of its fragments. Small PNGs (960 × 540, the 1,920 × 1,080 canvas at half size).
 * Run after a build:  npm run build && node scripts/talk-screenshots.mjs [--out-dir docs]
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { launchChromium } from '@vectorview/chromium';
import { makeTalk } from '@vectorview/talk';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({ options: { 'out-dir': { type: 'string', default: path.join(root, 'docs') } } });

/** File name → the slide: its data-stage, and which of that stage's slides. */
const SHOTS = [
  ['talk-opening.png', 'opening', 0],
  ['talk-attention-head.png', 'stage-attention-head', 1],
  ['talk-decoding.png', 'stage-decoding', 2],
  ['talk-mechanism.png', 'mechanism', 0],
];

const dir = await mkdtemp(path.join(os.tmpdir(), 'vectorview-talk-shots-'));
const browser = await launchChromium();
try {
  await makeTalk({ length: 'short', out: path.join(dir, 'deck') }, () => {});
  const page = await browser.newPage({ viewport: { width: 960, height: 540 } });
  await page.route('**/*', (route) => (route.request().url().startsWith('file:') ? route.continue() : route.abort()));
  await page.goto(pathToFileURL(path.join(dir, 'deck', 'index.html')).href);
  await page.waitForFunction(() => window.Reveal?.isReady() === true);
  await page.evaluate(() => document.fonts.ready);
  await page.evaluate(() => window.Reveal.configure({ transition: 'none', autoAnimate: false, controls: false, progress: false, slideNumber: false }));
  for (const [file, stage, index] of SHOTS) {
    const found = await page.evaluate(
      ([stage, index]) => {
        const R = window.Reveal;
        const slide = R.getSlides().filter((s) => s.dataset.stage === stage)[index];
        if (!slide) return false;
        const { h, v } = R.getIndices(slide);
        R.slide(h, v, 999);
        return true;
      },
      [stage, index],
    );
    if (!found) throw new Error(`the short deck has no slide ${index} of ${stage}`);
    await page.waitForTimeout(200);
    await page.screenshot({ path: path.join(values['out-dir'], file) });
    process.stderr.write(`wrote ${path.join(values['out-dir'], file)}\n`);
  }
} finally {
  await browser.close();
  await rm(dir, { recursive: true, force: true });
}
