/** Corrections from review: what the poster says must match the model and the drawing. */
import { createTrace, type TensorName, type Trace } from '@vectorview/trace';
import { rgb } from 'd3-color';
import { beforeAll, describe, expect, test } from 'vitest';
import { renderPoster, type Poster } from './index.js';
import { stepColor, STEPS } from './scale.js';
import { layerRanges } from './stages/layers.js';
import { recoverGammaBeta } from './stages/layernorm.js';
import { fixtureTrace, tokenText } from './test-support/fixture-trace.js';
import { all, parseSvg, textOf } from './test-support/xml.js';

/** A stage's text, one line per <text> element, lines joined by spaces. */
function stageText(poster: Poster, id: string): string {
  const stage = all(parseSvg(poster.svg), (e) => e.getAttribute('id') === id)[0]!;
  const lines: string[] = [];
  const visit = (e: typeof stage) => {
    if (e.tagName === 'text') lines.push(textOf(e));
    else for (let c = e.firstChild; c; c = c.nextSibling) if (c.nodeType === 1) visit(c as typeof stage);
  };
  visit(stage);
  return lines.join(' ');
}
/** The text of a stage with line breaks and thin spaces of the typesetting collapsed. */
const flat = (s: string) => s.replace(/\s+/g, ' ');

/** The fixture under another model's vocabulary size, name and context (the bundled model has 4,257 tokens). */
function renamed(base: Trace, name: string, n_vocab = base.config.n_vocab): Trace {
  return createTrace({ config: { ...base.config, name, n_vocab }, tokens: base.tokens, tensors: base.tensors, prompt: base.prompt, engine: base.engine, created: base.created });
}

let fixture: Trace;
let poster: Poster;
beforeAll(async () => {
  fixture = fixtureTrace(1);
  poster = await renderPoster(fixture, { size: 'web', tokenText });
});

describe('the tokenizer text', () => {
  test('counts the merges of the drawn model’s vocabulary, not GPT-2’s 50,000', async () => {
    const bundled = await renderPoster(renamed(fixture, 'vectorview-default', 4257), { size: 'web', tokenText });
    const text = flat(stageText(bundled, 'stage-tokenizer'));
    expect(text).toContain('4,000 learned merges');
    expect(text).toContain('4,000 tokens made by merges');
    expect(text).not.toContain('50,000');
    expect(flat(stageText(poster, 'stage-tokenizer'))).toContain('50,000 learned merges');
  });
});

test('the context limit comes from the config', () => {
  const text = flat(stageText(poster, 'stage-positional'));
  expect(text).toContain(`stops at ${fixture.config.n_context.toLocaleString('en-US')} positions`);
  expect(text).not.toContain('1,024');
});

describe('components drawn', () => {
  test('says "all" when every component is drawn, and "N of M" only when some are elided', async () => {
    const d = fixture.config.d_model;
    expect(flat(stageText(poster, 'stage-input-embeddings'))).toContain(`all ${d} components`);
    expect(flat(stageText(poster, 'stage-input-embeddings'))).not.toContain(`of ${d} components`);
    expect(flat(stageText(poster, 'stage-mlp'))).not.toContain('elided');
    const sampled = await renderPoster(fixture, { size: 'web', tokenText, componentsDrawn: 16 });
    expect(flat(stageText(sampled, 'stage-input-embeddings'))).toContain(`16 of ${d} components`);
    expect(flat(stageText(sampled, 'stage-mlp'))).toContain('the rest are elided');
  });
});

test('a random: model’s poster says its weights are random', async () => {
  const random = await renderPoster(renamed(fixture, 'random:tiny'), { size: 'web', tokenText });
  expect(flat(stageText(random, 'stage-title'))).toContain('Weights: random, never trained');
  expect(flat(stageText(poster, 'stage-title'))).not.toContain('never trained');
  expect(flat(stageText(random, 'stage-embedding'))).toContain('In a trained model, that row is what the model learned');
});

test('a logit is described as a dot product, where length counts', () => {
  const text = flat(stageText(poster, 'stage-unembed'));
  expect(text).toContain('dot product');
  expect(text).not.toContain('point most nearly the same way');
});

test('the legend does not claim that value signs survive greyscale, because RdBu’s ends are equally dark', () => {
  const luminance = (hex: string) => {
    const c = rgb(hex);
    const lin = (v: number) => ((v /= 255) <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4);
    return 0.2126 * lin(c.r) + 0.7152 * lin(c.g) + 0.0722 * lin(c.b);
  };
  expect(Math.abs(luminance(stepColor(STEPS)) - luminance(stepColor(-STEPS)))).toBeLessThan(0.02);
  const text = flat(stageText(poster, 'stage-legend'));
  expect(text).toContain('in greyscale a cell shows how large a value is but not its sign');
});

test('the QK circuit says where 1/√d_head goes', () => {
  expect(flat(stageText(poster, 'stage-qk-circuit'))).toContain('/ √d_head');
});

describe('the elided layers', () => {
  test('are named as runs around the drawn one', () => {
    expect(layerRanges([0, 2, 3])).toBe('0 and 2–3');
    expect(layerRanges([1, 2, 3])).toBe('1–3');
    expect(layerRanges([0, 2, 4])).toBe('0, 2 and 4');
    expect(layerRanges([5])).toBe('5');
  });

  test('--layer 1 of two names layer 0 only', async () => {
    const layer1 = await renderPoster(fixture, { size: 'web', tokenText, layer: 1 });
    const text = flat(stageText(layer1, 'stage-layers'));
    expect(text).toContain('1 more layer (0) elided');
  });
});

describe('LayerNorm γ and β', () => {
  /** The fixture (which holds only x̂, as TransformerLens writes it) with an ln1 output made from known γ and β. */
  function withLnOut(): { trace: Trace; gamma: Float32Array; beta: Float32Array } {
    const t = fixture.tensors.get('blocks.0.ln1.hook_normalized')!;
    const d = t.shape[t.shape.length - 1]!;
    const gamma = Float32Array.from({ length: d }, (_, i) => 0.5 + (i % 7) / 7);
    const beta = Float32Array.from({ length: d }, (_, i) => ((i % 5) - 2) / 10);
    const data = Float32Array.from(t.data as Float32Array, (x, j) => gamma[j % d]! * x + beta[j % d]!);
    const tensors = new Map(fixture.tensors);
    tensors.set('blocks.0.ln1.hook_out', { shape: t.shape, data });
    return { trace: createTrace({ config: fixture.config, tokens: fixture.tokens, tensors, prompt: fixture.prompt, engine: fixture.engine, created: fixture.created }), gamma, beta };
  }
  const rowsOf = (trace: Trace, name: TensorName) => trace.tokens.map((_, p) => {
    const t = trace.tensors.get(name)!;
    const w = t.shape[t.shape.length - 1]!;
    return (t.data as Float32Array).subarray(p * w, (p + 1) * w);
  });

  test('are recovered from the trace: the γ and β that made its output', () => {
    const { trace, gamma, beta } = withLnOut();
    const normed = rowsOf(trace, 'blocks.0.ln1.hook_normalized');
    const out = rowsOf(trace, 'blocks.0.ln1.hook_out');
    const got = recoverGammaBeta(normed, out, gamma.length)!;
    for (let i = 0; i < gamma.length; i++) {
      expect(got.gamma[i]).toBeCloseTo(gamma[i]!, 3);
      expect(got.beta[i]).toBeCloseTo(beta[i]!, 3);
    }
    expect(recoverGammaBeta(normed.slice(0, 1), out.slice(0, 1), gamma.length)).toBeUndefined();
  });

  test('are drawn with their values and their printed range', async () => {
    const lnPoster = await renderPoster(withLnOut().trace, { size: 'web', tokenText });
    const doc = parseSvg(lnPoster.svg);
    expect(all(doc, (e) => e.getAttribute('id') === 'param-ln1-gamma-L0')).toHaveLength(1);
    expect(all(doc, (e) => e.getAttribute('id') === 'param-ln1-beta-L0')).toHaveLength(1);
    expect(flat(stageText(lnPoster, 'stage-layernorm'))).toContain('γ 0.5 … 1.4, β −0.2 … 0.2');
  });
});
