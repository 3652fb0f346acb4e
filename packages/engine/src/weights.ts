/**
 * GPT-2 weights as plain float32 arrays in HuggingFace's layout (Conv1D matrices stored [in, out]).
 * They live outside the tfjs backend, so a model larger than the wasm heap can still run: the
 * forward pass uploads one layer at a time. A loader may instead put W_E and the layers' matrices on
 * the backend directly, or leave them in the checkpoint file (backed-weights.ts); their plain arrays
 * are then fetched only if something asks.
 */
import * as tf from '@tensorflow/tfjs-core';
import { randomLcg } from 'd3-random';
import { attachValues, deviceCopy, fileTensor, isBacked, readChecked } from './backed-weights.js';
import { normalizeConfig, type ModelConfig, type Tensor } from '@vectorview/trace';

export interface LayerWeights {
  readonly ln1: { readonly w: Float32Array; readonly b: Float32Array };
  /** c_attn: [d_model, 3·d_model], columns q | k | v, each split into heads of d_head columns. */
  readonly attnW: Float32Array;
  readonly attnB: Float32Array;
  /** c_proj: [d_model, d_model], rows grouped by head: head h owns rows h·d_head … (h+1)·d_head − 1. */
  readonly projW: Float32Array;
  readonly projB: Float32Array;
  readonly ln2: { readonly w: Float32Array; readonly b: Float32Array };
  readonly fcW: Float32Array;
  readonly fcB: Float32Array;
  readonly fcProjW: Float32Array;
  readonly fcProjB: Float32Array;
}

/** A layer's matrices and their HF names: the tensors large enough to be worth loading onto the backend directly. */
export const LAYER_MATRICES = { attnW: 'attn.c_attn.weight', projW: 'attn.c_proj.weight', fcW: 'mlp.c_fc.weight', fcProjW: 'mlp.c_proj.weight' } as const;
export type LayerMatrix = keyof typeof LAYER_MATRICES;

export interface Gpt2Weights {
  readonly config: ModelConfig;
  /** W_E [n_vocab, d_model]. Read rows through embeddingRows: when the loader put W_E on the backend or left it in the file, this field fetches all of it. */
  readonly wte: Float32Array;
  readonly wpe: Float32Array;
  readonly layers: readonly LayerWeights[];
  readonly lnF: { readonly w: Float32Array; readonly b: Float32Array };
  /** Present only when the checkpoint has an untied lm_head; otherwise W_U = W_Eᵀ. Test with hasUntiedHead: reading it may fetch all of it. */
  readonly lmHead?: Float32Array;
}

export class WeightsError extends Error {
  override name = 'WeightsError';
}

/** The HF tensor names of one checkpoint (without the `transformer.` prefix) and their expected shapes. */
export function expectedShapes(config: ModelConfig): Map<string, number[]> {
  const { n_vocab, n_context, d_model: d, d_mlp } = config;
  const shapes = new Map<string, number[]>([
    ['wte.weight', [n_vocab, d]],
    ['wpe.weight', [n_context, d]],
    ['ln_f.weight', [d]],
    ['ln_f.bias', [d]],
  ]);
  for (let l = 0; l < config.n_layer; l++) {
    const p = `h.${l}.`;
    shapes.set(`${p}ln_1.weight`, [d]).set(`${p}ln_1.bias`, [d]);
    shapes.set(`${p}attn.c_attn.weight`, [d, 3 * d]).set(`${p}attn.c_attn.bias`, [3 * d]);
    shapes.set(`${p}attn.c_proj.weight`, [d, d]).set(`${p}attn.c_proj.bias`, [d]);
    shapes.set(`${p}ln_2.weight`, [d]).set(`${p}ln_2.bias`, [d]);
    shapes.set(`${p}mlp.c_fc.weight`, [d, d_mlp]).set(`${p}mlp.c_fc.bias`, [d_mlp]);
    shapes.set(`${p}mlp.c_proj.weight`, [d_mlp, d]).set(`${p}mlp.c_proj.bias`, [d]);
  }
  return shapes;
}

/**
 * Assembles weights from HF-named tensors (prefix already stripped), checking every shape. W_E,
 * lm_head and the layer matrices may be backed (by the backend or the file, a loader's): their fields
 * then fetch the values on first use.
 */
export function weightsFromTensors(config: ModelConfig, get: (name: string) => Tensor | undefined, lmHead?: Tensor): Gpt2Weights {
  if (config.n_head * config.d_head !== config.d_model) {
    throw new WeightsError(`n_head ${config.n_head} × d_head ${config.d_head} must equal d_model ${config.d_model} for GPT-2`);
  }
  const shapes = expectedShapes(config);
  const find = (name: string): Tensor => {
    const tensor = get(name);
    const expected = shapes.get(name)!;
    if (!tensor) throw new WeightsError(`missing tensor ${name} (expected shape [${expected.join(', ')}])`);
    if (tensor.shape.length !== expected.length || tensor.shape.some((d, i) => d !== expected[i])) {
      throw new WeightsError(`tensor ${name} has shape [${tensor.shape.join(', ')}], expected [${expected.join(', ')}] from the config`);
    }
    // A backed tensor is float32 by construction; reading its data here would fetch it.
    if (!isBacked(tensor) && !(tensor.data instanceof Float32Array)) throw new WeightsError(`tensor ${name} is not a floating-point tensor`);
    return tensor;
  };
  const take = (name: string): Float32Array => find(name).data as Float32Array;
  const layers = Array.from({ length: config.n_layer }, (_, l): LayerWeights => {
    const p = `h.${l}.`;
    const layer = {
      ln1: { w: take(`${p}ln_1.weight`), b: take(`${p}ln_1.bias`) },
      attnB: take(`${p}attn.c_attn.bias`),
      projB: take(`${p}attn.c_proj.bias`),
      ln2: { w: take(`${p}ln_2.weight`), b: take(`${p}ln_2.bias`) },
      fcB: take(`${p}mlp.c_fc.bias`),
      fcProjB: take(`${p}mlp.c_proj.bias`),
    } as Record<string, unknown>;
    for (const [key, suffix] of Object.entries(LAYER_MATRICES)) attachValues(layer, key, find(p + suffix));
    return layer as unknown as LayerWeights;
  });
  const weights: Record<string, unknown> = { config, wpe: take('wpe.weight'), layers, lnF: { w: take('ln_f.weight'), b: take('ln_f.bias') } };
  attachValues(weights, 'wte', find('wte.weight'));
  if (lmHead && !config.tied_embeddings) {
    const expected = [config.n_vocab, config.d_model];
    if (lmHead.shape.join() !== expected.join()) throw new WeightsError(`tensor lm_head.weight has shape [${lmHead.shape.join(', ')}], expected [${expected.join(', ')}]`);
    attachValues(weights, 'lmHead', lmHead);
  }
  return weights as unknown as Gpt2Weights;
}

/** Whether W_U is an untied lm_head rather than W_Eᵀ, found without fetching it. */
export function hasUntiedHead(weights: Gpt2Weights): boolean {
  return fileTensor(weights, 'lmHead') !== undefined || weights.lmHead !== undefined;
}

/** Rows of W_E (or of the untied lm_head, `unembedding`) for the given tokens, [ids.length, d_model], without fetching the whole table. */
export function embeddingRows(weights: Gpt2Weights, ids: readonly number[], unembedding = false): Float32Array {
  const d = weights.config.d_model;
  const key = unembedding && hasUntiedHead(weights) ? 'lmHead' : 'wte';
  const onDevice = deviceCopy(weights, key);
  if (onDevice) {
    const rows = tf.tidy(() => tf.gather(onDevice, tf.tensor1d([...ids], 'int32')));
    const values = rows.dataSync() as Float32Array;
    rows.dispose();
    return values;
  }
  const out = new Float32Array(ids.length * d);
  const inFile = fileTensor(weights, key);
  if (inFile) {
    ids.forEach((id, i) => readChecked(inFile, new Uint8Array(out.buffer, i * d * 4, d * 4), id * d * 4));
    return out;
  }
  const table = key === 'lmHead' ? weights.lmHead! : weights.wte;
  ids.forEach((id, i) => out.set(table.subarray(id * d, (id + 1) * d), i * d));
  return out;
}

/** Bytes of float32 weights a config's checkpoint holds (the tensors expectedShapes names). */
export function weightBytes(config: ModelConfig): number {
  let count = 0;
  for (const shape of expectedShapes(config).values()) count += shape.reduce((a, b) => a * b, 1);
  return 4 * count;
}

const GPT2_SIZES = {
  gpt2: { n_embd: 768, n_layer: 12, n_head: 12 },
  'gpt2-medium': { n_embd: 1024, n_layer: 24, n_head: 16 },
  'gpt2-large': { n_embd: 1280, n_layer: 36, n_head: 20 },
  'gpt2-xl': { n_embd: 1600, n_layer: 48, n_head: 25 },
  tiny: { n_embd: 32, n_layer: 2, n_head: 4 },
} as const;
export type RandomModelName = keyof typeof GPT2_SIZES;
export const RANDOM_MODEL_NAMES = Object.keys(GPT2_SIZES) as RandomModelName[];

/** The HF-style config of one of GPT-2's sizes (or the tiny test size, 64 positions). */
export function gpt2Config(name: RandomModelName): ModelConfig {
  const size = GPT2_SIZES[name];
  return normalizeConfig(
    { model_type: 'gpt2', vocab_size: 50257, n_positions: name === 'tiny' ? 64 : 1024, ...size, activation_function: 'gelu_new', layer_norm_epsilon: 1e-5 },
    `random:${name}`,
  );
}

/** Random values are copied from one seeded pool in chunks at seeded offsets: a per-value generator costs seconds for GPT-2's 124M. */
const POOL_SIZE = 1 << 20;
const CHUNK = 4096;

/**
 * Seeded random weights of exactly a GPT-2 size's shapes, for tests and benchmarks. Values are uniform
 * with GPT-2's initial standard deviation (0.02); LayerNorm gains sit near 1 so activations stay tame.
 */
export function randomWeights(config: ModelConfig, seed = 1234): Gpt2Weights {
  const random = randomLcg(seed);
  const spread = 0.02 * Math.sqrt(3);
  const pool = new Float32Array(POOL_SIZE);
  for (let i = 0; i < POOL_SIZE; i++) pool[i] = (2 * random() - 1) * spread;
  const fill = (n: number) => {
    const out = new Float32Array(n);
    for (let at = 0; at < n; at += CHUNK) {
      const from = Math.floor(random() * (POOL_SIZE - CHUNK));
      out.set(pool.subarray(from, from + Math.min(CHUNK, n - at)), at);
    }
    return out;
  };
  const shapes = expectedShapes(config);
  const tensors = new Map<string, Tensor>();
  for (const [name, shape] of shapes) {
    const data = fill(shape.reduce((a, b) => a * b, 1));
    // Gains: 1 ± 0.1 instead of 0 ± spread.
    if (/ln_\d\.weight|ln_f\.weight/.test(name)) for (let i = 0; i < data.length; i++) data[i] = 1 + (data[i]! / spread) * 0.1;
    tensors.set(name, { shape, data });
  }
  return weightsFromTensors(config, (name) => tensors.get(name));
}
