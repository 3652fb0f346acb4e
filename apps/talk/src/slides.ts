/**
 * Slides from the renderer's stage drawings: each stage becomes a vertical stack of slides, each
 * showing one view of that stage's drawing, large (the drawing is defined once in the page and each
 * slide shows part of it through its own viewBox). A view is sized so the drawing's smallest label
 * is at least 20 px on the 1,920 × 1,080 canvas; a drawing that cannot be shown whole at that size is
 * split: by its `data-step` groups where it has them (each step revealed as a fragment), else into
 * tiles cut between its elements. The poster's prose goes to the speaker notes; the slide keeps a title.
 */
import { elementId, sameVectors, type RegisteredStageId, type StageDrawing, type StageDrawings } from '@vectorview/renderer';
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

/** The vectors carried between consecutive stages (the last token's), keyed by stage. */
function carriesFor(trace: Trace, layer: number): Map<string, Carry[]> {
  const map = new Map<string, Carry[]>();
  sameVectors(layer, trace.tokens.length - 1).forEach(({ from, to }, i) => {
    const dataId = `carry-${i}`;
    map.set(from.stage, [...(map.get(from.stage) ?? []), { element: from.element, dataId }]);
    map.set(to.stage, [...(map.get(to.stage) ?? []), { element: to.element, dataId }]);
  });
  return map;
}

/** The slides of one stage: one per view, titled by the stage (and which part). */
function stageSlides(drawings: StageDrawings, d: StageDrawing, views: readonly View[], carries: readonly Carry[]): Slide[] {
  const title = d.annotation.title;
  return views.map((view, i) => {
    const part = views.length > 1 ? `${i + 1} / ${views.length}` : '';
    // Only the first and last views meet the neighbouring stages' slides.
    const carry = i === 0 || i === views.length - 1 ? carries : [];
    const figure = figureHtml(drawings, d, view, `${title}${part ? `, part ${part}` : ''}`, carry);
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
  const carries = carriesFor(trace, opts.layer);
  const stacks: SlideStack[] = [{ id: 'opening', slides: [titleSlide(trace, drawings)] }];
  for (const d of talkOrder(drawings)) {
    const id = d.id as RegisteredStageId;
    if (!full && !SHORT_STAGES.includes(id)) continue;
    const all = viewsOf(d);
    const views = full || SHORT_ALL_VIEWS.includes(id) ? all : all.slice(0, 1);
    const slides = stageSlides(drawings, d, views, carries.get(d.id) ?? []);
    if (id === 'stage-attention') slides.push(...headSlides(trace, drawings, d, opts, full ? undefined : [opts.head], elementId.headPattern));
    stacks.push({ id: d.id, slides });
  }
  stacks.push({ id: 'closing', slides: closingSlides(trace, opts) });
  return stacks;
}
