/**
 * String-building SVG primitives. Every drawing unit returns a `Block`: an SVG fragment drawn in its
 * own coordinates (origin top-left) and its size, so a layout can place it without measuring again.
 */

export interface Block {
  readonly svg: string;
  readonly width: number;
  readonly height: number;
  /** Boxes of the talk-relevant parts inside (steps, elements with ids), in the block's coordinates. */
  readonly marks?: readonly Mark[];
  /** A stage frame's drawing alone (no header, no annotation), in its own coordinates: what a slide shows. */
  readonly drawing?: Block;
}

/**
 * Where a part of a drawing is, kept beside the SVG as data so nobody has to parse the SVG to find
 * it: a `data-step` group (`key` the step number), an element with an id (vectors, patterns,
 * matrices), or a paragraph of prose in the drawing (`key` its Markdown; a slide moves it to the notes).
 */
export interface Mark {
  readonly kind: 'step' | 'id' | 'prose';
  readonly key: string;
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

/** A block's marks moved by (x, y). */
export function marksAt(block: Block | string, x: number, y: number): Mark[] {
  if (typeof block === 'string' || !block.marks) return [];
  return block.marks.map((m) => ({ ...m, x: m.x + x, y: m.y + y }));
}

/** The block with one more mark covering all of it. */
export function marked(block: Block, kind: Mark['kind'], key: string): Block {
  return { ...block, marks: [...(block.marks ?? []), { kind, key, x: 0, y: 0, width: block.width, height: block.height }] };
}

export const EMPTY: Block = { svg: '', width: 0, height: 0 };

const XML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Characters XML 1.0 forbids anywhere, even escaped. */
// eslint-disable-next-line no-control-regex
const XML_FORBIDDEN = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** Escapes untrusted text for element content and attribute values; drops characters XML cannot carry. */
export function esc(text: string): string {
  return text.replace(XML_FORBIDDEN, '\uFFFD').replace(/[&<>"']/g, (c) => XML_ESCAPES[c]!);
}

/** A number for an attribute: at most 3 decimals, no trailing zeros, no "-0". */
export function n(value: number): string {
  if (!Number.isFinite(value)) return '0';
  const r = Math.round(value * 1000) / 1000;
  return Object.is(r, -0) || r === 0 ? '0' : String(r);
}

export type AttrValue = string | number | boolean | undefined | null;

/** Serialises attributes, skipping undefined/null/false; numbers go through `n`, strings through `esc`. */
export function attrs(values: Readonly<Record<string, AttrValue>>): string {
  let out = '';
  for (const [key, value] of Object.entries(values)) {
    if (value === undefined || value === null || value === false) continue;
    out += ` ${key}="${value === true ? key : typeof value === 'number' ? n(value) : esc(value)}"`;
  }
  return out;
}

export function el(tag: string, a: Readonly<Record<string, AttrValue>>, content?: string): string {
  return content === undefined ? `<${tag}${attrs(a)}/>` : `<${tag}${attrs(a)}>${content}</${tag}>`;
}

export function translate(x: number, y: number): string | undefined {
  return x === 0 && y === 0 ? undefined : `translate(${n(x)},${n(y)})`;
}

/** Places a block at (x, y), optionally wrapping it in a group with extra attributes. */
export function place(block: Block | string, x: number, y: number, a: Readonly<Record<string, AttrValue>> = {}): string {
  const svg = typeof block === 'string' ? block : block.svg;
  if (!svg) return '';
  const t = translate(x, y);
  if (!t && Object.keys(a).length === 0) return svg;
  return `<g${attrs({ ...a, transform: t })}>${svg}</g>`;
}

export function group(block: Block, a: Readonly<Record<string, AttrValue>>): Block {
  return { ...block, svg: `<g${attrs(a)}>${block.svg}</g>` };
}

/** A block drawn at (x, y) inside a frame of the given size: the placed SVG with its marks moved along. */
export function placed(block: Block, x: number, y: number, width: number, height: number): Block {
  return { svg: place(block, x, y), width, height, marks: marksAt(block, x, y) };
}

export type Align = 'start' | 'middle' | 'end';

function offset(space: number, size: number, align: Align): number {
  return align === 'start' ? 0 : align === 'middle' ? (space - size) / 2 : space - size;
}

/** Stacks blocks left to right. */
export function hstack(blocks: readonly Block[], gap = 0, align: Align = 'start'): Block {
  const items = blocks.filter((b) => b.width > 0 || b.height > 0);
  const height = Math.max(0, ...items.map((b) => b.height));
  let x = 0;
  let svg = '';
  const marks: Mark[] = [];
  items.forEach((b, i) => {
    if (i > 0) x += gap;
    const y = offset(height, b.height, align);
    svg += place(b, x, y);
    marks.push(...marksAt(b, x, y));
    x += b.width;
  });
  return { svg, width: x, height, marks };
}

/** Stacks blocks top to bottom. */
export function vstack(blocks: readonly Block[], gap = 0, align: Align = 'start'): Block {
  const items = blocks.filter((b) => b.width > 0 || b.height > 0);
  const width = Math.max(0, ...items.map((b) => b.width));
  let y = 0;
  let svg = '';
  const marks: Mark[] = [];
  items.forEach((b, i) => {
    if (i > 0) y += gap;
    const x = offset(width, b.width, align);
    svg += place(b, x, y);
    marks.push(...marksAt(b, x, y));
    y += b.height;
  });
  return { svg, width, height: y, marks };
}

export function pad(block: Block, top: number, right = top, bottom = top, left = right): Block {
  return placed(block, left, top, block.width + left + right, block.height + top + bottom);
}

/** A block of fixed size with nothing drawn: a spacer. */
export function spacer(width: number, height: number): Block {
  return { svg: '', width, height };
}

export function rect(x: number, y: number, width: number, height: number, a: Readonly<Record<string, AttrValue>> = {}): string {
  return el('rect', { x, y, width, height, ...a });
}

export function line(x1: number, y1: number, x2: number, y2: number, a: Readonly<Record<string, AttrValue>> = {}): string {
  return el('line', { x1, y1, x2, y2, ...a });
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
