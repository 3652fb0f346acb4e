/**
 * GPT-2's forward pass in two forms that must agree:
 * - vector-wise: each head applies its own W_Q, W_K, W_V to each position's vector; each query
 *   position scores only the keys it may see; each head's result is projected by its own
 *   d_head-row slice of W_O and the heads' outputs are added to the stream. Vectors that share
 *   weights (all positions under one head's W_Q, say) go through one tfjs op, which is the same
 *   arithmetic as one op per vector.
 * - batched: the usual tensor code, with one fused QKV matrix, a masked square of scores,
 *   concatenated heads and a single W_O.
 * Both record every vector under its TransformerLens hook name.
 */
import * as tf from '@tensorflow/tfjs-core';
import { hook, type BlockHook, type HookName, type LnFinalHook, type ModelConfig, type Tensor } from '@vectorview/trace';
import type { Gpt2Weights, LayerWeights } from './weights.js';

export type ForwardMode = 'vectorwise' | 'batched';

export interface ForwardOptions {
  readonly mode?: ForwardMode;
  /** Which positions to unembed: the last (all a next-token prediction needs) or all of them. */
  readonly unembed?: 'last' | 'all';
  /** Which hooks to record (default: all); the rest are computed but never read back from the backend. */
  readonly record?: (hookName: string) => boolean;
}

export interface ForwardResult {
  readonly tensors: Map<string, Tensor>;
  readonly logitPositions: number[];
}

interface LayerOnDevice {
  ln1: [tf.Tensor1D, tf.Tensor1D];
  ln2: [tf.Tensor1D, tf.Tensor1D];
  attnW: tf.Tensor2D;
  attnB: tf.Tensor1D;
  projW: tf.Tensor2D;
  projB: tf.Tensor1D;
  fcW: tf.Tensor2D;
  fcB: tf.Tensor1D;
  fcProjW: tf.Tensor2D;
  fcProjB: tf.Tensor1D;
  /** Per head: W_Q, W_K, W_V [d_model, d_head], their biases [d_head], and the W_O slice [d_head, d_model]. */
  heads: { wq: tf.Tensor2D; wk: tf.Tensor2D; wv: tf.Tensor2D; bq: tf.Tensor1D; bk: tf.Tensor1D; bv: tf.Tensor1D; wo: tf.Tensor2D }[];
}

/** Weights above this size are streamed to the backend one layer per use instead of cached there. */
const DEVICE_CACHE_BYTES = 1.2 * 2 ** 30;

type Recorder = (name: HookName, tensor: tf.Tensor) => void;
/** Records a hook of the current block, or of a LayerNorm (whose three hooks are spelt alike everywhere). */
type BlockRecorder = (name: BlockHook, tensor: tf.Tensor) => void;
type LayerNormRecorder = (name: LnFinalHook, tensor: tf.Tensor) => void;

export class Gpt2Model {
  readonly config: ModelConfig;
  /** The plain-array weights, for analyses that read them directly (circuits, attribution). */
  readonly weights: Gpt2Weights;
  private readonly cacheOnDevice: boolean;
  private readonly layerCache = new Map<number, LayerOnDevice>();
  private unembedCache: tf.Tensor2D | undefined;
  private lnFCache: [tf.Tensor1D, tf.Tensor1D] | undefined;

  /**
   * `keepOnDevice`: keep uploaded layers on the backend between passes ('auto': when the weights
   * take at most ~1.2 GB), or stream them one layer at a time.
   */
  constructor(weights: Gpt2Weights, options: { keepOnDevice?: 'auto' | boolean } = {}) {
    this.weights = weights;
    this.config = weights.config;
    const bytes = 4 * (weights.wte.length + weights.wpe.length + weights.layers.reduce((n, l) => n + Object.values(l).reduce((m, v) => m + (v instanceof Float32Array ? v.length : v.w.length + v.b.length), 0), 0));
    const keep = options.keepOnDevice ?? 'auto';
    this.cacheOnDevice = keep === 'auto' ? bytes <= DEVICE_CACHE_BYTES : keep;
  }

  /** Runs the forward pass and records every vector. */
  forward(ids: readonly number[], options: ForwardOptions = {}): ForwardResult {
    return this.run(ids, options.mode ?? 'vectorwise', options.unembed ?? 'last', options.record ?? (() => true));
  }

  /** Logits for every position by the batched path, recording nothing (for evaluation). */
  logits(ids: readonly number[]): Float32Array {
    const { tensors } = this.run(ids, 'batched', 'all', () => false);
    return tensors.get('logits')!.data as Float32Array;
  }

  /** Rows [count, d_model], already through the final LayerNorm, times W_U: [count, n_vocab] logits (the logit lens). */
  unembed(rows: Float32Array, count: number): Float32Array {
    const wU = this.unembedding();
    const product = tf.tidy(() => tf.matMul(tf.tensor2d(rows, [count, this.config.d_model]), wU));
    // Read back outside tidy: tidy would walk a returned typed array element by element looking for tensors.
    const logits = product.dataSync() as Float32Array;
    product.dispose();
    if (!this.cacheOnDevice) wU.dispose();
    return logits;
  }

  dispose(): void {
    for (const layer of this.layerCache.values()) disposeLayer(layer);
    this.layerCache.clear();
    this.unembedCache?.dispose();
    this.lnFCache?.forEach((t) => t.dispose());
    this.unembedCache = undefined;
    this.lnFCache = undefined;
  }

  private run(ids: readonly number[], mode: ForwardMode, unembed: 'last' | 'all', keep: (hookName: string) => boolean): ForwardResult {
    const { d_model: d, n_layer, n_vocab } = this.config;
    const n = ids.length;
    const tensors = new Map<string, Tensor>();
    const record: Recorder = (name, t) => {
      if (keep(name) || name === hook.logits) tensors.set(name, { shape: t.shape, data: t.dataSync() as Float32Array });
    };
    // Embedding lookups are row copies: done on the plain arrays, so W_E never has to be uploaded for them.
    const embed = new Float32Array(n * d);
    const posEmbed = new Float32Array(n * d);
    ids.forEach((id, p) => {
      embed.set(this.weights.wte.subarray(id * d, (id + 1) * d), p * d);
      posEmbed.set(this.weights.wpe.subarray(p * d, (p + 1) * d), p * d);
    });
    if (keep(hook.embed)) tensors.set(hook.embed, { shape: [n, d], data: embed });
    if (keep(hook.posEmbed)) tensors.set(hook.posEmbed, { shape: [n, d], data: posEmbed });
    let resid = tf.tidy(() => tf.add(tf.tensor2d(embed, [n, d]), tf.tensor2d(posEmbed, [n, d])) as tf.Tensor2D);
    for (let l = 0; l < n_layer; l++) {
      const layer = this.layer(l);
      const next = tf.tidy(() => {
        const rec: BlockRecorder = (name, t) => record(hook.block(l, name), t);
        rec('hook_resid_pre', resid);
        const x1 = layerNorm(resid, layer.ln1, this.config.layer_norm_eps, (name, t) => rec(`ln1.${name}`, t));
        const attnOut = mode === 'vectorwise' ? attentionVectorwise(x1, layer, this.config, rec) : attentionBatched(x1, layer, this.config, rec);
        rec('hook_attn_out', attnOut);
        const mid = tf.add(resid, attnOut) as tf.Tensor2D;
        rec('hook_resid_mid', mid);
        const x2 = layerNorm(mid, layer.ln2, this.config.layer_norm_eps, (name, t) => rec(`ln2.${name}`, t));
        const pre = tf.add(tf.matMul(x2, layer.fcW), layer.fcB);
        rec('mlp.hook_pre', pre);
        const post = geluNew(pre);
        rec('mlp.hook_post', post);
        const mlpOut = tf.add(tf.matMul(post, layer.fcProjW), layer.fcProjB);
        rec('hook_mlp_out', mlpOut);
        const out = tf.add(mid, mlpOut) as tf.Tensor2D;
        rec('hook_resid_post', out);
        return out;
      });
      resid.dispose();
      resid = next;
      if (!this.cacheOnDevice) disposeLayer(layer);
    }
    const logitPositions = unembed === 'all' ? ids.map((_, p) => p) : [n - 1];
    // Weights used inside tidy must exist before it, or tidy would dispose the cached copies.
    const lnF = this.lnF();
    const wU = this.unembedding();
    tf.tidy(() => {
      const normalized = layerNorm(resid, lnF, this.config.layer_norm_eps, (name, t) => record(hook.lnFinal(name), t));
      const rows = unembed === 'all' ? normalized : tf.slice(normalized, [n - 1, 0], [1, d]);
      record('logits', tf.matMul(rows, wU));
    });
    if (!this.cacheOnDevice) wU.dispose();
    resid.dispose();
    const logits = tensors.get('logits')!;
    if (logits.shape[1] !== n_vocab) throw new Error(`logits have ${logits.shape[1]} columns, expected ${n_vocab}`);
    return { tensors, logitPositions };
  }

  private layer(l: number): LayerOnDevice {
    const cached = this.layerCache.get(l);
    if (cached) return cached;
    const uploaded = uploadLayer(this.weights.layers[l]!, this.config);
    if (this.cacheOnDevice) this.layerCache.set(l, uploaded);
    return uploaded;
  }

  private lnF(): [tf.Tensor1D, tf.Tensor1D] {
    this.lnFCache ??= [tf.tensor1d(this.weights.lnF.w), tf.tensor1d(this.weights.lnF.b)];
    return this.lnFCache;
  }

  private unembedding(): tf.Tensor2D {
    const { n_vocab, d_model } = this.config;
    // Stored as W_U = W_Eᵀ [d_model, n_vocab]: wasm's matmul is ~10× slower with a transposed operand.
    const make = () => tf.tidy(() => tf.transpose(tf.tensor2d(this.weights.lmHead ?? this.weights.wte, [n_vocab, d_model])) as tf.Tensor2D);
    if (!this.cacheOnDevice) return make();
    this.unembedCache ??= make();
    return this.unembedCache;
  }
}

function uploadLayer(w: LayerWeights, config: ModelConfig): LayerOnDevice {
  const { d_model: d, d_mlp, n_head, d_head } = config;
  const attnW = tf.tensor2d(w.attnW, [d, 3 * d]);
  const attnB = tf.tensor1d(w.attnB);
  const projW = tf.tensor2d(w.projW, [d, d]);
  // Columns of c_attn are q | k | v, each holding the heads' d_head-wide blocks in order;
  // rows of c_proj are the heads' d_head-row slices of W_O in the same order. The column blocks
  // are cut here in plain arrays: tfjs's SplitV along columns is very slow on wasm.
  const columnBlock = (block: number) => {
    const out = new Float32Array(d * d_head);
    for (let r = 0; r < d; r++) out.set(w.attnW.subarray(r * 3 * d + block * d_head, r * 3 * d + (block + 1) * d_head), r * d_head);
    return tf.tensor2d(out, [d, d_head]);
  };
  const bias = (block: number) => tf.tensor1d(w.attnB.subarray(block * d_head, (block + 1) * d_head));
  const slice = (h: number) => tf.tensor2d(w.projW.subarray(h * d_head * d, (h + 1) * d_head * d), [d_head, d]);
  return {
    ln1: [tf.tensor1d(w.ln1.w), tf.tensor1d(w.ln1.b)],
    ln2: [tf.tensor1d(w.ln2.w), tf.tensor1d(w.ln2.b)],
    attnW,
    attnB,
    projW,
    projB: tf.tensor1d(w.projB),
    fcW: tf.tensor2d(w.fcW, [d, d_mlp]),
    fcB: tf.tensor1d(w.fcB),
    fcProjW: tf.tensor2d(w.fcProjW, [d_mlp, d]),
    fcProjB: tf.tensor1d(w.fcProjB),
    heads: Array.from({ length: n_head }, (_, h) => ({
      wq: columnBlock(h),
      wk: columnBlock(n_head + h),
      wv: columnBlock(2 * n_head + h),
      bq: bias(h),
      bk: bias(n_head + h),
      bv: bias(2 * n_head + h),
      wo: slice(h),
    })),
  };
}

function disposeLayer(layer: LayerOnDevice): void {
  const all: tf.Tensor[] = [...layer.ln1, ...layer.ln2, layer.attnW, layer.attnB, layer.projW, layer.projB, layer.fcW, layer.fcB, layer.fcProjW, layer.fcProjB];
  for (const h of layer.heads) all.push(...Object.values(h));
  tf.dispose(all);
}

/** Per position: subtract the mean, divide by √(variance + ε), then scale by γ and shift by β. */
function layerNorm(x: tf.Tensor2D, [gamma, beta]: [tf.Tensor1D, tf.Tensor1D], eps: number, rec: LayerNormRecorder): tf.Tensor2D {
  const centred = tf.sub(x, tf.mean(x, -1, true));
  const scale = tf.sqrt(tf.add(tf.mean(tf.square(centred), -1, true), eps));
  rec('hook_scale', scale);
  const normalized = tf.div(centred, scale);
  rec('hook_normalized', normalized);
  const out = tf.add(tf.mul(normalized, gamma), beta) as tf.Tensor2D;
  rec('hook_out', out);
  return out;
}

/** GPT-2's GELU, the tanh approximation: ½x(1 + tanh(√(2/π)(x + 0.044715x³))). */
function geluNew(x: tf.Tensor): tf.Tensor {
  const inner = tf.mul(Math.sqrt(2 / Math.PI), tf.add(x, tf.mul(0.044715, tf.mul(x, tf.square(x)))));
  return tf.mul(tf.mul(0.5, x), tf.add(1, tf.tanh(inner)));
}

function attentionVectorwise(x: tf.Tensor2D, layer: LayerOnDevice, config: ModelConfig, rec: BlockRecorder): tf.Tensor2D {
  const { n_head: H, d_head: dh } = config;
  const n = x.shape[0];
  // Each head reads every position's vector with its own matrices (one op per head and matrix).
  const q = layer.heads.map((h) => tf.add(tf.matMul(x, h.wq), h.bq));
  const k = layer.heads.map((h) => tf.add(tf.matMul(x, h.wk), h.bk));
  const v = layer.heads.map((h) => tf.add(tf.matMul(x, h.wv), h.bv));
  const [Q, K, V] = [q, k, v].map((vs) => tf.stack(vs)) as [tf.Tensor3D, tf.Tensor3D, tf.Tensor3D];
  rec('attn.hook_q', tf.transpose(Q, [1, 0, 2]));
  rec('attn.hook_k', tf.transpose(K, [1, 0, 2]));
  rec('attn.hook_v', tf.transpose(V, [1, 0, 2]));
  // Query position i meets keys 0..i only: the forbidden pairs are never computed.
  const scoreRows: tf.Tensor[] = [];
  const patternRows: tf.Tensor[] = [];
  const zRows: tf.Tensor[] = [];
  for (let i = 0; i < n; i++) {
    const qi = tf.slice(Q, [0, i, 0], [H, 1, dh]);
    const scores = tf.div(tf.matMul(qi, tf.slice(K, [0, 0, 0], [H, i + 1, dh]), false, true), Math.sqrt(dh));
    const pattern = tf.softmax(scores);
    zRows.push(tf.matMul(pattern, tf.slice(V, [0, 0, 0], [H, i + 1, dh])));
    scoreRows.push(tf.reshape(scores, [H, i + 1]));
    patternRows.push(tf.reshape(pattern, [H, i + 1]));
  }
  rec('attn.hook_attn_scores', triangleToSquare(tf.concat(scoreRows, 1), H, n, -Infinity));
  rec('attn.hook_pattern', triangleToSquare(tf.concat(patternRows, 1), H, n, 0));
  const Z = tf.concat(zRows, 1) as tf.Tensor3D;
  rec('attn.hook_z', tf.transpose(Z, [1, 0, 2]));
  // Each head's result goes back to the stream through its own slice of W_O; no concatenation.
  const results = headOutputs(Z, layer);
  rec('attn.hook_result', tf.stack(results, 1));
  return tf.add(tf.addN(results), layer.projB) as tf.Tensor2D;
}

/** Each head's result vectors [n, d_head] times its own W_O slice [d_head, d_model]. */
function headOutputs(Z: tf.Tensor3D, layer: LayerOnDevice): tf.Tensor2D[] {
  const zs = tf.unstack(Z) as tf.Tensor2D[];
  return layer.heads.map((h, i) => tf.matMul(zs[i]!, h.wo));
}

/** Spreads packed lower-triangle rows [H, n(n+1)/2] into the [H, n, n] square TransformerLens records. */
function triangleToSquare(packed: tf.Tensor, H: number, n: number, fill: number): tf.Tensor {
  const values = packed.dataSync();
  const square = new Float32Array(H * n * n).fill(fill);
  const width = (n * (n + 1)) / 2;
  for (let h = 0; h < H; h++) {
    for (let i = 0, at = 0; i < n; at += ++i) {
      for (let j = 0; j <= i; j++) square[(h * n + i) * n + j] = values[h * width + at + j]!;
    }
  }
  return tf.tensor3d(square, [H, n, n]);
}

function attentionBatched(x: tf.Tensor2D, layer: LayerOnDevice, config: ModelConfig, rec: BlockRecorder): tf.Tensor2D {
  const { n_head: H, d_head: dh, d_model: d } = config;
  const n = x.shape[0];
  const qkv = tf.add(tf.matMul(x, layer.attnW), layer.attnB);
  const [q, k, v] = tf.split(qkv, 3, 1).map((t) => tf.reshape(t, [n, H, dh]));
  rec('attn.hook_q', q!);
  rec('attn.hook_k', k!);
  rec('attn.hook_v', v!);
  const [Q, K, V] = [q!, k!, v!].map((t) => tf.transpose(t, [1, 0, 2]));
  const mask = tf.tensor2d(Float32Array.from({ length: n * n }, (_, i) => (i % n <= Math.floor(i / n) ? 0 : -Infinity)), [n, n]);
  const scores = tf.add(tf.div(tf.matMul(Q!, K!, false, true), Math.sqrt(dh)), mask);
  rec('attn.hook_attn_scores', scores);
  const pattern = tf.softmax(scores);
  rec('attn.hook_pattern', pattern);
  const Z = tf.matMul(pattern, V!);
  const z = tf.transpose(Z, [1, 0, 2]);
  rec('attn.hook_z', z);
  // The per-head outputs are not part of this path's arithmetic; they are computed for the record only.
  rec('attn.hook_result', tf.stack(headOutputs(Z as tf.Tensor3D, layer), 1));
  return tf.add(tf.matMul(tf.reshape(z, [n, d]), layer.projW), layer.projB) as tf.Tensor2D;
}
