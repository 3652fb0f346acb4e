/**
 * TeX typeset to SVG paths with MathJax 4, in Node, with no browser and no network. Each distinct
 * TeX string is converted once (cached for the process) and drawn as a <symbol> in the poster's
 * defs, referenced by <use>, so a formula that appears fifty times costs its paths once.
 */
import { convertTex, convertTexSync } from './mathjax.js';
import { attrs, esc, n } from './svg.js';

export interface TexGlyph {
  /** Symbol id in the defs. */
  readonly id: string;
  /** The symbol's viewBox in MathJax units (1000 per em); y is negative above the baseline. */
  readonly vb: readonly [number, number, number, number];
  /** The symbol's inner SVG. */
  readonly inner: string;
  readonly error: boolean;
}

const glyphs = new Map<string, TexGlyph>();

function hash(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(36);
}

function parse(tex: string, html: string): TexGlyph {
  const vbMatch = /viewBox="([^"]+)"/.exec(html);
  const vb = (vbMatch ? vbMatch[1]!.split(/\s+/).map(Number) : [0, -750, 1000, 1000]) as [number, number, number, number];
  const start = html.indexOf('>', html.indexOf('<svg')) + 1;
  const end = html.lastIndexOf('</svg>');
  const inner = html
    .slice(start, end)
    .replace(/ data-[a-z-]+="[^"]*"/g, '')
    .replace(/ (stroke|fill)="currentColor"/g, '')
    .replace(/ stroke-width="0"/g, '')
    .replace(/<title>[\s\S]*?<\/title>/g, '')
    .replace(/ d="([^"]*)"/g, (_m, d: string) => ` d="${d.replace(/(\d+\.\d)\d+/g, '$1')}"`);
  return { id: `tex-${hash(tex)}`, vb, inner, error: html.includes('merror') || html.includes('data-mjx-error') };
}

/** Converts TeX strings ahead of drawing, waiting for any font ranges MathJax loads on demand. */
export async function prepareTex(strings: Iterable<string>): Promise<void> {
  for (const tex of strings) if (!glyphs.has(tex)) glyphs.set(tex, parse(tex, await convertTex(tex)));
}

/** The glyph of a TeX string; converts synchronously when it was not prepared (throws if MathJax needs to load a font range). */
export function texGlyph(tex: string): TexGlyph {
  let glyph = glyphs.get(tex);
  if (!glyph) {
    glyph = parse(tex, convertTexSync(tex));
    glyphs.set(tex, glyph);
  }
  return glyph;
}

export function isTexReady(tex: string): boolean {
  return glyphs.has(tex);
}

export interface TexBox {
  readonly width: number;
  /** Height above the baseline. */
  readonly ascent: number;
  /** Depth below the baseline. */
  readonly descent: number;
}

export function texBox(tex: string, size: number): TexBox {
  const [, y, w, h] = texGlyph(tex).vb;
  const k = size / 1000;
  return { width: w * k, ascent: -y * k, descent: (h + y) * k };
}

/** Collects the symbols a poster uses; its `defs()` goes into the root <defs>. */
export class TexRegistry {
  private readonly used = new Map<string, TexGlyph>();

  /** A <use> of the formula with its baseline at (x, y). */
  use(tex: string, size: number, x: number, y: number, a: Readonly<Record<string, string | number | undefined>> = {}): string {
    const glyph = texGlyph(tex);
    this.used.set(glyph.id, glyph);
    const [, vy, w, h] = glyph.vb;
    const k = size / 1000;
    return `<use${attrs({ href: `#${glyph.id}`, x, y: y + vy * k, width: w * k, height: h * k, ...a })}/>`;
  }

  defs(): string {
    return [...this.used.values()]
      .sort((a, b) => (a.id < b.id ? -1 : 1))
      .map((g) => `<symbol id="${g.id}" viewBox="${g.vb.map(n).join(' ')}" overflow="visible">${g.inner}</symbol>`)
      .join('');
  }

  ids(): string[] {
    return [...this.used.keys()];
  }

  static escapeTex(tex: string): string {
    return esc(tex);
  }
}
