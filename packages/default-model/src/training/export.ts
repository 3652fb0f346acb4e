/** Writes the trained weights as a HuggingFace GPT-2 checkpoint: config.json + model.safetensors. */
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { GptConfig } from './hparams.js';

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
    ...c,
    activation_function: 'gelu_new',
    resid_pdrop: 0,
    embd_pdrop: 0,
    attn_pdrop: 0,
    initializer_range: 0.02,
    scale_attn_weights: true,
    use_cache: true,
    bos_token_id: endOfText,
    eos_token_id: endOfText,
    tie_word_embeddings: true,
    vectorview: { name, tokenizer: { kind: 'gpt2-bpe-first-merges', merges, end_of_text_id: endOfText }, ...rest },
  };
}

/** Writes `dir`/config.json and `dir`/model.safetensors (the trainer's F32 file, HF key names and order). */
export async function exportCheckpoint(dir: string, c: GptConfig, weightsFile: string, info: ExportInfo): Promise<void> {
  await mkdir(dir, { recursive: true });
  await copyFile(weightsFile, path.join(dir, 'model.safetensors'));
  await writeFile(path.join(dir, 'config.json'), JSON.stringify(hfConfig(c, info), null, 2) + '\n');
}
