/**
 * The stage unit. One module per stage declares everything about it; `STAGES` (stages/index.ts)
 * lists them in reading order. Drawing follows Observable Plot's order: `prepare` computes the
 * statistics and value scales from the trace first, then `draw` builds the marks with them. The
 * legend reads every stage's scales, so no stage depends on being drawn before another.
 */
import type { HookName } from '@vectorview/trace';
import type { Ctx } from './context.js';
import type { ValueScale } from './scale.js';
import type { Block } from './svg.js';
import type { Category } from './theme.js';

/** A value scale and the stage it belongs to, as the legend lists it. */
export interface StageScale {
  readonly stage: string;
  readonly scale: ValueScale;
}

/** What `prepare` hands to `draw`: at least the stage's value scales, in legend order. */
export interface Prepared {
  readonly scales: readonly ValueScale[];
}

export interface Stage<Id extends string = string, P extends Prepared = Prepared> {
  /** The `<g id>` of the stage, the content file's name and the slide stack's id. */
  readonly id: Id;
  readonly category: Category;
  /** Title when the content package has no annotation for the stage. */
  readonly title: string;
  /** TeX the drawing typesets (the annotation's TeX is collected from its text). */
  readonly tex: (ctx: Ctx) => readonly string[];
  /** Hooks the stage reads from the trace. */
  readonly reads: (ctx: Ctx) => readonly HookName[];
  /** Statistics and scales, computed from the data before anything is drawn. */
  readonly prepare: (ctx: Ctx) => P;
  /** The stage's frame; `scales` holds every stage's scales (the legend lists them). */
  readonly draw: (ctx: Ctx, prepared: P, scales: readonly StageScale[]) => Block;
}

/** A stage whose `prepare` computes nothing. */
export const NO_SCALES: Prepared = Object.freeze({ scales: [] });

/** Declares a stage; the literal id is kept in the type so the registry can be checked at compile time. */
export function defineStage<const Id extends string, P extends Prepared>(stage: Stage<Id, P>): Stage<Id, P> {
  return Object.freeze(stage);
}

/** A stage of any prepared shape, as the registry holds it. */
// `prepare` and `draw` agree inside each stage; the registry only passes one's result to the other.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyStage = Stage<string, any>;
