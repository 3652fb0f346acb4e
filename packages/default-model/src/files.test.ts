import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeSafetensors, normalizeConfig } from '@vectorview/trace';
import { defaultModelDir, defaultModelInfo } from './index.js';

const configFile = path.join(defaultModelDir, 'config.json');
const weightsFile = path.join(defaultModelDir, 'model.safetensors');
const config = JSON.parse(readFileSync(configFile, 'utf8')) as Record<string, unknown> & { vectorview: Record<string, unknown> };
const { tensors, metadata } = decodeSafetensors(readFileSync(weightsFile));

/** The keys and shapes HF's GPT2LMHeadModel.save_pretrained writes (lm_head tied, so absent). */
function expectedShapes(c: { n_vocab: number; n_context: number; d_model: number; d_mlp: number; n_layer: number }): Map<string, number[]> {
  const d = c.d_model;
  const shapes = new Map<string, number[]>([
    ['transformer.wte.weight', [c.n_vocab, d]],
    ['transformer.wpe.weight', [c.n_context, d]],
  ]);
  for (let l = 0; l < c.n_layer; l++) {
    const p = `transformer.h.${l}.`;
    shapes.set(p + 'ln_1.weight', [d]).set(p + 'ln_1.bias', [d]);
    shapes.set(p + 'attn.c_attn.weight', [d, 3 * d]).set(p + 'attn.c_attn.bias', [3 * d]);
    shapes.set(p + 'attn.c_proj.weight', [d, d]).set(p + 'attn.c_proj.bias', [d]);
    shapes.set(p + 'ln_2.weight', [d]).set(p + 'ln_2.bias', [d]);
    shapes.set(p + 'mlp.c_fc.weight', [d, c.d_mlp]).set(p + 'mlp.c_fc.bias', [c.d_mlp]);
    shapes.set(p + 'mlp.c_proj.weight', [c.d_mlp, d]).set(p + 'mlp.c_proj.bias', [d]);
  }
  shapes.set('transformer.ln_f.weight', [d]).set('transformer.ln_f.bias', [d]);
  return shapes;
}

describe('the committed checkpoint', () => {
  it('is a folder with config.json and model.safetensors', () => {
    expect(path.isAbsolute(defaultModelDir)).toBe(true);
    expect(statSync(configFile).isFile()).toBe(true);
    expect(statSync(weightsFile).isFile()).toBe(true);
  });

  it('weighs at most 16 MB', () => {
    expect(statSync(weightsFile).size).toBeLessThanOrEqual(16 * 1024 * 1024);
  });

  it('has an HF GPT-2 config with the tokenizer section', () => {
    expect(config).toMatchObject({
      model_type: 'gpt2',
      activation_function: 'gelu_new',
      layer_norm_epsilon: 1e-5,
      tie_word_embeddings: true,
      vocab_size: 257 + defaultModelInfo.merges,
      bos_token_id: 256 + defaultModelInfo.merges,
      eos_token_id: 256 + defaultModelInfo.merges,
    });
    expect(config.vectorview).toMatchObject({ name: defaultModelInfo.name, tokenizer: { merges: defaultModelInfo.merges } });
  });

  it('holds exactly the F32 tensors HF writes, in the shapes the config implies', () => {
    const c = normalizeConfig(config);
    expect(c.n_head).toBeGreaterThan(1);
    expect(c.n_layer).toBeGreaterThan(1);
    const expected = expectedShapes(c);
    expect([...tensors.keys()].sort()).toEqual([...expected.keys()].sort());
    for (const [name, shape] of expected) {
      const t = tensors.get(name)!;
      expect(t.shape, name).toEqual(shape);
      expect(t.data).toBeInstanceOf(Float32Array);
      expect(t.data.every(Number.isFinite), name).toBe(true);
    }
    expect(metadata['format']).toBe('pt');
  });

  it('matches what defaultModelInfo says', () => {
    const c = normalizeConfig(config);
    expect(defaultModelInfo).toMatchObject({ nLayer: c.n_layer, nHead: c.n_head, dModel: c.d_model, nContext: c.n_context, nVocab: c.n_vocab });
    const evaluation = config.vectorview['evaluation'] as { held_out_loss: number; unigram_loss: number };
    expect(defaultModelInfo.heldOutLoss).toBeCloseTo(evaluation.held_out_loss, 3);
    expect(defaultModelInfo.unigramLoss).toBeCloseTo(evaluation.unigram_loss, 3);
    const params = [...tensors.values()].reduce((n, t) => n + t.data.length, 0);
    expect(defaultModelInfo.parameters).toBe(params);
  });
});
