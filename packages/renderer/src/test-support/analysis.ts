/**
 * An analysis section for test traces, which come from files without one (the HF fixture) or from
 * random values. The head-role scores are the real detect_head scores of the trace's patterns (where
 * every layer has one); the
 * rest are seeded random values that keep the invariants the renderer relies on: attribution
 * columns sum to the logits, the lens's last point is softmax(logits), the drawn head is chosen by
 * the stated criterion. The renderer only has to print what the trace holds, so that is enough here.
 */
import { randomLcg, randomNormal } from 'd3-random';
import {
  analysisTensor,
  attributionTargets,
  chooseFocusHead,
  componentLabels,
  decodeNextToken,
  DEFAULT_DECODE,
  HEAD_ROLES,
  headRoleScores,
  hook,
  inductionProbeTokens,
  lensPoints,
  LENS_TOP,
  PROBE_REPEAT,
  PROBE_SEED,
  softmax,
  topIndices,
  type AnalysisMetadata,
  type ModelConfig,
  type Tensor,
  type TensorName,
  type TokenInfo,
} from '@vectorview/trace';

export function syntheticAnalysis(config: ModelConfig, tokens: readonly TokenInfo[], tensors: ReadonlyMap<TensorName, Tensor>, seed = 7): { tensors: Map<TensorName, Tensor>; analysis: AnalysisMetadata } {
  const uniform = randomLcg(seed);
  const normal = randomNormal.source(uniform)();
  const out = new Map(tensors);
  const logitsTensor = tensors.get(hook.logits)!;
  const V = config.n_vocab;
  const logits = logitsTensor.data.subarray((logitsTensor.shape[0]! - 1) * V, logitsTensor.shape[0]! * V) as Float32Array;
  const decoded = decodeNextToken(logits, DEFAULT_DECODE).record.chosen.id;
  const targets = attributionTargets(logits, decoded);
  const T = targets.length;
  const components = componentLabels(config);
  const directLogit = new Float32Array(components.length * T);
  for (let t = 0; t < T; t++) {
    let sum = 0;
    for (let row = 0; row < components.length - 1; row++) sum += directLogit[row * T + t] = normal() * 0.4;
    directLogit[(components.length - 1) * T + t] = logits[targets[t]!]! - sum;
  }
  out.set(analysisTensor.targets, { shape: [T], data: targets });
  out.set(analysisTensor.directLogit, { shape: [components.length, T], data: directLogit });

  const points = lensPoints(config);
  const P = points.length;
  const k = Math.min(LENS_TOP, V);
  const targetProbs = new Float32Array(P * T);
  const targetRanks = new Int32Array(P * T);
  const topIds = new Int32Array(P * k);
  const topProbs = new Float32Array(P * k);
  for (let p = 0; p < P; p++) {
    // Each point blends from noise toward the final logits; the last point is the model's own distribution.
    const w = P > 1 ? p / (P - 1) : 1;
    const probs = softmax(Float32Array.from(logits, (v) => v * w + (w < 1 ? normal() * 2 * (1 - w) : 0)));
    targets.forEach((id, t) => {
      targetProbs[p * T + t] = probs[id]!;
      targetRanks[p * T + t] = 1 + probs.filter((q) => q > probs[id]!).length;
    });
    topIndices(probs, k).forEach((id, r) => {
      topIds[p * k + r] = id;
      topProbs[p * k + r] = probs[id]!;
    });
  }
  out.set(analysisTensor.lensTargetProbs, { shape: [P, T], data: targetProbs });
  out.set(analysisTensor.lensTargetRanks, { shape: [P, T], data: targetRanks });
  out.set(analysisTensor.lensTopIds, { shape: [P, k], data: topIds });
  out.set(analysisTensor.lensTopProbs, { shape: [P, k], data: topProbs });

  const ids = tokens.map((t) => t.id);
  const patterns = Array.from({ length: config.n_layer }, (_, l) => tensors.get(hook.block(l, 'attn.hook_pattern')));
  if (ids.length > 1) {
    // Real detect_head scores where every layer's pattern is recorded; random ones for traces that keep only some layers.
    const complete = patterns.every((t): t is Tensor => t !== undefined);
    for (const role of HEAD_ROLES) {
      const data = complete ? headRoleScores(patterns, ids, role) : Float32Array.from({ length: config.n_layer * config.n_head }, () => uniform() * 0.5);
      out.set(analysisTensor.headScores(role), { shape: [config.n_layer, config.n_head], data });
    }
  }
  const probe = Float32Array.from({ length: config.n_layer * config.n_head }, () => uniform() * 0.6);
  out.set(analysisTensor.inductionProbe, { shape: [config.n_layer, config.n_head], data: probe });

  // A trace that records only some layers has its circuits in one of them, as if asked for (--layer).
  const recorded = patterns.findIndex((t) => t !== undefined);
  const focus = chooseFocusHead({ components, directLogit, targets }, decoded, config, patterns.every((t) => t !== undefined) ? {} : { layer: recorded });
  const n = ids.length;
  out.set(analysisTensor.circuitQk, { shape: [n, n], data: Float32Array.from({ length: n * n }, () => normal() * 2) });
  out.set(analysisTensor.circuitOv, { shape: [n, n], data: Float32Array.from({ length: n * n }, () => normal()) });
  return {
    tensors: out,
    analysis: {
      attribution: { components },
      logit_lens: { points },
      probe_tokens: { seed: PROBE_SEED, repeat: PROBE_REPEAT, tokens: inductionProbeTokens(V, Math.min(50256, V - 1)) },
      circuits: focus,
    },
  };
}
