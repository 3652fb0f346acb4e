#!/usr/bin/env node
/**
 * Speed and memory targets, measured (never asserted by timed tests). Prints one table per
 * section; `--only engine|poster|talk|xl|poster-lengths` runs one section.
 */
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import { Gpt2Model, gpt2Config, randomWeights } from '@vectorview/engine';
import { initNodeBackend } from '@vectorview/engine/node';

const { values } = parseArgs({ options: { only: { type: 'string' }, repeats: { type: 'string', default: '3' }, lengths: { type: 'string' } } });
const repeats = Number(values.repeats);
const sections = values.only ? values.only.split(',') : ['engine', 'poster', 'talk', 'xl'];

const ms = (t) => `${t.toFixed(1)} ms`;
const mib = (b) => `${(b / 2 ** 20).toFixed(0)} MiB`;
function best(fn) {
  fn();
  let min = Infinity;
  for (let i = 0; i < repeats; i++) {
    const t = performance.now();
    fn();
    min = Math.min(min, performance.now() - t);
  }
  return min;
}

/** Multiply-adds ×2 of one forward pass at n tokens, unembedding the last position only. */
function forwardFlops(c, n) {
  const perLayer = 2 * n * c.d_model * 3 * c.d_model + 2 * 2 * c.n_head * n * n * c.d_head + 2 * n * c.d_model * c.d_model + 2 * 2 * n * c.d_model * c.d_mlp;
  return c.n_layer * perLayer + 2 * c.d_model * c.n_vocab;
}

function matmulGflops() {
  const a = tf.randomNormal([768, 768]);
  const b = tf.randomNormal([768, 3072]);
  // tidy must not return the array: it would walk every element looking for tensors.
  const t = best(() => tf.tidy(() => void tf.matMul(a, b).dataSync()));
  tf.dispose([a, b]);
  return (2 * 768 * 768 * 3072) / t / 1e6;
}

async function engine() {
  const backend = await initNodeBackend();
  console.log(`\n## engine: random:gpt2 on the ${backend} backend (best of ${repeats})`);
  const gflops = matmulGflops();
  const config = gpt2Config('gpt2');
  const t = performance.now();
  const model = new Gpt2Model(randomWeights(config));
  const loadMs = performance.now() - t;
  console.log(`load (seeded random weights): ${ms(loadMs)}; wasm matmul 768×768·768×3072: ${gflops.toFixed(1)} GFLOP/s`);
  console.log('| tokens | vector-wise | batched | ratio | batched GFLOP/s | % of matmul |');
  console.log('|---|---|---|---|---|---|');
  for (const n of [1, 16, 64]) {
    const ids = Array.from({ length: n }, (_, i) => (i * 7919) % config.n_vocab);
    const vec = best(() => model.forward(ids, { mode: 'vectorwise' }));
    const bat = best(() => model.forward(ids, { mode: 'batched' }));
    const rate = forwardFlops(config, n) / bat / 1e6;
    console.log(`| ${n} | ${ms(vec)} | ${ms(bat)} | ${(vec / bat).toFixed(2)}× | ${rate.toFixed(1)} | ${((100 * rate) / gflops).toFixed(0)}% |`);
  }
  model.dispose();
  await tf.setBackend('cpu');
  const cpuGflops = matmulGflops();
  await initNodeBackend();
  console.log(`cpu backend matmul: ${cpuGflops.toFixed(2)} GFLOP/s, so wasm is ${(gflops / cpuGflops).toFixed(0)}× faster here`);
  console.log(`peak RSS so far: ${mib(process.resourceUsage().maxRSS * 1024)}; targets: vector-wise ≤ 1.5× batched at 16 tokens, batched ≥ 30% of matmul`);
}

const TOKENS_16 = 'The quick brown fox jumps over the lazy dog while the old cat sleeps in the';

async function poster() {
  const { traceModel } = await import('@vectorview/engine/node');
  const { renderPoster } = await import('@vectorview/renderer');
  const trace = await traceModel('random:gpt2', { prompt: TOKENS_16 });
  console.log(`\n## poster: random:gpt2, ${trace.tokens.length} tokens, A0`);
  let svg = '';
  const t = performance.now();
  svg = (await renderPoster(trace, { size: 'A0' })).svg;
  const firstMs = performance.now() - t;
  const renderMs = await bestAsync(async () => {
    svg = (await renderPoster(trace, { size: 'A0' })).svg;
  });
  console.log(`render: first ${ms(firstMs)} (includes MathJax start-up), then ${ms(renderMs)} (target ≤ 3 s); SVG: ${(svg.length / 1e6).toFixed(2)} MB (target ≤ 8 MB)`);
  const { browserAvailableForTests, withPage } = await import('@vectorview/chromium');
  if (!browserAvailableForTests()) {
    console.log('first paint in Chromium: skipped (no Chromium)');
    return;
  }
  const { writeFileSync, mkdtempSync } = await import('node:fs');
  const { join } = await import('node:path');
  const { tmpdir } = await import('node:os');
  const file = join(mkdtempSync(join(tmpdir(), 'bench-')), 'poster.html');
  writeFileSync(file, `<!doctype html><html><body style="margin:0">${svg}</body></html>`);
  const paint = await withPage(async (page) => {
    await page.goto(`file://${file}`, { waitUntil: 'load' });
    return page.evaluate(() => performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? NaN);
  });
  console.log(`time to first contentful paint in Chromium: ${ms(paint)}`);
}

async function talk() {
  let benchTalk;
  try {
    ({ benchTalk } = await import('@vectorview/talk'));
  } catch {
    console.log('\n## talk: not built');
    return;
  }
  const { buildMs, slides, htmlBytes } = await benchTalk({ model: 'random:gpt2', tokens: 16 });
  console.log(`\n## talk: random:gpt2, 16 tokens\ndeck build: ${ms(buildMs)} (target ≤ 5 s), ${slides} slides, ${(htmlBytes / 1e6).toFixed(1)} MB of HTML`);
}

async function xl() {
  await initNodeBackend();
  console.log('\n## engine: random:gpt2-xl, 16 tokens (weights streamed to the backend one layer at a time)');
  const config = gpt2Config('gpt2-xl');
  let t = performance.now();
  const model = new Gpt2Model(randomWeights(config));
  console.log(`load (seeded random weights, ${(4 * 1.5e9 / 1e9).toFixed(1)} GB): ${ms(performance.now() - t)}`);
  const ids = Array.from({ length: 16 }, (_, i) => (i * 7919) % config.n_vocab);
  t = performance.now();
  model.forward(ids, { mode: 'vectorwise' });
  console.log(`vector-wise forward: ${ms(performance.now() - t)}; peak RSS ${mib(process.resourceUsage().maxRSS * 1024)}; wasm backend bytes now ${mib(tf.memory().numBytes)}`);
  model.dispose();
}

async function bestAsync(fn) {
  await fn();
  let min = Infinity;
  for (let i = 0; i < repeats; i++) {
    const t = performance.now();
    await fn();
    min = Math.min(min, performance.now() - t);
  }
  return min;
}

// ---- poster-lengths (renderer scaling; kept apart from the engine sections above) ----
/**
 * renderPoster's time, heap growth and SVG size on GPT-2-shaped traces of 16, 300 and 1,024 tokens
 * (`--lengths` to change them), and what createTrace and readTrace (encode + decode) cost at the
 * longest length against the forward pass that produced the trace (target: under 1 %).
 */
async function posterLengths() {
  const { traceModel } = await import('@vectorview/engine/node');
  const { renderPoster } = await import('@vectorview/renderer');
  const { createTrace, decodeTrace, encodeTrace } = await import('@vectorview/trace');
  const lengths = (values.lengths ?? '16,300,1024').split(',').map(Number);
  console.log('\n## poster lengths: random:gpt2 (batched forward), A0');
  console.log('| tokens | forward | renderPoster | heap growth | SVG |');
  console.log('|---|---|---|---|---|');
  let last;
  for (const n of lengths) {
    const tokens = Array.from({ length: n }, (_, i) => (i * 7919) % 50000);
    const trace = await traceModel('random:gpt2', { tokens, mode: 'batched' });
    // The engine times its own forward pass (the load of the random weights is not part of it).
    const forwardMs = trace.engine.timings?.forward_ms ?? NaN;
    globalThis.gc?.();
    const heap = process.memoryUsage().heapUsed;
    const t = performance.now();
    const poster = await renderPoster(trace, { size: 'A0' });
    const renderMs = performance.now() - t;
    const grown = process.memoryUsage().heapUsed - heap;
    console.log(`| ${n} | ${ms(forwardMs)} | ${ms(renderMs)} | ${mib(Math.max(0, grown))} | ${(poster.svg.length / 1e6).toFixed(2)} MB |`);
    last = { n, trace, forwardMs };
  }
  if (!last) return;
  const { trace, forwardMs, n } = last;
  const createMs = await bestAsync(async () => createTrace({ config: trace.config, tokens: trace.tokens, tensors: trace.tensors, prompt: trace.prompt }));
  const bytes = encodeTrace(trace);
  const encodeMs = await bestAsync(async () => encodeTrace(trace));
  const decodeMs = await bestAsync(async () => decodeTrace(bytes));
  const share = (v) => `${((100 * v) / forwardMs).toFixed(2)} % of the forward pass`;
  console.log(`at ${n} tokens: createTrace ${ms(createMs)} (${share(createMs)}); encodeTrace ${ms(encodeMs)}, decodeTrace ${ms(decodeMs)} (${share(encodeMs + decodeMs)}); target < 1 %; peak RSS ${mib(process.resourceUsage().maxRSS * 1024)}`);
}
if (!values.only) sections.push('poster-lengths');
// ---- end poster-lengths ----

const run = { engine, poster, talk, xl, 'poster-lengths': posterLengths };
for (const s of sections) if (run[s]) await run[s]();
