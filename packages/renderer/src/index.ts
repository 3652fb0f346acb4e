/**
 * @vectorview/renderer: a trace of one GPT-2 forward pass → an annotated poster as an SVG string.
 * Pure string building in Node (no DOM, nothing global); deterministic for a given trace and options.
 */
import { createRequire } from 'node:module';
import type { Trace } from '@vectorview/trace';
import type { ResolvedOptions } from './context.js';
import { drawStages, sharedDefs, stageDrawings, structureOf, type Box, type StageDrawings } from './drawings.js';
import { FONT_FAMILY } from './fonts.js';
import { layoutPage, PAGE_MM, type PosterSize } from './layout.js';
import { attrs, esc, n } from './svg.js';
import type { AnyStage } from './stage.js';
import { STAGES } from './stages/index.js';
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
  };
}

export async function renderPoster(trace: Trace, options: PosterOptions = {}): Promise<Poster> {
  const opts = resolve(trace, options);
  const { ctx, tex, ids, blocks: ordered } = await drawStages(trace, opts, options.stages ?? STAGES);

  const size = options.size ?? 'A0';
  let physicalWidth: string;
  let physicalHeight: string;
  let aspect: number | undefined;
  if (size === 'web') aspect = undefined;
  else {
    const [w, h] = PAGE_MM[size];
    const [pw, ph] = options.landscape ? [h, w] : [w, h];
    aspect = pw / ph;
    physicalWidth = `${n(pw)}mm`;
    physicalHeight = `${n(ph)}mm`;
  }
  const page = layoutPage(
    ordered.map((b) => b.height),
    aspect,
  );
  if (size === 'web') {
    physicalWidth = `${n(page.width)}px`;
    physicalHeight = `${n(page.height)}px`;
  }
  const stages: StageBox[] = [];
  let body = '';
  for (const p of page.placed) {
    const id = ids[p.index]!;
    const block = ordered[p.index]!;
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
    `<svg${attrs({ xmlns: 'http://www.w3.org/2000/svg', 'xmlns:xlink': 'http://www.w3.org/1999/xlink', width: physicalWidth!, height: physicalHeight!, viewBox: `0 0 ${n(page.width)} ${n(page.height)}`, role: 'img', 'aria-labelledby': 'poster-title poster-desc', 'font-family': FONT_FAMILY, fill: INK })}>` +
    `<title id="poster-title">${esc(title)}</title><desc id="poster-desc">${esc(desc)}</desc>` +
    defs +
    `<rect width="${n(page.width)}" height="${n(page.height)}" fill="#eef1f4"/>` +
    body +
    `</svg>`;
  return { svg, width: round3(page.width), height: round3(page.height), physicalWidth: physicalWidth!, physicalHeight: physicalHeight!, stages, drawn: { layer: opts.layer, head: opts.head } };
}

const round3 = (v: number) => Math.round(v * 1000) / 1000;

/**
 * Every stage's drawing without its poster frame, with its steps and elements as data: what the talk
 * builds slides from (the poster's layout and page size play no part).
 */
export async function renderStageDrawings(trace: Trace, options: PosterOptions = {}): Promise<StageDrawings & { drawn: { layer: number; head: number } }> {
  const opts = resolve(trace, options);
  const drawings = stageDrawings(await drawStages(trace, opts, options.stages ?? STAGES));
  return { ...drawings, drawn: { layer: opts.layer, head: opts.head } };
}

/** The element starting at `start` (a `<g …>`), up to its matching `</g>`. */
export function groupAt(svg: string, start: number): string {
  const re = /<g[\s>]|<\/g>/g;
  re.lastIndex = start;
  let depth = 0;
  for (let m = re.exec(svg); m; m = re.exec(svg)) {
    depth += m[0] === '</g>' ? -1 : 1;
    if (depth === 0) return svg.slice(start, m.index + 4);
  }
  throw new Error('unbalanced group');
}

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
export { fontFiles } from './fonts.js';
export { drawingView, elementId, sameVectors, type Box, type StageDrawing, type StageDrawings } from './drawings.js';
export { signedBars, signedMax, type SignedBar, type SignedBarsOptions } from './marks/signed-bars.js';
export { renderFlowDiagram, type FlowDiagram, type FlowEdge, type FlowNode, type FlowNodeKind } from './flow.js';
export { templateValues } from './annotations.js';
export { defineStage, NO_SCALES, type AnyStage, type Prepared, type Stage, type StageScale } from './stage.js';
export { STAGES, type RegisteredStageId } from './stages/index.js';
export { frame, type StageMeta } from './stages/common.js';
