import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { browserAvailableForTests, svgToPdf, withPage } from '@vectorview/chromium';
import { POSTER_STAGE_IDS, renderPoster } from '@vectorview/renderer';
import { traceModel } from '@vectorview/engine/node';
import { decodeSafetensors, encodeSafetensors, encodeTrace, type Tensor, type Trace } from '@vectorview/trace';

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

describe('vectorview-poster never writes over its inputs or one output over another', () => {
  it.each([
    [['--pdf', 's.svg'], /--pdf .*s\.svg and --out .*s\.svg would write over each other/],
    [['--png', 's.svg'], /--png .*s\.svg and --out .*s\.svg would write over each other/],
    [['--save-trace', 's.svg'], /--save-trace .*s\.svg and --out .*s\.svg would write over each other/],
    [['--pdf', 'nodir/x.pdf', '--save-trace', 'nodir/x.pdf'], /would write over each other/],
  ])('%j with --out s.svg: one line, nothing written', async (args, message) => {
    const dir = mkdtempSync(join(tmpdir(), 'poster-clash-'));
    const result = await poster(['--model', FIXTURE, ...args.map((a) => (a.startsWith('--') ? a : join(dir, a))), '--out', join(dir, 's.svg')]);
    expect(result.code).toBe(1);
    expect(result.stderr.trim().split('\n').at(-1)).toMatch(message);
    expect(readdirSync(dir)).toEqual([]);
  }, 60_000);

  it('--trace t --out t: refused, the trace unchanged', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'poster-own-'));
    const trace = join(dir, 't.safetensors');
    writeFileSync(trace, 'not read: refused before');
    const result = await poster(['--trace', trace, '--out', trace]);
    expect(result.code).toBe(1);
    expect(result.stderr.trim().split('\n').at(-1)).toMatch(/^vectorview-poster: --out .*t\.safetensors would write over the input --trace/);
    expect(readFileSync(trace, 'utf8')).toBe('not read: refused before');
    expect(readdirSync(dir)).toEqual(['t.safetensors']);
  }, 60_000);

  it('leftovers of killed runs beside the target are removed by the next run', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'poster-leftovers-'));
    mkdirSync(join(dir, '.vectorview-partial', '999999999-killed'), { recursive: true });
    writeFileSync(join(dir, '.vectorview-partial', '999999999-killed', 'p.svg'), 'half');
    mkdirSync(join(dir, '.p.svg.tmp-Ab12Cd'));
    writeFileSync(join(dir, 'p.svg.999999999.1796151198729.partial'), 'half');
    const result = await poster(['--model', FIXTURE, '--size', 'web', '--out', join(dir, 'p.svg')]);
    expect(result.code, result.stderr).toBe(0);
    expect(readdirSync(dir)).toEqual(['p.svg']);
  }, 120_000);

  it('outputs into folders that do not exist: created, and the last line says so', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'poster-folders-'));
    const result = await poster(['--model', FIXTURE, '--size', 'web', '--out', join(dir, 'o', 'p.svg'), '--save-trace', join(dir, 'o', 'nodir', 't.safetensors')]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr.trim().split('\n').at(-1)).toMatch(/; created folder .*o$/);
    expect(readdirSync(dir, { recursive: true }).map(String).sort()).toEqual(['o', join('o', 'nodir'), join('o', 'nodir', 't.safetensors'), join('o', 'p.svg')]);
  }, 120_000);
});

describe('vectorview-poster refuses saved traces it cannot draw, with one line naming the field', () => {
  let dir: string;
  let good: Uint8Array;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'poster-traces-'));
    good = encodeTrace(await traceModel(FIXTURE, { prompt: 'The capital of France is' }));
  }, 60_000);

  /** The good trace with its metadata edited. */
  function edited(edit: (metadata: Record<string, string>, tensors: Map<string, Tensor>) => void): Uint8Array {
    const { metadata, tensors } = decodeSafetensors(good);
    const copy = { ...metadata };
    edit(copy, tensors);
    return encodeSafetensors(tensors, copy);
  }
  const config = (m: Record<string, string>, change: Record<string, unknown>) => (m['config'] = JSON.stringify({ ...(JSON.parse(m['config']!) as object), ...change }));

  it.each([
    ['n_layer 1000000 in the config', () => edited((m) => config(m, { n_layer: 1_000_000 })), /config field n_layer is 1000000, beyond the 192/],
    ['n_head 8 over 4 heads of data', () => edited((m) => config(m, { n_head: 8, d_head: 4 })), /tensor blocks\.0\.attn\.hook_q has shape \[5, 4, 8\], but the config and 5 tokens give \[5, 8, 4\]/],
    ['engine metadata 5', () => edited((m) => (m['engine'] = '5')), /metadata engine is 5, which is not valid/],
    ['a bad temperature', () => edited((m) => (m['decode'] = JSON.stringify({ ...(JSON.parse(m['decode']!) as { settings: object }), settings: { ...(JSON.parse(m['decode']!) as { settings: object }).settings, temperature: 'hot' } }))), /metadata decode\.settings\.temperature is "hot"/],
    ['a token id outside the vocabulary', () => edited((m) => (m['tokens'] = JSON.stringify((JSON.parse(m['tokens']!) as { id: number }[]).map((t, i) => (i === 1 ? { ...t, id: 60000 } : t))))), /metadata tokens\[1\] has id 60000, outside the vocabulary/],
    ['bad logit_positions', () => edited((m) => (m['logit_positions'] = '[4, 3]')), /metadata logit_positions is \[4,3\]/],
    ['an infinite activation', () => edited((_m, t) => t.get('blocks.1.hook_resid_post')!.data.fill(Infinity, 3, 4)), /tensor blocks\.1\.hook_resid_post holds Infinity at element 3/],
    ['bytes appended after the data', () => Buffer.concat([good, Buffer.alloc(100)]), /bytes appended after the data/],
  ])('%s', async (_name, bytes, message) => {
    const file = join(dir, `${_name.replace(/\W+/g, '-')}.safetensors`);
    writeFileSync(file, bytes());
    const out = join(dir, `${_name.replace(/\W+/g, '-')}.svg`);
    const result = await poster(['--trace', file, '--out', out]);
    expect(result.code).toBe(1);
    const last = result.stderr.trim().split('\n').at(-1)!;
    expect(last).toMatch(/^vectorview-poster: /);
    expect(last).toMatch(message);
    expect(existsSync(out)).toBe(false);
  }, 60_000);

  it.each([
    ['/dev/zero', () => '/dev/zero'],
    ['a FIFO with no writer', () => {
      const fifo = join(dir, 'fifo.safetensors');
      if (!existsSync(fifo)) execFileSync('mkfifo', [fifo]);
      return fifo;
    }],
  ])('--trace %s: refused at once as not a regular file', async (_name, path) => {
    const out = join(dir, 'special.svg');
    const result = await poster(['--trace', path(), '--out', out]);
    expect(result.code).toBe(1);
    expect(result.stderr.trim().split('\n').at(-1)).toMatch(/cannot read trace .*: not a regular file \(a device, FIFO or socket\)$/);
    expect(existsSync(out)).toBe(false);
  }, 30_000);
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
