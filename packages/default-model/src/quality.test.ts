/**
 * The committed weights have learned English: measured by the engine that
 * draws the poster, on held-out Brown documents the training never saw, against a unigram model of
 * the training split.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { gpt2Tokenizer } from '@vectorview/engine';
import { loadModel } from '@vectorview/engine/node';
import { defaultModelDir, defaultModelInfo } from './index.js';
import { evaluationTargets, loadTokenData, unigramLoss, type TokenData } from './training/data.js';
import { heldOutLoss, topCandidates } from './training/evaluate.js';

interface Recorded {
  vectorview: { evaluation: { held_out_loss: number; unigram_loss: number; held_out_targets: number } };
}

type Model = Awaited<ReturnType<typeof loadModel>>;
let model: Model;
let data: TokenData;
beforeAll(async () => {
  model = await loadModel(defaultModelDir);
  data = loadTokenData(defaultModelInfo.merges);
}, 60_000);

describe('the default model', () => {
  it('predicts the whole held-out split at least 1.5 nats per token better than the unigram baseline', () => {
    const { loss, targets } = heldOutLoss(model, data.heldOut);
    const unigram = unigramLoss(data.train, evaluationTargets(data.heldOut, model.config.n_context), model.config.n_vocab);
    console.log(`held-out loss ${loss.toFixed(3)} nats vs unigram ${unigram.toFixed(3)} on ${targets} held-out targets`);
    expect(unigram - loss).toBeGreaterThanOrEqual(1.5);
    // The engine reproduces what training recorded for the committed weights.
    const recorded = (JSON.parse(readFileSync(path.join(defaultModelDir, 'config.json'), 'utf8')) as Recorded).vectorview.evaluation;
    expect(targets).toBe(recorded.held_out_targets);
    expect(loss).toBeCloseTo(recorded.held_out_loss, 3);
    expect(unigram).toBeCloseTo(recorded.unigram_loss, 3);
    expect(loss).toBeCloseTo(defaultModelInfo.heldOutLoss, 3);
  }, 180_000);

  it('continues "The United" with " States" among the top 3', () => {
    const top = topCandidates(model, gpt2Tokenizer({ merges: defaultModelInfo.merges }), 'The United', 3).map((c) => c.token);
    expect(top).toContain(' States');
  });

  it('continues "He said that" with a plausible word', () => {
    const top = topCandidates(model, gpt2Tokenizer({ merges: defaultModelInfo.merges }), 'He said that', 10).map((c) => c.token);
    expect(top.some((t) => [' he', ' the', ' it', ' they', ' she', ' there', ' we', ' I', ' his', ' this'].includes(t))).toBe(true);
  });
});
