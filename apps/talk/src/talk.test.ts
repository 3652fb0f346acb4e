/**
 * The talk end to end: one deck (random:tiny) built in beforeAll, opened from file:// in the system
 * Chromium with the network blocked. Without a Chromium the browser tests are skipped, unless
 * VECTORVIEW_REQUIRE_BROWSER=1, in which case they fail.
 */
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { findChromium, launchChromium, type Browser, type Page } from '@vectorview/chromium';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { traceModel } from '@vectorview/engine/node';
import { readTraceFile, writeTraceFile } from '@vectorview/trace/node';
import { makeTalk } from './talk.js';

const run = promisify(execFile);
const CLI = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const HAS_BROWSER = findChromium() !== undefined;
const REQUIRE_BROWSER = process.env['VECTORVIEW_REQUIRE_BROWSER'] === '1';
const browserIt = HAS_BROWSER || REQUIRE_BROWSER ? it : it.skip;

let dir: string;
let slides = 0;
let browser: Browser | undefined;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'vectorview-talk-test-'));
  const quiet = () => {};
  const result = await makeTalk({ model: 'random:tiny', out: path.join(dir, 'deck'), ...(HAS_BROWSER ? { pdf: path.join(dir, 'talk.pdf') } : {}) }, quiet);
  slides = result.slides;
  await makeTalk({ model: 'random:tiny', out: path.join(dir, 'single', 'talk.html'), 'single-file': true, theme: 'black' }, quiet);
}, 240_000);

afterAll(async () => {
  await browser?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

interface Opened {
  readonly page: Page;
  readonly failed: string[];
  readonly errors: string[];
}

/** The browser, launched on first use (a missing Chromium fails only the tests that need it). */
async function chromium(): Promise<Browser> {
  browser ??= await launchChromium();
  return browser;
}

async function open(file: string): Promise<Opened> {
  const page = await (await chromium()).newPage({ viewport: { width: 1280, height: 720 } });
  const failed: string[] = [];
  const errors: string[] = [];
  page.on('requestfailed', (r) => failed.push(r.url()));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(e.message));
  await page.route('**/*', (route) => (route.request().url().startsWith('file:') ? route.continue() : route.abort()));
  await page.goto(pathToFileURL(file).href);
  await page.waitForFunction(() => (window as unknown as { Reveal?: { isReady(): boolean } }).Reveal?.isReady() === true, undefined, { timeout: 60_000 });
  await page.evaluate(() => document.fonts.ready);
  return { page, failed, errors };
}

/** Distinct colours and the share of pixels that differ from the most common one, decoded in the browser. */
async function pixels(png: Buffer): Promise<{ colours: number; inked: number }> {
  const page = await (await chromium()).newPage();
  try {
    return await page.evaluate(async (b64) => {
      const img = new Image();
      img.src = `data:image/png;base64,${b64}`;
      await img.decode();
      const canvas = document.createElement('canvas');
      canvas.width = img.width;
      canvas.height = img.height;
      const ctx = canvas.getContext('2d')!;
      ctx.drawImage(img, 0, 0);
      const data = ctx.getImageData(0, 0, img.width, img.height).data;
      const counts = new Map<number, number>();
      for (let i = 0; i < data.length; i += 4) {
        const key = (data[i]! << 16) | (data[i + 1]! << 8) | data[i + 2]!;
        counts.set(key, (counts.get(key) ?? 0) + 1);
      }
      const top = Math.max(...counts.values());
      const total = data.length / 4;
      return { colours: counts.size, inked: (total - top) / total };
    }, png.toString('base64'));
  } finally {
    await page.close();
  }
}

type RevealApi = {
  getTotalSlides(): number;
  getSlides(): HTMLElement[];
  getSlideNotes(slide?: HTMLElement): string;
  getIndices(slide?: HTMLElement): { h: number; v: number };
  slide(h: number, v?: number, f?: number): void;
  nextFragment(): boolean;
  configure(options: Record<string, unknown>): void;
  getCurrentSlide(): HTMLElement;
};

describe('the deck folder', () => {
  it('holds index.html and reveal.js files only, and loads nothing from the network', () => {
    const deck = path.join(dir, 'deck');
    expect(readdirSync(deck).sort()).toEqual(['index.html', 'reveal']);
    const html = readFileSync(path.join(deck, 'index.html'), 'utf8');
    for (const ref of html.matchAll(/<(?:script|link)[^>]*(?:src|href)="([^"]+)"/g)) {
      expect(ref[1]).not.toMatch(/^(https?:)?\/\//);
      expect(existsSync(path.join(deck, ref[1]!))).toBe(true);
    }
    expect(html).not.toMatch(/@import\s+(url\()?["']?(https?:)?\/\//);
    const sections = html.match(/<section class="vv"/g)?.length ?? 0;
    expect(sections).toBe(slides);
    expect(html.match(/<aside class="notes">\s*<p>/g)?.length).toBe(slides);
    // A vector is carried by auto-animate: each carried data-id on exactly two adjacent slides, both auto-animating.
    const sectionsHtml = html.split('<section class="vv"').slice(1);
    const carried = new Set([...html.matchAll(/data-id="(carry-[^"]+)"/g)].map((m) => m[1]!));
    expect(carried.size).toBeGreaterThanOrEqual(1);
    for (const id of carried) {
      const on = sectionsHtml.flatMap((sec, i) => (sec.includes(`data-id="${id}"`) ? [i] : []));
      expect(on).toHaveLength(2);
      expect(on[1]! - on[0]!).toBe(1);
      for (const i of on) expect(sectionsHtml[i]!.slice(0, sectionsHtml[i]!.indexOf('>'))).toContain('data-auto-animate');
    }
  });

  browserIt('opens from file:// offline: Reveal ready, every slide with notes, fragments advance', async () => {
    const { page, failed, errors } = await open(path.join(dir, 'deck', 'index.html'));
    try {
      const state = await page.evaluate(() => {
        const R = (window as unknown as { Reveal: RevealApi }).Reveal;
        return { total: R.getTotalSlides(), notes: R.getSlides().map((s) => R.getSlideNotes(s)?.trim().length ?? 0) };
      });
      expect(state.total).toBe(slides);
      expect(state.notes.every((n) => n > 40)).toBe(true);
      // A step of a drawing is revealed by fading out the cover over it.
      const fragment = await page.evaluate(() => {
        const R = (window as unknown as { Reveal: RevealApi }).Reveal;
        const slide = R.getSlides().find((s) => s.querySelector('.vv-cover.fragment'))!;
        const { h, v } = R.getIndices(slide);
        R.slide(h, v, -1);
        const first = slide.querySelector<HTMLElement>('.vv-cover[data-fragment-index="0"]')!;
        const before = getComputedStyle(first).visibility;
        const advanced = R.nextFragment();
        return { advanced, covered: before, revealed: first.classList.contains('visible'), step: first.dataset['step'] !== undefined };
      });
      expect(fragment).toEqual({ advanced: true, covered: 'visible', revealed: true, step: true });
      expect(failed).toEqual([]);
      expect(errors).toEqual([]);
    } finally {
      await page.close();
    }
  }, 120_000);

  // Frame, controls, text sizes and words per slide: slides.browser.test.ts.
  browserIt('keeps the 16:9 frame, and three screenshots are not blank', async () => {
    const { page, failed, errors } = await open(path.join(dir, 'deck', 'index.html'));
    try {
      await page.evaluate(() => (window as unknown as { Reveal: RevealApi }).Reveal.configure({ transition: 'none', backgroundTransition: 'none', autoAnimate: false }));
      const frame = await page.evaluate(() => document.querySelector('.reveal .slides')!.getBoundingClientRect().toJSON() as { width: number; height: number });
      expect(Math.abs(frame.width / frame.height - 16 / 9)).toBeLessThan(0.01);
      const shots = await page.evaluate(() => {
        const R = (window as unknown as { Reveal: RevealApi }).Reveal;
        const all = R.getSlides();
        const pick = [all[0]!, all.find((s) => s.dataset['stage'] === 'stage-attention-head')!, all[all.length - 1]!];
        return pick.map((s) => R.getIndices(s));
      });
      for (const { h, v } of shots) {
        await page.evaluate(({ h, v }) => (window as unknown as { Reveal: RevealApi }).Reveal.slide(h, v, 99), { h, v });
        await page.waitForTimeout(100);
        const { colours, inked } = await pixels(await page.screenshot());
        expect(colours).toBeGreaterThan(30);
        expect(inked).toBeGreaterThan(0.02);
      }
      expect(failed).toEqual([]);
      expect(errors).toEqual([]);
    } finally {
      await page.close();
    }
  }, 180_000);

  browserIt('prints a PDF with one page per slide', () => {
    const pdf = readFileSync(path.join(dir, 'talk.pdf')).toString('latin1');
    expect(pdf.startsWith('%PDF')).toBe(true);
    expect(pdf.match(/\/Type\s*\/Page(?![s\w])/g)?.length).toBe(slides);
  });
});

describe('--single-file', () => {
  it('writes one HTML file and nothing else', () => {
    expect(readdirSync(path.join(dir, 'single'))).toEqual(['talk.html']);
  });

  browserIt('opens the same way with no other file present', async () => {
    const { page, failed, errors } = await open(path.join(dir, 'single', 'talk.html'));
    try {
      const total = await page.evaluate(() => (window as unknown as { Reveal: RevealApi }).Reveal.getTotalSlides());
      expect(total).toBe(slides);
      const requests = await page.evaluate(() => performance.getEntriesByType('resource').map((e) => e.name));
      expect(requests).toEqual([]);
      expect(failed).toEqual([]);
      expect(errors).toEqual([]);
    } finally {
      await page.close();
    }
  }, 120_000);
});

describe('bad input', () => {
  const cases: [string, string[]][] = [
    ['an unknown theme', ['--model', 'random:tiny', '--theme', 'nope']],
    ['a missing trace file', ['--trace', 'missing.safetensors']],
    ['an empty prompt', ['--model', 'random:tiny', '--prompt', '']],
  ];
  it.each(cases)('%s: one line on stderr, exit ≠ 0, no output folder', async (_name, args) => {
    const out = path.join(dir, `bad-${args[args.length - 2]!.slice(2)}`);
    const result = await run(process.execPath, [CLI, ...args, '--out', out], { cwd: dir }).then(
      () => ({ code: 0, stderr: '' }),
      (e: { code: number; stderr: string }) => ({ code: e.code, stderr: e.stderr }),
    );
    expect(result.code).not.toBe(0);
    const lines = result.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^vectorview-talk: /);
    expect(result.stderr).not.toMatch(/\n\s+at /);
    expect(existsSync(out)).toBe(false);
    expect(readdirSync(dir).filter((f) => f.startsWith('.bad-'))).toEqual([]);
  }, 60_000);

  it.each([
    ['a PDF inside the deck folder', (d: string) => ['--out', path.join(d, 'D'), '--pdf', path.join(d, 'D', 'talk.pdf')], /--pdf .*talk\.pdf and --out .*D would write over each other/],
    ['the deck and the PDF on one path', (d: string) => ['--out', path.join(d, 'x.pdf'), '--pdf', path.join(d, 'x.pdf')], /--pdf .*x\.pdf and --out .*x\.pdf would write over each other/],
    ['a deck over the trace it reads', (d: string) => ['--trace', path.join(d, 'D'), '--out', path.join(d, 'D')], /--out .*D would write over the input --trace/],
  ])('%s: refused with one line, nothing written', async (_name, args, message) => {
    const d = await mkdtemp(path.join(os.tmpdir(), 'vectorview-talk-clash-'));
    if (_name.includes('trace')) await writeFile(path.join(d, 'D'), 'a trace');
    const before = readdirSync(d);
    const e = await run(process.execPath, [CLI, ...args(d)]).then(() => ({ code: 0, stderr: '' }), (err: { code: number; stderr: string }) => err);
    expect(e.code).toBe(1);
    expect(e.stderr.trim().split('\n')).toHaveLength(1);
    expect(e.stderr).toMatch(message);
    expect(readdirSync(d)).toEqual(before);
  }, 60_000);

  it('names the valid themes', async () => {
    const e = await run(process.execPath, [CLI, '--theme', 'nope', '--out', path.join(dir, 'bad-theme2')]).catch((err: { stderr: string }) => err);
    expect((e as { stderr: string }).stderr).toMatch(/white.*simple|simple.*white/);
  }, 60_000);
});

describe('hostile token text and prompts', () => {
  const HOSTILE_TEXT = '<img src=x onerror=alert(1)>';
  const HOSTILE_PROMPT = '" <!-- <!-- <!--';
  let hostile: string;

  beforeAll(async () => {
    hostile = path.join(dir, 'hostile');
    const quiet = () => {};
    // A saved trace whose token metadata was edited to carry markup.
    const saved = path.join(dir, 'hostile.safetensors');
    const trace = await traceModel('random:tiny', { prompt: 'The capital of France is' });
    await writeTraceFile(saved, { ...trace, prompt: HOSTILE_TEXT, tokens: trace.tokens.map((t) => ({ ...t, text: HOSTILE_TEXT, display: `${HOSTILE_TEXT}<!--` })) });
    expect((await readTraceFile(saved)).tokens[0]!.text).toBe(HOSTILE_TEXT);
    await makeTalk({ trace: saved, out: path.join(hostile, 'from-trace') }, quiet);
    // A prompt whose GPT-2 tokens open HTML comments.
    await makeTalk({ model: 'random:tiny', prompt: HOSTILE_PROMPT, out: path.join(hostile, 'from-prompt') }, quiet);
  }, 240_000);

  it('escapes every token and the prompt in the HTML: no markup from the input survives', () => {
    for (const deck of ['from-trace', 'from-prompt']) {
      const html = readFileSync(path.join(hostile, deck, 'index.html'), 'utf8');
      expect(html).not.toContain('<img');
      expect(html).not.toContain('<!--');
      expect(html.match(/<aside class="notes">/g)?.length).toBe(html.match(/<section class="vv"/g)?.length);
    }
  });

  browserIt.each(['from-trace', 'from-prompt'])('%s: opens with no dialog, every section present and Reveal ready', async (deck) => {
    const file = path.join(hostile, deck, 'index.html');
    const sections = readFileSync(file, 'utf8').match(/<section\b/g)!.length;
    const page = await (await chromium()).newPage({ viewport: { width: 1280, height: 720 } });
    const dialogs: string[] = [];
    page.on('dialog', (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
    try {
      await page.route('**/*', (route) => (route.request().url().startsWith('file:') ? route.continue() : route.abort()));
      await page.goto(pathToFileURL(file).href);
      await page.waitForFunction(() => (window as unknown as { Reveal?: { isReady(): boolean } }).Reveal?.isReady() === true, undefined, { timeout: 60_000 });
      // Let any injected handler (an <img onerror>) run before counting dialogs.
      await page.waitForTimeout(500);
      const state = await page.evaluate(() => ({
        sections: document.querySelectorAll('section').length,
        notes: document.querySelectorAll('aside.notes').length,
        images: document.querySelectorAll('.slides img').length,
        total: (window as unknown as { Reveal: RevealApi }).Reveal.getTotalSlides(),
      }));
      expect(dialogs).toEqual([]);
      expect(state.sections).toBe(sections);
      expect(state.notes).toBe(state.total);
      expect(state.images).toBe(0);
    } finally {
      await page.close();
    }
  }, 120_000);
});
