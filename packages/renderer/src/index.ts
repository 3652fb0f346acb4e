/**
 * @vectorview/renderer: a trace of one GPT-2 forward pass → an annotated poster as an SVG string.
 * Pure string building in Node (no DOM, nothing global); deterministic for a given trace and options.
 */
import { createRequire } from 'node:module';
import type { Trace } from '@vectorview/trace';
import { createContext, type Ctx, type Prose, type ResolvedOptions } from './context.js';
import { FONT_FAMILY } from './fonts.js';
import { condenseStatement, OMIT_ORDER, PROSE_LEVELS } from './condense.js';
import { drawStages, prepareStages, sharedDefs, stageDrawings, structureOf, type Box, type StageDrawings } from './drawings.js';
import { fitsPage, legibleScale, layoutPrint, MAX_BLANK_BAND, textSizes, widestBlankBand, layoutStrip, PAGE_MM, type PageLayout, type PosterSize, type PrintPage } from './layout.js';
import { attrs, esc, groupAt, n, type Block } from './svg.js';
import type { AnyStage, Prepared, StageScale } from './stage.js';
import { STAGES } from './stages/index.js';
import { legendStage } from './stages/legend.js';
import { titleStage } from './stages/title.js';
import { INK } from './theme.js';

export type { PosterSize } from './layout.js';

export interface PosterOptions {
  /** Paper size; default 'A0'. 'web' is one long strip. */
  size?: PosterSize;
  landscape?: boolean;
  /** The head drawn in full (default: the one the trace's analysis chose for its circuits, else 0). */
  head?: number;
  /** The layer drawn in full (default: the analysis's choice, else 0). */
  layer?: number;
  /** Draw every layer as a compact strip instead of eliding the others. */
  allLayers?: boolean;
  /** Small multiples of every head's attention pattern (default true). */
  headGrid?: boolean;
  /** Components of each d_model vector drawn (default 128, or d_model if smaller). */
  componentsDrawn?: number;
  date?: string;
  version?: string;
  /** Text of an arbitrary token id (the engine's decoder); default "#id". */
  tokenText?: (id: number) => string;
  /** The stages drawn, in reading order (default `STAGES`): a new stage is one more entry. */
  stages?: readonly AnyStage[];
}

export interface StageBox {
  id: string;
  x: number;
  y: number;
  width: number;
  height: number;
  /** The stage's title and speaker notes (its annotation, filled with this trace's numbers). */
  title: string;
  notes: string;
  /** The `data-step` groups, in step order: what the talk reveals one at a time. */
  steps: { step: number; box: Box }[];
  /** Every element with an id (vectors `vec-…`, patterns, matrices) and where it is. */
  elements: { id: string; box: Box }[];
}

export interface Poster {
  svg: string;
  /** Size in user units (the viewBox). */
  width: number;
  height: number;
  /** Physical size, e.g. '841mm' (or '1600px' for web). */
  physicalWidth: string;
  physicalHeight: string;
  stages: StageBox[];
  /** The layer and head drawn in full: the options', else the analysis's choice (what the talk's slides follow). */
  drawn: { layer: number; head: number };
}

/** The poster's stages in reading order: the registry's ids, which are also the annotation content's. */
export const POSTER_STAGE_IDS: readonly string[] = STAGES.map((s) => s.id);

function packageVersion(): string {
  try {
    return (createRequire(import.meta.url)('../package.json') as { version: string }).version;
  } catch {
    return '';
  }
}

function resolve(trace: Trace, options: PosterOptions): ResolvedOptions {
  const c = trace.config;
  const clampInt = (v: number | undefined, d: number, max: number) => (Number.isInteger(v) ? Math.max(0, Math.min(max, v!)) : d);
  return {
    // The head the analysis chose (and says why) unless the options ask for another.
    head: clampInt(options.head, trace.analysis.circuits?.head ?? 0, c.n_head - 1),
    layer: clampInt(options.layer, trace.analysis.circuits?.layer ?? 0, c.n_layer - 1),
    allLayers: options.allLayers ?? false,
    headGrid: options.headGrid ?? true,
    componentsDrawn: Math.max(1, Math.min(c.d_model, Math.floor(options.componentsDrawn ?? 128))),
    date: options.date ?? (trace.created ? trace.created.slice(0, 10) : ''),
    version: options.version ?? packageVersion(),
    tokenText: options.tokenText ?? ((id: number) => `#${id}`),
    prose: 'full',
    condensed: [],
  };
}

function printPage(size: Exclude<PosterSize, 'web'>, landscape: boolean): PrintPage {
  const [w, h] = PAGE_MM[size];
  return landscape ? { widthMm: h, heightMm: w } : { widthMm: w, heightMm: h };
}

interface DrawnStage {
  readonly id: string;
  readonly block: Block;
}

/**
 * Draws the stages as condense.ts describes (everything where it fits, else the prose level and
 * the stages kept by importance that fill the page), and lays them out; the web size draws
 * everything. Each prose level is drawn once; the title (which says what was left out) and the
 * legend (which lists the drawn stages' scales) are drawn again for the stages kept.
 */
function condenseToFit(
  registry: readonly AnyStage[],
  prepared: readonly Prepared[],
  print: (PrintPage & { name: string }) | undefined,
  contextFor: (prose: Prose, condensed: readonly string[]) => Ctx,
): { drawn: DrawnStage[]; page: PageLayout } {
  const scalesOf = (kept: readonly number[]): StageScale[] => kept.flatMap((i) => prepared[i]!.scales.map((scale) => ({ stage: registry[i]!.id, scale })));
  const everyone = registry.map((_, i) => i);
  const restated = (i: number) => registry[i]!.id === titleStage.id || registry[i]!.id === legendStage.id;
  const final = (prose: Prose, kept: readonly number[], blocks: readonly Block[]) => {
    const plain = contextFor(prose, []);
    const omitted = everyone.filter((i) => !kept.includes(i)).map((i) => plain.note(registry[i]!.id).title);
    const condensed = print ? condenseStatement(print.name, { prose, omitted }) : [];
    const stated = condensed.length ? contextFor(prose, condensed) : undefined;
    const drawn = kept.map((i) => ({ id: registry[i]!.id, block: stated && restated(i) ? registry[i]!.draw(stated, prepared[i], scalesOf(kept)) : blocks[i]! }));
    const heights = drawn.map((d) => d.block.height);
    if (!print) return { drawn, page: layoutStrip(heights), fills: true };
    const page = layoutPrint(heights, print, legibleScale(drawn.flatMap((d) => textSizes(d.block.svg))));
    return { drawn, page, fills: widestBlankBand(page, heights) <= MAX_BLANK_BAND };
  };
  const drawAll = (prose: Prose, condensed: readonly string[]) => {
    const ctx = contextFor(prose, condensed);
    return registry.map((stage, i) => stage.draw(ctx, prepared[i], scalesOf(everyone)));
  };
  const whole = drawAll('full', []);
  if (!print) return final('full', everyone, whole);
  const sizes = whole.map((b) => textSizes(b.svg));
  const fits = (kept: readonly number[], blocks: readonly Block[], sizesOf: readonly number[][]) =>
    fitsPage(kept.map((i) => blocks[i]!.height), print, legibleScale(kept.flatMap((i) => sizesOf[i]!)));
  if (fits(everyone, whole, sizes)) return final('full', everyone, whole);
  // Kept by importance: the stages OMIT_ORDER never leaves out first, then its list from the end.
  const rank = (i: number) => OMIT_ORDER.indexOf(registry[i]!.id as (typeof OMIT_ORDER)[number]);
  const byImportance = [...everyone].sort((a, b) => (rank(a) < 0 ? Infinity : rank(a)) - (rank(b) < 0 ? Infinity : rank(b))).reverse();
  const candidates = PROSE_LEVELS.map((prose) => {
    // Measured with the title saying that every left-out-able stage is left out, and the legend of every scale: the longest they get.
    const blocks = drawAll(prose, condenseStatement(print.name, { prose, omitted: OMIT_ORDER.map((id) => id) }));
    const sizesOf = blocks.map((b) => textSizes(b.svg));
    const kept: number[] = [];
    for (const i of byImportance) {
      const trial = [...kept, i].sort((a, b) => a - b);
      if (rank(i) < 0 || fits(trial, blocks, sizesOf)) kept.splice(0, kept.length, ...trial);
    }
    // Only the title and the legend differ from the final drawing, and final() draws them again.
    return { prose, kept, blocks };
  });
  const laid = candidates.map((c) => ({ ...c, result: final(c.prose, c.kept, c.blocks) }));
  const most = (list: typeof laid) => list.reduce((best, c) => (c.kept.length > best.kept.length ? c : best), list[0]!);
  const filling = laid.filter((c) => c.result.fills);
  return (filling.length ? most(filling) : most(laid)).result;
}

export async function renderPoster(trace: Trace, options: PosterOptions = {}): Promise<Poster> {
  const opts = resolve(trace, options);
  const registry = options.stages ?? STAGES;
  const { ctx, tex, ids, titles, prepared } = await prepareStages(trace, opts, registry);
  const size = options.size ?? 'A0';
  const print = size === 'web' ? undefined : printPage(size, options.landscape ?? false);
  const { drawn, page } = condenseToFit(registry, prepared, print && { ...print, name: `${size}${options.landscape ? ' landscape' : ''}` }, (prose, condensed) =>
    createContext(trace, { ...opts, prose, condensed }, tex, titles),
  );
  const physicalWidth = print ? `${n(print.widthMm)}mm` : `${n(page.width)}px`;
  const physicalHeight = print ? `${n(print.heightMm)}mm` : `${n(page.height)}px`;
  const stages: StageBox[] = [];
  let body = '';
  for (const p of page.placed) {
    const { id, block } = drawn[p.index]!;
    const note = ctx.note(id);
    const marks = block.marks ?? [];
    const { steps, elements } = structureOf(marks, p.x, p.y);
    stages.push({ id, x: round3(p.x), y: round3(p.y), width: round3(block.width), height: round3(block.height), title: note.title, notes: note.notes, steps, elements });
    const prefix = `<g id="${id}"`;
    body += block.svg.startsWith(prefix) ? `${prefix} transform="translate(${n(p.x)},${n(p.y)})"${block.svg.slice(prefix.length)}` : `<g id="${id}" transform="translate(${n(p.x)},${n(p.y)})">${block.svg}</g>`;
  }
  stages.sort((a, b) => ids.indexOf(a.id) - ids.indexOf(b.id));
  const defs = sharedDefs(tex);
  const title = `${trace.config.name}: one forward pass of “${trace.prompt}”, vector by vector`;
  const desc =
    `A poster of one ${trace.config.name} forward pass (${trace.config.n_layer} layers, d_model ${trace.config.d_model}, ${trace.config.n_head} heads) on a ${trace.tokens.length}-token prompt, drawn from its real activations: ` +
    `tokenizer, embeddings, residual stream, LayerNorm, attention (layer ${opts.layer}, head ${opts.head} in full), MLP, unembedding and decoding, with annotations on mechanistic interpretability.`;
  const svg =
    `<svg${attrs({ xmlns: 'http://www.w3.org/2000/svg', 'xmlns:xlink': 'http://www.w3.org/1999/xlink', width: physicalWidth, height: physicalHeight, viewBox: `0 0 ${n(page.width)} ${n(page.height)}`, role: 'img', 'aria-labelledby': 'poster-title poster-desc', 'font-family': FONT_FAMILY, fill: INK })}>` +
    `<title id="poster-title">${esc(title)}</title><desc id="poster-desc">${esc(desc)}</desc>` +
    defs +
    `<rect width="${n(page.width)}" height="${n(page.height)}" fill="#eef1f4"/>` +
    body +
    `</svg>`;
  return { svg, width: round3(page.width), height: round3(page.height), physicalWidth, physicalHeight, stages, drawn: { layer: opts.layer, head: opts.head } };
}

/**
 * Every stage's drawing without its poster frame, with its steps and elements as data: what the talk
 * builds slides from (the poster's layout and page size play no part).
 */
export async function renderStageDrawings(trace: Trace, options: PosterOptions = {}): Promise<StageDrawings & { drawn: { layer: number; head: number } }> {
  const opts = resolve(trace, options);
  const drawings = stageDrawings(await drawStages(trace, opts, options.stages ?? STAGES));
  return { ...drawings, drawn: { layer: opts.layer, head: opts.head } };
}

const round3 = (v: number) => Math.round(v * 1000) / 1000;

/** A standalone <svg> showing one stage: the viewBox cropped to it, with the poster's defs (fonts, math, markers). */
export function frameStage(poster: Poster, id: string, padding = 24): string {
  const box = poster.stages.find((s) => s.id === id);
  if (!box) throw new Error(`unknown stage ${JSON.stringify(id)}; known: ${poster.stages.map((s) => s.id).join(', ')}`);
  const start = poster.svg.indexOf(`<g id="${id}"`);
  if (start < 0) throw new Error(`the poster SVG has no group ${id}`);
  const group = groupAt(poster.svg, start);
  const defsStart = poster.svg.indexOf('<defs>');
  const defsEnd = poster.svg.indexOf('</defs>', defsStart);
  const defs = defsStart >= 0 ? poster.svg.slice(defsStart, defsEnd + 7) : '';
  const rootAttrs = /^<svg([^>]*)>/.exec(poster.svg)?.[1] ?? '';
  const family = /font-family="([^"]*)"/.exec(rootAttrs)?.[1] ?? '';
  const x = box.x - padding;
  const y = box.y - padding;
  const w = box.width + 2 * padding;
  const h = box.height + 2 * padding;
  const titleText = `Vectorview: ${id.replace('stage-', '')}`;
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" viewBox="${n(x)} ${n(y)} ${n(w)} ${n(h)}" width="${n(w)}" height="${n(h)}" role="img" aria-label="${esc(titleText)}" font-family="${family}" fill="${INK}">` +
    `<title>${esc(titleText)}</title>${defs}<rect x="${n(x)}" y="${n(y)}" width="${n(w)}" height="${n(h)}" fill="#eef1f4"/>${group}</svg>`
  );
}
export { groupAt } from './svg.js';
export { fontFiles } from './fonts.js';
export { drawingView, elementId, sameVectors, type Box, type StageDrawing, type StageDrawings } from './drawings.js';
export { signedBars, signedMax, type SignedBar, type SignedBarsOptions } from './marks/signed-bars.js';
export { renderFlowDiagram, type FlowDiagram, type FlowEdge, type FlowNode, type FlowNodeKind } from './flow.js';
export { templateValues } from './annotations.js';
export { defineStage, NO_SCALES, type AnyStage, type Prepared, type Stage, type StageScale } from './stage.js';
export { STAGES, type RegisteredStageId } from './stages/index.js';
export { frame, type StageMeta } from './stages/common.js';
