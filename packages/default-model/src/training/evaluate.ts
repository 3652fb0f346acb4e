/**
 * How the bundled model is measured, through @vectorview/engine (the engine that draws the poster):
 * shared by the finishing step that records the numbers and by the quality test that re-checks them
 * from the committed weights.
 */
import type { Gpt2Model, Tokenizer } from '@vectorview/engine';
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
