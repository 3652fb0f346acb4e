/** Callouts: wrapped Markdown with typeset math, bullets and clickable sources. */
import type { Annotation } from '../annotations.js';
import { parseInline, parseMarkdown, type MdBlock } from '../markdown.js';
import type { TexRegistry } from '../math.js';
import { attrs, hstack, place, vstack, type Block } from '../svg.js';
import { INK, MUTED, SIZE } from '../theme.js';
import { label, maxLineWidth, renderLines, wrap, type Run, type TextOptions } from '../text.js';

const BULLET_INDENT = 20;

/** Lays out Markdown blocks to `width`; every line is measured, so nothing exceeds `width`. */
export function markdownBlocks(blocks: readonly MdBlock[], width: number, tex: TexRegistry, base: TextOptions = { size: SIZE.body, color: INK }): Block[] {
  return blocks.map((b) => {
    if (b.kind === 'bullet') {
      const lines = wrap(b.runs, width - BULLET_INDENT, base);
      const text = renderLines(lines, base, tex);
      const dot = `<circle${attrs({ cx: 6, cy: (base.size * (base.leading ?? 1.35)) / 2, r: 3.2, fill: base.color ?? INK })}/>`;
      return { svg: dot + place(text, BULLET_INDENT, 0), width: BULLET_INDENT + maxLineWidth(lines), height: text.height };
    }
    const style = b.kind === 'heading' ? { ...base, weight: 700 as const } : base;
    const lines = wrap(b.runs, width, style);
    const text = renderLines(lines, style, tex);
    return { ...text, width: maxLineWidth(lines) };
  });
}

/** Splits blocks into `k` columns of about equal height, keeping order. */
export function balanceColumns(blocks: readonly Block[], k: number, gap: number): Block[][] {
  const total = blocks.reduce((s, b) => s + b.height + gap, 0);
  const target = total / k;
  const cols: Block[][] = [[]];
  let h = 0;
  for (const b of blocks) {
    if (h > 0 && h + b.height / 2 > target && cols.length < k) {
      cols.push([]);
      h = 0;
    }
    cols[cols.length - 1]!.push(b);
    h += b.height + gap;
  }
  return cols;
}

export interface NoteOptions {
  readonly columns?: number;
  readonly gutter?: number;
  readonly withShort?: boolean;
  readonly withSources?: boolean;
  readonly color?: string;
}

/** A stage's annotation: body paragraphs, points as bullets, sources as links. */
export function annotationBlock(note: Annotation, width: number, tex: TexRegistry, o: NoteOptions = {}): Block {
  const k = o.columns ?? 1;
  const gutter = o.gutter ?? 36;
  const colWidth = (width - (k - 1) * gutter) / k;
  const blocks: Block[] = [];
  if (o.withShort && note.short) blocks.push(...markdownBlocks(parseMarkdown(note.short), colWidth, tex, { size: SIZE.short, color: INK, italic: true }));
  if (note.body) blocks.push(...markdownBlocks(parseMarkdown(note.body), colWidth, tex));
  const points = note.points.flatMap((p) => parseMarkdown(p).map((b) => ({ ...b, kind: 'bullet' as const })));
  if (points.length) blocks.push(...markdownBlocks(points, colWidth, tex, { size: SIZE.small + 1, color: INK }));
  const gap = SIZE.body * 0.55;
  const cols = balanceColumns(blocks, k, gap).map((c) => vstack(c, gap));
  const colBlocks = cols.map((c) => ({ ...c, width: colWidth }));
  let body = hstack(colBlocks, gutter);
  if (o.withSources !== false && note.sources.length) {
    body = vstack([body, sourcesBlock(note, width, tex)], gap * 1.4);
  }
  return { ...body, width };
}

export function sourcesBlock(note: Annotation, width: number, tex: TexRegistry): Block {
  const runs: Run[] = [{ kind: 'text', text: 'Sources: ', style: { weight: 600 } }];
  note.sources.forEach((s, i) => {
    if (i > 0) runs.push({ kind: 'text', text: ' · ', style: {} });
    runs.push(...parseInline(`[${s.title.replace(/[[\]]/g, '')}](${s.url})`));
  });
  const base: TextOptions = { size: SIZE.caption, color: MUTED };
  const lines = wrap(runs, width, base);
  return { ...renderLines(lines, base, tex), width };
}

/** A titled callout box (used for the QK and OV circuits and side notes). */
export function callout(title: string, content: Block, width: number, color: string): Block {
  const pad = 18;
  const t = label(title, pad, pad + SIZE.short * 0.8, { size: SIZE.short, weight: 700, fill: color });
  const innerTop = pad + SIZE.short * 1.5;
  const height = innerTop + content.height + pad;
  const svg = `<rect${attrs({ width, height, rx: 10, fill: '#fff', stroke: color, 'stroke-width': 2 })}/>${t.svg}${place(content, pad, innerTop)}`;
  return { svg, width, height };
}
