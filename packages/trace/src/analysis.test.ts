import { describe, expect, it } from 'vitest';
import {
  ATTRIBUTION_TOP,
  analysisTensor,
  attributionOf,
  attributionTargets,
  chooseFocusHead,
  componentLabels,
  detectionPattern,
  detectionScore,
  directLogitAttribution,
  headRoleScores,
  headRoleScoresByRole,
  HEAD_ROLES,
  inductionProbeScores,
  inductionProbeTokens,
  layerNormVector,
  lensPoints,
  logitLens,
  topIndices,
  uniformProbeScore,
  uniformRoleScore,
  type AnalysisMetadata,
} from './analysis.js';
import { normalizeConfig } from './config.js';
import { softmax } from './decoding.js';
import { encodeSafetensors, type Tensor } from './safetensors.js';
import { createTrace, decodeTrace, encodeTrace, TraceError, traceMetadata, type TensorName, type TokenInfo } from './trace.js';

const tiny = normalizeConfig({ n_vocab: 12, n_context: 64, d_model: 4, n_head: 2, n_layer: 1 }, 'tiny');

/** A deterministic pseudo-random vector. */
function wave(n: number, phase: number, scale = 1): Float32Array {
  return Float32Array.from({ length: n }, (_, i) => Math.fround(Math.sin(phase + i * 1.7) * scale));
}

/** One head's causal pattern with each row given by `row(i)` (a length-(i+1) array). */
function pattern(n: number, row: (i: number) => number[]): Float32Array {
  const out = new Float32Array(n * n);
  for (let i = 0; i < n; i++) row(i).forEach((v, j) => (out[i * n + j] = v));
  return out;
}

const harmonic = (n: number) => Array.from({ length: n }, (_, k) => 1 / (k + 1)).reduce((a, b) => a + b, 0);

describe('head detection scores (detect_head, error_measure "mul")', () => {
  const n = 6;
  const tokens = [5, 7, 8, 5, 7, 8];
  const perfectPrevious = pattern(n, (i) => Array.from({ length: i + 1 }, (_, j) => (i === 0 ? 1 : j === i - 1 ? 1 : 0)));
  const uniform = pattern(n, (i) => Array.from({ length: i + 1 }, () => 1 / (i + 1)));

  it('scores a perfect previous-token pattern (n − 1) / n', () => {
    expect(detectionScore(perfectPrevious, detectionPattern('previous_token', tokens))).toBeCloseTo((n - 1) / n, 6);
  });

  it('scores a uniform pattern (H_n − 1) / n as previous-token and first-token head', () => {
    const expected = (harmonic(n) - 1) / n;
    expect(detectionScore(uniform, detectionPattern('previous_token', tokens))).toBeCloseTo(expected, 6);
    expect(detectionScore(uniform, detectionPattern('first_token', tokens))).toBeCloseTo(expected, 6);
    expect(uniformRoleScore('previous_token', tokens)).toBeCloseTo(expected, 6);
  });

  it('scores a uniform pattern on the repeated tokens by hand: duplicate rows 3–5 have one earlier copy each', () => {
    // Rows 3, 4, 5 each see one earlier copy, weighted 1/4, 1/5, 1/6.
    expect(detectionScore(uniform, detectionPattern('duplicate_token', tokens))).toBeCloseTo((1 / 4 + 1 / 5 + 1 / 6) / n, 6);
    // Induction: row 3 (token 5) → key 1 (after the earlier 5), row 4 → key 2, row 5 → key 3.
    expect(detectionScore(uniform, detectionPattern('induction', tokens))).toBeCloseTo((1 / 4 + 1 / 5 + 1 / 6) / n, 6);
  });

  it('builds TransformerLens detection patterns', () => {
    const at = (m: Float32Array, i: number, j: number) => m[i * n + j];
    const induction = detectionPattern('induction', tokens);
    expect([...Array(n).keys()].flatMap((i) => [...Array(n).keys()].filter((j) => at(induction, i, j) === 1).map((j) => [i, j]))).toEqual([
      [3, 1],
      [4, 2],
      [5, 3],
    ]);
    const duplicate = detectionPattern('duplicate_token', tokens);
    expect(at(duplicate, 3, 0)).toBe(1);
    expect(at(duplicate, 3, 3)).toBe(0);
    expect(at(detectionPattern('first_token', tokens), 0, 0)).toBe(0);
  });

  it('scores every head of every layer in [layer, head] order', () => {
    const patterns: Tensor[] = [{ shape: [2, n, n], data: Float32Array.from([...uniform, ...perfectPrevious]) }];
    const scores = headRoleScores(patterns, tokens, 'previous_token');
    expect(Array.from(scores)).toEqual([Math.fround((harmonic(n) - 1) / n), Math.fround((n - 1) / n)]);
  });

  it('gives every head exactly the score detectionScore gives it with the dense detection pattern', () => {
    // Softmax rows of pseudo-random scores over a prompt with repeats, so every role marks cells.
    const m = 40;
    const ids = Array.from({ length: m }, (_, i) => (i * 7) % 11);
    const heads = 3;
    const data = new Float32Array(heads * m * m);
    for (let h = 0; h < heads; h++)
      for (let i = 0; i < m; i++) data.set(Float32Array.from(softmax(wave(i + 1, h * 5 + i, 4))), (h * m + i) * m);
    const patterns = [{ shape: [heads, m, m], data }];
    const byRole = headRoleScoresByRole(patterns, ids);
    expect([...byRole.keys()]).toEqual([...HEAD_ROLES]);
    for (const role of HEAD_ROLES) {
      const dense = detectionPattern(role, ids);
      expect(dense.some((v) => v === 1), role).toBe(true);
      const expected = Array.from({ length: heads }, (_, h) => Math.fround(detectionScore(data.subarray(h * m * m, (h + 1) * m * m), dense)));
      expect(Array.from(byRole.get(role)!), role).toEqual(expected);
      expect(Array.from(headRoleScores(patterns, ids, role)), role).toEqual(expected);
    }
  });
});

describe('induction probe', () => {
  it('draws a seeded [t0] + R + R without t0 in R', () => {
    const probe = inductionProbeTokens(50257, 50256, 20, 3);
    expect(probe).toHaveLength(41);
    expect(probe[0]).toBe(50256);
    expect(probe.slice(1, 21)).toEqual(probe.slice(21));
    expect(probe.slice(1)).not.toContain(50256);
    expect(inductionProbeTokens(50257, 50256, 20, 3)).toEqual(probe);
    expect(inductionProbeTokens(50257, 50256, 20, 4)).not.toEqual(probe);
  });

  it("scores a perfect induction head 1 and a uniform head the mean of 1/(i + 1) over the second copy (ARENA's score)", () => {
    const repeat = 4;
    const n = 2 * repeat + 1;
    const perfect = pattern(n, (i) => Array.from({ length: i + 1 }, (_, j) => (i > repeat ? (j === i - repeat + 1 ? 1 : 0) : j === 0 ? 1 : 0)));
    const uniform = pattern(n, (i) => Array.from({ length: i + 1 }, () => 1 / (i + 1)));
    const scores = inductionProbeScores([{ shape: [2, n, n], data: Float32Array.from([...perfect, ...uniform]) }], repeat);
    expect(scores[0]).toBeCloseTo(1, 6);
    expect(scores[1]).toBeCloseTo([5, 6, 7, 8].reduce((s, i) => s + 1 / (i + 1), 0) / repeat, 6);
    expect(uniformProbeScore(repeat)).toBeCloseTo(scores[1]!, 6);
  });
});

describe('direct logit attribution and the logit lens', () => {
  const d = 4;
  const gamma = wave(d, 0.3, 0.5).map((g) => 1 + g);
  const beta = wave(d, 1.1, 0.2);
  const vocab = 12;
  const W_U = Array.from({ length: vocab }, (_, t) => wave(d, t * 0.9));
  const unembed = (rows: Float32Array, count: number) => {
    const out = new Float32Array(count * vocab);
    for (let r = 0; r < count; r++) for (let t = 0; t < vocab; t++) for (let i = 0; i < d; i++) out[r * vocab + t]! += rows[r * d + i]! * W_U[t]![i]!;
    return out;
  };
  const components = [0, 1, 2, 3, 4].map((k) => wave(d, k * 2.3, 1 + k));
  const resid = Float32Array.from({ length: d }, (_, i) => components.reduce((s, c) => s + c[i]!, 0));
  const logits = unembed(layerNormVector(resid, gamma, beta, 1e-5), 1);

  it('sums each target column to the logit', () => {
    const m = resid.reduce((a, b) => a + b, 0) / d;
    const scale = Math.sqrt(resid.reduce((s, x) => s + (x - m) ** 2, 0) / d + 1e-5);
    const targets = attributionTargets(logits, 0, 5);
    const table = directLogitAttribution(components, { scale, gamma, beta }, Array.from(targets, (t) => W_U[t]!));
    expect(table).toHaveLength((components.length + 1) * targets.length);
    targets.forEach((t, k) => {
      let sum = 0;
      for (let row = 0; row <= components.length; row++) sum += table[row * targets.length + k]!;
      expect(sum).toBeCloseTo(logits[t]!, 5);
    });
  });

  it('lists the top logits, then the decoded token when it is not among them', () => {
    const order = topIndices(logits, vocab);
    expect(Array.from(attributionTargets(logits, order[0]!, 3))).toEqual(order.slice(0, 3));
    expect(Array.from(attributionTargets(logits, order[7]!, 3))).toEqual([...order.slice(0, 3), order[7]]);
    for (let i = 1; i < order.length; i++) expect(logits[order[i - 1]!]!).toBeGreaterThanOrEqual(logits[order[i]!]!);
  });

  it("reads the final point as the model's own distribution", () => {
    const points = [components[0]!, resid];
    const targets = Int32Array.from([0, 5, 7]);
    const lens = logitLens(points, { gamma, beta, eps: 1e-5 }, unembed, targets, 3);
    const probs = softmax(logits);
    targets.forEach((t, k) => expect(lens.targetProbs[targets.length + k]).toBeCloseTo(probs[t]!, 6));
    expect(Array.from(lens.topIds.subarray(3))).toEqual(topIndices(probs, 3));
    expect(lens.topProbs[3]).toBeCloseTo(Math.max(...probs), 6);
    const order = topIndices(probs, vocab);
    targets.forEach((t, k) => expect(lens.targetRanks[targets.length + k]).toBe(order.indexOf(t) + 1));
  });
});

describe('the analysis section in a trace file', () => {
  const tokens: TokenInfo[] = [
    { id: 3, display: 'a', text: 'a', bytes: 1 },
    { id: 4, display: 'b', text: 'b', bytes: 1 },
  ];
  const labels = componentLabels(tiny);
  const points = lensPoints(tiny);
  const targets = Int32Array.from([4, 2, 9]);
  const n = tokens.length;
  const directLogit = wave(labels.length * targets.length, 0.4, 2);
  const tensors = new Map<TensorName, Tensor>([
    [analysisTensor.targets, { shape: [3], data: targets }],
    [analysisTensor.directLogit, { shape: [labels.length, 3], data: directLogit }],
    [analysisTensor.lensTargetProbs, { shape: [points.length, 3], data: wave(points.length * 3, 2).map(Math.abs) }],
    [analysisTensor.lensTargetRanks, { shape: [points.length, 3], data: Int32Array.from({ length: points.length * 3 }, (_, i) => i + 1) }],
    [analysisTensor.lensTopIds, { shape: [points.length, 5], data: Int32Array.from({ length: points.length * 5 }, (_, i) => i % 12) }],
    [analysisTensor.lensTopProbs, { shape: [points.length, 5], data: wave(points.length * 5, 3).map(Math.abs) }],
    ...HEAD_ROLES.map((role, k): [TensorName, Tensor] => [analysisTensor.headScores(role), { shape: [1, 2], data: wave(2, k) }]),
    [analysisTensor.inductionProbe, { shape: [1, 2], data: wave(2, 9) }],
    [analysisTensor.circuitQk, { shape: [n, n], data: wave(n * n, 5) }],
    [analysisTensor.circuitOv, { shape: [n, n], data: wave(n * n, 6) }],
  ]);
  const focus = chooseFocusHead({ components: labels, directLogit, targets }, 4, tiny);
  const metadata: AnalysisMetadata = {
    attribution: { components: labels },
    logit_lens: { points },
    probe_tokens: { seed: 0, repeat: 20, tokens: inductionProbeTokens(12, 11) },
    circuits: focus,
  };

  it('labels components and points as the contract says', () => {
    expect(labels).toEqual(['embed', 'pos_embed', 'L0H0', 'L0H1', '0_attn_bias', '0_mlp_out', 'final_ln_bias']);
    expect(points).toEqual(['blocks.0.hook_resid_pre', 'blocks.0.hook_resid_mid', 'blocks.0.hook_resid_post']);
  });

  it('chooses the head with the largest attribution to the decoded token, or the one asked for', () => {
    const column = [2, 3].map((row) => directLogit[row * 3]!);
    expect(focus).toEqual({ layer: 0, head: column[0]! >= column[1]! ? 0 : 1, criterion: 'largest_direct_attribution' });
    expect(chooseFocusHead({ components: labels, directLogit, targets }, 4, tiny, { head: 1 })).toEqual({ layer: 0, head: 1, criterion: 'requested' });
  });

  it('round-trips through safetensors and reads back as typed views', () => {
    const trace = createTrace({ config: tiny, tokens, tensors, analysis: metadata });
    const back = decodeTrace(encodeTrace(trace));
    expect(back.analysis.metadata).toEqual(metadata);
    const a = back.analysis;
    expect(a.attribution!.components).toEqual(labels);
    expect(Array.from(a.attribution!.targets)).toEqual([4, 2, 9]);
    expect(Array.from(a.attribution!.directLogit)).toEqual(Array.from(directLogit));
    expect(attributionOf(a.attribution!, 'L0H1', 2)).toBe(directLogit[3 * 3 + 1]);
    expect(a.logitLens!.points).toEqual(points);
    expect(a.logitLens!.top).toBe(5);
    expect(Object.keys(a.heads!)).toEqual([...HEAD_ROLES]);
    expect(a.inductionProbe!.tokens).toHaveLength(41);
    expect(a.circuits).toMatchObject({ ...focus, qk: tensors.get(analysisTensor.circuitQk)!.data });
  });

  it('refuses a file whose analysis sizes exceed the format, from its header, in one line', () => {
    const metadataOf = traceMetadata(createTrace({ config: tiny, tokens, tensors, analysis: metadata }));
    const targets = ATTRIBUTION_TOP + 2;
    const oversized = new Map(tensors)
      .set(analysisTensor.targets, { shape: [targets], data: new Int32Array(targets) })
      .set(analysisTensor.directLogit, { shape: [labels.length, targets], data: new Float32Array(labels.length * targets) });
    expect(() => decodeTrace(encodeSafetensors(oversized, metadataOf))).toThrow(new RegExp(`attribution\\.targets has ${targets} targets, more than the ${ATTRIBUTION_TOP + 1}`));
  });

  it('reads a trace without analyses as having none', () => {
    const trace = createTrace({ config: tiny, tokens, tensors: new Map() });
    expect(trace.analysis).toEqual({ metadata: {} });
  });

  it('rejects metadata whose component list is not a list of names', () => {
    const broken = { ...metadata, attribution: { components: 'embed' } } as unknown as AnalysisMetadata;
    expect(() => createTrace({ config: tiny, tokens, tensors, analysis: broken })).toThrow(/metadata attribution\.components is not a list of names/);
  });

  it('rejects an analysis tensor whose shape disagrees with its metadata, in one line', () => {
    const bad = new Map(tensors).set(analysisTensor.directLogit, { shape: [2, 3], data: new Float32Array(6) });
    expect(() => createTrace({ config: tiny, tokens, tensors: bad, analysis: metadata })).toThrow(TraceError);
    expect(() => createTrace({ config: tiny, tokens, tensors: bad, analysis: metadata })).toThrow(/attribution\.direct_logit has shape \[2, 3\], expected \[7, 3\]/);
  });
});
