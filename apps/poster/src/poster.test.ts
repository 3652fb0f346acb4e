import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { browserAvailableForTests, svgToPdf, withPage } from '@vectorview/chromium';
import { POSTER_STAGE_IDS, renderPoster } from '@vectorview/renderer';
import { traceModel } from '@vectorview/engine/node';
import type { Trace } from '@vectorview/trace';

const run = promisify(execFile);
const CLI = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const FIXTURE = fileURLToPath(new URL('../../../fixtures/gpt2-tiny-hf', import.meta.url));
const hasBrowser = browserAvailableForTests();

async function poster(args: string[]) {
  try {
    const { stdout, stderr } = await run('node', [CLI, ...args], { timeout: 120_000, env: { ...process.env, VECTORVIEW_VERBOSE: '1' } });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('vectorview-poster', () => {
  it('writes SVG and PNG for a prompt, reporting each step', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'poster-'));
    const result = await poster(['--model', FIXTURE, '--prompt', 'The capital of France is', '--size', 'A2', '--out', join(dir, 'p.svg'), '--png', join(dir, 'p.png'), '--dpi', '20', '--save-trace', join(dir, 't.safetensors')]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/rendering the A2 poster/);
    expect(result.stderr).toMatch(/wrote .*p\.svg.*p\.png/);
    const svg = readFileSync(join(dir, 'p.svg'), 'utf8');
    expect(svg).toMatch(/width="420mm" height="594mm"/);
    expect(readFileSync(join(dir, 'p.png')).subarray(1, 4).toString()).toBe('PNG');
    // A saved trace renders again without the model, to the same drawing.
    const again = await poster(['--trace', join(dir, 't.safetensors'), '--size', 'A2', '--out', join(dir, 'q.svg')]);
    expect(again.code, again.stderr).toBe(0);
    const strip = (s: string) => s.replace(/Rendered [^<]*/g, '');
    expect(strip(readFileSync(join(dir, 'q.svg'), 'utf8'))).toBe(strip(svg));
  }, 180_000);

  it.each([
    [['--size', 'B5'], /--size must be one of A0, A1/],
    [['--dpi', '300'], /--dpi applies to --png/],
    [['--png', 'x.png', '--dpi', 'many'], /--dpi must be a whole number/],
    [['--trace', '/nonexistent/t.safetensors'], /cannot read trace .*no such file/],
    [['--trace', 'x.safetensors', '--prompt', 'hi'], /cannot be combined with --prompt/],
    [['--model', '/nonexistent/model'], /not found/],
    [['--prompt', ''], /prompt is empty/],
    [['--head', '99'], /--head must be a whole number from 0 to/],
    [['--bogus'], /Unknown option '--bogus'/],
  ])('rejects %j with one clear line and writes nothing', async (args, message) => {
    const dir = mkdtempSync(join(tmpdir(), 'poster-bad-'));
    const needsModel = !args.includes('--model') && !args.includes('--trace');
    const result = await poster([...(needsModel ? ['--model', FIXTURE] : []), ...args, '--out', join(dir, 'p.svg')]);
    expect(result.code).not.toBe(0);
    const lines = result.stderr.trim().split('\n');
    expect(lines.at(-1)).toMatch(/^vectorview-poster: /);
    expect(lines.at(-1)).toMatch(message);
    expect(result.stderr).not.toMatch(/\n\s+at /);
    expect(readdirSync(dir)).toEqual([]);
  }, 60_000);
});

describe.skipIf(!hasBrowser)('the poster in Chromium', () => {
  let trace: Trace;
  beforeAll(async () => {
    trace = await traceModel(FIXTURE, { prompt: 'The capital of France is' });
  });

  it.each(['A0', 'web'] as const)('%s: text stays inside its stage, callouts and stages never overlap, the page is not blank', async (size) => {
    const { svg } = await renderPoster(trace, { size });
    const report = await withPage(async (page) => {
      await page.setViewportSize({ width: 1400, height: 1000 });
      await page.setContent(`<!doctype html><html><body style="margin:0">${svg}</body></html>`, { waitUntil: 'load' });
      await page.evaluate(() => document.fonts.ready);
      const geometry = await page.evaluate(() => {
        const box = (e: Element) => {
          const r = e.getBoundingClientRect();
          return { x: r.left, y: r.top, w: r.width, h: r.height };
        };
        const stages = [...document.querySelectorAll('g[id^="stage-"]')].map((g) => ({ id: g.id, bg: g.querySelector('.stage-bg') ?? g, texts: [...g.querySelectorAll('text')].map((t) => ({ text: t.textContent ?? '', ...box(t) })), notes: [...g.querySelectorAll('.note')].map(box) }));
        return stages.map((s) => ({ id: s.id, frame: box(s.bg), texts: s.texts, notes: s.notes }));
      });
      const shot = await page.screenshot({ clip: { x: 0, y: 0, width: 1400, height: 1000 } });
      return { geometry, shot };
    });
    const slack = 1;
    const escapes: string[] = [];
    for (const stage of report.geometry) {
      const f = stage.frame;
      for (const t of stage.texts) {
        if (t.w === 0) continue;
        if (t.x < f.x - slack || t.y < f.y - slack || t.x + t.w > f.x + f.w + slack || t.y + t.h > f.y + f.h + slack) escapes.push(`${stage.id}: "${t.text.slice(0, 40)}"`);
      }
    }
    expect(escapes).toEqual([]);
    const overlaps = (a: { x: number; y: number; w: number; h: number }, b: typeof a) => a.x < b.x + b.w - slack && b.x < a.x + a.w - slack && a.y < b.y + b.h - slack && b.y < a.y + a.h - slack;
    const notes = report.geometry.flatMap((s) => s.notes.map((n) => ({ ...n, id: s.id })));
    const frames = report.geometry.map((s) => ({ ...s.frame, id: s.id }));
    for (const group of [notes, frames]) {
      for (let i = 0; i < group.length; i++) for (let j = i + 1; j < group.length; j++) expect(overlaps(group[i]!, group[j]!), `${group[i]!.id} overlaps ${group[j]!.id}`).toBe(false);
    }
    expect(report.geometry.map((s) => s.id).sort()).toEqual([...POSTER_STAGE_IDS].sort());
    // Not blank: a screenshot of real content has many distinct byte values.
    expect(new Set(report.shot.subarray(200)).size).toBeGreaterThan(200);
  }, 120_000);

  it('prints a one-page PDF at the poster size', async () => {
    const { svg, physicalWidth, physicalHeight } = await renderPoster(trace, { size: 'A2' });
    const pdf = Buffer.from(await svgToPdf(svg, { width: physicalWidth, height: physicalHeight })).toString('latin1');
    expect(pdf.startsWith('%PDF')).toBe(true);
    expect(pdf.match(/\/Type\s*\/Page[^s]/g)?.length).toBe(1);
    const box = /\/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)/.exec(pdf);
    expect(Number(box![1])).toBeCloseTo((420 / 25.4) * 72, -1);
    expect(existsSync(CLI)).toBe(true);
  }, 120_000);
});
