/**
 * The analyses of one traced pass, at its last position (definitions: docs/trace-format.md). The
 * maths on activations comes from @vectorview/trace; the engine adds what only it has: the weights,
 * W_U on the backend for the logit lens, and the induction probe's sequence, which the traced pass's
 * sweep over the layers runs beside it (probePass) or, without that, a pass of its own.
 */
import * as tf from '@tensorflow/tfjs-core';
import {
  analysisTensor,
  attributionTargets,
  chooseFocusHead,
  componentLabels,
  directLogitAttribution,
  headRoleScoresByRole,
  hook,
  inductionProbeScores,
  inductionProbeTokens,
  layerNormVector,
  lensPoints,
  lensFromLogits,
  lensRows,
  PROBE_REPEAT,
  PROBE_SEED,
  vectorAt,
  type AnalysisMetadata,
  type Tensor,
  type TensorName,
} from '@vectorview/trace';
import type { ForwardMode, Gpt2Model, Pass } from './model.js';
import { embeddingRows, type Gpt2Weights } from './weights.js';

export interface AnalysisOptions {
  /** The head to draw in full, overriding the criterion (either part alone restricts it). */
  readonly focus?: { readonly layer?: number | undefined; readonly head?: number | undefined };
  /** The probe's first token: <|endoftext|> where the vocabulary has it. */
  readonly probeStart: number;
  /** The traced pass's mode, which the probe pass uses too. */
  readonly mode: ForwardMode;
  readonly probeSeed?: number;
  /** The probe's recorded patterns, when the caller ran probePass beside the traced pass. */
  readonly probeTensors?: ReadonlyMap<TensorName, Tensor>;
  /** The logits of lensRowsOf's rows, when the caller's forward sweep unembedded them (ForwardOptions.unembedAlso). */
  readonly lensLogits?: Float32Array;
}

export interface PassAnalysis {
  readonly tensors: Map<TensorName, Tensor>;
  readonly metadata: AnalysisMetadata;
}

function get(tensors: ReadonlyMap<TensorName, Tensor>, name: TensorName): Tensor {
  const t = tensors.get(name);
  if (!t) throw new Error(`the pass recorded no ${name}, which the analyses need`);
  return t;
}

/** The residual stream at position p split into its components, in `componentLabels` order (final_ln_bias excluded). */
export function residualComponents(tensors: ReadonlyMap<TensorName, Tensor>, p: number, nLayer: number, nHead: number): Float32Array[] {
  const out = [vectorAt(get(tensors, hook.embed), p), vectorAt(get(tensors, hook.posEmbed), p)];
  for (let l = 0; l < nLayer; l++) {
    const result = get(tensors, hook.block(l, 'attn.hook_result'));
    const heads = Array.from({ length: nHead }, (_, h) => vectorAt(result, p, h));
    const attnOut = vectorAt(get(tensors, hook.block(l, 'hook_attn_out')), p);
    // b_O is whatever attn_out holds beyond the heads' own outputs.
    const bias = attnOut.map((x, i) => heads.reduce((s, head) => s - head[i]!, x));
    out.push(...heads, bias, vectorAt(get(tensors, hook.block(l, 'hook_mlp_out')), p));
  }
  return out;
}

/**
 * The token-level circuits of one head: with e_i = LN1ˡ(W_E[t_i]) (γ and β included),
 * qk[i, j] = (e_i W_Q + b_Q) · (e_j W_K + b_K) / √d_head and ov[j, i] = ((e_j W_V + b_V) W_O) · W_U[:, t_i].
 * Four small products on the backend: at 512 tokens the OV square alone is 2·10⁸ multiply-adds.
 */
export function tokenCircuits(weights: Gpt2Weights, ids: readonly number[], layer: number, head: number): { qk: Float32Array; ov: Float32Array } {
  const { d_model: d, d_head: dh, layer_norm_eps: eps } = weights.config;
  const w = weights.layers[layer]!;
  const n = ids.length;
  const embedded = embeddingRows(weights, ids);
  for (let i = 0; i < n; i++) embedded.set(layerNormVector(embedded.subarray(i * d, (i + 1) * d), w.ln1.w, w.ln1.b, eps), i * d);
  // W_U[:, t] is row t of W_E (or of an untied lm_head).
  const unembedRows = embeddingRows(weights, ids, true);
  // c_attn columns are q | k | v, each grouped by head; head h's W_O slice is rows h·d_head … of c_proj.
  const columns = (block: number) => {
    const from = block * d + head * dh;
    const out = new Float32Array(d * dh);
    for (let r = 0; r < d; r++) out.set(w.attnW.subarray(r * 3 * d + from, r * 3 * d + from + dh), r * dh);
    return { matrix: tf.tensor2d(out, [d, dh]), bias: tf.tensor1d(w.attnB.subarray(from, from + dh)) };
  };
  const [qk, ov] = tf.tidy(() => {
    const e = tf.tensor2d(embedded, [n, d]);
    const project = (block: number) => {
      const { matrix, bias } = columns(block);
      return tf.add(tf.matMul(e, matrix), bias) as tf.Tensor2D;
    };
    const scores = tf.div(tf.matMul(project(0), project(1), false, true), Math.sqrt(dh));
    const written = tf.matMul(project(2), tf.tensor2d(w.projW.subarray(head * dh * d, (head + 1) * dh * d), [dh, d]));
    return [scores, tf.matMul(written, tf.tensor2d(unembedRows, [n, d]), false, true)];
  });
  // Read back outside tidy: tidy would walk a returned typed array element by element looking for tensors.
  const out = { qk: qk!.dataSync() as Float32Array, ov: ov!.dataSync() as Float32Array };
  tf.dispose([qk!, ov!]);
  return out;
}

/**
 * The probe's scores depend on the model and the seed only, never on the prompt, so each model
 * runs the probe once per seed; later traces with the same model reuse it.
 */
const probeCache = new WeakMap<Gpt2Model, Map<string, Float32Array>>();

/** The induction probe's tokens for a model and seed, or undefined where its context is too short to repeat them. */
function probeTokens(model: Gpt2Model, options: Pick<AnalysisOptions, 'probeStart' | 'probeSeed'>): number[] | undefined {
  const { n_vocab, n_context } = model.config;
  return 2 * PROBE_REPEAT + 1 <= n_context ? inductionProbeTokens(n_vocab, options.probeStart, PROBE_REPEAT, options.probeSeed ?? PROBE_SEED) : undefined;
}

/** Only the patterns are read back. In the traced pass's own mode, so the weights it uploads serve both. */
const probeOptions = (mode: ForwardMode) => ({ mode, unembed: 'last', record: (name: string) => name.endsWith('attn.hook_pattern') }) as const;

/**
 * The probe pass analysePass would run, for the caller to run in the same sweep as the traced pass
 * (Gpt2Model.forwardEach) and hand back as `probeTensors`; undefined when none is needed (its
 * scores are cached for this model, or the context is too short).
 */
export function probePass(model: Gpt2Model, options: Pick<AnalysisOptions, 'probeStart' | 'probeSeed' | 'mode'>): Pass | undefined {
  const tokens = probeTokens(model, options);
  if (!tokens || probeCache.get(model)?.has(tokens.join(','))) return undefined;
  return { ids: tokens, options: probeOptions(options.mode) };
}

function inductionProbe(model: Gpt2Model, probe: readonly number[], mode: ForwardMode, ran: ReadonlyMap<TensorName, Tensor> | undefined): Float32Array {
  const key = probe.join(',');
  const cached = probeCache.get(model)?.get(key);
  if (cached) return cached;
  const { n_layer } = model.config;
  const tensors = ran ?? model.forward(probe, probeOptions(mode)).tensors;
  const scores = inductionProbeScores(Array.from({ length: n_layer }, (_, l) => get(tensors, hook.block(l, 'attn.hook_pattern'))), PROBE_REPEAT);
  const forModel = probeCache.get(model) ?? new Map<string, Float32Array>();
  probeCache.set(model, forModel.set(key, scores));
  return scores;
}

/** The logit lens's rows for a pass's recorded tensors (its last position at each of lensPoints), for its forward sweep to unembed (ForwardOptions.unembedAlso; then `lensLogits`). */
export function lensRowsOf({ weights, config }: Gpt2Model, tensors: ReadonlyMap<TensorName, Tensor>): Float32Array {
  const p = get(tensors, hook.embed).shape[0]! - 1;
  return lensRows(
    lensPoints(config).map((name) => vectorAt(get(tensors, name), p)),
    { gamma: weights.lnF.w, beta: weights.lnF.b, eps: config.layer_norm_eps },
  );
}

/** Every analysis of the pass whose tensors are given (`ids` its tokens, `decodedId` the token it decoded). */
export function analysePass(model: Gpt2Model, tensors: ReadonlyMap<TensorName, Tensor>, ids: readonly number[], decodedId: number, options: AnalysisOptions): PassAnalysis {
  const { weights, config } = model;
  const { n_layer, n_head, n_vocab } = config;
  const n = ids.length;
  const p = n - 1;
  const out = new Map<TensorName, Tensor>();
  const logits = get(tensors, hook.logits);
  const last = logits.data.subarray(logits.data.length - n_vocab);

  const targets = attributionTargets(last, decodedId);
  const components = componentLabels(config);
  const scale = get(tensors, hook.lnFinal('hook_scale')).data[p]!;
  const unembedRows = embeddingRows(weights, Array.from(targets), true);
  const columns = Array.from(targets, (_, k) => unembedRows.subarray(k * config.d_model, (k + 1) * config.d_model));
  const directLogit = directLogitAttribution(residualComponents(tensors, p, n_layer, n_head), { scale, gamma: weights.lnF.w, beta: weights.lnF.b }, columns);
  out.set(analysisTensor.targets, { shape: [targets.length], data: targets });
  out.set(analysisTensor.directLogit, { shape: [components.length, targets.length], data: directLogit });

  const points = lensPoints(config);
  const lens = lensFromLogits(options.lensLogits ?? model.unembed(lensRowsOf(model, tensors), points.length), points.length, targets);
  const top = lens.topIds.length / points.length;
  out.set(analysisTensor.lensTargetProbs, { shape: [points.length, targets.length], data: lens.targetProbs });
  out.set(analysisTensor.lensTargetRanks, { shape: [points.length, targets.length], data: lens.targetRanks });
  out.set(analysisTensor.lensTopIds, { shape: [points.length, top], data: lens.topIds });
  out.set(analysisTensor.lensTopProbs, { shape: [points.length, top], data: lens.topProbs });

  if (n > 1) {
    const patterns = Array.from({ length: n_layer }, (_, l) => get(tensors, hook.block(l, 'attn.hook_pattern')));
    for (const [role, scores] of headRoleScoresByRole(patterns, ids)) out.set(analysisTensor.headScores(role), { shape: [n_layer, n_head], data: scores });
  }

  const metadata: { -readonly [K in keyof AnalysisMetadata]: AnalysisMetadata[K] } = {
    attribution: { components },
    logit_lens: { points },
  };
  const probe = probeTokens(model, options);
  if (probe) {
    out.set(analysisTensor.inductionProbe, { shape: [n_layer, n_head], data: inductionProbe(model, probe, options.mode, options.probeTensors) });
    metadata.probe_tokens = { seed: options.probeSeed ?? PROBE_SEED, repeat: PROBE_REPEAT, tokens: probe };
  }

  const focus = chooseFocusHead({ components, directLogit, targets }, decodedId, config, options.focus);
  const { qk, ov } = tokenCircuits(weights, ids, focus.layer, focus.head);
  out.set(analysisTensor.circuitQk, { shape: [n, n], data: qk });
  out.set(analysisTensor.circuitOv, { shape: [n, n], data: ov });
  metadata.circuits = focus;
  return { tensors: out, metadata };
}
