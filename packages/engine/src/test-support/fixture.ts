/** The HuggingFace reference fixture: a tiny random GPT-2 checkpoint and HF's activations for three prompts. */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { decodeSafetensors, type Tensor } from '@vectorview/trace';

export const FIXTURE_DIR = fileURLToPath(new URL('../../../../fixtures/gpt2-tiny-hf/', import.meta.url));

export interface FixturePrompt {
  readonly ids: number[];
  /** Expected tensors by name, the `p{i}.` prefix removed. */
  readonly expected: Map<string, Tensor>;
}

export function fixturePrompts(): FixturePrompt[] {
  const { metadata, tensors } = decodeSafetensors(readFileSync(`${FIXTURE_DIR}expected.safetensors`));
  const prompts = JSON.parse(metadata['prompts']!) as number[][];
  return prompts.map((ids, i) => {
    const prefix = `p${i}.`;
    const expected = new Map([...tensors].filter(([k]) => k.startsWith(prefix)).map(([k, v]) => [k.slice(prefix.length), v]));
    return { ids, expected };
  });
}

/** Largest absolute difference, treating equal infinities as equal. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let worst = 0;
  for (let i = 0; i < a.length; i++) {
    if (a[i] === b[i]) continue;
    const d = Math.abs(a[i]! - b[i]!);
    if (!(d <= worst)) worst = d;
  }
  return worst;
}

export function maxAbs(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) if (Number.isFinite(a[i]!)) m = Math.max(m, Math.abs(a[i]!));
  return m;
}
