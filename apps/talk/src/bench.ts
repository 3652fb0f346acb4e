/** The talk's speed target: building the deck for random:gpt2 with 16 tokens (target ≤ 5 s). */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { traceModel } from '@vectorview/engine/node';
import { DEFAULT_THEME } from './assets.js';
import { buildDeck } from './talk.js';

export interface TalkBench {
  /** Trace → slides → HTML → files on disk, the model's forward pass excluded. */
  readonly buildMs: number;
  /** The forward pass that produced the trace (not part of the target). */
  readonly traceMs: number;
  readonly slides: number;
  readonly htmlBytes: number;
}

/** Builds one deck (folder form) for `model` on `tokens` tokens and reports the time it took. */
export async function benchTalk(options: { model?: string; tokens?: number } = {}): Promise<TalkBench> {
  const n = options.tokens ?? 16;
  let start = performance.now();
  const trace = await traceModel(options.model ?? 'random:gpt2', { tokens: Array.from({ length: n }, (_, i) => 464 + 37 * i), mode: 'batched' });
  const traceMs = performance.now() - start;
  const dir = await mkdtemp(path.join(os.tmpdir(), 'vectorview-talk-bench-'));
  try {
    start = performance.now();
    const deck = await buildDeck(trace, { theme: DEFAULT_THEME, singleFile: false, length: 'full' });
    for (const file of deck.files) {
      await mkdir(path.join(dir, path.dirname(file.path)), { recursive: true });
      await writeFile(path.join(dir, file.path), file.data);
    }
    await writeFile(path.join(dir, 'index.html'), deck.html);
    return { buildMs: performance.now() - start, traceMs, slides: deck.slides, htmlBytes: deck.html.length };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
