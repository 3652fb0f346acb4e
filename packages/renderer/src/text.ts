/**
 * Text set with real font metrics: styled inline runs (from Markdown or plain strings), with inline
 * TeX, wrapped greedily to a width. Every line is measured before it is drawn, so a line is never
 * wider than its box (`maxLineWidth` reports the widest, for tests).
 */
import { ASCENT, CAP_HEIGHT, DESCENT, measure, type Weight } from './fonts.js';
import { texBox, type TexRegistry } from './math.js';
import { attrs, esc, type Block } from './svg.js';

export interface RunStyle {
  readonly weight?: Weight;
  readonly italic?: boolean;
  readonly code?: boolean;
  readonly href?: string;
  readonly color?: string;
}

export type Run = { readonly kind: 'text'; readonly text: string; readonly style: RunStyle } | { readonly kind: 'math'; readonly tex: string; readonly style: RunStyle };

export interface TextOptions {
  readonly size: number;
  /** Line height as a multiple of size. */
  readonly leading?: number;
  readonly color?: string;
  readonly weight?: Weight;
  readonly italic?: boolean;
  readonly anchor?: 'start' | 'middle' | 'end';
  readonly className?: string;
}

interface Piece {
  readonly run: Run;
  /** Text of the piece (a word, or a space); empty for math. */
  readonly text: string;
  readonly width: number;
  readonly space: boolean;
}

export interface Line {
  readonly pieces: readonly Piece[];
  readonly width: number;
  readonly ascent: number;
  readonly descent: number;
}

export const LINK_COLOR = '#1d5fa8';
export const CODE_COLOR = '#7a2e0e';

function styleOf(style: RunStyle, base: TextOptions): { weight: Weight; italic: boolean } {
  return { weight: style.weight ?? base.weight ?? 400, italic: style.italic ?? base.italic ?? false };
}

function pieceWidth(run: Run, text: string, size: number, base: TextOptions): number {
  if (run.kind === 'math') return texBox(run.tex, size).width;
  return measure(text, size, styleOf(run.style, base));
}

/** Splits runs into words and spaces, breaking any word wider than `width` into chunks that fit. */
function toPieces(runs: readonly Run[], width: number, base: TextOptions): Piece[] {
  const pieces: Piece[] = [];
  for (const run of runs) {
    if (run.kind === 'math') {
      pieces.push({ run, text: '', width: pieceWidth(run, '', base.size, base), space: false });
      continue;
    }
    for (const part of run.text.split(/(\s+)/)) {
      if (part === '') continue;
      if (/^\s+$/.test(part)) {
        pieces.push({ run, text: ' ', width: pieceWidth(run, ' ', base.size, base), space: true });
        continue;
      }
      const w = pieceWidth(run, part, base.size, base);
      if (w <= width) {
        pieces.push({ run, text: part, width: w, space: false });
        continue;
      }
      // Too long for any line (a URL, a long token): break it by characters.
      let chunk = '';
      for (const ch of part) {
        if (chunk && pieceWidth(run, chunk + ch, base.size, base) > width) {
          pieces.push({ run, text: chunk, width: pieceWidth(run, chunk, base.size, base), space: false });
          chunk = '';
        }
        chunk += ch;
      }
      if (chunk) pieces.push({ run, text: chunk, width: pieceWidth(run, chunk, base.size, base), space: false });
    }
  }
  return pieces;
}

function finishLine(pieces: Piece[], base: TextOptions): Line {
  while (pieces.length && pieces[pieces.length - 1]!.space) pieces.pop();
  while (pieces.length && pieces[0]!.space) pieces.shift();
  let width = 0;
  let ascent = ASCENT * base.size;
  let descent = DESCENT * base.size;
  for (const p of pieces) {
    width += p.width;
    if (p.run.kind === 'math') {
      const box = texBox(p.run.tex, base.size);
      ascent = Math.max(ascent, box.ascent);
      descent = Math.max(descent, box.descent);
    }
  }
  return { pieces, width, ascent, descent };
}

/** Greedy line breaking of styled runs to `width`. Explicit "\n" in a text run forces a break. */
export function wrap(runs: readonly Run[], width: number, base: TextOptions): Line[] {
  const lines: Line[] = [];
  const paragraphs: Run[][] = [[]];
  for (const run of runs) {
    if (run.kind === 'text' && run.text.includes('\n')) {
      run.text.split('\n').forEach((t, i) => {
        if (i > 0) paragraphs.push([]);
        if (t) paragraphs[paragraphs.length - 1]!.push({ ...run, text: t });
      });
    } else paragraphs[paragraphs.length - 1]!.push(run);
  }
  for (const paragraph of paragraphs) {
    // Words are runs of non-space pieces (a styled word followed by punctuation stays together).
    const words: Piece[][] = [];
    for (const piece of toPieces(paragraph, width, base)) {
      const last = words[words.length - 1];
      if (piece.space || !last || last[last.length - 1]!.space) words.push([piece]);
      else last.push(piece);
    }
    let current: Piece[] = [];
    let w = 0;
    for (const word of words) {
      const ww = word.reduce((s, p) => s + p.width, 0);
      if (word[0]!.space && current.length === 0) continue;
      if (!word[0]!.space && current.length > 0 && w + ww > width + 1e-6) {
        lines.push(finishLine(current, base));
        current = [];
        w = 0;
      }
      // A cluster wider than the line on its own is split at piece boundaries.
      for (const piece of word) {
        if (current.length > 0 && !piece.space && w + piece.width > width + 1e-6) {
          lines.push(finishLine(current, base));
          current = [];
          w = 0;
        }
        current.push(piece);
        w += piece.width;
      }
    }
    lines.push(finishLine(current, base));
  }
  return lines;
}

export function maxLineWidth(lines: readonly Line[]): number {
  return Math.max(0, ...lines.map((l) => l.width));
}

function fontAttrs(style: RunStyle, base: TextOptions): Record<string, string | undefined> {
  const s = styleOf(style, base);
  return {
    'font-weight': s.weight !== (base.weight ?? 400) ? String(s.weight) : undefined,
    'font-style': s.italic !== (base.italic ?? false) ? (s.italic ? 'italic' : 'normal') : undefined,
    fill: style.href ? LINK_COLOR : style.code ? CODE_COLOR : style.color,
    'text-decoration': style.href ? 'underline' : undefined,
  };
}

/** Draws lines with their top at y = 0; returns the block (width is the widest line, or `boxWidth`). */
export function renderLines(lines: readonly Line[], base: TextOptions, tex: TexRegistry, boxWidth?: number): Block {
  const leading = base.leading ?? 1.35;
  const lineHeight = base.size * leading;
  let y = 0;
  let svg = '';
  const width = boxWidth ?? maxLineWidth(lines);
  for (const line of lines) {
    const extraAbove = Math.max(0, line.ascent - ASCENT * base.size);
    const extraBelow = Math.max(0, line.descent - DESCENT * base.size);
    y += extraAbove;
    // Centre the cap height in the line box.
    const baseline = y + lineHeight / 2 + (CAP_HEIGHT * base.size) / 2;
    let x = base.anchor === 'middle' ? (width - line.width) / 2 : base.anchor === 'end' ? width - line.width : 0;
    // Merge consecutive pieces of the same run into one segment.
    let segment: { run: Run; text: string; x: number } | undefined;
    const parts: string[] = [];
    const links: string[] = [];
    const flush = () => {
      if (!segment) return;
      const text = segment.text.replace(/\s+$/, '');
      if (text) {
        const s = segment.run.style;
        const tspan = `<tspan${attrs({ x: segment.x, ...fontAttrs(s, base) })}>${esc(text)}</tspan>`;
        if (s.href) links.push(`<a${attrs({ href: s.href, target: '_blank' })}><text${attrs({ y: baseline, 'font-size': base.size })}>${tspan}</text></a>`);
        else parts.push(tspan);
      }
      segment = undefined;
    };
    for (const piece of line.pieces) {
      if (piece.run.kind === 'math') {
        flush();
        const use = tex.use(piece.run.tex, base.size, x, baseline, { fill: piece.run.style.color ?? base.color });
        svg += piece.run.style.href ? `<a${attrs({ href: piece.run.style.href, target: '_blank' })}>${use}</a>` : use;
      } else if (segment && segment.run === piece.run) {
        segment.text += piece.text;
      } else {
        flush();
        if (!piece.space) segment = { run: piece.run, text: piece.text, x };
      }
      x += piece.width;
    }
    flush();
    if (parts.length) svg += `<text${attrs({ y: baseline, 'font-size': base.size })}>${parts.join('')}</text>`;
    svg += links.join('');
    y += lineHeight + extraBelow;
  }
  const a = attrs({ class: base.className, fill: base.color, 'font-weight': base.weight && base.weight !== 400 ? base.weight : undefined, 'font-style': base.italic ? 'italic' : undefined });
  return { svg: svg ? `<g${a}>${svg}</g>` : '', width, height: y };
}

/** Wraps and draws plain text or runs in one call. */
export function textBlock(content: string | readonly Run[], width: number, base: TextOptions, tex: TexRegistry): Block & { lines: readonly Line[] } {
  const runs: readonly Run[] = typeof content === 'string' ? [{ kind: 'text', text: content, style: {} }] : content;
  const lines = wrap(runs, width, base);
  const block = renderLines(lines, base, tex, base.anchor && base.anchor !== 'start' ? width : undefined);
  return { ...block, width: base.anchor && base.anchor !== 'start' ? width : maxLineWidth(lines), lines };
}

/** One line of plain text, unwrapped, anchored at (x, y) baseline. Returns the SVG and its measured width. */
export function label(
  text: string,
  x: number,
  y: number,
  o: { size: number; weight?: Weight; italic?: boolean; anchor?: 'start' | 'middle' | 'end'; fill?: string; extra?: Readonly<Record<string, string | number | undefined>> },
): { svg: string; width: number } {
  const width = measure(text, o.size, { weight: o.weight ?? 400, italic: o.italic ?? false });
  const svg = `<text${attrs({
    x,
    y,
    'font-size': o.size,
    'font-weight': o.weight && o.weight !== 400 ? o.weight : undefined,
    'font-style': o.italic ? 'italic' : undefined,
    'text-anchor': o.anchor && o.anchor !== 'start' ? o.anchor : undefined,
    fill: o.fill,
    ...o.extra,
  })}>${esc(text)}</text>`;
  return { svg, width };
}

/** Baseline offset that centres the cap height of a `size` font on y = 0. */
export function capCentre(size: number): number {
  return (CAP_HEIGHT * size) / 2;
}
