/**
 * The talk's acceptance checks in a real Chromium, network blocked, on the bundled model, on
 * random:gpt2 (12 layers, 12 heads) and on gpt2-xl's shape (48 layers, 25 heads): one full deck per
 * model, every slide measured at the end of its fragments on the 1,920 × 1,080 canvas (measure.ts).
 * Also the two lengths' slide lists.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { browserAvailableForTests, launchChromium, type Browser } from '@vectorview/chromium';
import { defaultModelDir, defaultModelInfo, defaultPrompt } from '@vectorview/default-model';
import { Gpt2Model, randomWeights, tokenizerForVocabulary, traceForward } from '@vectorview/engine';
import { initNodeBackend, traceFromFlags } from '@vectorview/engine/node';
import { renderStageDrawings, STAGES } from '@vectorview/renderer';
import { normalizeConfig, type Trace } from '@vectorview/trace';
import { writeTraceFile } from '@vectorview/trace/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { measureDeck, type SlideMeasure } from './measure.js';
import { buildSlides } from './slides.js';
import { makeTalk } from './talk.js';

const browserIt = browserAvailableForTests() ? it : it.skip;
let dir: string;
let browser: Browser | undefined;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'vectorview-talk-slides-'));
});

afterAll(async () => {
  await browser?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** Opens a deck offline and measures every slide; console errors and blocked requests come back too. */
async function measure(index: string): Promise<{ slides: SlideMeasure[]; errors: string[]; failed: string[] }> {
  browser ??= await launchChromium();
  const page = await browser.newPage({ viewport: { width: 1920, height: 1080 } });
  const errors: string[] = [];
  const failed: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('requestfailed', (r) => failed.push(r.url()));
  try {
    await page.route('**/*', (route) => (route.request().url().startsWith('file:') ? route.continue() : route.abort()));
    await page.goto(pathToFileURL(index).href);
    await page.waitForFunction(() => (window as unknown as { Reveal?: { isReady(): boolean } }).Reveal?.isReady() === true, undefined, { timeout: 60_000 });
    await page.evaluate(() => document.fonts.ready);
    return { slides: await page.evaluate(measureDeck), errors, failed };
  } finally {
    await page.close();
  }
}

/**
 * A saved trace of a random model with gpt2-xl's 48 layers and 25 heads but narrow vectors (d_model
 * 100), so the grids and per-head slides are measured at XL's shape in seconds, not minutes.
 */
async function xlShapedTrace(folder: string): Promise<string> {
  const config = normalizeConfig({ model_type: 'gpt2', vocab_size: 50257, n_positions: 1024, n_embd: 100, n_head: 25, n_layer: 48, activation_function: 'gelu_new' }, 'random:gpt2-xl-shaped');
  await initNodeBackend();
  const model = new Gpt2Model(randomWeights(config));
  try {
    const file = path.join(folder, 'xl-shaped.safetensors');
    await writeTraceFile(file, traceForward(model, tokenizerForVocabulary(config.n_vocab), { prompt: defaultPrompt, mode: 'batched', unembed: 'all' }));
    return file;
  } finally {
    model.dispose();
  }
}

describe.each([
  ['the bundled model', 'default', () => ({})],
  ['random:gpt2', 'gpt2', () => ({ model: 'random:gpt2' })],
  ['a gpt2-xl-shaped model (48 layers, 25 heads)', 'xl', async () => ({ trace: await xlShapedTrace(dir) })],
] as const)('the full talk on %s', (_name, folder, input) => {
  let measured: { slides: SlideMeasure[]; errors: string[]; failed: string[] } | undefined;
  const deck = () => path.join(dir, folder, 'index.html');

  beforeAll(async () => {
    await makeTalk({ ...(await input()), out: path.dirname(deck()) }, () => {});
  }, 240_000);

  const slides = async () => (measured ??= await measure(deck())).slides;

  browserIt('loads offline with no console error', async () => {
    await slides();
    expect(measured!.errors).toEqual([]);
    expect(measured!.failed).toEqual([]);
  }, 180_000);

  browserIt('shows at most 45 words on every slide', async () => {
    const over = (await slides()).filter((s) => s.words > 45).map((s) => `${s.title}: ${s.words} words`);
    expect(over).toEqual([]);
  }, 180_000);

  browserIt('keeps every text at least 20 px, and title and body text at least 28 px', async () => {
    const all = await slides();
    expect(all.filter((s) => s.smallestPx < 20).map((s) => `${s.title}: ${s.smallestPx.toFixed(1)} px`)).toEqual([]);
    expect(all.filter((s) => s.smallestBodyPx < 28).map((s) => `${s.title}: ${s.smallestBodyPx.toFixed(1)} px`)).toEqual([]);
  }, 180_000);

  browserIt('puts nothing outside the frame or under the controls, and gives every slide notes', async () => {
    const all = await slides();
    expect(all.flatMap((s) => s.problems.map((p) => `${s.title}: ${p}`))).toEqual([]);
    expect(all.filter((s) => s.notesChars < 100).map((s) => s.title)).toEqual([]);
  }, 180_000);
});

describe('the two lengths', () => {
  let trace: Trace;
  beforeAll(async () => {
    trace = await traceFromFlags({}, { model: defaultModelDir, modelName: defaultModelInfo.name, prompt: defaultPrompt }, () => {});
  }, 120_000);

  it('short: the opening, the walk through the computation, the analyses, the mechanism and the prediction', async () => {
    const drawings = await renderStageDrawings(trace);
    const stacks = buildSlides(trace, drawings, { ...drawings.drawn, length: 'short' });
    expect(stacks.map((s) => s.id)).toEqual([
      'opening',
      'stage-tokenizer',
      'stage-input-embeddings',
      'stage-residual',
      'stage-attention-head',
      'stage-mlp',
      'stage-unembed',
      'stage-decoding',
      'stage-attribution',
      'stage-logit-lens',
      'stage-head-roles',
      'closing',
    ]);
    // The attention head and the decoding keep every view: their builds are the computation.
    const full = buildSlides(trace, drawings, { ...drawings.drawn, length: 'full' });
    const count = (list: typeof stacks, id: string) => list.find((s) => s.id === id)!.slides.length;
    expect(count(stacks, 'stage-attention-head')).toBe(count(full, 'stage-attention-head'));
    expect(count(stacks, 'stage-mlp')).toBe(1);
    expect(stacks.flatMap((s) => s.slides).length).toBeLessThan(full.flatMap((s) => s.slides).length / 2);
  }, 120_000);

  it('full: every registered stage but the poster apparatus, with the analyses after the prediction and one slide per head', async () => {
    const drawings = await renderStageDrawings(trace);
    const stacks = buildSlides(trace, drawings, { ...drawings.drawn, length: 'full' });
    const posterOnly = ['stage-title', 'stage-legend', 'stage-terminology'];
    const analysis = ['stage-attribution', 'stage-logit-lens', 'stage-head-roles', 'stage-qk-circuit', 'stage-ov-circuit'];
    const computation = STAGES.map((s) => s.id).filter((id) => !posterOnly.includes(id) && !analysis.includes(id));
    expect(stacks.map((s) => s.id)).toEqual(['opening', ...computation, ...analysis, 'closing']);
    const heads = stacks.find((s) => s.id === 'stage-attention')!.slides.filter((s) => s.attrs['data-head'] !== undefined);
    expect(heads.map((s) => s.attrs['data-head'])).toEqual(Array.from({ length: trace.config.n_head }, (_, h) => String(h)));
    expect(stacks.find((s) => s.id === 'closing')!.slides.map((s) => s.title)).toEqual(['The mechanism', 'The prediction']);
  }, 120_000);
});
