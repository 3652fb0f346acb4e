/**
 * GPT-2 in TensorFlow.js for training: pre-LayerNorm blocks, attention with biases, an MLP with
 * gelu_new, learned positions, a final LayerNorm and tied embeddings (W_U = W_Eᵀ).
 *
 * Parameters are kept under HuggingFace's names and layouts (Conv1D weights [in, out]; c_attn's
 * columns q | k | v, each split into heads of d_head consecutive columns), so exporting is a copy.
 */
import { tf } from './tf.js';

export interface GptConfig {
  readonly vocabSize: number;
  readonly nPositions: number;
  readonly nEmbd: number;
  readonly nLayer: number;
  readonly nHead: number;
  readonly nInner: number;
  readonly layerNormEpsilon: number;
}

export interface ParamSpec {
  readonly name: string;
  readonly shape: readonly number[];
  /** How it starts: N(0, std²), or all ones / zeros (LayerNorm gains and biases). */
  readonly init: { normal: number } | 'ones' | 'zeros';
  /** Weight decay applies to matrices (not to biases, LayerNorm parameters or positions). */
  readonly decay: boolean;
}

/** Every parameter in HF GPT2LMHeadModel.state_dict() order (lm_head is tied, so absent). */
export function paramSpecs(c: GptConfig): ParamSpec[] {
  const std = 0.02;
  // GPT-2 scales the residual projections by 1/√(2·n_layer).
  const residStd = std / Math.sqrt(2 * c.nLayer);
  const d = c.nEmbd;
  const specs: ParamSpec[] = [
    { name: 'transformer.wte.weight', shape: [c.vocabSize, d], init: { normal: std }, decay: true },
    { name: 'transformer.wpe.weight', shape: [c.nPositions, d], init: { normal: 0.01 }, decay: false },
  ];
  for (let l = 0; l < c.nLayer; l++) {
    const p = `transformer.h.${l}.`;
    specs.push(
      { name: p + 'ln_1.weight', shape: [d], init: 'ones', decay: false },
      { name: p + 'ln_1.bias', shape: [d], init: 'zeros', decay: false },
      { name: p + 'attn.c_attn.weight', shape: [d, 3 * d], init: { normal: std }, decay: true },
      { name: p + 'attn.c_attn.bias', shape: [3 * d], init: 'zeros', decay: false },
      { name: p + 'attn.c_proj.weight', shape: [d, d], init: { normal: residStd }, decay: true },
      { name: p + 'attn.c_proj.bias', shape: [d], init: 'zeros', decay: false },
      { name: p + 'ln_2.weight', shape: [d], init: 'ones', decay: false },
      { name: p + 'ln_2.bias', shape: [d], init: 'zeros', decay: false },
      { name: p + 'mlp.c_fc.weight', shape: [d, c.nInner], init: { normal: std }, decay: true },
      { name: p + 'mlp.c_fc.bias', shape: [c.nInner], init: 'zeros', decay: false },
      { name: p + 'mlp.c_proj.weight', shape: [c.nInner, d], init: { normal: residStd }, decay: true },
      { name: p + 'mlp.c_proj.bias', shape: [d], init: 'zeros', decay: false },
    );
  }
  specs.push(
    { name: 'transformer.ln_f.weight', shape: [d], init: 'ones', decay: false },
    { name: 'transformer.ln_f.bias', shape: [d], init: 'zeros', decay: false },
  );
  return specs;
}

export const countParams = (c: GptConfig) => paramSpecs(c).reduce((n, s) => n + s.shape.reduce((a, b) => a * b, 1), 0);

/** A small seeded PRNG (mulberry32), so runs are reproducible whatever the backend. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Initial values for every parameter, from `seed`. */
export function initialValues(c: GptConfig, seed: number): Map<string, Float32Array> {
  const random = mulberry32(seed);
  const gaussian = () => {
    const u = 1 - random();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
  };
  const out = new Map<string, Float32Array>();
  for (const spec of paramSpecs(c)) {
    const values = new Float32Array(spec.shape.reduce((a, b) => a * b, 1));
    const init = spec.init;
    if (init === 'ones') values.fill(1);
    else if (init !== 'zeros') for (let i = 0; i < values.length; i++) values[i] = init.normal * gaussian();
    out.set(spec.name, values);
  }
  return out;
}

export type Params = Map<string, tf.Variable>;

/**
 * Embedding lookup whose gradient is a scatter-add (ScatterNd sums duplicate indices): the WASM
 * backend has no UnsortedSegmentSum, which tf.gather's own gradient needs.
 */
const embed = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
  const [table, ids, save] = args as [tf.Tensor2D, tf.Tensor1D, tf.GradSaveFunc];
  save([ids]);
  return {
    value: tf.gather(table, ids),
    gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
      const savedIds = saved[0] as tf.Tensor1D;
      const dTable = tf.scatterND(tf.expandDims(savedIds, 1), dy as tf.Tensor2D, table.shape);
      return [dTable, tf.zerosLike(savedIds)];
    },
  };
}) as (table: tf.Tensor2D, ids: tf.Tensor1D) => tf.Tensor2D;

/**
 * a·b for 2-D tensors, with a gradient made of plain products: the WASM backend's matMul is ~10×
 * slower when asked to transpose an operand, which tf.matMul's own gradient does.
 */
const mm = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
  const [a, b, save] = args as [tf.Tensor2D, tf.Tensor2D, tf.GradSaveFunc];
  save([a, b]);
  return {
    value: tf.matMul(a, b),
    gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
      const [sa, sb] = saved as [tf.Tensor2D, tf.Tensor2D];
      const g = dy as tf.Tensor2D;
      return [tf.matMul(g, tf.transpose(sb)), tf.matMul(tf.transpose(sa), g)];
    },
  };
}) as (a: tf.Tensor2D, b: tf.Tensor2D) => tf.Tensor2D;

/** Swaps the last two axes of a [B, H, X, Y] tensor. */
const swapLast = (x: tf.Tensor4D) => tf.transpose(x, [0, 1, 3, 2]);

/** Batched a·b for [B, H, ·, ·] tensors, with the same transpose-free gradient as `mm`. */
const bmm = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
  const [a, b, save] = args as [tf.Tensor4D, tf.Tensor4D, tf.GradSaveFunc];
  save([a, b]);
  return {
    value: tf.matMul(a, b),
    gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
      const [sa, sb] = saved as [tf.Tensor4D, tf.Tensor4D];
      const g = dy as tf.Tensor4D;
      return [tf.matMul(g, swapLast(sb)), tf.matMul(swapLast(sa), g)];
    },
  };
}) as (a: tf.Tensor4D, b: tf.Tensor4D) => tf.Tensor4D;

function layerNorm(x: tf.Tensor2D, gain: tf.Tensor, bias: tf.Tensor, eps: number): tf.Tensor2D {
  const centred = tf.sub(x, tf.mean(x, -1, true));
  const variance = tf.mean(tf.square(centred), -1, true);
  return tf.add(tf.mul(tf.mul(centred, tf.rsqrt(tf.add(variance, eps))), gain), bias);
}

/** gelu_new: 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))). */
function geluNew(x: tf.Tensor2D): tf.Tensor2D {
  const inner = tf.mul(tf.add(x, tf.mul(tf.mul(tf.mul(x, x), x), 0.044715)), Math.sqrt(2 / Math.PI));
  return tf.mul(tf.mul(x, tf.add(tf.tanh(inner), 1)), 0.5);
}

const maskCache = new Map<number, tf.Tensor2D>();
/** Additive causal mask [T, T]: 0 on and below the diagonal, a large negative number above it. */
function causalMask(T: number): tf.Tensor2D {
  let mask = maskCache.get(T);
  if (!mask) {
    const values = new Float32Array(T * T);
    for (let i = 0; i < T; i++) for (let j = i + 1; j < T; j++) values[i * T + j] = -1e9;
    mask = tf.keep(tf.tensor2d(values, [T, T]));
    maskCache.set(T, mask);
  }
  return mask;
}

/** Logits [B·T, vocab] for ids [B, T]. */
export function forward(c: GptConfig, params: Params, ids: tf.Tensor2D): tf.Tensor2D {
  const [B, T] = ids.shape;
  const d = c.nEmbd;
  const H = c.nHead;
  const dh = d / H;
  const P = (name: string): tf.Tensor2D => {
    const v = params.get(name);
    if (!v) throw new Error(`missing parameter ${name}`);
    return v as tf.Tensor as tf.Tensor2D;
  };
  const linear = (x: tf.Tensor2D, name: string) => tf.add(mm(x, P(name + '.weight')), P(name + '.bias')) as tf.Tensor2D;
  const wte = P('transformer.wte.weight');
  const positions = tf.slice(P('transformer.wpe.weight'), [0, 0], [T, d]);
  const tokens = tf.reshape(embed(wte, tf.reshape(ids, [B * T])), [B, T, d]);
  let h = tf.reshape(tf.add(tokens, positions), [B * T, d]) as tf.Tensor2D;
  const mask = causalMask(T);
  const heads = (x: tf.Tensor) => tf.transpose(tf.reshape(x, [B, T, H, dh]), [0, 2, 1, 3]) as tf.Tensor4D;
  for (let l = 0; l < c.nLayer; l++) {
    const p = `transformer.h.${l}.`;
    const a = layerNorm(h, P(p + 'ln_1.weight'), P(p + 'ln_1.bias'), c.layerNormEpsilon);
    const [q, k, v] = tf.split(linear(a, p + 'attn.c_attn'), 3, 1).map(heads) as [tf.Tensor4D, tf.Tensor4D, tf.Tensor4D];
    const scores = tf.add(tf.mul(bmm(q, swapLast(k)), 1 / Math.sqrt(dh)), mask);
    const z = tf.reshape(tf.transpose(bmm(tf.softmax(scores) as tf.Tensor4D, v), [0, 2, 1, 3]), [B * T, d]) as tf.Tensor2D;
    h = tf.add(h, linear(z, p + 'attn.c_proj'));
    const m = layerNorm(h, P(p + 'ln_2.weight'), P(p + 'ln_2.bias'), c.layerNormEpsilon);
    h = tf.add(h, linear(geluNew(linear(m, p + 'mlp.c_fc')), p + 'mlp.c_proj'));
  }
  const final = layerNorm(h, P('transformer.ln_f.weight'), P('transformer.ln_f.bias'), c.layerNormEpsilon);
  return mm(final, tf.transpose(wte));
}

/** Mean next-token cross-entropy (nats) of logits [N, vocab] against targets [N]. */
export function crossEntropy(logits: tf.Tensor2D, targets: tf.Tensor1D): tf.Scalar {
  const picked = tf.sum(tf.mul(tf.logSoftmax(logits), tf.oneHot(targets, logits.shape[1])), 1);
  return tf.neg(tf.mean(picked));
}
