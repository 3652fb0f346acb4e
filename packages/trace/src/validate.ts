/**
 * A saved trace checked against its own config before anything is drawn: every tensor's name and
 * shape, finite values, token ids inside the vocabulary, and the metadata's types. Bad input gets
 * one line naming the tensor or field, never a poster with "undefined" or "NaN" in it.
 */
import { analysisTensor, ATTRIBUTION_TOP, componentLabels, HEAD_ROLES, LENS_TOP, lensPoints } from './analysis.js';
import type { ModelConfig } from './config.js';
import type { DecodeRecord } from './decoding.js';
import type { Tensor } from './safetensors.js';
import { BLOCK_HOOKS, TraceError, type EngineInfo, type TokenInfo } from './trace.js';

const LN = ['hook_scale', 'hook_normalized', 'hook_out'] as const;

/** The sizes of the analysis section that the config does not fix: how many targets, how many top tokens per lens point. */
export interface AnalysisSizes {
  readonly targets: number;
  readonly top: number;
}

/** The analysis section's shapes (analysis.ts), or undefined when the name is not one of its tensors. */
function analysisShape(name: string, c: ModelConfig, pos: number, sizes: AnalysisSizes): readonly number[] | undefined {
  const points = lensPoints(c).length;
  if (name === analysisTensor.targets) return [sizes.targets];
  if (name === analysisTensor.directLogit) return [componentLabels(c).length, sizes.targets];
  if (name === analysisTensor.lensTargetProbs || name === analysisTensor.lensTargetRanks) return [points, sizes.targets];
  if (name === analysisTensor.lensTopIds || name === analysisTensor.lensTopProbs) return [points, sizes.top];
  if (name === analysisTensor.inductionProbe || HEAD_ROLES.some((role) => analysisTensor.headScores(role) === name)) return [c.n_layer, c.n_head];
  if (name === analysisTensor.circuitQk || name === analysisTensor.circuitOv) return [pos, pos];
  return undefined;
}

/** The shape docs/trace-format.md gives a tensor, or undefined when the name is not in the format. */
export function expectedShape(name: string, c: ModelConfig, pos: number, logitRows: number, sizes: AnalysisSizes = { targets: 0, top: 0 }): readonly number[] | undefined {
  const analysis = analysisShape(name, c, pos, sizes);
  if (analysis) return analysis;
  const { d_model: d, n_head: h, d_head: dh, d_mlp: m, n_vocab: v } = c;
  if (name === 'tokens') return [pos];
  if (name === 'hook_embed' || name === 'hook_pos_embed') return [pos, d];
  if (name === 'logits') return [logitRows, v];
  if (name === 'decode.probs') return [v];
  const lnFinal = /^ln_final\.(.+)$/.exec(name);
  if (lnFinal) return (LN as readonly string[]).includes(lnFinal[1]!) ? (lnFinal[1] === 'hook_scale' ? [pos, 1] : [pos, d]) : undefined;
  const block = /^blocks\.(\d+)\.(.+)$/.exec(name);
  if (!block || Number(block[1]) >= c.n_layer || !(BLOCK_HOOKS as readonly string[]).includes(block[2]!)) return undefined;
  const hookName = block[2]!;
  if (hookName.endsWith('.hook_scale')) return [pos, 1];
  if (hookName === 'attn.hook_q' || hookName === 'attn.hook_k' || hookName === 'attn.hook_v' || hookName === 'attn.hook_z') return [pos, h, dh];
  if (hookName === 'attn.hook_attn_scores' || hookName === 'attn.hook_pattern') return [h, pos, pos];
  if (hookName === 'attn.hook_result') return [pos, h, d];
  if (hookName === 'mlp.hook_pre' || hookName === 'mlp.hook_post') return [pos, m];
  return [pos, d];
}

/**
 * Checks names and shapes only, so a file can be refused from its header before its data is read:
 * together with the safetensors rule that tensors fill the data exactly, this caps the file's size
 * at what the config implies.
 */
export function checkTraceLayout(config: ModelConfig, pos: number, entries: Iterable<{ readonly name: string; readonly shape: readonly number[] }>, logitRows?: number): void {
  if (pos > config.n_context) throw new TraceError(`the trace has ${pos} tokens but config n_context is ${config.n_context}`);
  const list = [...entries];
  // Taken from the file, so bounded here: at most the top ATTRIBUTION_TOP plus the decoded token, and LENS_TOP per lens point.
  const sizeOf = (tensor: string, axis: number, max: number, what: string) => {
    const n = list.find((e) => e.name === tensor)?.shape[axis] ?? 0;
    if (n > max) throw new TraceError(`tensor ${tensor} has ${n} ${what}, more than the ${max} the trace format allows`);
    return n;
  };
  const sizes = { targets: sizeOf(analysisTensor.targets, 0, ATTRIBUTION_TOP + 1, 'targets'), top: sizeOf(analysisTensor.lensTopIds, 1, LENS_TOP, 'top tokens') };
  for (const { name, shape } of list) {
    const rows = name === 'logits' ? (logitRows ?? shape[0] ?? 0) : (logitRows ?? 0);
    const expected = expectedShape(name, config, pos, rows, sizes);
    if (!expected) throw new TraceError(`tensor ${name} is not in the trace format for this config (${config.n_layer} layers; see docs/trace-format.md)`);
    if (expected.length !== shape.length || expected.some((n, i) => shape[i] !== n)) {
      throw new TraceError(`tensor ${name} has shape [${shape.join(', ')}], but the config and ${pos} tokens give [${expected.join(', ')}]`);
    }
    if (name === 'logits' && (rows < 1 || rows > pos)) throw new TraceError(`tensor logits has ${rows} rows for ${pos} tokens`);
  }
}

function field(ok: boolean, what: string, value: unknown): void {
  if (!ok) throw new TraceError(`metadata ${what} is ${JSON.stringify(value) ?? String(value)}, which is not valid`);
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const finite = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/** The tokens: whole ids inside the vocabulary, with string text. */
export function checkTokens(tokens: readonly TokenInfo[], config: ModelConfig): void {
  tokens.forEach((t, i) => {
    if (!Number.isInteger(t.id) || t.id < 0 || t.id >= config.n_vocab) throw new TraceError(`metadata tokens[${i}] has id ${t.id}, outside the vocabulary (0..${config.n_vocab - 1})`);
    field(typeof t.text === 'string' && typeof t.display === 'string', `tokens[${i}].text`, t.text);
    field(Number.isSafeInteger(t.bytes) && t.bytes >= 0, `tokens[${i}].bytes`, t.bytes);
  });
}

/** The metadata records the drawing reads: logit_positions, decode and engine. */
export function checkTraceMetadata(parts: { logitPositions: readonly unknown[]; decode?: unknown; engine?: unknown }, pos: number, logitRows: number | undefined, config: ModelConfig): void {
  const lp = parts.logitPositions;
  field(Array.isArray(lp) && lp.every((p, i) => Number.isInteger(p) && (p as number) >= 0 && (p as number) < pos && (i === 0 || (p as number) > (lp[i - 1] as number))), 'logit_positions', lp);
  if (logitRows !== undefined) field(lp.length === logitRows, 'logit_positions (one per logits row)', lp);
  if (parts.engine !== undefined) {
    const e = parts.engine as EngineInfo;
    field(isRecord(e) && typeof e.name === 'string' && typeof e.version === 'string' && ['vectorwise', 'batched', 'external'].includes(e.mode as string), 'engine', e);
    if (e.backend !== undefined) field(typeof e.backend === 'string', 'engine.backend', e.backend);
    if (e.timings !== undefined) field(isRecord(e.timings) && Object.values(e.timings).every(finite), 'engine.timings', e.timings);
  }
  if (parts.decode === undefined) return;
  const d = parts.decode as DecodeRecord;
  field(isRecord(d) && isRecord(d.settings), 'decode', d);
  const s = d.settings;
  field(s.strategy === 'greedy' || s.strategy === 'sample', 'decode.settings.strategy', s.strategy);
  field(finite(s.temperature) && s.temperature >= 1e-6 && s.temperature <= 1e6, 'decode.settings.temperature', s.temperature);
  field(Number.isSafeInteger(s.top_k) && s.top_k >= 0, 'decode.settings.top_k', s.top_k);
  field(finite(s.top_p) && s.top_p > 0 && s.top_p <= 1, 'decode.settings.top_p', s.top_p);
  field(Number.isSafeInteger(s.seed), 'decode.settings.seed', s.seed);
  field(d.draw === null || (finite(d.draw) && d.draw >= 0 && d.draw < 1), 'decode.draw', d.draw);
  field(isRecord(d.kept) && Number.isSafeInteger(d.kept.top_k) && Number.isSafeInteger(d.kept.top_p), 'decode.kept', d.kept);
  const candidate = (c: unknown, what: string) =>
    field(isRecord(c) && Number.isInteger(c['id']) && (c['id'] as number) >= 0 && (c['id'] as number) < config.n_vocab && finite(c['logit']) && finite(c['prob']) && (c['prob'] as number) >= 0 && (c['prob'] as number) <= 1, what, c);
  candidate(d.chosen, 'decode.chosen');
  field(Array.isArray(d.candidates), 'decode.candidates', d.candidates);
  d.candidates.forEach((c, i) => candidate(c, `decode.candidates[${i}]`));
}

/** Values summed per block when looking for a non-finite one: x·0 is 0 unless x is NaN or ±∞. */
const FINITE_BLOCK = 1 << 16;

/**
 * The index of the first value that is NaN or ±∞ (or −∞ too, unless `allowMinusInfinity`), or -1.
 * Each block is summed as Σ x·0 first, a loop with no branch, and searched only if the sum is not 0:
 * this runs over every weight of a checkpoint and every value of a trace.
 */
export function firstNonFinite(data: Float32Array | Int32Array, allowMinusInfinity = false): number {
  if (data instanceof Int32Array) return -1;
  for (let start = 0; start < data.length; start += FINITE_BLOCK) {
    const end = Math.min(data.length, start + FINITE_BLOCK);
    let sum = 0;
    for (let i = start; i < end; i++) sum += data[i]! * 0;
    if (sum === 0) continue;
    for (let i = start; i < end; i++) {
      const v = data[i]!;
      if (v - v !== 0 && !(allowMinusInfinity && v === -Infinity)) return i;
    }
  }
  return -1;
}

/** Every value finite; attention scores may be −∞ (the masked pairs above the diagonal), never NaN or +∞. */
export function checkTensorValues(name: string, tensor: Tensor): void {
  const data = tensor.data;
  const bad = firstNonFinite(data, name.endsWith('.attn.hook_attn_scores'));
  if (bad >= 0) throw new TraceError(`tensor ${name} holds ${data[bad]} at element ${bad}: a trace's values must be finite`);
  if (name === 'decode.probs' || name.endsWith('.attn.hook_pattern')) {
    for (let i = 0; i < data.length; i++) if (data[i]! < 0 || data[i]! > 1) throw new TraceError(`tensor ${name} holds ${data[i]} at element ${i}: probabilities lie in [0, 1]`);
  }
}
