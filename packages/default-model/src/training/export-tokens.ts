/**
 * Writes the training data as the torch trainer reads it: the Brown split tokenized by the engine's
 * own GPT-2 tokenizer (first MERGES merges), so the ids the model learns are exactly those the poster
 * encodes. Output (git-ignored): checkpoints/tokens/{train,held-out}.i32 (little-endian int32) and
 * tokens.json (sizes, merges, end-of-text id).
 *
 *   node dist/training/export-tokens.js
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { loadTokenData } from './data.js';
import { MERGES, MODEL, packageRoot } from './hparams.js';

const dir = path.join(packageRoot(), 'checkpoints', 'tokens');
mkdirSync(dir, { recursive: true });
const data = loadTokenData(MERGES);
const bytes = (ids: Int32Array) => new Uint8Array(ids.buffer, ids.byteOffset, ids.byteLength);
writeFileSync(path.join(dir, 'train.i32'), bytes(data.train));
writeFileSync(path.join(dir, 'held-out.i32'), bytes(data.heldOut));
const info = { merges: MERGES, vocab_size: MODEL.vocab_size, end_of_text_id: data.tokenizer.endOfText, train_tokens: data.train.length, held_out_tokens: data.heldOut.length };
writeFileSync(path.join(dir, 'tokens.json'), JSON.stringify(info, null, 2) + '\n');
console.log(`wrote ${dir}: ${JSON.stringify(info)}`);
