/**
 * The committed weights have learned English: scored by the engine that draws the poster, on
 * held-out Brown documents the training never saw, against a unigram model of the training split.
 *
 * To stay fast (well under a minute) it scores the first QUALITY_TOKENS tokens of the held-out
 * stream, cut into n_positions windows exactly as training's own evaluation does.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { gpt2Tokenizer } from '@vectorview/engine';
import { loadModel } from '@vectorview/engine/node';
import { defaultModelDir, defaultModelInfo } from './index.js';
import { evaluationTargets, evaluationWindows, loadTokenData, unigramLoss } from './training/data.js';

const QUALITY_TOKENS = 20_000;

interface Recorded {
  vectorview: { evaluation: { first_tokens: { tokens: number; targets: number; held_out_loss: number; unigram_loss: number } } };
}

type Model = Awaited<ReturnType<typeof loadModel>>;
let model: Model;
beforeAll(async () => {
  model = await loadModel(defaultModelDir);
}, 60_000);

/** log Σ exp(row) − row[target], computed stably. */
function tokenLoss(logits: Float32Array, row: number, vocab: number, target: number): number {
  let max = -Infinity;
  for (let j = 0; j < vocab; j++) max = Math.max(max, logits[row * vocab + j]!);
  let sum = 0;
  for (let j = 0; j < vocab; j++) sum += Math.exp(logits[row * vocab + j]! - max);
  return max + Math.log(sum) - logits[row * vocab + target]!;
}

function topTokens(prompt: string, k: number): string[] {
  const tokenizer = gpt2Tokenizer({ merges: defaultModelInfo.merges });
  const ids = tokenizer.encode(prompt);
  const vocab = model.config.n_vocab;
  const logits = model.logits(ids).subarray((ids.length - 1) * vocab, ids.length * vocab);
  return [...logits.keys()].sort((a, b) => logits[b]! - logits[a]!).slice(0, k).map((id) => tokenizer.decode([id]));
}

describe('the default model', () => {
  it('predicts held-out text at least 1.5 nats per token better than the unigram baseline', () => {
    const data = loadTokenData(defaultModelInfo.merges);
    const { n_vocab: vocab, n_context: context } = model.config;
    const ids = data.heldOut.subarray(0, QUALITY_TOKENS);
    let sum = 0;
    let count = 0;
    for (const [start, len] of evaluationWindows(ids.length, context)) {
      const window = Array.from(ids.subarray(start, start + len));
      const logits = model.logits(window);
      for (let i = 0; i + 1 < len; i++) sum += tokenLoss(logits, i, vocab, window[i + 1]!);
      count += len - 1;
    }
    const heldOut = sum / count;
    const unigram = unigramLoss(data.train, evaluationTargets(ids, context), vocab);
    console.log(`held-out loss ${heldOut.toFixed(3)} nats vs unigram ${unigram.toFixed(3)} on the first ${count} held-out targets`);
    expect(unigram - heldOut).toBeGreaterThanOrEqual(1.5);
    // The engine reproduces what the training code measured on the same windows, and the
    // figure on the whole held-out split is of the same size.
    const recorded = (JSON.parse(readFileSync(path.join(defaultModelDir, 'config.json'), 'utf8')) as Recorded).vectorview.evaluation.first_tokens;
    expect(recorded.tokens).toBe(QUALITY_TOKENS);
    expect(count).toBe(recorded.targets);
    expect(heldOut).toBeCloseTo(recorded.held_out_loss, 2);
    expect(unigram).toBeCloseTo(recorded.unigram_loss, 3);
    expect(Math.abs(heldOut - defaultModelInfo.heldOutLoss)).toBeLessThan(0.3);
  }, 120_000);

  it('continues "The United" with " States"', () => {
    expect(topTokens('The United', 5)).toContain(' States');
  });

  it('continues "He said that" with a plausible word', () => {
    const top = topTokens('He said that', 10);
    expect(top.some((t) => [' he', ' the', ' it', ' they', ' she', ' there', ' we', ' I', ' his', ' this'].includes(t))).toBe(true);
  });
});
