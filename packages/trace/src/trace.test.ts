import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ConfigError, normalizeConfig, parameterCounts } from './config.js';
import { decodeNextToken } from './decoding.js';
import { buildGraph, inputsOf, vectorId } from './graph.js';
import { decodeSafetensors, encodeSafetensors, type Tensor } from './safetensors.js';
import { createTrace, decodeTrace, encodeTrace, getTensor, TRACE_FORMAT, TraceError, traceGraph, vectorAt, type TensorName, type TokenInfo } from './trace.js';

const FIXTURE_CONFIG_TEXT = readFileSync(new URL('../../../fixtures/gpt2-tiny-hf/config.json', import.meta.url), 'utf8');

const tiny = normalizeConfig({ model_type: 'gpt2', vocab_size: 20, n_positions: 16, n_embd: 8, n_head: 2, n_layer: 2 }, 'tiny-test');

function ramp(shape: number[], scale = 0.1): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return { shape, data: Float32Array.from({ length: n }, (_, i) => Math.fround(Math.sin(i) * scale)) };
}

/** Like ramp, but in [0, 1] as attention patterns are. */
function weights(shape: number[]): Tensor {
  const t = ramp(shape);
  return { shape, data: t.data.map(Math.abs) };
}

function u64Json(header: unknown, data: Uint8Array): Uint8Array {
  let json = new TextEncoder().encode(JSON.stringify(header));
  const padded = new Uint8Array(Math.ceil(json.length / 8) * 8).fill(0x20);
  padded.set(json);
  json = padded;
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

describe('encodeTrace / decodeTrace', () => {
  it('round-trips config, prompt, tokens, decode record, tensors, logit positions and engine info', () => {
    const tokens: TokenInfo[] = [
      { id: 14, display: 'The', text: 'The', bytes: 3, merges: [['T', 'h'], ['Th', 'e']] },
      { id: 19, display: 'Ġcapital', text: ' capital', bytes: 8 },
      { id: 13, display: '.', text: '.', bytes: 1 },
    ];
    const logits = ramp([2, 20], 3);
    const decoded = decodeNextToken(logits.data.subarray(20), { temperature: 0.8, top_k: 5, top_p: 0.9, strategy: 'sample', seed: 3 });
    const tensors = new Map<TensorName, Tensor>([
      ['hook_embed', ramp([3, 8])],
      ['blocks.1.attn.hook_pattern', weights([2, 3, 3])],
      ['logits', logits],
      ['decode.probs', { shape: [20], data: decoded.probs }],
      ['tokens', { shape: [3], data: Int32Array.from([14, 19, 13]) }],
    ]);
    const trace = createTrace({
      config: tiny,
      prompt: 'The capital.',
      tokens,
      tensors,
      logitPositions: [1, 2],
      decode: decoded.record,
      engine: { name: '@vectorview/engine', version: '9.9.9', mode: 'batched', backend: 'cpu', timings: { load_ms: 12, forward_ms: 3.5 } },
      created: '2024-06-11T12:00:00.000Z',
    });
    const bytes = encodeTrace(trace);
    const back = decodeTrace(bytes);
    expect(back.config).toEqual(tiny);
    expect(back.prompt).toBe('The capital.');
    expect(back.tokens).toEqual(tokens);
    expect(back.decode).toEqual(decoded.record);
    expect(back.logitPositions).toEqual([1, 2]);
    expect(back.engine).toEqual(trace.engine);
    expect(back.created).toBe(trace.created);
    expect([...back.tensors.keys()].sort()).toEqual([...tensors.keys()].sort());
    for (const [name, t] of tensors) {
      const got = getTensor(back, name);
      expect(got.shape, name).toEqual(t.shape);
      expect(got.data.constructor, name).toBe(t.data.constructor);
      expect(Array.from(got.data), name).toEqual(Array.from(t.data));
    }
    expect(traceGraph(back)).toEqual(buildGraph(tiny, 3, [1, 2]));
    expect(decodeSafetensors(bytes).metadata['format']).toBe(TRACE_FORMAT);
    expect(Array.from(vectorAt(getTensor(back, 'blocks.1.attn.hook_pattern'), 1, 2))).toEqual(Array.from(tensors.get('blocks.1.attn.hook_pattern')!.data.subarray(15, 18)));
  });

  it('reads a Python-written file: TransformerLens hooks, an HF config.json and an int tokens tensor', () => {
    const fixtureConfig = normalizeConfig(JSON.parse(FIXTURE_CONFIG_TEXT));
    const d = fixtureConfig.d_model;
    const bytes = encodeSafetensors(
      {
        hook_embed: ramp([3, d]),
        hook_pos_embed: ramp([3, d]),
        'blocks.0.hook_resid_pre': ramp([3, d]),
        'blocks.0.attn.hook_pattern': weights([4, 3, 3]),
        'ln_final.hook_normalized': ramp([3, d]),
        logits: ramp([1, fixtureConfig.n_vocab]),
        tokens: { shape: [3], data: Int32Array.from([8291, 16354, 16326]) },
      },
      { config: FIXTURE_CONFIG_TEXT },
    );
    const trace = decodeTrace(bytes);
    expect(trace.config).toEqual({ ...fixtureConfig, name: 'model' });
    expect(trace.config).toMatchObject({ n_vocab: 50257, n_context: 64, d_model: 32, n_head: 4, d_head: 8, d_mlp: 128, n_layer: 2, tied_embeddings: true });
    expect(trace.tokens.map((t) => t.id)).toEqual([8291, 16354, 16326]);
    expect(trace.logitPositions).toEqual([2]); // logits for the last position only
    expect(trace.engine.mode).toBe('external');
    expect(trace.decode).toBeUndefined();
    const ids = new Set(traceGraph(trace).nodes.map((n) => n.id));
    for (const id of [vectorId('hook_embed', 2), vectorId('blocks.1.attn.hook_pattern', 2, 3), vectorId('logits', 2), 'decode.probs', 'W_U']) expect(ids.has(id), id).toBe(true);
    expect(ids.has(vectorId('logits', 1))).toBe(false);
    expect(traceGraph(trace)).toEqual(buildGraph(trace.config, 3, [2]));
  });

  it('opens without reading the bulk: tensors are views of the bytes, each checked on first use', () => {
    const tokens: TokenInfo[] = [14, 19, 13].map((id) => ({ id, display: `t${id}`, text: `t${id}`, bytes: 3 }));
    const embed = ramp([3, 8]);
    const pattern = weights([2, 3, 3]);
    pattern.data[4] = NaN;
    const bytes = encodeTrace(createTrace({ config: tiny, tokens, tensors: new Map<TensorName, Tensor>([['hook_embed', embed], ['blocks.0.attn.hook_pattern', pattern]]) }));
    const trace = decodeTrace(bytes);
    expect([...trace.tensors.keys()].sort()).toEqual(['blocks.0.attn.hook_pattern', 'hook_embed', 'tokens']);
    const read = getTensor(trace, 'hook_embed');
    expect(read.data.buffer).toBe(bytes.buffer);
    expect(read.data).toEqual(embed.data);
    expect(getTensor(trace, 'hook_embed')).toBe(read);
    expect(() => getTensor(trace, 'blocks.0.attn.hook_pattern')).toThrow(TraceError);
    expect(() => getTensor(trace, 'blocks.0.attn.hook_pattern')).toThrow(/^tensor blocks\.0\.attn\.hook_pattern holds NaN at element 4: a trace's values must be finite$/);
    expect(() => [...trace.tensors.values()]).toThrow(/hook_pattern holds NaN/);
  });

  it('builds the graph only when asked, once per trace', () => {
    const tokens: TokenInfo[] = [0, 1, 2].map((id) => ({ id, display: String(id), text: String(id), bytes: 1 }));
    const trace = decodeTrace(encodeTrace(createTrace({ config: tiny, tokens, tensors: new Map([['hook_embed', ramp([3, 8])]]) })));
    expect(Object.values(trace).some((v) => typeof v === 'object' && v !== null && 'edges' in v)).toBe(false);
    const graph = traceGraph(trace);
    expect(traceGraph(trace)).toBe(graph);
    expect(traceGraph({ ...trace })).not.toBe(graph);
    expect(traceGraph({ ...trace })).toEqual(graph);
  });

  it('reads token ids from an I64 tensor, as PyTorch writes them', () => {
    const data = new Uint8Array(24);
    [464n, 3139n, 286n].forEach((v, i) => new DataView(data.buffer).setBigInt64(i * 8, v, true));
    const bytes = u64Json({ __metadata__: { config: FIXTURE_CONFIG_TEXT, token_strings: '["The", " capital", " of"]' }, tokens: { dtype: 'I64', shape: [3], data_offsets: [0, 24] } }, data);
    const trace = decodeTrace(bytes);
    expect(trace.tokens.map((t) => [t.id, t.text])).toEqual([
      [464, 'The'],
      [3139, ' capital'],
      [286, ' of'],
    ]);
    expect(trace.prompt).toBe('The capital of');
  });

  it('refuses a file without a config, naming what is missing', () => {
    const bytes = encodeSafetensors({ hook_embed: ramp([2, 8]), tokens: { shape: [2], data: Int32Array.from([1, 2]) } }, { prompt: 'x' });
    expect(() => decodeTrace(bytes)).toThrow(TraceError);
    expect(() => decodeTrace(bytes)).toThrow(/metadata has no config/);
  });

  it('refuses a config that is not JSON, a file without tokens, and hook_embed of the wrong length', () => {
    const bad = encodeSafetensors({ tokens: { shape: [1], data: Int32Array.from([1]) } }, { config: '{n_embd: 8' });
    expect(() => decodeTrace(bad)).toThrow(/metadata config is not valid JSON/);
    const noTokens = encodeSafetensors({ hook_embed: ramp([2, 32]) }, { config: FIXTURE_CONFIG_TEXT });
    expect(() => decodeTrace(noTokens)).toThrow(/the trace has no tokens/);
    const mismatch = encodeSafetensors({ hook_embed: ramp([2, 32]), tokens: { shape: [3], data: Int32Array.from([1, 2, 3]) } }, { config: FIXTURE_CONFIG_TEXT });
    expect(() => decodeTrace(mismatch)).toThrow(/tensor hook_embed has shape \[2, 32\], but the config and 3 tokens give \[3, 32\]/);
  });
});

describe('normalizeConfig', () => {
  const expected = { n_vocab: 50257, n_context: 1024, d_model: 768, n_head: 12, d_head: 64, d_mlp: 3072, n_layer: 12, layer_norm_eps: 1e-5, activation: 'gelu_new', tied_embeddings: true };

  it('accepts HuggingFace field names', () => {
    const hf = { model_type: 'gpt2', vocab_size: 50257, n_positions: 1024, n_embd: 768, n_head: 12, n_layer: 12, n_inner: null, layer_norm_epsilon: 1e-5, activation_function: 'gelu_new', tie_word_embeddings: true };
    expect(normalizeConfig(hf, 'gpt2')).toEqual({ name: 'gpt2', ...expected });
  });

  it('accepts TransformerLens field names', () => {
    const tl = { model_name: 'gpt2', d_vocab: 50257, n_ctx: 1024, d_model: 768, n_heads: 12, d_head: 64, d_mlp: 3072, n_layers: 12, eps: 1e-5, act_fn: 'gelu_new' };
    expect(normalizeConfig(tl)).toEqual({ name: 'gpt2', ...expected });
  });

  it('reads the fixture config.json (n_inner null → 4 · d_model)', () => {
    expect(normalizeConfig(JSON.parse(FIXTURE_CONFIG_TEXT), 'fx')).toMatchObject({ name: 'fx', d_model: 32, n_head: 4, d_head: 8, d_mlp: 128, n_context: 64, layer_norm_eps: 1e-5 });
  });

  it.each(['relu', 'gelu', 'silu', 'swish'])('rejects activation %s', (activation) => {
    expect(() => normalizeConfig({ vocab_size: 10, n_positions: 4, n_embd: 8, n_head: 2, n_layer: 1, activation_function: activation })).toThrow(ConfigError);
    expect(() => normalizeConfig({ vocab_size: 10, n_positions: 4, n_embd: 8, n_head: 2, n_layer: 1, activation_function: activation })).toThrow(
      new RegExp(`activation "${activation}" is not supported`),
    );
  });

  it('rejects d_model not divisible by n_head, bad numbers and non-GPT-2 models', () => {
    expect(() => normalizeConfig({ vocab_size: 10, n_positions: 4, n_embd: 30, n_head: 4, n_layer: 1 })).toThrow(/d_model 30 is not divisible by n_head 4/);
    expect(() => normalizeConfig({ vocab_size: 10, n_positions: 4, n_embd: 8, n_head: 0, n_layer: 1 })).toThrow(/n_head must be a positive integer/);
    expect(() => normalizeConfig({ vocab_size: 10, n_positions: 4, n_embd: 8.5, n_head: 2, n_layer: 1 })).toThrow(/d_model must be a positive integer/);
    expect(() => normalizeConfig({ vocab_size: 10, n_positions: 4, n_embd: 8, n_head: 2 })).toThrow(/n_layer must be a positive integer, and is missing/);
    expect(() => normalizeConfig({ model_type: 'llama', vocab_size: 10, n_positions: 4, n_embd: 8, n_head: 2, n_layer: 1 })).toThrow(/model_type llama is not supported/);
    expect(() => normalizeConfig([1, 2])).toThrow(ConfigError);
  });
});

describe('parameterCounts', () => {
  it('gives GPT-2 small 124,439,808 parameters, 38,597,376 of them in the embedding', () => {
    const gpt2 = normalizeConfig({ vocab_size: 50257, n_positions: 1024, n_embd: 768, n_head: 12, n_layer: 12 });
    const counts = parameterCounts(gpt2);
    expect(counts.total).toBe(124_439_808);
    expect(counts.embedding).toBe(38_597_376);
    expect(counts.positional).toBe(786_432);
    expect(counts.unembedding).toBe(0);
    expect(counts.embedding + counts.positional + counts.attention + counts.mlp + counts.layerNorm).toBe(counts.total);
    expect(parameterCounts({ ...gpt2, tied_embeddings: false }).total).toBe(124_439_808 + 38_597_376);
  });
});

describe('buildGraph', () => {
  const n = 5;
  const graph = buildGraph(tiny, n, [n - 1]);
  const byId = new Map(graph.nodes.map((node) => [node.id, node]));

  it('has unique ids and only edges between existing nodes', () => {
    expect(byId.size).toBe(graph.nodes.length);
    for (const e of graph.edges) {
      expect(byId.has(e.from), e.from).toBe(true);
      expect(byId.has(e.to), e.to).toBe(true);
    }
  });

  it('feeds query i’s score op exactly its own q and the keys 0…i (causal only)', () => {
    for (let layer = 0; layer < tiny.n_layer; layer++) {
      for (let head = 0; head < tiny.n_head; head++) {
        for (let pos = 0; pos < n; pos++) {
          const inputs = inputsOf(graph, `op:blocks.${layer}.attn.scores[${pos},${head}]`);
          const keys = inputs.filter((x) => x.hook === `blocks.${layer}.attn.hook_k`);
          const queries = inputs.filter((x) => x.hook === `blocks.${layer}.attn.hook_q`);
          expect(inputs).toHaveLength(pos + 2);
          expect(keys.map((k) => k.pos)).toEqual(Array.from({ length: pos + 1 }, (_, i) => i));
          expect(keys.every((k) => k.head === head)).toBe(true);
          expect(queries.map((q) => [q.pos, q.head])).toEqual([[pos, head]]);
          const mix = inputsOf(graph, `op:blocks.${layer}.attn.mix[${pos},${head}]`).filter((x) => x.hook === `blocks.${layer}.attn.hook_v`);
          expect(mix.map((v) => v.pos)).toEqual(Array.from({ length: pos + 1 }, (_, i) => i));
        }
      }
    }
    // No edge anywhere runs from a later key or value to an earlier query.
    for (const e of graph.edges) {
      const from = byId.get(e.from)!;
      const to = byId.get(e.to)!;
      if (/attn\.hook_[kv]$/.test(from.hook ?? '') && to.kind === 'operation' && /attn\.(scores|mix)\[/.test(to.id)) expect(from.pos!).toBeLessThanOrEqual(to.pos!);
    }
  });

  it('has one W_O slice per head per layer, each feeding that head’s projections only', () => {
    const slices = graph.nodes.filter((node) => node.label === 'W_O slice');
    expect(slices).toHaveLength(tiny.n_layer * tiny.n_head);
    expect(new Set(slices.map((s) => `${s.layer}/${s.head}`)).size).toBe(tiny.n_layer * tiny.n_head);
    for (const s of slices) {
      expect(s.dims).toEqual([tiny.d_head, tiny.d_model]);
      const targets = graph.edges.filter((e) => e.from === s.id).map((e) => byId.get(e.to)!);
      expect(targets).toHaveLength(n);
      expect(targets.every((t) => t.head === s.head && t.layer === s.layer && t.label === '× W_O slice')).toBe(true);
    }
  });

  it('unembeds only the requested positions and decodes the last one', () => {
    expect(graph.nodes.filter((node) => node.hook === 'logits').map((node) => node.pos)).toEqual([n - 1]);
    expect(inputsOf(graph, 'decode.probs').map((x) => x.id)).toEqual(['op:decode']);
    expect(inputsOf(graph, 'W_U').map((x) => x.id)).toEqual(['W_E']); // tied embeddings
  });
});
