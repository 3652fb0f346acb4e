/**
 * How a printed page too small for the whole poster condenses it. Every size follows the same rule,
 * one step at a time until the poster fits at the smallest type the page allows (layout.ts): first
 * the annotations drop their body paragraphs, then their points (each keeps its title and summary
 * line), then stages are left out in `OMIT_ORDER`, the most specialised first. A page that the
 * first fitting step cannot fill (one column of stages on a page wider than it) gives the stages
 * their prose back, or leaves out one more stage and gives prose back, until it is filled. The title
 * stage prints what was done, so a reader of a condensed poster knows what it lacks.
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

export interface CondenseStep {
  readonly prose: Prose;
  /** How many stages of `OMIT_ORDER` (among those drawn) are left out. */
  readonly omit: number;
}

/** The steps in order, from the whole poster to the most condensed. */
export function condenseSteps(omittable: number): CondenseStep[] {
  const steps: CondenseStep[] = [
    { prose: 'full', omit: 0 },
    { prose: 'points', omit: 0 },
  ];
  for (let omit = 0; omit <= omittable; omit++) steps.push({ prose: 'summary', omit });
  return steps;
}

/** What the title stage says about a condensed page (nothing for the whole poster). */
export function condenseStatement(page: string, step: CondenseStep, omittedTitles: readonly string[]): string[] {
  if (step.prose === 'full' && omittedTitles.length === 0) return [];
  const parts = [
    step.prose === 'points' ? 'the annotations print their points without the body text' : step.prose === 'summary' ? 'the annotations print only their summary lines' : '',
    omittedTitles.length ? `left out: ${omittedTitles.join(', ')}` : '',
  ].filter(Boolean);
  return [`Condensed for ${page} so that no text prints under ${PRINT_PT.min} pt: ${parts.join('; ')}. The web size (--size web) draws everything with the full text.`];
}
