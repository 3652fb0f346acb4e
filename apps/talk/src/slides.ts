/**
 * Slides from the renderer's stage drawings: each stage becomes a vertical stack of slides, each
 * showing one view of that stage's drawing, large (the drawing is defined once in the page and each
 * slide shows part of it through its own viewBox). A view is sized so the drawing's smallest label
 * is at least 20 px on the 1,920 × 1,080 canvas; a drawing that cannot be shown whole at that size is
 * split: by its `data-step` groups where it has them (each step revealed as a fragment), else into
 * tiles cut between its elements. The poster's prose goes to the speaker notes; the slide keeps a title.
 */
import { elementId, sameVectors, type Box, type RegisteredStageId, type StageDrawing, type StageDrawings } from '@vectorview/renderer';
import type { Trace } from '@vectorview/trace';
import { figureHtml, stageNotes, titleHtml, viewsOf, type Carry, type Slide, type SlideOptions, type SlideStack, type View } from './figure.js';
import { closingSlides, headSlides, titleSlide } from './story.js';

export { CANVAS, TALK_LENGTHS, type Slide, type SlideOptions, type SlideStack, type TalkLength } from './figure.js';

/** The analyses, as their own sequence after the prediction: who wrote it, across depth, which heads do what, and the opened head's circuits. */
const ANALYSIS_SEQUENCE: readonly RegisteredStageId[] = ['stage-attribution', 'stage-logit-lens', 'stage-head-roles', 'stage-qk-circuit', 'stage-ov-circuit'];
/** Stages the 15-minute talk keeps (the first view of each; the attention head and decoding in full). */
const SHORT_STAGES: readonly RegisteredStageId[] = ['stage-tokenizer', 'stage-input-embeddings', 'stage-residual', 'stage-attention-head', 'stage-mlp', 'stage-unembed', 'stage-decoding', 'stage-attribution', 'stage-logit-lens', 'stage-head-roles'];
/** Stages shown in the short talk with every view, because their builds are the computation. */
const SHORT_ALL_VIEWS: readonly RegisteredStageId[] = ['stage-attention-head', 'stage-decoding'];
/**
 * Poster apparatus the talk leaves out: the title becomes the opening slide, each drawing carries its
 * own colour key, and the glossary is reference reading, not a picture (its terms are in the notes).
 */
const POSTER_ONLY: readonly RegisteredStageId[] = ['stage-title', 'stage-legend', 'stage-terminology'];

const within = (inner: Box, outer: Box) => inner.x >= outer.x && inner.y >= outer.y && inner.x + inner.width <= outer.x + outer.width && inner.y + inner.height <= outer.y + outer.height;

interface StagePlan {
  readonly drawing: StageDrawing;
  readonly views: View[];
  /** Carried vectors per view. */
  readonly carries: Carry[][];
}

/**
 * The last token's vectors carried from one stage's last view to the next stage's first view
 * (auto-animate pairs elements of adjacent slides by data-id). When the view that shows the vector is
 * not the stage's last, it is shown once more at the end, so the vector leaves from where it was seen.
 */
function planCarries(trace: Trace, layer: number, plans: readonly StagePlan[]): void {
  const box = (d: StageDrawing, element: string) => d.elements.find((e) => e.id === element)?.box;
  sameVectors(layer, trace.tokens.length - 1).forEach(({ from, to }, i) => {
    const at = plans.findIndex((p) => p.drawing.id === from.stage);
    const a = plans[at];
    const b = plans[at + 1];
    if (!a || !b || b.drawing.id !== to.stage) return;
    const fromBox = box(a.drawing, from.element);
    const toBox = box(b.drawing, to.element);
    if (!fromBox || !toBox || !within(toBox, b.views[0]!.box)) return;
    const shown = a.views.map((v) => within(fromBox, v.box)).lastIndexOf(true);
    if (shown < 0) return;
    if (shown !== a.views.length - 1) {
      a.views.push({ box: a.views[shown]!.box, steps: [] });
      a.carries.push([]);
    }
    const last = a.views.length - 1;
    const dataId = `carry-${i}`;
    a.carries[last]!.push({ element: from.element, dataId });
    b.carries[0]!.push({ element: to.element, dataId });
  });
}

/** The slides of one stage: one per view, titled by the stage (and which part). */
function stageSlides(drawings: StageDrawings, plan: StagePlan): Slide[] {
  const d = plan.drawing;
  const title = d.annotation.title;
  return plan.views.map((view, i) => {
    const part = plan.views.length > 1 ? `${i + 1} / ${plan.views.length}` : '';
    const figure = figureHtml(drawings, d, view, `${title}${part ? `, part ${part}` : ''}`, plan.carries[i]);
    const attrs: Record<string, string> = { 'data-stage': d.id, 'data-view': String(i) };
    if (figure.carried) attrs['data-auto-animate'] = '';
    return {
      html: titleHtml(title, part) + figure.html,
      notes: stageNotes(d, i > 0 ? `${title}, part ${part}` : ''),
      attrs,
      fragments: figure.fragments,
      title: part ? `${title} (${part})` : title,
    };
  });
}

/** The stages in the talk's order: the computation in the poster's order, then the analyses as one sequence. */
function talkOrder(drawings: StageDrawings): StageDrawing[] {
  const stages = drawings.stages.filter((d) => !(POSTER_ONLY as readonly string[]).includes(d.id) && d.svg !== undefined);
  const analysis = ANALYSIS_SEQUENCE.map((id) => stages.find((d) => d.id === id)).filter((d): d is StageDrawing => d !== undefined);
  return [...stages.filter((d) => !analysis.includes(d)), ...analysis];
}

/** Every slide of the talk, in stacks: the opening, the stages, the analyses, the mechanism and the prediction. */
export function buildSlides(trace: Trace, drawings: StageDrawings, opts: SlideOptions): SlideStack[] {
  const full = opts.length === 'full';
  const plans: StagePlan[] = talkOrder(drawings)
    .filter((d) => full || SHORT_STAGES.includes(d.id as RegisteredStageId))
    .map((d) => {
      const all = viewsOf(d);
      const views = full || SHORT_ALL_VIEWS.includes(d.id as RegisteredStageId) ? all : all.slice(0, 1);
      return { drawing: d, views, carries: views.map(() => []) };
    });
  planCarries(trace, opts.layer, plans);
  const stacks: SlideStack[] = [{ id: 'opening', slides: [titleSlide(trace, drawings)] }];
  for (const plan of plans) {
    const slides = stageSlides(drawings, plan);
    if (plan.drawing.id === 'stage-attention') slides.push(...headSlides(trace, drawings, plan.drawing, opts, full ? undefined : [opts.head], elementId.headPattern));
    stacks.push({ id: plan.drawing.id, slides });
  }
  stacks.push({ id: 'closing', slides: closingSlides(trace, opts) });
  return stacks;
}
