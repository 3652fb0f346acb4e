/** The frame every stage shares (header, drawing, annotation) and helpers for rows of position vectors. */
import { hook } from '@vectorview/trace';
import type { Ctx } from '../context.js';
import { annotationBlock } from '../marks/callout.js';
import { columns, shortToken } from '../marks/vector.js';
import { colorBar } from '../marks/plots.js';
import { parseInline } from '../markdown.js';
import { valueScale, type ValueScale } from '../scale.js';
import { attrs, hstack, marked, marksAt, n, place, vstack, type Block } from '../svg.js';
import { CATEGORY, GAP, INNER_WIDTH, INK, NOTE_WIDTH, SIZE, STAGE_PAD, STAGE_WIDTH, type Category } from '../theme.js';
import { label, renderLines, wrap } from '../text.js';

/** Height of a d_model column, whatever d_model is. */
export const COLUMN_HEIGHT = 256;

export function drawnCount(ctx: Ctx, length = ctx.config.d_model): number {
  return Math.min(length, ctx.opts.componentsDrawn);
}

export function geometry(ctx: Ctx, budget: number): { cellWidth: number; gap: number } {
  // An elision gap takes about two columns' room.
  const k = ctx.shown.positions.length + 2 * ctx.shown.breaks.length;
  const raw = budget / (k + 0.4 * (k - 1));
  const cellWidth = Math.max(3, Math.min(22, raw));
  return { cellWidth, gap: Math.max(1.5, Math.min(10, cellWidth * 0.4)) };
}

/** Characters of a prompt printed in full; a longer one keeps its start and end. */
const PROMPT_CHARS = 600;

/** The prompt as printed: whole, or its first and last characters around a stated cut. */
export function promptExcerpt(prompt: string): string {
  const chars = [...prompt];
  if (chars.length <= PROMPT_CHARS) return prompt;
  const head = chars.slice(0, PROMPT_CHARS * 0.7).join('');
  const tail = chars.slice(chars.length - PROMPT_CHARS * 0.25).join('');
  return `${head} [… ${(chars.length - head.length - tail.length).toLocaleString('en-US')} characters elided …] ${tail}`;
}

/** The logits of the last position, where the trace has them. */
export function lastLogits(ctx: Ctx): Float32Array | undefined {
  const t = ctx.tensor(hook.logits);
  return t ? ctx.row(hook.logits, t.shape[0]! - 1) : undefined;
}

/** Labels of the shown positions' tokens. */
export function tokenLabels(ctx: Ctx, max = 8): string[] {
  return ctx.shown.positions.map((p) => shortToken(ctx.trace.tokens[p]!.display, max));
}

/** A stage-local value scale from the drawn slices of some vectors (a stage's `prepare` returns it for the legend). */
export function stageScale(vectors: readonly (ArrayLike<number> | undefined)[], count: number, name: string): ValueScale {
  const slices = vectors.filter((v): v is ArrayLike<number> => v !== undefined).map((v) => Array.prototype.slice.call(v, 0, count) as number[]);
  return valueScale(slices, name);
}

export interface RowOptions {
  readonly title?: string;
  readonly scale: ValueScale;
  readonly budget: number;
  readonly ids?: (pos: number) => string;
  readonly labels?: boolean;
  readonly under?: readonly string[];
  readonly caption?: string;
  readonly length?: number;
  readonly height?: number;
  readonly stride?: number;
  readonly count?: number;
}

/** One vector per shown position, side by side; `vectors` (and `under`) hold every position. */
export function positionRow(ctx: Ctx, vectors: readonly (ArrayLike<number> | undefined)[], o: RowOptions): Block {
  const g = geometry(ctx, o.budget);
  const shown = ctx.shown.positions;
  const ids = o.ids;
  return columns(shown.map((p) => vectors[p]), {
    ...g,
    scale: o.scale,
    height: o.height ?? COLUMN_HEIGHT,
    count: o.count ?? drawnCount(ctx, o.length),
    ...(o.stride ? { stride: o.stride } : {}),
    ...(ids ? { ids: (i: number) => ids(shown[i]!) } : {}),
    ...(o.title ? { title: o.title } : {}),
    ...(o.labels ? { labels: tokenLabels(ctx) } : {}),
    ...(o.under ? { under: shown.map((p) => o.under![p]!) } : {}),
    ...(o.caption ? { caption: o.caption } : {}),
    breaks: ctx.shown.breaks,
    data: (i) => ({ 'data-pos': shown[i]! }),
  });
}

export function scaleKey(scale: ValueScale, width = 220): Block {
  return colorBar(scale, width, `cell colour: value (${scale.label})`);
}

export interface FrameOptions {
  /** Where the annotation goes: beside the drawing, below it (in columns), or nowhere. */
  readonly note?: 'auto' | 'below' | 'none';
  readonly noteColumns?: number;
  readonly hideShort?: boolean;
}

/** What a frame needs to know of its stage. */
export interface StageMeta {
  readonly id: string;
  readonly category: Category;
}

/** Wraps a stage drawing with its header and annotation, as one <g id="stage-…">. */
export function frame(ctx: Ctx, stage: StageMeta, drawing: Block, o: FrameOptions = {}): Block {
  const { id } = stage;
  const note = ctx.note(id);
  const category = CATEGORY[stage.category];
  const parts: Block[] = [];
  // Header: category tag, title, one-sentence summary.
  const tag = category.label.split(' (')[0]!.toUpperCase();
  const tagLabel = label(tag, 0, SIZE.caption, { size: SIZE.caption, weight: 700, fill: category.color, extra: { 'letter-spacing': 1.5 } });
  const titleLabel = label(note.title, 0, SIZE.caption * 1.6 + SIZE.stageTitle, { size: SIZE.stageTitle, weight: 700, fill: INK });
  let header: Block = { svg: tagLabel.svg + titleLabel.svg, width: INNER_WIDTH, height: SIZE.caption * 1.6 + SIZE.stageTitle * 1.35 };
  if (note.short && !o.hideShort) {
    const lines = wrap(parseInline(note.short, { italic: true }), INNER_WIDTH, { size: SIZE.short, color: '#3d444d' });
    header = vstack([header, renderLines(lines, { size: SIZE.short, color: '#3d444d' }, ctx.tex)], 4);
  }
  parts.push(header);
  const mode = o.note ?? 'auto';
  const side = mode === 'auto' && drawing.width <= INNER_WIDTH - NOTE_WIDTH - GAP;
  if (mode === 'none' || (!note.body && !note.points.length)) {
    parts.push(drawing);
  } else if (side) {
    const noteBlock = annotationBlock(note, NOTE_WIDTH, ctx.tex);
    const left = { ...drawing, width: INNER_WIDTH - NOTE_WIDTH - GAP };
    parts.push(hstack([left, { ...noteBlock, svg: `<g class="note">${noteBlock.svg}</g>` }], GAP));
  } else {
    const noteBlock = annotationBlock(note, INNER_WIDTH, ctx.tex, { columns: o.noteColumns ?? 2 });
    parts.push(drawing, { ...noteBlock, svg: `<g class="note">${noteBlock.svg}</g>` });
  }
  const content = vstack(parts, 28);
  const height = content.height + 2 * STAGE_PAD;
  const svg =
    `<rect${attrs({ class: 'stage-bg', width: STAGE_WIDTH, height, rx: 14, fill: '#fff', stroke: '#d0d7de', 'stroke-width': 1.2 })}/>` +
    `<rect${attrs({ width: 8, height: height - 28, y: 14, x: 0, fill: category.color, ...(category.dash ? {} : {}) })}/>` +
    place(content, STAGE_PAD, STAGE_PAD);
  return { svg: `<g${attrs({ id, class: 'stage', 'data-stage': id })}>${svg}</g>`, width: STAGE_WIDTH, height, marks: marksAt(content, STAGE_PAD, STAGE_PAD), drawing };
}

/** Captions longer than this many words are prose: a slide shows the drawing and moves them to the notes. */
const PROSE_WORDS = 8;

/** A caption of plain or Markdown text, wrapped to `width`; a long one is marked as prose (`<g class="prose">`). */
export function caption(ctx: Ctx, markdown: string, width: number, size: number = SIZE.caption, color = '#57606a'): Block {
  const lines = wrap(parseInline(markdown), width, { size, color });
  const block = renderLines(lines, { size, color }, ctx.tex);
  if (markdown.split(/\s+/).length <= PROSE_WORDS) return block;
  return marked({ ...block, svg: `<g class="prose">${block.svg}</g>` }, 'prose', markdown);
}

export function stepGroup(step: number, block: Block, extra: Record<string, string | number> = {}): Block {
  return marked({ ...block, svg: `<g${attrs({ 'data-step': step, class: 'step', ...extra })}>${block.svg}</g>` }, 'step', String(step));
}

export { n, place, hstack, vstack };
