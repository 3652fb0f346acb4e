import { expect, test } from 'vitest';
import { renderPoster } from './index.js';
import { syntheticTrace, tokenText } from './test-support/fixture-trace.js';

test('a GPT-2-124M-shaped poster with 16 tokens stays under 8 MB', async () => {
  const trace = syntheticTrace(16);
  const start = performance.now();
  const poster = await renderPoster(trace, { size: 'A0', tokenText });
  const ms = performance.now() - start;
  const bytes = Buffer.byteLength(poster.svg);
  console.log(`124M-shaped poster: ${(bytes / 1e6).toFixed(2)} MB in ${ms.toFixed(0)} ms`);
  expect(bytes).toBeLessThan(8e6);
}, 60_000);
