import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { beforeAll, describe, expect, test } from 'vitest';
import { createTrace, decodeNextToken, DEFAULT_DECODE, type Trace } from '@vectorview/trace';
import { frameStage, POSTER_STAGE_IDS, renderPoster, type Poster } from './index.js';
import { fmtProb } from './marks/attention.js';
import { fixtureTrace, tokenText } from './test-support/fixture-trace.js';
import { normalizeSvg } from './test-support/normalize.js';
import { all, parseSvg, textOf } from './test-support/xml.js';

const SNAPSHOTS = new URL('./__snapshots__/', import.meta.url);

/** Compares with a committed snapshot; writes it when missing (delete the file to accept a change). */
function matchSnapshot(name: string, svg: string): void {
  const file = new URL(name, SNAPSHOTS);
  const actual = normalizeSvg(svg);
  if (!existsSync(file)) {
    mkdirSync(SNAPSHOTS, { recursive: true });
    writeFileSync(file, actual);
    return;
  }
  expect(actual === readFileSync(file, 'utf8'), `${name} differs from its snapshot (delete it to regenerate)`).toBe(true);
}

let trace: Trace;
let web: Poster;
let print: Poster;

beforeAll(async () => {
  trace = fixtureTrace(2);
  web = await renderPoster(trace, { size: 'web', date: '2025-01-01', version: 'test', tokenText });
  print = await renderPoster(trace, { size: 'A1', date: '2025-01-01', version: 'test', tokenText });
}, 120_000);

describe('poster of the tiny fixture', () => {
  test('is well-formed XML with an accessible root', () => {
    const doc = parseSvg(web.svg);
    const root = doc.documentElement!;
    expect(root.getAttribute('role')).toBe('img');
    expect(all(doc, (e) => e.tagName === 'title' && e.parentNode === root)).toHaveLength(1);
    expect(all(doc, (e) => e.tagName === 'desc' && e.parentNode === root)).toHaveLength(1);
    expect(root.getAttribute('viewBox')).toBe(`0 0 ${web.width} ${web.height}`);
  });

  test('has every stage exactly once on the web strip; a print size keeps them in reading order, inside the page', () => {
    const doc = parseSvg(web.svg);
    for (const id of POSTER_STAGE_IDS) expect(all(doc, (e) => e.getAttribute('id') === id), id).toHaveLength(1);
    expect(web.stages.map((s) => s.id)).toEqual([...POSTER_STAGE_IDS]);
    // A1 condenses (condense.test.ts): the stages it keeps stay in reading order.
    const kept = print.stages.map((s) => s.id);
    expect(kept).toEqual(POSTER_STAGE_IDS.filter((id) => kept.includes(id)));
    for (const s of print.stages) {
      expect(s.x).toBeGreaterThanOrEqual(0);
      expect(s.y).toBeGreaterThanOrEqual(0);
      expect(s.x + s.width).toBeLessThanOrEqual(print.width + 1e-6);
      expect(s.y + s.height).toBeLessThanOrEqual(print.height + 1e-6);
    }
    for (const a of print.stages)
      for (const b of print.stages)
        if (a !== b) expect(a.x + a.width <= b.x || b.x + b.width <= a.x || a.y + a.height <= b.y || b.y + b.height <= a.y, `${a.id} overlaps ${b.id}`).toBe(true);
    // Web is one column read top to bottom.
    const ys = web.stages.map((s) => s.y);
    expect([...ys].sort((a, b) => a - b)).toEqual(ys);
  });

  test('sets the physical size of print and web', () => {
    expect([print.physicalWidth, print.physicalHeight]).toEqual(['594mm', '841mm']);
    expect(Math.abs(print.width / print.height - 594 / 841)).toBeLessThan(1e-6);
    expect(web.physicalWidth).toBe(`${web.width}px`);
  });

  test('prints the token ids of the trace', () => {
    const doc = parseSvg(web.svg);
    const ids = all(doc, (e) => e.getAttribute('class') === 'token-id');
    expect(ids.map((e) => Number(e.getAttribute('data-token-id')))).toEqual(trace.tokens.map((t) => t.id));
    expect(ids.map(textOf)).toEqual(trace.tokens.map((t) => String(t.id)));
  });

  test('prints the real attention pattern of the drawn head, causal pairs only', () => {
    const doc = parseSvg(web.svg);
    const cells = all(doc, (e) => e.hasAttribute('data-pattern'));
    const n = trace.tokens.length;
    expect(cells).toHaveLength((n * (n + 1)) / 2);
    const pattern = trace.tensors.get('blocks.0.attn.hook_pattern')!;
    for (const cell of cells) {
      const [h, q, k] = cell.getAttribute('data-pattern')!.split(',').map(Number) as [number, number, number];
      expect(k).toBeLessThanOrEqual(q);
      const value = pattern.data[(h * n + q) * n + k]!;
      expect(Number(cell.getAttribute('data-value'))).toBeCloseTo(value, 3);
      expect(textOf(cell)).toBe(fmtProb(value));
    }
  });

  test('lists the decoding candidates with their real probabilities', () => {
    const logits = trace.tensors.get('logits')!;
    const V = trace.config.n_vocab;
    const last = logits.data.subarray((logits.shape[0]! - 1) * V, logits.shape[0]! * V);
    const { record } = decodeNextToken(last, DEFAULT_DECODE);
    const doc = parseSvg(web.svg);
    const rows = all(doc, (e) => e.getAttribute('class') === 'candidate');
    const expected = record.candidates.some((c) => c.id === record.chosen.id) ? record.candidates : [...record.candidates, record.chosen];
    expect(rows.map((r) => Number(r.getAttribute('data-token-id')))).toEqual(expected.map((c) => c.id));
    rows.forEach((r, i) => {
      expect(Number(r.getAttribute('data-prob'))).toBeCloseTo(expected[i]!.prob, 5);
      expect(Number(r.getAttribute('data-logit'))).toBeCloseTo(expected[i]!.logit, 3);
      const shown = all(doc, (e) => e.parentNode === r && e.getAttribute('class') === 'prob').map(textOf);
      expect(shown).toEqual([expected[i]!.prob.toFixed(3)]);
    });
    expect(rows.filter((r) => r.getAttribute('data-chosen') === 'true').map((r) => Number(r.getAttribute('data-token-id')))).toEqual([record.chosen.id]);
  });

  test('marks talk steps and gives key vectors stable ids', () => {
    const doc = parseSvg(web.svg);
    const stepsIn = (id: string) => {
      const stage = all(doc, (e) => e.getAttribute('id') === id)[0]!;
      const found: number[] = [];
      const visit = (e: typeof stage) => {
        if (e.hasAttribute('data-step')) found.push(Number(e.getAttribute('data-step')));
        for (let c = e.firstChild; c; c = c.nextSibling) if (c.nodeType === 1) visit(c as typeof stage);
      };
      visit(stage);
      return found;
    };
    expect(stepsIn('stage-tokenizer')).toEqual([1, 2, 3, 4]);
    expect(stepsIn('stage-attention-head')).toEqual([1, 2, 3, 4, 5, 6]);
    expect(stepsIn('stage-decoding')).toEqual([1, 2, 3, 4, 5, 6, 7]);
    for (const id of ['vec-resid-pre-L0-p3', 'vec-embed-p0', 'vec-q-L0-h0-p2', 'vec-mlp-out-L0-p1', 'vec-ln-final-p13']) expect(all(doc, (e) => e.getAttribute('id') === id), id).toHaveLength(1);
  });

  test('returns each stage’s steps and elements as data, matching the SVG and inside the stage', () => {
    const steps = (id: string) => print.stages.find((s) => s.id === id)!.steps.map((s) => s.step);
    expect(steps('stage-tokenizer')).toEqual([1, 2, 3, 4]);
    expect(steps('stage-attention-head')).toEqual([1, 2, 3, 4, 5, 6]);
    expect(steps('stage-decoding')).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(steps('stage-mlp')).toEqual([]);
    const doc = parseSvg(web.svg);
    const svgIds = all(doc, (e) => /^(vec|pattern|mat|scores|circuit|grid)-/.test(e.getAttribute('id') ?? '')).map((e) => e.getAttribute('id')!);
    const listed = web.stages.flatMap((s) => s.elements.map((e) => e.id));
    expect([...listed].sort()).toEqual([...svgIds].sort());
    for (const s of web.stages) {
      for (const { id, box } of [...s.elements, ...s.steps.map((t) => ({ id: `step ${t.step}`, box: t.box }))]) {
        expect(box.x, `${s.id} ${id}`).toBeGreaterThanOrEqual(s.x);
        expect(box.y, `${s.id} ${id}`).toBeGreaterThanOrEqual(s.y);
        expect(box.x + box.width, `${s.id} ${id}`).toBeLessThanOrEqual(s.x + s.width + 1e-6);
        expect(box.y + box.height, `${s.id} ${id}`).toBeLessThanOrEqual(s.y + s.height + 1e-6);
      }
    }
    // A vector column is one cell wide and as tall as the column of cells.
    const v = web.stages.find((s) => s.id === 'stage-embedding')!.elements.find((e) => e.id === 'vec-embed-p0')!.box;
    expect(v.height).toBe(256);
    expect(v.width).toBeLessThan(25);
  });

  test('frames one stage as a standalone SVG with the shared defs', () => {
    const svg = frameStage(print, 'stage-attention-head', 10);
    const doc = parseSvg(svg);
    const box = print.stages.find((s) => s.id === 'stage-attention-head')!;
    expect(doc.documentElement!.getAttribute('viewBox')).toBe(`${box.x - 10} ${box.y - 10} ${box.width + 20} ${box.height + 20}`);
    expect(all(doc, (e) => e.getAttribute('id') === 'stage-attention-head')).toHaveLength(1);
    expect(all(doc, (e) => e.getAttribute('id') === 'stage-mlp')).toHaveLength(0);
    // Every <use> resolves to a symbol in the frame's own defs.
    const symbols = new Set(all(doc, (e) => e.tagName === 'symbol').map((e) => e.getAttribute('id')));
    for (const use of all(doc, (e) => e.tagName === 'use')) expect(symbols.has(use.getAttribute('href')!.slice(1))).toBe(true);
    expect(svg).toContain('@font-face');
  });

  test('is deterministic and matches the committed snapshots', async () => {
    const again = await renderPoster(trace, { size: 'web', date: '2025-01-01', version: 'test', tokenText });
    expect(again.svg === web.svg).toBe(true);
    // Snapshots use the fixture's 5-token prompt to keep the committed files small.
    const small = fixtureTrace(1);
    const options = { date: '2025-01-01', version: 'test', tokenText } as const;
    matchSnapshot('tiny-web.svg', (await renderPoster(small, { ...options, size: 'web' })).svg);
    matchSnapshot('tiny-a1.svg', (await renderPoster(small, { ...options, size: 'A1' })).svg);
  }, 120_000);
});

test('escapes untrusted prompt and token text', async () => {
  const base = fixtureTrace(0);
  const evil = '</text><script>alert(1)</script>&amp; "quoted" \u0001';
  const tokens = base.tokens.map((t, i) => (i === 1 ? { ...t, display: '<b>&', text: '<b>&' } : t));
  const trace = createTrace({ config: base.config, tokens, tensors: base.tensors, prompt: evil, created: base.created, engine: base.engine });
  const poster = await renderPoster(trace, { size: 'web', tokenText: () => '<i>"x"</i>' });
  const doc = parseSvg(poster.svg);
  expect(all(doc, (e) => e.tagName === 'script')).toHaveLength(0);
  expect(all(doc, (e) => e.tagName === 'b' || e.tagName === 'i')).toHaveLength(0);
  const prompt = all(doc, (e) => e.getAttribute('class') === 'prompt')[0]!;
  expect(textOf(prompt)).toContain('</text><script>alert(1)</script>&amp;');
  expect(textOf(all(doc, (e) => e.tagName === 'title')[0]!)).toContain('<script>');
});
