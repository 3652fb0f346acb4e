/**
 * The analyses against an independent recomputation: float64 loops over HuggingFace's recorded
 * activations (fixtures/gpt2-tiny-hf/expected.safetensors) and the checkpoint's own tensors, read
 * by their HF names without the engine's loader.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { analysisTensor, decodeSafetensors, decodeTrace, encodeTrace, HEAD_ROLES, PROBE_REPEAT, type Tensor, type TensorName, type Trace } from '@vectorview/trace';
import { readTraceFile, writeTraceFile } from '@vectorview/trace/node';
import { traceModel } from './node.js';
import { FIXTURE_DIR, fixturePrompts, maxAbs, maxAbsDiff } from './test-support/fixture.js';

const checkpoint = decodeSafetensors(readFileSync(path.join(FIXTURE_DIR, 'model.safetensors'))).tensors;
const weight = (name: string) => checkpoint.get(`transformer.${name}`)!.data as Float32Array;
const config = JSON.parse(readFileSync(path.join(FIXTURE_DIR, 'config.json'), 'utf8')) as { n_embd: number; n_head: number; n_layer: number; vocab_size: number; layer_norm_epsilon: number };
const D = config.n_embd;
const H = config.n_head;
const L = config.n_layer;
const V = config.vocab_size;
const DH = D / H;
const EPS = config.layer_norm_epsilon;
const wte = weight('wte.weight');

// The 14-token prompt repeats tokens (" John" twice), so duplicate and induction scores are not all zero.
const prompt = fixturePrompts()[2]!;
const ids = prompt.ids;
const n = ids.length;
const p = n - 1;
const hf = (name: string) => prompt.expected.get(name)!;
/** Row `index` of a tensor whose last axis is the vector, as float64. */
const row = (t: Tensor, index: number) => Float64Array.from(t.data.subarray(index * t.shape.at(-1)!, (index + 1) * t.shape.at(-1)!));

function layerNorm64(x: ArrayLike<number>, gamma: ArrayLike<number>, beta: ArrayLike<number>): Float64Array {
  let mu = 0;
  for (let i = 0; i < x.length; i++) mu += x[i]!;
  mu /= x.length;
  let v = 0;
  for (let i = 0; i < x.length; i++) v += (x[i]! - mu) ** 2;
  const s = Math.sqrt(v / x.length + EPS);
  return Float64Array.from({ length: x.length }, (_, i) => ((x[i]! - mu) / s) * gamma[i]! + beta[i]!);
}

/** x · W_E[t] for every token t (tied weights: W_U = W_Eᵀ). */
function unembed64(x: ArrayLike<number>): Float64Array {
  const out = new Float64Array(V);
  for (let t = 0; t < V; t++) {
    let s = 0;
    for (let i = 0; i < D; i++) s += x[i]! * wte[t * D + i]!;
    out[t] = s;
  }
  return out;
}

function softmax64(logits: Float64Array): Float64Array {
  const max = Math.max(...logits);
  const e = logits.map((x) => Math.exp(x - max));
  const sum = e.reduce((a, b) => a + b, 0);
  return e.map((x) => x / sum);
}

const closeTo = (actual: ArrayLike<number>, expected: ArrayLike<number>, what: string, relative = 1e-4) => {
  expect(actual.length, what).toBe(expected.length);
  expect(maxAbsDiff(actual, expected), what).toBeLessThanOrEqual(relative * (1 + maxAbs(expected)));
};

let trace: Trace;
beforeAll(async () => {
  trace = await traceModel(FIXTURE_DIR, { tokens: ids, decode: { strategy: 'greedy' } });
}, 60_000);

describe('the analyses of the HF fixture pass, recomputed independently', () => {
  const hfLogits = row(hf('logits'), p);

  it('targets the ten highest logits (HF) in descending order, then the decoded token', () => {
    const order = [...hfLogits.keys()].sort((a, b) => hfLogits[b]! - hfLogits[a]!);
    const targets = Array.from(trace.analysis.attribution!.targets);
    const decoded = trace.decode!.chosen.id;
    expect(targets).toEqual(order.slice(0, 10).includes(decoded) ? order.slice(0, 10) : [...order.slice(0, 10), decoded]);
  });

  it('direct logit attribution: every component, from HF activations and the checkpoint, and columns that sum to the logits', () => {
    const a = trace.analysis.attribution!;
    const T = a.targets.length;
    const gamma = weight('ln_f.weight');
    const beta = weight('ln_f.bias');
    const sigma = hf('ln_final.hook_scale').data[p]!;
    const components: Float64Array[] = [row(hf('hook_embed'), p), row(hf('hook_pos_embed'), p)];
    for (let l = 0; l < L; l++) {
      const result = hf(`blocks.${l}.attn.hook_result`);
      const heads = Array.from({ length: H }, (_, h) => row(result, p * H + h));
      const attnOut = row(hf(`blocks.${l}.hook_attn_out`), p);
      components.push(...heads, attnOut.map((x, i) => x - heads.reduce((s, head) => s + head[i]!, 0)), row(hf(`blocks.${l}.hook_mlp_out`), p));
    }
    const expected = new Float64Array((components.length + 1) * T);
    a.targets.forEach((t, k) => {
      components.forEach((c, r) => {
        const mu = c.reduce((s, x) => s + x, 0) / D;
        let s = 0;
        for (let i = 0; i < D; i++) s += ((c[i]! - mu) / sigma) * gamma[i]! * wte[t * D + i]!;
        expected[r * T + k] = s;
      });
      let b = 0;
      for (let i = 0; i < D; i++) b += beta[i]! * wte[t * D + i]!;
      expected[components.length * T + k] = b;
    });
    expect(a.components).toHaveLength(components.length + 1);
    closeTo(a.directLogit, expected, 'direct_logit');
    a.targets.forEach((t, k) => {
      let sum = 0;
      for (let r = 0; r < a.components.length; r++) sum += a.directLogit[r * T + k]!;
      expect(Math.abs(sum - hfLogits[t]!), `column ${k}`).toBeLessThanOrEqual(1e-5 * (1 + Math.abs(hfLogits[t]!)));
    });
  });

  it('logit lens: every point from HF residuals, and the last point is softmax(logits)', () => {
    const lens = trace.analysis.logitLens!;
    const T = lens.targets.length;
    expect(lens.points).toHaveLength(2 * L + 1);
    lens.points.forEach((point, k) => {
      const probs = softmax64(unembed64(layerNorm64(row(hf(point), p), weight('ln_f.weight'), weight('ln_f.bias'))));
      closeTo(lens.targetProbs.subarray(k * T, (k + 1) * T), Array.from(lens.targets, (t) => probs[t]!), `${point} target probs`);
      const order = [...probs.keys()].sort((a, b) => probs[b]! - probs[a]!);
      expect(Array.from(lens.targetRanks.subarray(k * T, (k + 1) * T)), `${point} ranks`).toEqual(Array.from(lens.targets, (t) => order.indexOf(t) + 1));
      const top = order.slice(0, lens.top);
      expect(Array.from(lens.topIds.subarray(k * lens.top, (k + 1) * lens.top)), point).toEqual(top);
      closeTo(lens.topProbs.subarray(k * lens.top, (k + 1) * lens.top), top.map((t) => probs[t]!), `${point} top probs`);
    });
    const final = softmax64(hfLogits);
    const last = lens.points.length - 1;
    closeTo(lens.targetProbs.subarray(last * T), Array.from(lens.targets, (t) => final[t]!), 'last point = softmax(logits)', 1e-5);
  });

  it('head scores: detect_head "mul" on HF patterns, written as plain loops', () => {
    const detect: Record<(typeof HEAD_ROLES)[number], (i: number, j: number) => boolean> = {
      previous_token: (i, j) => j === i - 1,
      duplicate_token: (i, j) => j < i && ids[i] === ids[j],
      induction: (i, j) => j > 0 && j - 1 < i && ids[i] === ids[j - 1],
      first_token: (i, j) => i > 0 && j === 0,
    };
    let nonzero = 0;
    for (const role of HEAD_ROLES) {
      const expected = new Float64Array(L * H);
      for (let l = 0; l < L; l++) {
        const pattern = hf(`blocks.${l}.attn.hook_pattern`).data;
        for (let h = 0; h < H; h++) {
          let hit = 0;
          let total = 0;
          for (let i = 0; i < n; i++) {
            for (let j = 0; j <= i; j++) {
              const a = pattern[(h * n + i) * n + j]!;
              total += a;
              if (detect[role](i, j)) hit += a;
            }
          }
          expected[l * H + h] = hit / total;
        }
      }
      closeTo(trace.analysis.heads![role], expected, role);
      nonzero += expected.filter((x) => x > 0).length;
    }
    expect(nonzero).toBe(4 * L * H);
  });

  it("induction probe: ARENA's score from the probe tokens recorded in the trace, on a fresh pass", async () => {
    const probe = trace.analysis.inductionProbe!;
    const R = probe.repeat;
    expect(R).toBe(PROBE_REPEAT);
    expect(probe.tokens).toEqual([50256, ...probe.tokens.slice(1, R + 1), ...probe.tokens.slice(1, R + 1)]);
    const probed = await traceModel(FIXTURE_DIR, { tokens: probe.tokens, mode: 'batched' });
    const expected = new Float64Array(L * H);
    const N = 2 * R + 1;
    for (let l = 0; l < L; l++) {
      const pattern = probed.tensors.get(`blocks.${l}.attn.hook_pattern`)!.data;
      for (let h = 0; h < H; h++) {
        let s = 0;
        for (let i = R + 1; i < N; i++) s += pattern[(h * N + i) * N + (i - R + 1)]!;
        expected[l * H + h] = s / R;
      }
    }
    closeTo(probe.scores, expected, 'induction_probe');
  });

  it('circuits of the opened head: QK and OV from the checkpoint, token by token', () => {
    const c = trace.analysis.circuits!;
    const { layer: l, head: h } = c;
    const a = trace.analysis.attribution!;
    const decodedColumn = Array.from(a.targets).indexOf(trace.decode!.chosen.id);
    const headValue = (hh: number, ll: number) => a.directLogit[a.components.indexOf(`L${ll}H${hh}`) * a.targets.length + decodedColumn]!;
    for (let ll = 0; ll < L; ll++) for (let hh = 0; hh < H; hh++) expect(headValue(h, l)).toBeGreaterThanOrEqual(headValue(hh, ll));
    expect(c.criterion).toBe('largest_direct_attribution');
    const cAttnW = weight(`h.${l}.attn.c_attn.weight`);
    const cAttnB = weight(`h.${l}.attn.c_attn.bias`);
    const cProjW = weight(`h.${l}.attn.c_proj.weight`);
    const e = ids.map((id) => layerNorm64(wte.subarray(id * D, (id + 1) * D), weight(`h.${l}.ln_1.weight`), weight(`h.${l}.ln_1.bias`)));
    const proj = (x: Float64Array, offset: number) =>
      Float64Array.from({ length: DH }, (_, c2) => {
        let s = cAttnB[offset + h * DH + c2]!;
        for (let r = 0; r < D; r++) s += x[r]! * cAttnW[r * 3 * D + offset + h * DH + c2]!;
        return s;
      });
    const qk = new Float64Array(n * n);
    const ov = new Float64Array(n * n);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        const q = proj(e[i]!, 0);
        const k = proj(e[j]!, D);
        qk[i * n + j] = q.reduce((s, x, c2) => s + x * k[c2]!, 0) / Math.sqrt(DH);
        const v = proj(e[j]!, 2 * D);
        let s = 0;
        for (let r = 0; r < D; r++) {
          let out = 0;
          for (let c2 = 0; c2 < DH; c2++) out += v[c2]! * cProjW[(h * DH + c2) * D + r]!;
          s += out * wte[ids[i]! * D + r]!;
        }
        ov[j * n + i] = s;
      }
    }
    closeTo(c.qk, qk, 'circuits.qk');
    closeTo(c.ov, ov, 'circuits.ov');
  });
});

describe('the analysis section is saved', () => {
  it('by the library API and read back from a file, unchanged', async () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'analysis-')), 'trace.safetensors');
    await writeTraceFile(file, trace);
    const back = await readTraceFile(file);
    expect(back.analysis.metadata).toEqual(trace.analysis.metadata);
    const names: TensorName[] = [...Object.values(analysisTensor).filter((v) => typeof v === 'string'), ...HEAD_ROLES.map((role) => analysisTensor.headScores(role))];
    expect(names).toHaveLength(13);
    for (const name of names) {
      expect(Array.from(back.tensors.get(name)!.data), name).toEqual(Array.from(trace.tensors.get(name)!.data));
    }
    expect(back.analysis.circuits).toEqual(trace.analysis.circuits);
  });

  it('by the vectorview-trace command', async () => {
    const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'analysis-cli-')), 'trace.safetensors');
    await new Promise<void>((resolve, reject) => execFile(process.execPath, [cli, '--model', FIXTURE_DIR, '--tokens', ids.join(','), '--greedy', '--out', file], (error) => (error ? reject(error) : resolve())));
    const saved = decodeTrace(readFileSync(file));
    expect(saved.analysis.metadata.circuits).toEqual(trace.analysis.metadata.circuits);
    expect(Array.from(saved.analysis.attribution!.directLogit)).toEqual(Array.from(trace.analysis.attribution!.directLogit));
  }, 60_000);

  it('leaves out head scores for a one-token prompt, and keeps the rest', async () => {
    const one = await traceModel(FIXTURE_DIR, { tokens: [464] });
    expect(one.analysis.heads).toBeUndefined();
    expect(one.analysis.attribution).toBeDefined();
    expect(one.analysis.circuits!.qk).toHaveLength(1);
    expect(decodeTrace(encodeTrace(one)).analysis.heads).toBeUndefined();
  });

  it('opens the head asked for, and refuses one the model lacks', async () => {
    const asked = await traceModel(FIXTURE_DIR, { tokens: ids.slice(0, 4), focus: { layer: 0, head: 2 } });
    expect(asked.analysis.circuits).toMatchObject({ layer: 0, head: 2, criterion: 'requested' });
    await expect(traceModel(FIXTURE_DIR, { tokens: ids.slice(0, 4), focus: { head: H } })).rejects.toThrow(`--head must be a whole number from 0 to ${H - 1}, got ${H}`);
  });
});
