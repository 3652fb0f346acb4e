/** Writes the trained weights as a HuggingFace GPT-2 checkpoint: config.json + model.safetensors. */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { encodeSafetensors, type Tensor } from '@vectorview/trace';
import { writeFileAtomic } from '@vectorview/trace/node';
import { paramSpecs, type GptConfig } from './model.js';

export interface ExportInfo {
  readonly name: string;
  readonly merges: number;
  readonly [key: string]: unknown;
}

/** HF GPT2Config fields, plus our own "vectorview" section (tokenizer, training and evaluation). */
export function hfConfig(c: GptConfig, info: ExportInfo): Record<string, unknown> {
  const { name, merges, ...rest } = info;
  const endOfText = 256 + merges;
  return {
    architectures: ['GPT2LMHeadModel'],
    // Not an HF field: the name Vectorview's loader shows for the model.
    name,
    model_type: 'gpt2',
    vocab_size: c.vocabSize,
    n_positions: c.nPositions,
    n_embd: c.nEmbd,
    n_layer: c.nLayer,
    n_head: c.nHead,
    n_inner: c.nInner,
    activation_function: 'gelu_new',
    resid_pdrop: 0,
    embd_pdrop: 0,
    attn_pdrop: 0,
    layer_norm_epsilon: c.layerNormEpsilon,
    initializer_range: 0.02,
    scale_attn_weights: true,
    use_cache: true,
    bos_token_id: endOfText,
    eos_token_id: endOfText,
    tie_word_embeddings: true,
    vectorview: { name, tokenizer: { kind: 'gpt2-bpe-first-merges', merges, end_of_text_id: endOfText }, ...rest },
  };
}

/** Writes `dir`/config.json and `dir`/model.safetensors (F32, HF key names and order, no lm_head). */
export async function exportCheckpoint(dir: string, c: GptConfig, values: ReadonlyMap<string, Float32Array>, info: ExportInfo): Promise<void> {
  await mkdir(dir, { recursive: true });
  const tensors = new Map<string, Tensor>();
  for (const spec of paramSpecs(c)) {
    const data = values.get(spec.name);
    if (!data) throw new Error(`missing ${spec.name}`);
    tensors.set(spec.name, { shape: spec.shape, data });
  }
  await writeFileAtomic(path.join(dir, 'model.safetensors'), encodeSafetensors(tensors, { format: 'pt' }));
  await writeFile(path.join(dir, 'config.json'), JSON.stringify(hfConfig(c, info), null, 2) + '\n');
}
