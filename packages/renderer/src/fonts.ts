/**
 * Inter, measured with its real metrics (opentype.js on the TTFs of @expo-google-fonts/inter) and
 * embedded in the SVG as WOFF2 subsets (latin, latin-ext, greek from @fontsource/inter, the same
 * Inter 4 outlines), so the poster renders with the font it was measured with.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import opentype from 'opentype.js';

export type Weight = 400 | 600 | 700;
export interface FontStyle {
  readonly weight?: Weight;
  readonly italic?: boolean;
}

export const FONT_FAMILY = "Inter, 'Inter Variable', 'Helvetica Neue', Helvetica, Arial, sans-serif";

const require = createRequire(import.meta.url);

function packageDir(name: string): string {
  return dirname(require.resolve(`${name}/package.json`));
}

const TTF: Record<string, string> = {
  '400': '400Regular/Inter_400Regular.ttf',
  '400i': '400Regular_Italic/Inter_400Regular_Italic.ttf',
  '600': '600SemiBold/Inter_600SemiBold.ttf',
  '700': '700Bold/Inter_700Bold.ttf',
};

function key(style: FontStyle): string {
  const w = style.weight ?? 400;
  return style.italic && w === 400 ? '400i' : String(w);
}

/** Paths of the TTF files (for rasterisers such as resvg that do not read @font-face). */
export function fontFiles(): string[] {
  const dir = packageDir('@expo-google-fonts/inter');
  return Object.values(TTF).map((file) => join(dir, file));
}

interface Metrics {
  readonly font: opentype.Font;
  readonly unitsPerEm: number;
  readonly widths: Map<string, number>;
  readonly fallback: number;
}

const loaded = new Map<string, Metrics>();

function metrics(style: FontStyle): Metrics {
  const k = key(style);
  let m = loaded.get(k);
  if (!m) {
    const bytes = readFileSync(join(packageDir('@expo-google-fonts/inter'), TTF[k]!));
    // lowMemory reads each glyph when first asked for: a poster measures a few hundred of Inter's
    // ~2,500, and parsing them all took ~60 ms and ~20 MB of heap per face.
    const font = opentype.parse(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength), { lowMemory: true });
    m = { font, unitsPerEm: font.unitsPerEm, widths: new Map(), fallback: font.charToGlyph('n').advanceWidth ?? 1200 };
    loaded.set(k, m);
  }
  return m;
}

/** Advance width of `text` at font size 1, with pair kerning; characters Inter lacks count as a wide "n". */
function unitWidth(text: string, style: FontStyle): number {
  const m = metrics(style);
  let cached = m.widths.get(text);
  if (cached !== undefined) return cached;
  let width = 0;
  let previous: opentype.Glyph | undefined;
  for (const ch of text) {
    const glyph = m.font.charToGlyph(ch);
    if (glyph.index === 0) {
      // A glyph Inter lacks (CJK, emoji) falls back to a system font: budget one em for it.
      width += (ch.codePointAt(0) ?? 0) <= 0x24f ? m.fallback : m.unitsPerEm;
      previous = undefined;
      continue;
    }
    width += glyph.advanceWidth ?? 0;
    if (previous) width += m.font.getKerningValue(previous, glyph);
    previous = glyph;
  }
  cached = width / m.unitsPerEm;
  if (text.length <= 24) m.widths.set(text, cached);
  return cached;
}

export function measure(text: string, size: number, style: FontStyle = {}): number {
  return unitWidth(text, style) * size;
}

/** Cap height and x-height as fractions of the em, for vertical centring. */
export const CAP_HEIGHT = 1490 / 2048;
export const ASCENT = 1984 / 2048;
export const DESCENT = 494 / 2048;

const SUBSETS = ['latin', 'latin-ext', 'greek'] as const;
const FACES: readonly { weight: Weight; italic: boolean }[] = [
  { weight: 400, italic: false },
  { weight: 400, italic: true },
  { weight: 600, italic: false },
  { weight: 700, italic: false },
];

let fontCss: string | undefined;

export interface EmbedOptions {
  /** Unicode subsets to embed (default latin, latin-ext, greek). */
  readonly subsets?: readonly (typeof SUBSETS)[number][];
  /** Faces to embed (default regular, italic, semibold, bold). */
  readonly faces?: readonly { weight: Weight; italic: boolean }[];
}

/** @font-face rules with the WOFF2 subsets as data URIs (all faces and subsets unless narrowed). */
export function embeddedFontCss(options: EmbedOptions = {}): string {
  const everything = options.subsets === undefined && options.faces === undefined;
  if (everything && fontCss !== undefined) return fontCss;
  const dir = packageDir('@fontsource/inter');
  const ranges = JSON.parse(readFileSync(join(dir, 'unicode.json'), 'utf8')) as Record<string, string>;
  const rules: string[] = [];
  for (const face of options.faces ?? FACES) {
    for (const subset of options.subsets ?? SUBSETS) {
      const file = join(dir, 'files', `inter-${subset}-${face.weight}-${face.italic ? 'italic' : 'normal'}.woff2`);
      const data = readFileSync(file).toString('base64');
      rules.push(
        `@font-face{font-family:Inter;font-style:${face.italic ? 'italic' : 'normal'};font-weight:${face.weight};` +
          `src:url(data:font/woff2;base64,${data}) format('woff2');unicode-range:${ranges[subset]};}`,
      );
    }
  }
  const css = rules.join('\n');
  if (everything) fontCss = css;
  return css;
}
