import { writeFileSync } from 'node:fs';
import { test } from 'vitest';
import { frameStage, POSTER_STAGE_IDS, renderPoster } from './index.js';
import { fixtureTrace, syntheticTrace, tokenText } from './test-support/fixture-trace.js';
test.skipIf(!process.env.DEV)('dev render', async () => {
  const t0 = performance.now();
  const p = await renderPoster(fixtureTrace(2), { size: (process.env.SIZE as 'A0') ?? 'A0', tokenText, date: '2025-01-01', version: 'dev' });
  console.log('tiny', performance.now() - t0, p.svg.length, p.width, p.height);
  writeFileSync('/tmp/poster.svg', p.svg);
  for (const id of POSTER_STAGE_IDS) writeFileSync(`/tmp/frame-${id}.svg`, frameStage(p, id));
  if (process.env.BIG) {
    const t1 = performance.now();
    const q = await renderPoster(syntheticTrace(), { tokenText });
    console.log('big', performance.now() - t1, q.svg.length);
    writeFileSync('/tmp/poster-big.svg', q.svg);
  }
});
