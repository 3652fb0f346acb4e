/** Vectorview's bundled default model: where its HuggingFace files are, and what it measured. */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The prompt the poster and the talk draw when none is given: it repeats a name, so the poster opens an induction head copying it. */
export const defaultPrompt = 'Mr. Kennedy spoke to the press. Later, Mr.';

/** Absolute path of the folder holding config.json and model.safetensors (HF GPT-2 layout). */
export const defaultModelDir: string = fileURLToPath(new URL('../model/', import.meta.url)).replace(/[\\/]$/, '');

export interface DefaultModelInfo {
  readonly name: string;
  /** GPT-2's first `merges` BPE merges: ids 0..255+merges are GPT-2's, <|endoftext|> is 256+merges. */
  readonly merges: number;
  readonly nVocab: number;
  readonly nContext: number;
  readonly dModel: number;
  readonly nLayer: number;
  readonly nHead: number;
  readonly dMlp: number;
  readonly parameters: number;
  readonly corpus: string;
  readonly trainingSteps: number;
  readonly trainingMinutes: number;
  /** Mean next-token loss (nats) on the held-out split (every 20th Brown document), in n_positions windows. */
  readonly heldOutLoss: number;
  /** The same targets scored by a unigram model of the training split (add-one smoothed). */
  readonly unigramLoss: number;
}

interface CommittedConfig {
  vocab_size: number;
  n_positions: number;
  n_embd: number;
  n_layer: number;
  n_head: number;
  n_inner: number;
  vectorview: {
    name: string;
    corpus: string;
    tokenizer: { merges: number };
    training: { steps: number; minutes: number };
    evaluation: { held_out_loss: number; unigram_loss: number };
  };
}

function readInfo(): DefaultModelInfo {
  // Read from the committed config, which the finishing step (src/training/finish.ts) writes: the
  // figures are the measured ones, never copied by hand.
  const c = JSON.parse(readFileSync(`${defaultModelDir}/config.json`, 'utf8')) as CommittedConfig;
  const d = c.n_embd;
  const perLayer = 4 * d + (d * 3 * d + 3 * d) + (d * d + d) + (d * c.n_inner + c.n_inner) + (c.n_inner * d + d);
  return {
    name: c.vectorview.name,
    merges: c.vectorview.tokenizer.merges,
    nVocab: c.vocab_size,
    nContext: c.n_positions,
    dModel: d,
    nLayer: c.n_layer,
    nHead: c.n_head,
    dMlp: c.n_inner,
    parameters: (c.vocab_size + c.n_positions) * d + c.n_layer * perLayer + 2 * d,
    corpus: c.vectorview.corpus,
    trainingSteps: c.vectorview.training.steps,
    trainingMinutes: c.vectorview.training.minutes,
    heldOutLoss: c.vectorview.evaluation.held_out_loss,
    unigramLoss: c.vectorview.evaluation.unigram_loss,
  };
}

/** Measured by the finishing step of training (src/training/finish.ts); see docs/model.md. */
export const defaultModelInfo: DefaultModelInfo = readInfo();
