/**
 * The bench's anchors run: CI has no numpy and never runs the bench's cold section, so a broken
 * anchor script would first show up when someone measures. The stack's floor runs here on the
 * fixture checkpoint and must report the parts the bench prints.
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { expect, test } from 'vitest';
import { ROOT } from './support.mjs';

test("scripts/tfjs-floor.mjs times start-up, the reads of a checkpoint's matrices and a product with each", () => {
  const out = execFileSync('node', [path.join(ROOT, 'scripts/tfjs-floor.mjs'), path.join(ROOT, 'fixtures/gpt2-tiny-hf'), '16'], { encoding: 'utf8' });
  const floor = JSON.parse(out);
  for (const part of ['start_ms', 'weights_ms', 'products_ms']) expect(floor[part], part).toBeGreaterThan(0);
  expect(floor.total_ms).toBeGreaterThanOrEqual(floor.start_ms + floor.weights_ms + floor.products_ms);
});
