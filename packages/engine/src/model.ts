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
import { firstNonFinite, hook, type BlockHook, type HookName, type LnFinalHook, type ModelConfig, type Tensor, type TensorName } from '@vectorview/trace';
import { assertFinite, deviceCopies, deviceCopy, fileTensor, hasFileTensors, releaseBacking } from './backed-weights.js';
import { filledTensor, leadingSlice, valuesView } from './heap.js';
import { embeddingRows, hasUntiedHead, LAYER_MATRICES, weightBytes, type Gpt2Weights, type LayerMatrix, type LayerWeights } from './weights.js';

export type ForwardMode = 'vectorwise' | 'batched';

export interface ForwardOptions {
  readonly mode?: ForwardMode;
  /** Which positions to unembed: the last (all a next-token prediction needs) or all of them. */
  readonly unembed?: 'last' | 'all';
  /** Which hooks to record (default: all); the rest are computed but never read back from the backend. */
  readonly record?: (hookName: string) => boolean;
  /** Called with each tensor as it is recorded, before the pass goes on (to write it out meanwhile). Its values must not be changed. */
  readonly onRecord?: (name: TensorName, tensor: Tensor) => void;
  /**
   * More rows [count, d_model] for W_U, made from the pass's recorded tensors once its layers are
   * done (the logit lens's): they go through W_U with the pass's own rows, so a streamed W_U is read
   * once. Their logits come back as `alsoLogits`.
   */
  readonly unembedAlso?: (tensors: ReadonlyMap<TensorName, Tensor>) => Float32Array;
}

/** One sequence of a forwardEach sweep. */
export interface Pass {
  readonly ids: readonly number[];
  readonly options?: ForwardOptions;
}

/** A pass with its options resolved. */
interface RunSpec {
  readonly ids: readonly number[];
  readonly mode: ForwardMode;
  readonly unembed: 'last' | 'all';
  readonly keep: (hookName: string) => boolean;
  readonly onRecord: ((name: TensorName, tensor: Tensor) => void) | undefined;
  readonly unembedAlso: ForwardOptions['unembedAlso'];
}

export interface ForwardResult {
  readonly tensors: Map<TensorName, Tensor>;
  readonly logitPositions: number[];
  /** Milliseconds this sequence's transformer blocks took; in a forwardEach sweep, reading and packing the layers is shared and not counted. */
  readonly blocksMs: number;
  /** [count, n_vocab]: the logits of the rows `unembedAlso` gave. */
  readonly alsoLogits?: Float32Array;
}

/**
 * A weight matrix W [in, out] on the backend, multiplied as x·W in one of two layouts.
 * - As stored: W is the operand XNNPACK packs, on its first product, into a copy it keeps with the
 *   tensor; right for a layer that stays on the backend for many passes.
 * - Transposed: Wᵀ [out, in] is the streamed operand of Wᵀ·xᵀ and the rows of x are what gets
 *   packed. A streamed layer, used for one sweep and freed, then never packs its weights, which
 *   costs more than the transpose: reading GPT-2's 48 matrices and a first 16-row product with
 *   each took 0.8–1.3 s as stored and about 0.7 s transposed here (as scripts/tfjs-floor.mjs does).
 */
interface Weight {
  readonly values: tf.Tensor2D;
  readonly transposed: boolean;
}

interface HeadWeights {
  /** W_Q, W_K, W_V [d_model, d_head] and their biases [d_head]. */
  wq: Weight;
  wk: Weight;
  wv: Weight;
  bq: tf.Tensor1D;
  bk: tf.Tensor1D;
  bv: tf.Tensor1D;
}

/**
 * The attention half of a layer on the backend. Each mode's own layout is uploaded on its first use,
 * so a pass in one mode uploads each weight once: vector-wise the per-head W_Q/W_K/W_V, batched the
 * fused c_attn and c_proj. Both read the per-head W_O slices (batched for its hook_result record).
 */
interface AttentionPart {
  ln1: [tf.Tensor1D, tf.Tensor1D];
  /** Per head: its d_head-row slice of W_O [d_head, d_model]. */
  wo: tf.Tensor2D[];
  projB: tf.Tensor1D;
  heads?: HeadWeights[];
  fused?: { attnW: tf.Tensor2D; attnB: tf.Tensor1D; projW: tf.Tensor2D };
}

/** LayerNorm 2 and the MLP's first matrix, up to GELU. */
interface MlpInPart {
  ln2: [tf.Tensor1D, tf.Tensor1D];
  fcW: Weight;
  fcB: tf.Tensor1D;
}

/** The MLP's second matrix. */
interface MlpOutPart {
  fcProjW: Weight;
  fcProjB: tf.Tensor1D;
}

/**
 * One layer on the backend, in the three parts its steps use in turn. A streamed layer holds one
 * part at a time (Gpt2Model.run); a cached one keeps all three.
 */
interface LayerOnDevice {
  attention?: AttentionPart;
  mlpIn?: MlpInPart;
  mlpOut?: MlpOutPart;
}

/** One sequence of a sweep: its recorder, its stream, and the step outputs a layer passes on. */
interface SweepState {
  readonly n: number;
  readonly tensors: Map<TensorName, Tensor>;
  readonly record: Recorder;
  blocksMs: number;
  resid: tf.Tensor2D;
  /** hook_resid_mid and mlp.hook_post of the current layer, between its steps. */
  mid?: tf.Tensor2D | undefined;
  post?: tf.Tensor2D | undefined;
  alsoLogits?: Float32Array;
}

/** Weights above this size are streamed to the backend one layer per use instead of cached there. */
const DEVICE_CACHE_BYTES = 1.2 * 2 ** 30;

/**
 * A streamed W_U is multiplied a piece of rows at a time, each freed before the next is read, so
 * the pieces reuse one region of the heap instead of touching W_U's size of fresh memory.
 */
const UNEMBED_PIECE_BYTES = 16 * 2 ** 20;

/** Whether a model of this config keeps its weights on the backend by default (so a loader may put them there directly). */
export function cachesOnDevice(config: ModelConfig): boolean {
  return weightBytes(config) <= DEVICE_CACHE_BYTES;
}

/** Records a hook: a backend tensor is copied out at once, a plain array (built outside the backend) is kept as is. */
type Recorder = (name: HookName, tensor: tf.Tensor | Tensor) => void;
/** Records a hook of the current block, or of a LayerNorm (whose three hooks are spelt alike everywhere). */
type BlockRecorder = (name: BlockHook, tensor: tf.Tensor | Tensor) => void;
type LayerNormRecorder = (name: LnFinalHook, tensor: tf.Tensor | Tensor) => void;

export class Gpt2Model {
  readonly config: ModelConfig;
  /** The plain-array weights, for analyses that read them directly (circuits, attribution). */
  readonly weights: Gpt2Weights;
  private readonly cacheOnDevice: boolean;
  private readonly layerCache = new Map<number, LayerOnDevice>();
  /** W_U's table, W_E [n_vocab, d_model] or an untied lm_head, uploaded to stay on the backend. */
  private unembedCache: tf.Tensor2D | undefined;
  private readonly unembedKey: 'wte' | 'lmHead';
  private lnFCache: [tf.Tensor1D, tf.Tensor1D] | undefined;

  /**
   * `keepOnDevice`: keep uploaded layers on the backend between passes, or stream them one layer at
   * a time. 'auto' keeps them when the weights take at most ~1.2 GB and were not left in their file
   * (a loader does that for a single pass: streaming then touches far less fresh memory). The model
   * owns what a loader attached to the weights (backed-weights.ts: backend copies, an open
   * checkpoint) and frees it in dispose().
   */
  constructor(weights: Gpt2Weights, options: { keepOnDevice?: 'auto' | boolean } = {}) {
    this.weights = weights;
    this.config = weights.config;
    this.unembedKey = hasUntiedHead(weights) ? 'lmHead' : 'wte';
    const keep = options.keepOnDevice ?? 'auto';
    const inFile = hasFileTensors(weights) || weights.layers.some(hasFileTensors);
    this.cacheOnDevice = keep === 'auto' ? cachesOnDevice(weights.config) && !inFile : keep;
  }

  /** Runs the forward pass and records every vector. */
  forward(ids: readonly number[], options: ForwardOptions = {}): ForwardResult {
    return this.forwardEach([{ ids, options }])[0]!;
  }

  /**
   * Runs several sequences in one sweep over the layers, each with its own options: a model that
   * streams its weights reads and packs each layer once for all of them. Results are in order.
   */
  forwardEach(passes: readonly Pass[]): ForwardResult[] {
    return this.run(passes.map(({ ids, options = {} }) => ({ ids, mode: options.mode ?? 'vectorwise', unembed: options.unembed ?? 'last', keep: options.record ?? (() => true), onRecord: options.onRecord, unembedAlso: options.unembedAlso })));
  }

  /** Logits for every position by the batched path, recording nothing (for evaluation). */
  logits(ids: readonly number[]): Float32Array {
    return this.forward(ids, { mode: 'batched', unembed: 'all', record: () => false }).tensors.get('logits')!.data as Float32Array;
  }

  /** Rows [count, d_model], already through the final LayerNorm, times W_U: [count, n_vocab] logits (the logit lens). */
  unembed(rows: Float32Array, count: number): Float32Array {
    const wE = this.unembedding();
    const product = tf.tidy(() => this.timesUnembedding(tf.tensor2d(rows, [count, this.config.d_model]), wE));
    // Read back outside tidy: tidy would walk a returned typed array element by element looking for tensors.
    const logits = product.dataSync() as Float32Array;
    product.dispose();
    return logits;
  }

  dispose(): void {
    for (const [l, layer] of this.layerCache) disposeLayer(layer, this.weights.layers[l]!);
    this.layerCache.clear();
    for (const layer of this.weights.layers) tf.dispose(deviceCopies(layer));
    tf.dispose(deviceCopies(this.weights));
    this.unembedCache?.dispose();
    this.lnFCache?.forEach((t) => t.dispose());
    this.unembedCache = undefined;
    this.lnFCache = undefined;
    releaseBacking(this.weights);
  }

  private run(passes: readonly RunSpec[]): ForwardResult[] {
    const { d_model: d, n_layer, n_vocab } = this.config;
    const states = passes.map(({ ids, keep, onRecord }): SweepState => {
      const n = ids.length;
      const tensors = new Map<TensorName, Tensor>();
      const record: Recorder = (name, t) => {
        if (!keep(name) && name !== hook.logits) return;
        const values = t instanceof tf.Tensor ? { shape: t.shape, data: t.dataSync() as Float32Array } : t;
        tensors.set(name, values);
        onRecord?.(name, values);
      };
      // Embedding lookups are row copies: done on the plain arrays (or the file), so W_E never has to be uploaded for them.
      const embed = embeddingRows(this.weights, ids);
      const posEmbed = this.weights.wpe.slice(0, n * d);
      record(hook.embed, { shape: [n, d], data: embed });
      record(hook.posEmbed, { shape: [n, d], data: posEmbed });
      return { n, tensors, record, blocksMs: 0, resid: tf.tidy(() => tf.add(tf.tensor2d(embed, [n, d]), tf.tensor2d(posEmbed, [n, d])) as tf.Tensor2D) };
    });
    try {
      const modes = new Set(passes.map((p) => p.mode));
      const eachTimed = (step: (state: SweepState, i: number) => void) =>
        states.forEach((state, i) => {
          const start = performance.now();
          step(state, i);
          state.blocksMs += performance.now() - start;
        });
      for (let l = 0; l < n_layer; l++) {
        const w = this.weights.layers[l]!;
        const layer = this.layerCache.get(l) ?? {};
        if (this.cacheOnDevice) this.layerCache.set(l, layer);
        // Each step runs for every sequence before the next part is uploaded, and a streamed layer
        // frees each part (and XNNPACK's packed copy of it) as soon as its step is done: the heap
        // then holds a third of a layer at a time, and every page of it touched fresh costs ~14 µs here.
        const release = (key: keyof LayerOnDevice) => {
          if (this.cacheOnDevice) return;
          disposeLayer({ [key]: layer[key] }, w);
          delete layer[key];
        };
        try {
          const attention = (layer.attention = attentionPart(w, this.config, modes, !this.cacheOnDevice, layer.attention));
          eachTimed((state, i) => (state.mid = this.attentionStep(l, attention, state.resid, passes[i]!.mode, state.record)));
          release('attention');
          const mlpIn = (layer.mlpIn ??= mlpInPart(w, this.config, !this.cacheOnDevice));
          eachTimed((state) => (state.post = this.mlpInStep(l, mlpIn, state.mid!, state.record)));
          release('mlpIn');
          const mlpOut = (layer.mlpOut ??= mlpOutPart(w, this.config, !this.cacheOnDevice));
          eachTimed((state) => {
            const next = this.mlpOutStep(l, mlpOut, state.mid!, state.post!, state.record);
            tf.dispose([state.resid, state.mid!, state.post!]);
            state.resid = next;
            state.mid = state.post = undefined;
          });
          release('mlpOut');
          checkReadLayer(w, states[0]!.resid);
        } finally {
          if (!this.cacheOnDevice) disposeLayer(layer, w);
        }
      }
      // Weights used inside tidy must exist before it, or tidy would dispose the cached copies.
      const lnF = this.lnF();
      const wE = this.unembedding();
      // Every pass's rows, and the rows they asked for besides, go through W_U together: a streamed W_U is read once.
      tf.tidy(() => {
        const rows = states.map((state, i) => {
          const normalized = layerNorm(state.resid, lnF, this.config.layer_norm_eps, (name, t) => state.record(hook.lnFinal(name), t));
          return passes[i]!.unembed === 'all' ? normalized : tf.slice(normalized, [state.n - 1, 0], [1, d]);
        });
        const also = states.map((state, i) => passes[i]!.unembedAlso?.(state.tensors));
        const blocks = rows.flatMap((r, i) => [r, ...(also[i] ? [tf.tensor2d(also[i]!, [also[i]!.length / d, d])] : [])]);
        const logits = this.timesUnembedding(blocks.length === 1 ? blocks[0]! : (tf.concat(blocks, 0) as tf.Tensor2D), wE);
        let from = 0;
        const take = (count: number) => {
          const part = blocks.length === 1 ? logits : tf.slice(logits, [from, 0], [count, n_vocab]);
          from += count;
          return part;
        };
        rows.forEach((r, i) => {
          states[i]!.record(hook.logits, take(r.shape[0]));
          if (also[i]) states[i]!.alsoLogits = take(also[i]!.length / d).dataSync() as Float32Array;
        });
      });
    } finally {
      for (const { resid, mid, post } of states) tf.dispose([resid, mid, post].filter((t) => t !== undefined));
    }
    return states.map(({ tensors, n, blocksMs, alsoLogits }, i) => {
      const logits = tensors.get('logits')!;
      if (logits.shape[1] !== n_vocab) throw new Error(`logits have ${logits.shape[1]} columns, expected ${n_vocab}`);
      return { tensors, logitPositions: passes[i]!.unembed === 'all' ? passes[i]!.ids.map((_, p) => p) : [n - 1], blocksMs, ...(alsoLogits ? { alsoLogits } : {}) };
    });
  }

  /** A block's first step on one sequence: LayerNorm 1 and attention; returns hook_resid_mid. */
  private attentionStep(l: number, part: AttentionPart, resid: tf.Tensor2D, mode: ForwardMode, record: Recorder): tf.Tensor2D {
    return tf.tidy(() => {
      const rec: BlockRecorder = (name, t) => record(hook.block(l, name), t);
      rec('hook_resid_pre', resid);
      const x1 = layerNorm(resid, part.ln1, this.config.layer_norm_eps, (name, t) => rec(`ln1.${name}`, t));
      const attnOut = mode === 'vectorwise' ? attentionVectorwise(x1, part, this.config, rec) : attentionBatched(x1, part, this.config, rec);
      rec('hook_attn_out', attnOut);
      const mid = tf.add(resid, attnOut) as tf.Tensor2D;
      rec('hook_resid_mid', mid);
      return mid;
    });
  }

  /** The second step: LayerNorm 2, the MLP's first matrix and GELU; returns mlp.hook_post. */
  private mlpInStep(l: number, part: MlpInPart, mid: tf.Tensor2D, record: Recorder): tf.Tensor2D {
    return tf.tidy(() => {
      const rec: BlockRecorder = (name, t) => record(hook.block(l, name), t);
      const x2 = layerNorm(mid, part.ln2, this.config.layer_norm_eps, (name, t) => rec(`ln2.${name}`, t));
      const pre = times(x2, part.fcW, part.fcB);
      rec('mlp.hook_pre', pre);
      const post = geluNew(pre) as tf.Tensor2D;
      rec('mlp.hook_post', post);
      return post;
    });
  }

  /** The last step: the MLP's second matrix, added to the stream; returns hook_resid_post. */
  private mlpOutStep(l: number, part: MlpOutPart, mid: tf.Tensor2D, post: tf.Tensor2D, record: Recorder): tf.Tensor2D {
    return tf.tidy(() => {
      const rec: BlockRecorder = (name, t) => record(hook.block(l, name), t);
      const mlpOut = times(post, part.fcProjW, part.fcProjB);
      rec('hook_mlp_out', mlpOut);
      const out = tf.add(mid, mlpOut) as tf.Tensor2D;
      rec('hook_resid_post', out);
      return out;
    });
  }

  private lnF(): [tf.Tensor1D, tf.Tensor1D] {
    this.lnFCache ??= [tf.tensor1d(this.weights.lnF.w), tf.tensor1d(this.weights.lnF.b)];
    return this.lnFCache;
  }

  /** W_U's table on the backend when it stays there (the loader's copy, or cached now); undefined when it is streamed. */
  private unembedding(): tf.Tensor2D | undefined {
    const kept = this.unembedCache ?? deviceCopy(this.weights, this.unembedKey);
    if (kept || !this.cacheOnDevice) return kept;
    this.unembedCache = this.tableRows(0, this.config.n_vocab);
    return this.unembedCache;
  }

  /** Rows from…from+count−1 of W_U's table as a backend tensor, read from the checkpoint when the loader left it there. */
  private tableRows(from: number, count: number): tf.Tensor2D {
    const d = this.config.d_model;
    const inFile = fileTensor(this.weights, this.unembedKey);
    if (inFile) return filledTensor([count, d], (bytes) => inFile.read(bytes, from * d * 4));
    const table = this.unembedKey === 'lmHead' ? this.weights.lmHead! : this.weights.wte;
    return tf.tensor2d(table.subarray(from * d, (from + count) * d), [count, d]);
  }

  /**
   * rows [count, d_model] · W_U = (table · rowsᵀ)ᵀ. The table as stored is the streamed operand and
   * the few rows are the packed one: 25 rows take ~100 ms where rows · tableᵀ takes ~700 ms on wasm,
   * and no transposed copy of the table (154 MB on GPT-2) is built or packed. `table` undefined:
   * streamed in pieces.
   */
  private timesUnembedding(rows: tf.Tensor2D, table: tf.Tensor2D | undefined): tf.Tensor2D {
    const rowsT = tf.transpose(rows);
    if (table) return tf.transpose(tf.matMul(table, rowsT));
    const { n_vocab, d_model } = this.config;
    const piece = Math.max(1, Math.floor(UNEMBED_PIECE_BYTES / (4 * d_model)));
    const parts: tf.Tensor2D[] = [];
    for (let from = 0; from < n_vocab; from += piece) {
      const rowsOfTable = this.tableRows(from, Math.min(piece, n_vocab - from));
      parts.push(tf.matMul(rowsOfTable, rowsT));
      rowsOfTable.dispose();
    }
    const product = tf.transpose(tf.concat(parts, 0)) as tf.Tensor2D;
    tf.dispose(parts);
    // Read unchecked (FileTensor): a non-finite entry of W_U's table makes its logit non-finite in every row.
    const inFile = fileTensor(this.weights, this.unembedKey);
    if (inFile && firstNonFinite(valuesView(product).subarray(0, n_vocab)) >= 0) assertFinite(inFile);
    return product;
  }
}

/** One of a layer's matrices on the backend: the loader's copy when it put one there, else uploaded now (from the checkpoint, if the loader left it there). */
function layerMatrix(w: LayerWeights, key: LayerMatrix, config: ModelConfig): tf.Tensor2D {
  const { d_model: d, d_mlp } = config;
  const shapes: Record<LayerMatrix, [number, number]> = { attnW: [d, 3 * d], projW: [d, d], fcW: [d, d_mlp], fcProjW: [d_mlp, d] };
  const copy = deviceCopy(w, key);
  if (copy) return copy;
  const inFile = fileTensor(w, key);
  return inFile ? filledTensor(shapes[key], (bytes) => inFile.read(bytes, 0)) : tf.tensor2d(w[key], shapes[key]);
}

/** One of a layer's matrices as a Weight: transposed for a streamed layer (freed after this sweep), as stored for a cached one. */
function layerWeight(w: LayerWeights, key: LayerMatrix, config: ModelConfig, streamed: boolean): Weight {
  const matrix = layerMatrix(w, key, config);
  if (!streamed) return { values: matrix, transposed: false };
  const values = tf.transpose(matrix);
  releaseMatrix(w, key, matrix);
  return { values, transposed: true };
}

/**
 * x·W + b for either layout of W: for a transposed W, (Wᵀ·xᵀ)ᵀ + b. Products of one x may share its
 * `xT`, which XNNPACK then packs once for all of them.
 */
function times(x: tf.Tensor2D, weight: Weight, bias: tf.Tensor1D, xT?: tf.Tensor2D): tf.Tensor2D {
  if (!weight.transposed) return tf.fused.matMul({ a: x, b: weight.values, bias }) as tf.Tensor2D;
  return tf.add(tf.transpose(tf.matMul(weight.values, xT ?? tf.transpose(x))), bias) as tf.Tensor2D;
}

/**
 * Names a non-finite weight of a layer whose matrices were read unchecked from the checkpoint
 * (FileTensor), if the residual stream after the layer shows one. Any finite input times a column
 * holding NaN or ±∞ is non-finite, and LayerNorm and softmax carry that into the whole row, so a
 * stream that stayed finite proves the layer's matrices were.
 */
function checkReadLayer(w: LayerWeights, resid: tf.Tensor2D): void {
  // One row suffices: a bad column reaches every row.
  if (!hasFileTensors(w) || firstNonFinite(valuesView(resid).subarray(0, resid.shape[1])) < 0) return;
  for (const key of Object.keys(LAYER_MATRICES) as LayerMatrix[]) {
    const inFile = fileTensor(w, key);
    if (inFile) assertFinite(inFile);
  }
}

/** Frees a matrix layerMatrix uploaded for one use; the loader's copy stays. */
function releaseMatrix(w: LayerWeights, key: LayerMatrix, matrix: tf.Tensor2D): void {
  if (matrix !== deviceCopy(w, key)) matrix.dispose();
}

/** The attention part with each mode's layout uploaded that `modes` needs and `part` lacks (transposed where `streamed`, as layerWeight). */
function attentionPart(w: LayerWeights, config: ModelConfig, modes: ReadonlySet<ForwardMode>, streamed: boolean, part?: AttentionPart): AttentionPart {
  const { n_head, d_head } = config;
  if (!part) {
    // Rows of c_proj are the heads' d_head-row slices of W_O in order, so each is one contiguous range.
    const projW = layerMatrix(w, 'projW', config);
    const wo = Array.from({ length: n_head }, (_, h) => leadingSlice(projW, h * d_head, d_head));
    releaseMatrix(w, 'projW', projW);
    part = { ln1: [tf.tensor1d(w.ln1.w), tf.tensor1d(w.ln1.b)], wo, projB: tf.tensor1d(w.projB) };
  }
  if (modes.has('vectorwise')) part.heads ??= uploadHeads(w, config, streamed);
  if (modes.has('batched')) part.fused ??= { attnW: layerMatrix(w, 'attnW', config), attnB: tf.tensor1d(w.attnB), projW: layerMatrix(w, 'projW', config) };
  return part;
}

function mlpInPart(w: LayerWeights, config: ModelConfig, streamed: boolean): MlpInPart {
  return { ln2: [tf.tensor1d(w.ln2.w), tf.tensor1d(w.ln2.b)], fcW: layerWeight(w, 'fcW', config, streamed), fcB: tf.tensor1d(w.fcB) };
}

function mlpOutPart(w: LayerWeights, config: ModelConfig, streamed: boolean): MlpOutPart {
  return { fcProjW: layerWeight(w, 'fcProjW', config, streamed), fcProjB: tf.tensor1d(w.fcProjB) };
}

/**
 * Columns of c_attn are q | k | v, each holding the heads' d_head-wide blocks in order. One
 * transpose makes each block a contiguous range, cut without copying the rest (tfjs's SplitV along
 * columns is very slow on wasm): to [3·n_head, d_model, d_head], each block W_h as stored, or for a
 * streamed layer c_attnᵀ, whose d_head-row ranges are the blocks transposed (W_hᵀ). They stay
 * separate 2-D matrices: wasm's fast matmul takes 2-D operands only, batched 3-D products run ~10×
 * slower.
 */
function uploadHeads(w: LayerWeights, config: ModelConfig, streamed: boolean): HeadWeights[] {
  const { d_model: d, n_head, d_head } = config;
  const attnW = layerMatrix(w, 'attnW', config);
  const blocks = tf.tidy(() => (streamed ? tf.transpose(attnW) : tf.transpose(tf.reshape(attnW, [d, 3 * n_head, d_head]), [1, 0, 2])));
  releaseMatrix(w, 'attnW', attnW);
  const block = (b: number): Weight => ({
    values: streamed ? leadingSlice(blocks as tf.Tensor2D, b * d_head, d_head) : tf.tidy(() => tf.reshape(leadingSlice(blocks, b, 1), [d, d_head]) as tf.Tensor2D),
    transposed: streamed,
  });
  const bias = (block: number) => tf.tensor1d(w.attnB.subarray(block * d_head, (block + 1) * d_head));
  const heads = Array.from({ length: n_head }, (_, h) => ({
    wq: block(h),
    wk: block(n_head + h),
    wv: block(2 * n_head + h),
    bq: bias(h),
    bk: bias(n_head + h),
    bv: bias(2 * n_head + h),
  }));
  blocks.dispose();
  return heads;
}

/** Frees the parts of a layer that are present, keeping the matrices the weights hold on the backend. */
function disposeLayer({ attention, mlpIn, mlpOut }: LayerOnDevice, w: LayerWeights): void {
  const all: tf.Tensor[] = [];
  if (attention) {
    all.push(...attention.ln1, ...attention.wo, attention.projB);
    for (const h of attention.heads ?? []) all.push(h.wq.values, h.wk.values, h.wv.values, h.bq, h.bk, h.bv);
    if (attention.fused) all.push(...Object.values(attention.fused));
  }
  if (mlpIn) all.push(...mlpIn.ln2, mlpIn.fcW.values, mlpIn.fcB);
  if (mlpOut) all.push(mlpOut.fcProjW.values, mlpOut.fcProjB);
  const kept = new Set<tf.Tensor>(deviceCopies(w));
  tf.dispose(all.filter((t) => !kept.has(t)));
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

/**
 * GPT-2's GELU, the tanh approximation ½x(1 + tanh(u)) with u = √(2/π)(x + 0.044715x³), computed as
 * x·σ(2u), the same function: wasm's sigmoid is vectorised and its tanh is not (1.7 ms against
 * 28 ms on 512 × 3,072 values).
 */
function geluNew(x: tf.Tensor): tf.Tensor {
  const twiceInner = tf.mul(2 * Math.sqrt(2 / Math.PI), tf.add(x, tf.mul(0.044715, tf.mul(x, tf.square(x)))));
  return tf.mul(x, tf.sigmoid(twiceInner));
}

/** Query positions are grouped in blocks of up to this many (a power of two) for the score ops. */
const QUERY_BLOCK = 32;

function attentionVectorwise(x: tf.Tensor2D, layer: AttentionPart, config: ModelConfig, rec: BlockRecorder): tf.Tensor2D {
  const H = config.n_head;
  const n = x.shape[0];
  const heads = layer.heads!;
  // Each head reads every position's vector with its own matrices (one op per head and matrix).
  const xT = heads[0]!.wq.transposed ? (tf.transpose(x) as tf.Tensor2D) : undefined;
  const project = (pick: (h: HeadWeights) => [Weight, tf.Tensor1D]) => heads.map((h) => times(x, ...pick(h), xT));
  const [qHeads, kHeads, vHeads] = [project((h) => [h.wq, h.bq]), project((h) => [h.wk, h.bk]), project((h) => [h.wv, h.bv])];
  // Recorded position-major, [n, H, d_head], as TransformerLens does.
  for (const [name, perHead] of [['attn.hook_q', qHeads], ['attn.hook_k', kHeads], ['attn.hook_v', vHeads]] as const) rec(name, tf.stack(perHead, 1));
  const block = Math.min(QUERY_BLOCK, 2 ** Math.ceil(Math.log2(n)));
  const scores = causalScores(qHeads, kHeads, block);
  rec('attn.hook_attn_scores', { shape: [H, n, n], data: scores });
  // Softmax and the weighted sum of values, one block of query rows at a time. A row's cells past
  // its own position hold −∞ (never scored), so their weight is exactly 0 and adds nothing. Each
  // head's sum is its own 2-D product: wasm runs only those on XNNPACK (batched 3-D products take
  // a scalar loop, 4× slower here).
  const pattern = new Float32Array(H * n * n);
  const zParts: tf.Tensor2D[][] = heads.map(() => []);
  for (let start = 0; start < n; start += block) {
    const rows = Math.min(block, n - start);
    const end = start + rows;
    const parts = tf.tidy(() => {
      const blockPattern = tf.softmax(tf.tensor3d(rowBlock(scores, H, n, start, rows), [H, rows, end])) as tf.Tensor3D;
      putRowBlock(valuesView(blockPattern), pattern, H, n, start, rows);
      return vHeads.map((v, h) => tf.matMul(tf.reshape(leadingSlice(blockPattern, h, 1), [rows, end]) as tf.Tensor2D, leadingSlice(v, 0, end)) as tf.Tensor2D);
    });
    parts.forEach((part, h) => zParts[h]!.push(part));
  }
  rec('attn.hook_pattern', { shape: [H, n, n], data: pattern });
  const zHeads = zParts.map((part) => tf.concat(part, 0) as tf.Tensor2D);
  tf.dispose(zParts.flat());
  rec('attn.hook_z', tf.stack(zHeads, 1));
  // Each head's result goes back to the stream through its own slice of W_O; no concatenation.
  const results = headOutputs(zHeads, layer);
  rec('attn.hook_result', tf.stack(results, 1));
  return tf.add(tf.addN(results), layer.projB) as tf.Tensor2D;
}

/**
 * q·k/√d_head for every pair a query may see (key j ≤ query i), as the [H, n, n] square
 * TransformerLens records, with −∞ in the masked half, which is never computed. The pairs are
 * covered block-triangularly, each by exactly one op:
 * - each position with itself (one op for all heads);
 * - inside each block of `block` positions, halving: the later half's queries against the
 *   earlier half's keys, for halves of block/2, block/4, … 1 (one op per size, all blocks and heads at once);
 * - each block's queries against every key of the earlier blocks: per head, keys 0…start−1 times
 *   the block's queries transposed, a 2-D product that wasm runs on XNNPACK (the bulk of the work).
 */
function causalScores(qHeads: tf.Tensor2D[], kHeads: tf.Tensor2D[], block: number): Float32Array {
  const H = qHeads.length;
  const [n, dh] = qHeads[0]!.shape;
  const square = new Float32Array(H * n * n).fill(-Infinity);
  // A view of the heap: each use copies it into the square before the next op allocates.
  const scaled = (dots: tf.Tensor) => valuesView(tf.div(dots, Math.sqrt(dh)));
  tf.tidy(() => {
    const [Q, K] = [qHeads, kHeads].map((perHead) => tf.stack(perHead) as tf.Tensor3D);
    const self = scaled(tf.sum(tf.mul(Q!, K!), -1));
    for (let h = 0; h < H; h++) for (let i = 0; i < n; i++) square[(h * n + i) * n + i] = self[h * n + i]!;
    // Padded to whole blocks; the padding's rows are queries that do not exist and are not copied.
    const padded = Math.ceil(n / block) * block;
    const [Qp, Kp] = [Q!, K!].map((t) => (padded === n ? t : tf.pad(t, [[0, 0], [0, padded - n], [0, 0]])));
    for (let s = block / 2; s >= 1; s /= 2) {
      const m = padded / (2 * s);
      // Pairs of halves moved to the front axis, so either half is one contiguous range (wasm's slice copies its whole input first).
      const half = (t: tf.Tensor, later: boolean) => tf.reshape(leadingSlice(tf.transpose(tf.reshape(t, [H * m, 2, s, dh]), [1, 0, 2, 3]), later ? 1 : 0, 1), [H * m, s, dh]);
      const values = scaled(tf.matMul(half(Qp!, true), half(Kp!, false), false, true));
      for (let h = 0; h < H; h++) {
        for (let k = 0; k < m; k++) {
          for (let a = 0; a < s; a++) {
            const i = 2 * k * s + s + a;
            if (i >= n) break;
            const from = ((h * m + k) * s + a) * s;
            square.set(values.subarray(from, from + s), (h * n + i) * n + 2 * k * s);
          }
        }
      }
    }
  });
  for (let start = block; start < n; start += block) {
    const rows = Math.min(block, n - start);
    // Per head, keys × queries, transposed back to [H, rows, start] so each query's scores are one contiguous run.
    const products = tf.tidy(() => tf.div(tf.transpose(tf.stack(kHeads.map((k, h) => tf.matMul(leadingSlice(k, 0, start), tf.transpose(leadingSlice(qHeads[h]!, start, rows))))), [0, 2, 1]), Math.sqrt(dh)));
    const values = valuesView(products);
    for (let h = 0; h < H; h++) for (let r = 0; r < rows; r++) square.set(values.subarray((h * rows + r) * start, (h * rows + r + 1) * start), (h * n + start + r) * n);
    products.dispose();
  }
  return square;
}

/** Rows start…start+rows−1 of an [H, n, n] square, keys 0…start+rows−1, as an [H, rows, start+rows] block. */
function rowBlock(square: Float32Array, H: number, n: number, start: number, rows: number): Float32Array {
  const width = start + rows;
  const out = new Float32Array(H * rows * width);
  for (let h = 0; h < H; h++) {
    for (let r = 0; r < rows; r++) out.set(square.subarray((h * n + start + r) * n, (h * n + start + r) * n + width), (h * rows + r) * width);
  }
  return out;
}

/** The inverse of rowBlock: writes an [H, rows, start+rows] block into its rows of the square. */
function putRowBlock(values: Float32Array, square: Float32Array, H: number, n: number, start: number, rows: number): void {
  const width = start + rows;
  for (let h = 0; h < H; h++) {
    for (let r = 0; r < rows; r++) square.set(values.subarray((h * rows + r) * width, (h * rows + r + 1) * width), (h * n + start + r) * n);
  }
}

/** Each head's result vectors [n, d_head] times its own W_O slice [d_head, d_model]. */
function headOutputs(zHeads: tf.Tensor2D[], layer: AttentionPart): tf.Tensor2D[] {
  return layer.wo.map((wo, h) => tf.matMul(zHeads[h]!, wo));
}

function attentionBatched(x: tf.Tensor2D, layer: AttentionPart, config: ModelConfig, rec: BlockRecorder): tf.Tensor2D {
  const { n_head: H, d_head: dh, d_model: d } = config;
  const n = x.shape[0];
  const { attnW, attnB, projW } = layer.fused!;
  const qkv = tf.fused.matMul({ a: x, b: attnW, bias: attnB });
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
  rec('attn.hook_result', tf.stack(headOutputs(Array.from({ length: H }, (_, h) => tf.reshape(leadingSlice(Z, h, 1), [n, dh]) as tf.Tensor2D), layer), 1));
  return tf.fused.matMul({ a: tf.reshape(z, [n, d]) as tf.Tensor2D, b: projW, bias: layer.projB }) as tf.Tensor2D;
}
