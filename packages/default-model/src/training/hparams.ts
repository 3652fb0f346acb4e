/**
 * The model's shape and the training run's settings. One source, training/hparams.json, read here
 * and by the torch trainer (training/train.py), so the two sides cannot disagree.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The shapes, under HF GPT2Config's names. */
export interface GptConfig {
  readonly vocab_size: number;
  readonly n_positions: number;
  readonly n_embd: number;
  readonly n_layer: number;
  readonly n_head: number;
  readonly n_inner: number;
  readonly layer_norm_epsilon: number;
}

export interface Hparams {
  /** GPT-2's first `merges` byte-pair merges: vocabulary 256 + merges + 1 (<|endoftext|>). */
  readonly merges: number;
  readonly model: GptConfig;
  readonly train: {
    readonly seed: number;
    /** Sequences per step, each n_positions + 1 tokens (inputs and shifted targets). */
    readonly batch_size: number;
    readonly steps: number;
    /** The last decay_steps steps decay the rate; before them it is held at its peak after warmup. */
    readonly decay_steps: number;
    readonly warmup_steps: number;
    readonly peak_lr: number;
    /** Cosine decay ends at this fraction of the peak. */
    readonly final_lr_fraction: number;
    readonly betas: readonly [number, number];
    readonly weight_decay: number;
    readonly grad_clip: number;
    readonly dropout: number;
    readonly log_every: number;
    readonly eval_every: number;
    readonly eval_windows: number;
    readonly checkpoint_every: number;
  };
  /**
   * Shares of each batch (natural windows, a Brown span repeated, random tokens repeated), as a
   * schedule: each phase holds from its `from_step` until the next one's.
   */
  readonly mix: readonly { readonly from_step: number; readonly natural: number; readonly repeat_text: number; readonly repeat_random: number }[];
  /** Length range of a repeated span, in tokens. */
  readonly repeat_span: readonly [number, number];
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

export const HPARAMS = JSON.parse(readFileSync(path.join(packageRoot(), 'training', 'hparams.json'), 'utf8')) as Hparams;
export const MERGES = HPARAMS.merges;
export const MODEL = HPARAMS.model;
export const MODEL_NAME = `vectorview-brown-${MODEL.n_layer}l-${MODEL.n_embd}d-k${MERGES}`;
