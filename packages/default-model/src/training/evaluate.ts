/**
 * How the bundled model is measured, through @vectorview/engine (the engine that draws the poster):
 * shared by the finishing step that records the numbers and by the quality test that re-checks them
 * from the committed weights.
 */
import type { Gpt2Model, Tokenizer } from '@vectorview/engine';
import { headRoleScores, hook, inductionProbeScores, inductionProbeTokens, type HeadRole, type Tensor } from '@vectorview/trace';
import { evaluationWindows } from './data.js';

/** log Σ exp(row) − row[target], computed stably. */
function tokenLoss(logits: Float32Array, row: number, vocab: number, target: number): number {
  let max = -Infinity;
  for (let j = 0; j < vocab; j++) max = Math.max(max, logits[row * vocab + j]!);
  let sum = 0;
  for (let j = 0; j < vocab; j++) sum += Math.exp(logits[row * vocab + j]! - max);
  return max + Math.log(sum) - logits[row * vocab + target]!;
}

/** Mean next-token loss (nats) under the evaluation protocol (data.ts: n_positions windows). */
export function heldOutLoss(model: Gpt2Model, ids: Int32Array): { loss: number; targets: number } {
  const { n_vocab: vocab, n_context: context } = model.config;
  let sum = 0;
  let targets = 0;
  for (const [start, len] of evaluationWindows(ids.length, context)) {
    const window = Array.from(ids.subarray(start, start + len));
    const logits = model.logits(window);
    for (let i = 0; i + 1 < len; i++) sum += tokenLoss(logits, i, vocab, window[i + 1]!);
    targets += len - 1;
  }
  return { loss: sum / targets, targets };
}

/** The k most likely next tokens after `prompt`, with their probabilities. */
export function topCandidates(model: Gpt2Model, tokenizer: Tokenizer, prompt: string, k: number): { id: number; token: string; p: number }[] {
  const ids = tokenizer.encode(prompt);
  const vocab = model.config.n_vocab;
  const logits = model.logits(ids).subarray((ids.length - 1) * vocab, ids.length * vocab);
  const max = Math.max(...logits);
  let z = 0;
  for (const l of logits) z += Math.exp(l - max);
  return [...logits.keys()]
    .sort((a, b) => logits[b]! - logits[a]!)
    .slice(0, k)
    .map((id) => ({ id, token: tokenizer.decode([id]), p: Math.exp(logits[id]! - max) / z }));
}

/** Every layer's attention pattern [head, n, n] for `ids`, through the batched path (patterns only). */
function patternsOf(model: Gpt2Model, ids: readonly number[]): Tensor[] {
  const names = Array.from({ length: model.config.n_layer }, (_, l) => hook.block(l, 'attn.hook_pattern'));
  const wanted = new Set<string>(names);
  const { tensors } = model.forward(ids, { mode: 'batched', record: (name) => wanted.has(name) });
  return names.map((name) => tensors.get(name)!);
}

/** Adds `values / count` into `sum`, element by element. */
function addMean(sum: Float32Array, values: Float32Array, count: number): void {
  values.forEach((v, i) => (sum[i] = sum[i]! + v / count));
}

/**
 * Each head's TransformerLens `detect_head` score for `role` on held-out text: the mean over the first
 * `windows` n_positions-token windows. [n_layer, n_head], row-major.
 */
export function roleScoresOnText(model: Gpt2Model, ids: Int32Array, role: HeadRole, windows: number): Float32Array {
  const { n_layer, n_head, n_context } = model.config;
  const out = new Float32Array(n_layer * n_head);
  for (let w = 0; w < windows; w++) {
    const window = Array.from(ids.subarray(w * n_context, (w + 1) * n_context));
    addMean(out, headRoleScores(patternsOf(model, window), window, role), windows);
  }
  return out;
}

/** The induction probes of the acceptance bar: [<|endoftext|>] + R + R with |R| = 30, 35, …, 50, one seed each. */
export const INDUCTION_PROBES: readonly { readonly repeat: number; readonly seed: number }[] = [30, 35, 40, 45, 50].map((repeat, seed) => ({ repeat, seed }));
/** Held-out windows the previous-token scores average over. */
export const PREVIOUS_TOKEN_WINDOWS = 16;

/** Each head's ARENA induction score on [<|endoftext|>] + R + R, averaged over `probes`. [n_layer, n_head] */
export function inductionScores(model: Gpt2Model, probes = INDUCTION_PROBES): Float32Array {
  const { n_layer, n_head, n_vocab } = model.config;
  const endOfText = n_vocab - 1;
  const out = new Float32Array(n_layer * n_head);
  for (const { repeat, seed } of probes) {
    addMean(out, inductionProbeScores(patternsOf(model, inductionProbeTokens(n_vocab, endOfText, repeat, seed)), repeat), probes.length);
  }
  return out;
}

/** Every head's previous-token score on held-out text and induction score on the probes. [n_layer, n_head] each. */
export function circuitScores(model: Gpt2Model, heldOut: Int32Array): { previousToken: Float32Array; induction: Float32Array } {
  return { previousToken: roleScoresOnText(model, heldOut, 'previous_token', PREVIOUS_TOKEN_WINDOWS), induction: inductionScores(model) };
}
