/**
 * Issue 11's bar, measured from the committed weights through the engine that draws the poster: a
 * previous-token head and an induction head, a held-out loss at least 0.2 nats below the model it
 * replaced, and a default prompt whose poster opens a head that has one of those roles.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadModel, traceModel } from '@vectorview/engine/node';
import { componentLabel } from '@vectorview/trace';
import { defaultModelDir, defaultModelInfo, defaultPrompt } from './index.js';
import { loadTokenData, type TokenData } from './training/data.js';
import { circuitScores } from './training/evaluate.js';

/** The held-out loss of the bundled model this one replaced (docs/model.md, "Experiments"). */
const PREVIOUS_MODEL_LOSS = 4.92;
/** The bar for a head to have a role: TransformerLens's previous-token score, ARENA's induction score. */
const ROLE_BAR = 0.5;

interface Recorded {
  vectorview: { evaluation: { best_previous_token: number; best_induction: number } };
}

type Model = Awaited<ReturnType<typeof loadModel>>;
let model: Model;
let data: TokenData;
let scores: ReturnType<typeof circuitScores>;
beforeAll(async () => {
  model = await loadModel(defaultModelDir);
  data = loadTokenData(defaultModelInfo.merges);
  scores = circuitScores(model, data.heldOut);
}, 120_000);

const recorded = () => (JSON.parse(readFileSync(path.join(defaultModelDir, 'config.json'), 'utf8')) as Recorded).vectorview.evaluation;
const best = (values: Float32Array) => Math.max(...values);

describe('the circuits of the default model', () => {
  it(`has a previous-token head: best score on held-out text ≥ ${ROLE_BAR}, as training recorded`, () => {
    console.log(`best previous-token score ${best(scores.previousToken).toFixed(3)}`);
    expect(best(scores.previousToken)).toBeGreaterThanOrEqual(ROLE_BAR);
    expect(best(scores.previousToken)).toBeCloseTo(recorded().best_previous_token, 3);
  });

  it(`has an induction head: best score on [<|endoftext|>] + R + R ≥ ${ROLE_BAR}, as training recorded`, () => {
    console.log(`best induction score ${best(scores.induction).toFixed(3)}`);
    expect(best(scores.induction)).toBeGreaterThanOrEqual(ROLE_BAR);
    expect(best(scores.induction)).toBeCloseTo(recorded().best_induction, 3);
  });

  it('predicts held-out text at least 0.2 nats better than the model it replaced', () => {
    expect(defaultModelInfo.heldOutLoss).toBeLessThanOrEqual(PREVIOUS_MODEL_LOSS - 0.2);
  });

  it('opens, for the default prompt, a head that has a role', async () => {
    const trace = await traceModel(defaultModelDir, { prompt: defaultPrompt });
    const { layer, head } = trace.analysis.circuits!;
    const i = layer * model.config.n_head + head;
    const roles = { previous_token: scores.previousToken[i]!, induction: scores.induction[i]! };
    console.log(`the default poster opens ${componentLabel.head(layer, head)}: ${JSON.stringify(roles)}`);
    expect(Math.max(roles.previous_token, roles.induction)).toBeGreaterThanOrEqual(ROLE_BAR);
  }, 60_000);
});
