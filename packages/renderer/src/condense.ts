/**
 * How a printed page too small for the whole poster condenses it. Every size follows the same rule
 * (index.ts `condenseToFit`), judged at the smallest type the page allows (layout.ts):
 * 1. every stage with the whole annotation text, if that fits;
 * 2. else, at each prose level (points without the body text, then only the summary lines, each
 *    with its title), the stages are kept from the most essential (the end of `OMIT_ORDER`) to the
 *    most specialised, each one that still fits, and the rest left out;
 * 3. of those, the page takes the one that keeps the most stages (then the most text) among those
 *    that fill it (no blank band over 5 %), else the one that keeps the most stages.
 * The title stage prints what was done, so a reader of a condensed poster knows what it lacks.
 */
import type { Prose } from './context.js';
import type { RegisteredStageId } from './stages/index.js';
import { PRINT_PT } from './theme.js';

/** Stages a small page leaves out, first to last; the title is always drawn. */
export const OMIT_ORDER = [
  'stage-terminology',
  'stage-head-roles',
  'stage-logit-lens',
  'stage-attribution',
  'stage-ov-circuit',
  'stage-qk-circuit',
  'stage-layers',
  'stage-positional',
  'stage-layernorm',
  'stage-embedding',
  'stage-residual',
  'stage-attention',
  'stage-input-embeddings',
  'stage-unembed',
  'stage-legend',
  'stage-mlp',
  'stage-decoding',
  'stage-attention-head',
  'stage-tokenizer',
] as const satisfies readonly RegisteredStageId[];

/** The prose levels a page tries, from the whole text to the summary lines. */
export const PROSE_LEVELS: readonly Prose[] = ['full', 'points', 'summary'];

export interface Condensed {
  readonly prose: Prose;
  /** Titles of the stages left out, in reading order. */
  readonly omitted: readonly string[];
}

/** What the title stage says about a condensed page (nothing for the whole poster). */
export function condenseStatement(page: string, c: Condensed): string[] {
  if (c.prose === 'full' && c.omitted.length === 0) return [];
  const parts = [
    c.prose === 'points' ? 'the annotations print their points without the body text' : c.prose === 'summary' ? 'the annotations print only their summary lines' : '',
    c.omitted.length ? `left out: ${c.omitted.join(', ')}` : '',
  ].filter(Boolean);
  return [`Condensed for ${page} so that no text prints under ${PRINT_PT.min} pt: ${parts.join('; ')}. The web size (--size web) draws everything with the full text.`];
}
