/**
 * The training data: Brown documents, tokenized with GPT-2's first K merges, as two id streams.
 * Every document is followed by <|endoftext|>; the split is every 20th document held out.
 */
import { gpt2Tokenizer, type Tokenizer } from '@vectorview/engine';
import { encodeDocuments, loadBrown, splitBrown } from './corpus.js';

export interface TokenData {
  readonly tokenizer: Tokenizer;
  readonly train: Int32Array;
  readonly heldOut: Int32Array;
}

export function loadTokenData(merges: number): TokenData {
  const tokenizer = gpt2Tokenizer({ merges });
  const { train, heldOut } = splitBrown(loadBrown());
  return {
    tokenizer,
    train: encodeDocuments(train, (text) => tokenizer.encode(text), tokenizer.endOfText),
    heldOut: encodeDocuments(heldOut, (text) => tokenizer.encode(text), tokenizer.endOfText),
  };
}

/**
 * The unigram baseline: token frequencies counted on `train` (add-one smoothed over the whole
 * vocabulary), scored as mean −log p on the targets that `evaluationTargets` picks from `heldOut`.
 */
export function unigramLoss(train: Int32Array, targets: Iterable<number>, vocabSize: number): number {
  const counts = new Float64Array(vocabSize);
  for (const id of train) counts[id]!++;
  const total = train.length + vocabSize;
  let sum = 0;
  let n = 0;
  for (const id of targets) {
    sum -= Math.log((counts[id]! + 1) / total);
    n++;
  }
  return sum / n;
}

/**
 * The held-out evaluation protocol: the stream is cut into consecutive windows of `context`
 * tokens (the last one may be shorter); within each window every token after the first is
 * predicted from the ones before it. Yields [window start, window length].
 */
export function* evaluationWindows(length: number, context: number): Generator<[number, number]> {
  for (let start = 0; start + 1 < length; start += context) yield [start, Math.min(context, length - start)];
}

/** The target ids the evaluation protocol scores (every token but each window's first). */
export function evaluationTargets(ids: Int32Array, context: number): number[] {
  const out: number[] = [];
  for (const [start, len] of evaluationWindows(ids.length, context)) for (let i = 1; i < len; i++) out.push(ids[start + i]!);
  return out;
}
