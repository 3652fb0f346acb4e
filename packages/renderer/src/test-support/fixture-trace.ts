import { randomLcg, randomNormal } from 'd3-random';
/**
 * Test traces: the tiny random-weight GPT-2 fixture (real HuggingFace activations, real vocabulary)
 * and a synthetic GPT-2-124M-shaped trace of seeded random values for the size check.
 */
import { readFileSync } from 'node:fs';
import { decode as decodeIds } from 'gpt-tokenizer/encoding/r50k_base';
import { createTrace, decodeSafetensors, hook, normalizeConfig, type BlockHook, type ModelConfig, type Tensor, type TensorName, type TokenInfo, type Trace } from '@vectorview/trace';
import { syntheticAnalysis } from './analysis.js';

const FIXTURE = new URL('../../../../fixtures/gpt2-tiny-hf/', import.meta.url);

/** GPT-2's byte-to-unicode table: printable bytes map to themselves, the rest to U+0100 onwards (space → Ġ). */
const BYTE_TO_UNICODE: string[] = (() => {
  const printable: number[] = [];
  for (let b = 0x21; b <= 0x7e; b++) printable.push(b);
  for (let b = 0xa1; b <= 0xac; b++) printable.push(b);
  for (let b = 0xae; b <= 0xff; b++) printable.push(b);
  const table: string[] = new Array<string>(256);
  let extra = 0;
  for (let b = 0; b < 256; b++) table[b] = String.fromCodePoint(printable.includes(b) ? b : 256 + extra++);
  return table;
})();

export function tokenInfo(id: number): TokenInfo {
  const text = decodeIds([id]);
  const bytes = new TextEncoder().encode(text);
  return { id, text, display: Array.from(bytes, (b) => BYTE_TO_UNICODE[b]!).join(''), bytes: bytes.length };
}

/** Text of any token id (what an engine's decoder would pass as `tokenText`). */
export function tokenText(id: number): string {
  return tokenInfo(id).display;
}

/**
 * The fixture's prompt `index` (0: 3 tokens, 1: "The capital of France is", 2: 14 tokens) as a Trace,
 * with an analysis section (test-support/analysis.ts) unless `analysis` is false.
 */
export function fixtureTrace(index = 2, analysis = true): Trace {
  const config = normalizeConfig(JSON.parse(readFileSync(new URL('config.json', FIXTURE), 'utf8')), 'gpt2-tiny-hf (random weights)');
  const { metadata, tensors } = decodeSafetensors(readFileSync(new URL('expected.safetensors', FIXTURE)));
  const prompts = JSON.parse(metadata['prompts'] ?? '[]') as number[][];
  const ids = prompts[index];
  if (!ids) throw new Error(`fixture has no prompt ${index}`);
  const prefix = `p${index}.`;
  const own = new Map<TensorName, Tensor>();
  for (const [name, tensor] of tensors) {
    if (!name.startsWith(prefix)) continue;
    const hookName = name.slice(prefix.length);
    if (hookName.startsWith('decode.')) continue;
    // Besides the decode.* samples, the fixture's names are hook names.
    own.set(hookName as TensorName, tensor);
  }
  own.set('tokens', { shape: [ids.length], data: Int32Array.from(ids) });
  const tokens = ids.map(tokenInfo);
  return createTrace({
    config,
    tokens,
    ...(analysis ? syntheticAnalysis(config, tokens, own) : { tensors: own }),
    prompt: tokens.map((t) => t.text).join(''),
    created: '2025-01-01T00:00:00.000Z',
    engine: { name: 'huggingface-transformers', version: '5.17.0', mode: 'external' },
  });
}

/**
 * A GPT-2-124M-shaped trace (d_model 768, 12 heads, 12 layers, 50,257 vocab) with seeded random values.
 * `fullLayers`: the layers that get every hook; the others get only the residual stream the poster's
 * norm chart reads, so long prompts stay cheap (layer 0's pattern alone is 12 × n² numbers).
 */
export function syntheticTrace(nTokens = 16, seed = 1, fullLayers?: readonly number[]): Trace {
  const config: ModelConfig = normalizeConfig({ n_vocab: 50257, n_context: 1024, d_model: 768, n_head: 12, n_layer: 12, name: 'gpt2 (synthetic values)' });
  const uniform = randomLcg(seed);
  const normal = randomNormal.source(uniform)();
  const tensors = new Map<TensorName, Tensor>();
  const fill = (shape: number[], scale = 1) => {
    const size = shape.reduce((a, b) => a * b, 1);
    const data = new Float32Array(size);
    for (let i = 0; i < size; i++) data[i] = normal() * scale;
    return { shape, data };
  };
  const { d_model: D, n_head: H, d_head: Dh, d_mlp: M, n_layer: Lc, n_vocab: V } = config;
  const P = nTokens;
  tensors.set('hook_embed', fill([P, D], 0.1));
  tensors.set('hook_pos_embed', fill([P, D], 0.05));
  // A causal pattern and the scores it is the softmax of.
  const patternAndScores = (): { pattern: Tensor; scores: Tensor } => {
    const data = new Float32Array(H * P * P);
    const scores = new Float32Array(H * P * P);
    for (let h = 0; h < H; h++)
      for (let q = 0; q < P; q++) {
        let sum = 0;
        for (let k = 0; k < P; k++) {
          const i = (h * P + q) * P + k;
          if (k > q) {
            scores[i] = -Infinity;
            continue;
          }
          scores[i] = normal();
          data[i] = Math.exp(scores[i]!);
          sum += data[i]!;
        }
        for (let k = 0; k <= q; k++) data[(h * P + q) * P + k]! /= sum;
      }
    return { pattern: { shape: [H, P, P], data }, scores: { shape: [H, P, P], data: scores } };
  };
  for (let l = 0; l < Lc; l++) {
    const at = (name: BlockHook) => hook.block(l, name);
    if (fullLayers && !fullLayers.includes(l)) {
      for (const name of ['hook_resid_pre', 'hook_resid_post'] as const) tensors.set(at(name), fill([P, D], 1 + l * 0.3));
      continue;
    }
    for (const name of ['hook_resid_pre', 'hook_resid_mid', 'hook_resid_post', 'hook_attn_out', 'hook_mlp_out', 'ln1.hook_normalized', 'ln1.hook_out', 'ln2.hook_normalized', 'ln2.hook_out'] as const) tensors.set(at(name), fill([P, D], 1 + l * 0.3));
    tensors.set(at('ln1.hook_scale'), fill([P, 1], 1));
    tensors.set(at('ln2.hook_scale'), fill([P, 1], 1));
    for (const name of ['attn.hook_q', 'attn.hook_k', 'attn.hook_v', 'attn.hook_z'] as const) tensors.set(at(name), fill([P, H, Dh]));
    tensors.set(at('attn.hook_result'), fill([P, H, D], 0.3));
    const { pattern, scores } = patternAndScores();
    tensors.set(at('attn.hook_pattern'), pattern);
    tensors.set(at('attn.hook_attn_scores'), scores);
    tensors.set(at('mlp.hook_pre'), fill([P, M]));
    tensors.set(at('mlp.hook_post'), fill([P, M], 0.5));
  }
  tensors.set('ln_final.hook_normalized', fill([P, D]));
  tensors.set('ln_final.hook_scale', fill([P, 1]));
  tensors.set('logits', fill([1, V], 3));
  const ids = Array.from({ length: P }, () => Math.floor(uniform() * 50000));
  tensors.set('tokens', { shape: [P], data: Int32Array.from(ids) });
  const tokens = ids.map(tokenInfo);
  return createTrace({ config, tokens, ...syntheticAnalysis(config, tokens, tensors, seed), logitPositions: [P - 1], prompt: tokens.map((t) => t.text).join(''), created: '2025-01-01T00:00:00.000Z' });
}
