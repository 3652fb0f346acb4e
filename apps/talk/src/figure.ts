/**
 * One view of a stage drawing on the slide canvas: which part of the drawing a slide shows, at what
 * size, with its steps as fragments and its carried vectors; and the slide's title and notes.
 */
import { drawingView, type Box, type StageDrawing, type StageDrawings } from '@vectorview/renderer';
import { escapeHtml, markdownToHtml } from './text.js';

/** The slide canvas (reveal's width × height): 16:9. */
export const CANVAS = { width: 1920, height: 1080 } as const;
/**
 * Where a drawing goes on the canvas: below the title and above the bottom band, where reveal.js puts
 * its controls (bottom right) and the slide number (bottom left, see deck.ts).
 */
export const FIGURE = { x: 80, y: 150, width: 1760, height: 770 } as const;
/** The smallest label on a drawing, in canvas px. */
export const SMALLEST_LABEL_PX = 20;
/** Words a slide aims to show: packed steps and tiles are cut for this many, leaving room under the limit. */
export const WORDS_PER_SLIDE = 26;
/** Words a slide may show at most (the talk's acceptance limit): a single step holding more is tiled. */
const MOST_WORDS = 45;
/** A small drawing is enlarged at most this much. */
const MAX_ZOOM = 3;
/** Drawing units kept around a view. */
const PAD = 10;

export type TalkLength = 'short' | 'full';
export const TALK_LENGTHS: Readonly<Record<TalkLength, { minutes: number }>> = { short: { minutes: 15 }, full: { minutes: 45 } };

export interface Slide {
  /** Inner HTML of the <section> (without the notes). */
  readonly html: string;
  /** Speaker notes as HTML. */
  readonly notes: string;
  readonly attrs: Readonly<Record<string, string>>;
  readonly fragments: number;
  readonly title: string;
}

export interface SlideStack {
  readonly id: string;
  readonly slides: readonly Slide[];
}

export interface SlideOptions {
  readonly head: number;
  readonly layer: number;
  readonly length: TalkLength;
}

/** The id under which a stage's drawing is defined once in the page. */
export const drawingHref = (stage: string) => `vv-drawing-${stage}`;

const right = (b: Box) => b.x + b.width;
const bottom = (b: Box) => b.y + b.height;

function union(a: Box | undefined, b: Box): Box {
  if (!a) return b;
  const x = Math.min(a.x, b.x);
  const y = Math.min(a.y, b.y);
  return { x, y, width: Math.max(right(a), right(b)) - x, height: Math.max(bottom(a), bottom(b)) - y };
}

const padded = (b: Box, p = PAD): Box => ({ x: b.x - p, y: b.y - p, width: b.width + 2 * p, height: b.height + 2 * p });

/** One part of a drawing shown on one slide, with the steps inside it (revealed in order). */
export interface View {
  readonly box: Box;
  readonly steps: readonly { step: number; box: Box }[];
}

/** The scale (canvas px per drawing unit) that keeps a drawing's smallest label legible. */
function legibleScale(d: StageDrawing): number {
  return d.smallestText > 0 ? SMALLEST_LABEL_PX / d.smallestText : 1;
}

function fits(box: Box, scale: number): boolean {
  return box.width * scale <= FIGURE.width + 0.5 && box.height * scale <= FIGURE.height + 0.5;
}

/**
 * `count` tiles along one axis from `origin` over `size`, each at most `limit` long: every cut is the
 * position nearest to an even split that runs between elements (`spans`) rather than through one.
 */
function cuts(origin: number, size: number, count: number, limit: number, spans: readonly (readonly [number, number])[]): number[] {
  const inside = (v: number) => spans.some(([a, b]) => v > a + 0.5 && v < b - 0.5);
  const end = origin + size;
  const out = [origin];
  for (let k = 1; k < count; k++) {
    const target = origin + (k * size) / count;
    const prev = out[out.length - 1]!;
    const lo = prev + (0.3 * size) / count;
    const hi = Math.min(prev + limit, end - 1);
    let best = target;
    for (let v = lo; v <= hi; v += 2) if (!inside(v) && (inside(best) || Math.abs(v - target) < Math.abs(best - target))) best = v;
    out.push(Math.min(best, hi));
  }
  out.push(end);
  // A cut moved off an element can leave the last tile too long: then one tile more.
  const tooLong = out.some((v, i) => i > 0 && v - out[i - 1]! > limit + 0.5);
  return tooLong && count < Math.ceil(size / limit) * 2 + 2 ? cuts(origin, size, count + 1, limit, spans) : out;
}

/** The words of a drawing whose text anchors lie in `box`. */
function wordsIn(d: StageDrawing, box: Box): number {
  return d.wordsAt.reduce((sum, w) => (w.x >= box.x && w.x < right(box) && w.y >= box.y && w.y < bottom(box) ? sum + w.words : sum), 0);
}

/**
 * Tiles of a region, each legible at `scale` and cut between elements: as few as fit, then more,
 * bands first (they keep rows of vectors whole), while the wordiest holds over `WORDS_PER_SLIDE`
 * words and one more cut lowers its count.
 */
function tiles(d: StageDrawing, region: Box, scale: number): View[] {
  const limit = { width: FIGURE.width / scale - 2 * PAD, height: FIGURE.height / scale - 2 * PAD };
  // Even splits need some slack to move a cut off an element.
  let cols = Math.ceil(region.width / (0.9 * limit.width));
  let rows = Math.ceil(region.height / (0.9 * limit.height));
  const cut = () => {
    const xs = cuts(region.x, region.width, cols, limit.width, d.elements.map((e) => [e.box.x, right(e.box)] as const));
    const ys = cuts(region.y, region.height, rows, limit.height, d.elements.map((e) => [e.box.y, bottom(e.box)] as const));
    const boxes: Box[] = [];
    for (let j = 0; j + 1 < ys.length; j++) for (let i = 0; i + 1 < xs.length; i++) boxes.push({ x: xs[i]!, y: ys[j]!, width: xs[i + 1]! - xs[i]!, height: ys[j + 1]! - ys[j]! });
    return boxes;
  };
  const most = (boxes: readonly Box[]) => Math.max(0, ...boxes.map((b) => wordsIn(d, b)));
  let boxes = cut();
  // One more band, else one more column, while that lowers the wordiest tile's count.
  while (most(boxes) > WORDS_PER_SLIDE) {
    rows++;
    let next = cut();
    if (most(next) >= most(boxes)) {
      rows--;
      cols++;
      next = cut();
      if (most(next) >= most(boxes)) {
        cols--;
        break;
      }
    }
    boxes = next;
  }
  return boxes.map((b) => ({ box: padded(b), steps: [] }));
}

/** The views of a drawing: whole when it fits at a legible scale, else its steps packed in order, else tiles. */
export function viewsOf(d: StageDrawing): View[] {
  const scale = legibleScale(d);
  const region = { x: 0, y: 0, width: d.width, height: d.height };
  const whole = padded(region);
  if (fits(whole, scale) && wordsIn(d, whole) <= WORDS_PER_SLIDE) return [{ box: whole, steps: d.steps }];
  if (!d.steps.length) return tiles(d, region, scale);
  const views: View[] = [];
  let box: Box | undefined;
  let steps: { step: number; box: Box }[] = [];
  const flush = () => {
    if (!box) return;
    // A step too large or too wordy for a slide by itself is shown in tiles (its build is then the sequence of tiles).
    const words = wordsIn(d, box);
    if (fits(padded(box), scale) && words <= MOST_WORDS) views.push({ box: padded(box), steps });
    else views.push(...tiles(d, box, scale));
  };
  for (const s of d.steps) {
    const grown = union(box, s.box);
    if (box && (!fits(padded(grown), scale) || wordsIn(d, grown) > WORDS_PER_SLIDE)) {
      flush();
      box = s.box;
      steps = [s];
    } else {
      box = grown;
      steps.push(s);
    }
  }
  flush();
  return views;
}

/** A rectangle of the canvas, in px. */
export interface Area {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

/** A vector carried from one slide to the next by auto-animate: its element and the data-id both slides give it. */
export interface Carry {
  readonly element: string;
  readonly dataId: string;
}

/** The HTML of a view: the drawing through its viewBox, a cover per step (fading out as a fragment), and carried vectors. */
export function figureHtml(drawings: StageDrawings, d: StageDrawing, view: View, label: string, carries: readonly Carry[] = [], area: Area = FIGURE): { html: string; fragments: number; carried: number } {
  const b = view.box;
  const scale = Math.min(MAX_ZOOM, area.width / b.width, area.height / b.height);
  const w = b.width * scale;
  const h = b.height * scale;
  const at = (box: Box) => `left:${px((box.x - b.x) * scale)};top:${px((box.y - b.y) * scale)};width:${px(box.width * scale)};height:${px(box.height * scale)}`;
  const covers = view.steps.map((s, i) => `<div class="vv-cover fragment fade-out" data-fragment-index="${i}" data-step="${s.step}" style="${at(padded(s.box, 2))}"></div>`);
  const overlays: string[] = [];
  for (const carry of carries) {
    const e = d.elements.find((x) => x.id === carry.element)?.box;
    if (!e || e.x < b.x || e.y < b.y || right(e) > right(b) || bottom(e) > bottom(b)) continue;
    overlays.push(`<div class="vv-carry" data-id="${carry.dataId}" style="${at(e)}">${drawingView(drawings, drawingHref(d.id), e, e.width * scale, e.height * scale, label)}</div>`);
  }
  const html =
    `<div class="vv-figure" style="left:${px(area.x + (area.width - w) / 2)};top:${px(area.y + (area.height - h) / 2)};width:${px(w)};height:${px(h)}">` +
    drawingView(drawings, drawingHref(d.id), b, w, h, label) +
    covers.join('') +
    overlays.join('') +
    `</div>`;
  return { html, fragments: covers.length, carried: overlays.length };
}

const px = (v: number) => `${Math.round(v * 10) / 10}px`;

export function titleHtml(title: string, kicker = ''): string {
  return `<h2 class="vv-title">${escapeHtml(title)}${kicker ? ` <span class="vv-kicker">${escapeHtml(kicker)}</span>` : ''}</h2>`;
}

/**
 * The speaker notes of a stage: what to say (the annotation's notes, in the speaker's voice), then the
 * prose the poster prints in and beside the drawing, which the slide leaves out.
 */
export function stageNotes(d: StageDrawing, lead = ''): string {
  const a = d.annotation;
  const spoken = a.notes || a.body || a.short || a.title;
  const printed = [a.short, ...d.prose].filter(Boolean);
  return (
    `${lead ? `<p><strong>${escapeHtml(lead)}</strong></p>\n` : ''}${markdownToHtml(spoken)}` +
    (printed.length ? `\n<p><em>On the drawing:</em></p>\n${printed.map((p) => markdownToHtml(p)).join('\n')}` : '')
  );
}

