import { beforeAll, describe, expect, it } from 'vitest';
import { decodeNextToken, hook, normalizeConfig, type DecodeSettings, type Tensor, type TensorName } from '@vectorview/trace';
import { Gpt2Model } from './model.js';
import { loadModel, loadWeights } from './node.js';
import { randomWeights } from './weights.js';
import { FIXTURE_DIR, fixturePrompts, maxAbs, maxAbsDiff } from './test-support/fixture.js';

const prompts = fixturePrompts();
let model: Gpt2Model;
beforeAll(async () => {
  model = await loadModel(FIXTURE_DIR);
});

describe.each(['vectorwise', 'batched'] as const)('%s forward against HuggingFace', (mode) => {
  it.each(prompts.map((p, i) => [i, p] as const))('reproduces every tensor of prompt p%i', (_, prompt) => {
    const { tensors } = model.forward(prompt.ids, { mode, unembed: 'all' });
    let compared = 0;
    for (const [name, expected] of prompt.expected) {
      if (name.startsWith('decode.')) continue;
      // Besides the decode.* samples, the fixture's names are hook names.
      const actual = tensors.get(name as TensorName);
      expect(actual, name).toBeDefined();
      expect(actual!.shape, name).toEqual(expected.shape);
      const tolerance = 1e-4 * (1 + maxAbs(expected.data));
      expect(maxAbsDiff(actual!.data, expected.data), name).toBeLessThanOrEqual(tolerance);
      compared++;
    }
    expect(compared).toBe(prompt.expected.size - 4);
  });
});

describe('decoding against HuggingFace warpers', () => {
  const settings: Record<string, DecodeSettings> = {
    'decode.T1.probs': { temperature: 1, top_k: 0, top_p: 1, strategy: 'sample', seed: 0 },
    'decode.T0.7_k50_p0.9.probs': { temperature: 0.7, top_k: 50, top_p: 0.9, strategy: 'sample', seed: 0 },
    'decode.T1.3_k10.probs': { temperature: 1.3, top_k: 10, top_p: 1, strategy: 'sample', seed: 0 },
    'decode.T1_p0.5.probs': { temperature: 1, top_k: 0, top_p: 0.5, strategy: 'sample', seed: 0 },
  };
  it.each(prompts.map((p, i) => [i, p] as const))('keeps exactly HF set of tokens for prompt p%i', (_, prompt) => {
    const { tensors } = model.forward(prompt.ids, { unembed: 'last' });
    const logits = tensors.get(hook.logits)!.data;
    for (const [name, s] of Object.entries(settings)) {
      const expected = prompt.expected.get(name)!.data;
      const { probs, record } = decodeNextToken(logits, s);
      const keptExpected = [...expected.keys()].filter((i) => expected[i]! > 0);
      const kept = [...probs.keys()].filter((i) => probs[i]! > 0);
      expect(kept, name).toEqual(keptExpected);
      expect(maxAbsDiff(probs, expected), name).toBeLessThan(1e-5);
      expect(keptExpected).toContain(record.chosen.id);
    }
  });
});

describe('vector-wise equals batched', () => {
  it.each(['random:tiny', 'random:gpt2'])('on %s', async (source) => {
    const m = new Gpt2Model(await loadWeights(source));
    const ids = source === 'random:tiny' ? [464, 3139, 286, 4881, 318, 6342, 13] : [464, 3139, 286, 4881];
    const a = m.forward(ids, { mode: 'vectorwise', unembed: 'all' }).tensors;
    const b = m.forward(ids, { mode: 'batched', unembed: 'all' }).tensors;
    expect([...a.keys()].sort()).toEqual([...b.keys()].sort());
    for (const [name, t] of a) expect(maxAbsDiff(t.data, b.get(name)!.data), name).toBeLessThanOrEqual(1e-5 * (1 + maxAbs(t.data)));
    m.dispose();
  }, 120_000);
});

describe('full context', () => {
  // 1024 is n_positions; 77 leaves a partial last block of query positions.
  it.each([1024, 77])('traces every position of a %i-token prompt, vector-wise equal to batched', async (n) => {
    const config = normalizeConfig({ model_type: 'gpt2', vocab_size: 1000, n_positions: 1024, n_embd: 32, n_layer: 2, n_head: 4, activation_function: 'gelu_new' }, 'random:context');
    const m = new Gpt2Model(randomWeights(config));
    const ids = Array.from({ length: n }, (_, i) => (i * 7919) % 1000);
    const a = m.forward(ids, { mode: 'vectorwise' }).tensors;
    const b = m.forward(ids, { mode: 'batched' }).tensors;
    m.dispose();
    expect(a.get('blocks.1.attn.hook_pattern')!.shape).toEqual([4, n, n]);
    expect(a.get('blocks.1.hook_resid_post')!.shape).toEqual([n, 32]);
    for (const [name, t] of a) expect(maxAbsDiff(t.data, b.get(name)!.data), name).toBeLessThanOrEqual(1e-5 * (1 + maxAbs(t.data)));
    // The last query sees every key; the first sees only itself.
    const pattern = a.get('blocks.0.attn.hook_pattern')!.data as Float32Array;
    const row = (h: number, i: number) => pattern.subarray((h * n + i) * n, (h * n + i + 1) * n);
    expect(row(3, n - 1).reduce((s, p) => s + p, 0)).toBeCloseTo(1, 5);
    expect(row(3, n - 1).every((p) => p > 0)).toBe(true);
    expect(row(2, 0)[0]).toBe(1);
    expect(row(2, 0).subarray(1).every((p) => p === 0)).toBe(true);
  }, 120_000);
});

describe('forwardEach', () => {
  it('runs several sequences in one sweep, each as forward runs it alone, whether the weights stay on the backend or stream from the file', async () => {
    const [a, b] = [prompts[0]!.ids, prompts[1]!.ids];
    const onlyPatterns = (name: string) => name.endsWith('attn.hook_pattern');
    const streamed = await loadModel(FIXTURE_DIR, { placement: 'file' });
    try {
      for (const m of [model, streamed]) {
        const [first, second] = m.forwardEach([{ ids: a, options: { mode: 'vectorwise', unembed: 'all' } }, { ids: b, options: { mode: 'batched', record: onlyPatterns } }]);
        const alone = [model.forward(a, { mode: 'vectorwise', unembed: 'all' }), model.forward(b, { mode: 'batched', record: onlyPatterns })];
        for (const [together, single] of [[first!, alone[0]!], [second!, alone[1]!]] as const) {
          expect(together.logitPositions).toEqual(single.logitPositions);
          expect([...together.tensors.keys()]).toEqual([...single.tensors.keys()]);
          for (const [name, t] of single.tensors) expect(maxAbsDiff(together.tensors.get(name)!.data, t.data), name).toBeLessThanOrEqual(1e-6);
        }
        expect(second!.tensors.has(hook.block(0, 'hook_resid_pre'))).toBe(false);
      }
    } finally {
      streamed.dispose();
    }
  });

  it('unembeds the rows unembedAlso makes from the recorded tensors with the pass, as unembed() would alone', async () => {
    const d = model.config.d_model;
    const rowsOf = (tensors: ReadonlyMap<TensorName, Tensor>) => {
      const { data } = tensors.get(hook.block(1, 'hook_resid_mid'))!;
      return data.slice(0, 3 * d).map((v, i) => v * (1 + (i % 3)) + 0.5) as Float32Array;
    };
    const streamed = await loadModel(FIXTURE_DIR, { placement: 'file' });
    try {
      for (const m of [model, streamed]) {
        const [traced, probe] = m.forwardEach([{ ids: prompts[0]!.ids, options: { unembedAlso: rowsOf } }, { ids: prompts[1]!.ids }]);
        const expected = m.unembed(rowsOf(traced!.tensors), 3);
        expect(traced!.alsoLogits!.length).toBe(3 * model.config.n_vocab);
        expect(maxAbsDiff(traced!.alsoLogits!, expected)).toBeLessThanOrEqual(1e-5);
        expect(probe!.alsoLogits).toBeUndefined();
        expect(maxAbsDiff(probe!.tensors.get(hook.logits)!.data, m.forward(prompts[1]!.ids).tensors.get(hook.logits)!.data)).toBeLessThanOrEqual(1e-6);
      }
    } finally {
      streamed.dispose();
    }
  });
});
