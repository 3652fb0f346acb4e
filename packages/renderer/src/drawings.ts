/**
 * Each stage's drawing as data, for slides: the stage's marks without the poster's frame (no header,
 * no annotation), in the drawing's own coordinates, with the boxes of its `data-step` groups and of
 * its elements with ids. The poster and the slides share one pipeline (`drawStages`), so a slide shows
 * exactly what the poster draws, and nobody has to read the SVG back to find where things are.
 */
import type { Trace } from '@vectorview/trace';
import type { Annotation } from './annotations.js';
import { createContext, type Ctx, type ResolvedOptions } from './context.js';
import { embeddedFontCss, FONT_FAMILY } from './fonts.js';
import { texIn } from './markdown.js';
import { prepareTex, TexRegistry } from './math.js';
import { esc, groupAt, n, type Block, type Mark } from './svg.js';
import type { AnyStage, Prepared, StageScale } from './stage.js';
import { INK } from './theme.js';

/** A rectangle in drawing units. */
export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

const round3 = (v: number) => Math.round(v * 1000) / 1000;

/** The union box of each mark key of one kind, moved by (dx, dy). */
export function boxesOf(marks: readonly Mark[], kind: Mark['kind'], dx: number, dy: number): Map<string, Box> {
  const out = new Map<string, Box>();
  for (const m of marks) {
    if (m.kind !== kind) continue;
    const prev = out.get(m.key);
    const x0 = Math.min(prev?.x ?? Infinity, m.x + dx);
    const y0 = Math.min(prev?.y ?? Infinity, m.y + dy);
    const x1 = Math.max(prev ? prev.x + prev.width : -Infinity, m.x + dx + m.width);
    const y1 = Math.max(prev ? prev.y + prev.height : -Infinity, m.y + dy + m.height);
    out.set(m.key, { x: round3(x0), y: round3(y0), width: round3(x1 - x0), height: round3(y1 - y0) });
  }
  return out;
}

/** Steps in step order and elements, from a block's marks. */
export function structureOf(marks: readonly Mark[], dx = 0, dy = 0): { steps: { step: number; box: Box }[]; elements: { id: string; box: Box }[] } {
  const steps = [...boxesOf(marks, 'step', dx, dy)].map(([step, box]) => ({ step: Number(step), box })).sort((a, b) => a.step - b.step);
  const elements = [...boxesOf(marks, 'id', dx, dy)].map(([id, box]) => ({ id, box }));
  return { steps, elements };
}

export interface PreparedStages {
  readonly ctx: Ctx;
  readonly tex: TexRegistry;
  readonly ids: readonly string[];
  /** Each stage's title fallback, by id (a context for another prose level needs them). */
  readonly titles: ReadonlyMap<string, string>;
  /** Each stage's statistics and scales, in registry order. */
  readonly prepared: readonly Prepared[];
}

export interface DrawnStages extends PreparedStages {
  /** Each stage's framed block, in registry order. */
  readonly blocks: readonly Block[];
}

/** Typesets and prepares every registered stage: scales come from the data before anything draws. */
export async function prepareStages(trace: Trace, opts: ResolvedOptions, registry: readonly AnyStage[]): Promise<PreparedStages> {
  const ids = registry.map((s) => s.id);
  if (new Set(ids).size !== ids.length) throw new Error(`a stage is registered twice: ${ids.filter((id, i) => ids.indexOf(id) !== i).join(', ')}`);
  const tex = new TexRegistry();
  const titles = new Map(registry.map((s) => [s.id, s.title]));
  const ctx = createContext(trace, opts, tex, titles);
  // Typeset every formula first: MathJax may need to load font ranges asynchronously.
  const strings = new Set<string>();
  for (const stage of registry) {
    for (const t of stage.tex(ctx)) strings.add(t);
    const a = ctx.note(stage.id);
    for (const s of [a.title, a.short, a.body, ...a.points]) for (const t of texIn(s)) strings.add(t);
  }
  await prepareTex(strings);
  return { ctx, tex, ids, titles, prepared: registry.map((stage) => stage.prepare(ctx)) };
}

/** Every registered stage prepared and drawn in full (the legend reads every stage's scales). */
export async function drawStages(trace: Trace, opts: ResolvedOptions, registry: readonly AnyStage[]): Promise<DrawnStages> {
  const stages = await prepareStages(trace, opts, registry);
  const scales: StageScale[] = registry.flatMap((stage, i) => stages.prepared[i]!.scales.map((scale) => ({ stage: stage.id, scale })));
  return { ...stages, blocks: registry.map((stage, i) => stage.draw(stages.ctx, stages.prepared[i], scales)) };
}

/** One stage's drawing, ready to show on its own. */
export interface StageDrawing {
  readonly id: string;
  /** The stage's annotation, filled with this trace's numbers (title, one-line summary, prose, notes). */
  readonly annotation: Annotation;
  /** The drawing's marks as an SVG fragment, origin top-left; `undefined` for a stage with no frame (the title). */
  readonly svg: string | undefined;
  readonly width: number;
  readonly height: number;
  /** The `data-step` groups in step order, in drawing units. */
  readonly steps: readonly { step: number; box: Box }[];
  /** Every element with an id (vectors `vec-…`, patterns, matrices, grids), in drawing units. */
  readonly elements: readonly { id: string; box: Box }[];
  /** The smallest font size in the drawing, in drawing units: a slide scales the drawing so this stays legible. */
  readonly smallestText: number;
  /** How many words its text holds, prose and detail left out (the sum of `wordsAt`). */
  readonly words: number;
  /** Where those words are: each text's anchor in drawing units, with its words (a slide counts those in its view). */
  readonly wordsAt: readonly { readonly x: number; readonly y: number; readonly words: number }[];
  /**
   * The drawing's prose paragraphs (Markdown, in drawing order): the `<g class="prose">` groups a slide
   * hides and speaks. (`<g class="detail">` groups, printed scores that repeat a colour, are hidden too.)
   */
  readonly prose: readonly string[];
}

export interface StageDrawings {
  readonly stages: readonly StageDrawing[];
  /** What every drawing refers to (fonts, typeset math, arrow markers): put once in the page, before the drawings. */
  readonly defs: string;
  /** The root attributes a drawing expects from its <svg>. */
  readonly fontFamily: string;
  readonly ink: string;
}

export const ARROW_MARKER = `<marker id="arrow" viewBox="0 0 10 10" refX="8" refY="5" markerWidth="6" markerHeight="6" orient="auto-start-reverse"><path d="M0 0L10 5L0 10z" fill="${INK}"/></marker>`;

/** The shared <defs> content: the embedded font, the arrow marker and the typeset TeX. */
export function sharedDefs(tex: TexRegistry): string {
  return `<defs><style>${embeddedFontCss()}\ntext{font-kerning:normal}a text{cursor:pointer}</style>${ARROW_MARKER}${tex.defs()}</defs>`;
}

/**
 * The smallest `font-size` the drawing's text was given. The text marks return only strings, so it
 * is read back from what the renderer itself wrote: every size goes through `attrs` as a plain
 * number, so the reading is exact; typeset math (glyph paths) is drawn at body size or larger.
 * Detail, which a slide hides, does not count.
 */
function smallestText(drawn: string): number {
  // Detail groups hold only <text> elements (head-roles.ts), so the first </g> closes them.
  const svg = drawn.replace(/<g class="detail">[\s\S]*?<\/g>/g, '');
  let smallest = Infinity;
  for (const m of svg.matchAll(/ font-size="([0-9.]+)"/g)) smallest = Math.min(smallest, Number(m[1]));
  return Number.isFinite(smallest) ? smallest : 0;
}

/**
 * Where the drawing's words are: each <text>'s anchor (drawing units) and its word count, read back
 * from the renderer's own output, as `smallestText` reads the sizes. Groups move their content only by
 * `translate(…)` and a text by its x/y or its own `translate(…) rotate(…)`, so the anchor is exact.
 * Prose and detail, which a slide hides, are left out.
 */
function wordPositions(svg: string): { x: number; y: number; words: number }[] {
  const out: { x: number; y: number; words: number }[] = [];
  const offsets: [number, number][] = [[0, 0]];
  const translate = (tag: string): [number, number] | undefined => {
    const m = /transform="translate\(([-\d.e]+)[ ,]+([-\d.e]+)\)/.exec(tag);
    return m ? [Number(m[1]), Number(m[2])] : undefined;
  };
  const re = /<g\b[^>]*>|<\/g>|<text\b[^>]*>([\s\S]*?)<\/text>/g;
  for (let m = re.exec(svg); m; m = re.exec(svg)) {
    const tag = m[0];
    if (tag === '</g>') offsets.pop();
    else if (tag.startsWith('<g')) {
      if (/^<g class="(prose|detail)"/.test(tag)) {
        re.lastIndex = m.index + groupAt(svg, m.index).length;
        continue;
      }
      const [dx, dy] = translate(tag) ?? [0, 0];
      const [ox, oy] = offsets[offsets.length - 1]!;
      offsets.push([ox + dx, oy + dy]);
    } else {
      const words = wordsOf(m[1]!.replace(/<[^>]*>/g, ' '));
      if (!words) continue;
      const open = tag.slice(0, tag.indexOf('>') + 1);
      const [ox, oy] = offsets[offsets.length - 1]!;
      const [tx, ty] = translate(open) ?? [Number(/ x="([-\d.e]+)"/.exec(open)?.[1] ?? 0), Number(/ y="([-\d.e]+)"/.exec(open)?.[1] ?? 0)];
      out.push({ x: round3(ox + tx), y: round3(oy + ty), words });
    }
  }
  return out;
}

/** Words as a reader counts them: runs of non-space holding a letter. */
const wordsOf = (text: string) => text.split(/\s+/).filter((w) => /\p{L}/u.test(w)).length;

/** Ids of drawn elements that others look up (the talk), spelt once: stages build them with these. */
export const elementId = {
  headPattern: (layer: number, head: number) => `pattern-L${layer}-h${head}`,
} as const;

/**
 * The same vector drawn by two consecutive stages of the reading order (the later stage reads what the
 * earlier one drew), by element id: the talk carries it from one slide to the next. `layer` is the layer
 * drawn in full, `position` a token position.
 */
export function sameVectors(layer: number, position: number): readonly { from: { stage: string; element: string }; to: { stage: string; element: string } }[] {
  const p = position;
  return [
    { from: { stage: 'stage-positional', element: `vec-pos-embed-p${p}` }, to: { stage: 'stage-input-embeddings', element: `vec-input-pos-p${p}` } },
    // The stream entering the drawn layer is the input vector only at layer 0.
    ...(layer === 0 ? [{ from: { stage: 'stage-input-embeddings', element: `vec-input-p${p}` }, to: { stage: 'stage-residual', element: `vec-resid-pre-L0-p${p}` } }] : []),
    { from: { stage: 'stage-residual', element: `vec-resid-pre-L${layer}-p${p}` }, to: { stage: 'stage-layernorm', element: `vec-ln1-in-L${layer}-p${p}` } },
  ];
}

/** Every stage's drawing, without its poster frame. */
export function stageDrawings(drawn: DrawnStages): StageDrawings {
  const stages = drawn.ids.map((id, i): StageDrawing => {
    const block = drawn.blocks[i]!;
    const drawing = block.drawing;
    const annotation = drawn.ctx.note(id);
    if (!drawing) return { id, annotation, svg: undefined, width: 0, height: 0, steps: [], elements: [], smallestText: 0, words: 0, wordsAt: [], prose: [] };
    const marks = drawing.marks ?? [];
    const prose = [...new Set(marks.filter((m) => m.kind === 'prose').sort((a, b) => a.y - b.y || a.x - b.x).map((m) => m.key))];
    const wordsAt = wordPositions(drawing.svg);
    return {
      id,
      annotation,
      svg: drawing.svg,
      width: round3(drawing.width),
      height: round3(drawing.height),
      ...structureOf(marks),
      smallestText: smallestText(drawing.svg),
      words: wordsAt.reduce((sum, w) => sum + w.words, 0),
      wordsAt,
      prose,
    };
  });
  return { stages, defs: sharedDefs(drawn.tex), fontFamily: FONT_FAMILY, ink: INK };
}

/** A standalone <svg> of part of a drawing: `view` in drawing units, shown `width` × `height` CSS px. */
export function drawingView(drawings: StageDrawings, href: string, view: Box, width: number, height: number, label: string): string {
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" viewBox="${n(view.x)} ${n(view.y)} ${n(view.width)} ${n(view.height)}" width="${n(width)}" height="${n(height)}" role="img" aria-label="${esc(label)}" font-family="${drawings.fontFamily}" fill="${drawings.ink}">` +
    `<use href="#${href}"/></svg>`
  );
}
