/** The model's shape and the training run's settings, all in one place. */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { GptConfig } from './model.js';

/** GPT-2's first MERGES byte-pair merges: vocabulary 256 + MERGES + 1 (<|endoftext|>). */
export const MERGES = 4000;

export const MODEL: GptConfig = {
  vocabSize: 256 + MERGES + 1,
  nPositions: 128,
  nEmbd: 128,
  nLayer: 4,
  nHead: 4,
  nInner: 512,
  layerNormEpsilon: 1e-5,
};

export const MODEL_NAME = `vectorview-brown-${MODEL.nLayer}l-${MODEL.nEmbd}d-k${MERGES}`;

export const TRAINING = {
  seed: 20240607,
  /** Sequences per step, each nPositions + 1 tokens (inputs and shifted targets). */
  batchSize: 16,
  steps: 1300,
  warmupSteps: 100,
  peakLearningRate: 3e-3,
  /** Cosine decay ends at this fraction of the peak. */
  finalLearningRateFraction: 0.1,
  beta1: 0.9,
  beta2: 0.99,
  adamEpsilon: 1e-8,
  weightDecay: 0.1,
  gradientClip: 1.0,
  /** Held-out loss on the first evalWindows windows every evalEvery steps. */
  evalEvery: 100,
  evalWindows: 32,
  checkpointEvery: 50,
  logEvery: 10,
} as const;

/** Learning rate at a 0-based step: linear warmup, then cosine decay to the final fraction. */
export function learningRate(step: number): number {
  const t = TRAINING;
  if (step < t.warmupSteps) return (t.peakLearningRate * (step + 1)) / t.warmupSteps;
  const progress = Math.min(1, (step - t.warmupSteps) / Math.max(1, t.steps - t.warmupSteps));
  const floor = t.finalLearningRateFraction;
  return t.peakLearningRate * (floor + (1 - floor) * 0.5 * (1 + Math.cos(Math.PI * progress)));
}

/** The package's folder (holding package.json), found upwards from this file in src/ or dist/. */
export function packageRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const manifest = path.join(dir, 'package.json');
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === '@vectorview/default-model') return dir;
    const up = path.dirname(dir);
    if (up === dir) throw new Error('cannot find the @vectorview/default-model package folder');
    dir = up;
  }
}
