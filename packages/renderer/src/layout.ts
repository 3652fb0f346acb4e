/** Page sizes and the column layout: stages top to bottom, in as many columns as the page shape needs. */
import { PRINT_PT, STAGE_WIDTH } from './theme.js';

export type PosterSize = 'A0' | 'A1' | 'A2' | '24x36in' | '36x48in' | 'web';

/** Portrait width × height in millimetres. */
export const PAGE_MM: Record<Exclude<PosterSize, 'web'>, readonly [number, number]> = {
  A0: [841, 1189],
  A1: [594, 841],
  A2: [420, 594],
  '24x36in': [609.6, 914.4],
  '36x48in': [914.4, 1219.2],
};

export const MARGIN = 80;
export const GUTTER = 60;
export const STAGE_GAP = 40;
export const WEB_WIDTH = STAGE_WIDTH + 2 * MARGIN;

export interface Placed {
  readonly index: number;
  readonly x: number;
  readonly y: number;
}

export interface PageLayout {
  readonly width: number;
  readonly height: number;
  readonly columns: number;
  readonly placed: readonly Placed[];
}

/** Splits heights (in order) into k contiguous groups minimising the tallest group. */
export function partition(heights: readonly number[], k: number, gap: number): number[][] {
  const m = heights.length;
  const prefix = [0];
  for (const h of heights) prefix.push(prefix[prefix.length - 1]! + h);
  const cost = (i: number, j: number) => prefix[j]! - prefix[i]! + Math.max(0, j - i - 1) * gap;
  // best[c][j]: minimal max height placing the first j items in c columns.
  const best: number[][] = Array.from({ length: k + 1 }, () => new Array<number>(m + 1).fill(Infinity));
  const cut: number[][] = Array.from({ length: k + 1 }, () => new Array<number>(m + 1).fill(0));
  best[0]![0] = 0;
  for (let c = 1; c <= k; c++) {
    for (let j = 0; j <= m; j++) {
      for (let i = 0; i <= j; i++) {
        const v = Math.max(best[c - 1]![i]!, cost(i, j));
        if (v < best[c]![j]!) {
          best[c]![j] = v;
          cut[c]![j] = i;
        }
      }
    }
  }
  const groups: number[][] = [];
  let j = m;
  for (let c = k; c >= 1; c--) {
    const i = cut[c]![j]!;
    groups.unshift(Array.from({ length: j - i }, (_, t) => i + t));
    j = i;
  }
  return groups.filter((g) => g.length > 0);
}

/** Millimetres per typographic point. */
const MM_PER_PT = 25.4 / 72;

/** The font sizes of the text elements in some drawn SVG (the renderer's own output), in design units. */
export function textSizes(svg: string): number[] {
  return Array.from(svg.matchAll(/<text[^>]*?font-size="([\d.]+)"/g), (m) => Number(m[1]));
}

/**
 * The smallest scale a printed page may use, in millimetres per design unit: the one at which the
 * drawn text's smallest size prints at `PRINT_PT.min` and its median at `PRINT_PT.median`. Type is
 * scaled to the page: a page holds what fits at this scale or larger.
 */
export function legibleScale(sizes: readonly number[]): number {
  if (!sizes.length) return 0;
  const sorted = [...sizes].sort((a, b) => a - b);
  return Math.max(PRINT_PT.min / sorted[0]!, PRINT_PT.median / sorted[Math.floor(sorted.length / 2)]!) * MM_PER_PT;
}

/** The printed page, width and height in millimetres (landscape already applied). */
export interface PrintPage {
  readonly widthMm: number;
  readonly heightMm: number;
}

const columnsWidth = (k: number) => 2 * MARGIN + k * STAGE_WIDTH + (k - 1) * GUTTER;

/** The most columns of stages a page holds at the smallest scale `minMmPerUnit` (at least one). */
export function columnsFor(page: PrintPage, minMmPerUnit: number): number {
  const width = page.widthMm / minMmPerUnit;
  return Math.max(1, Math.floor((width - 2 * MARGIN + GUTTER) / (STAGE_WIDTH + GUTTER)));
}

/** The tallest column when the stages are split into k columns (design units, without margins). */
function tallestColumn(heights: readonly number[], k: number): number {
  return Math.max(0, ...partition(heights, k, STAGE_GAP).map((g) => g.reduce((s, i) => s + heights[i]!, 0) + (g.length - 1) * STAGE_GAP));
}

/** The page may leave at most this share of its width or height as one blank band. */
export const MAX_BLANK_BAND = 0.05;

/**
 * Whether stages of these heights fit the page in as many columns as it holds at the smallest
 * scale `minMmPerUnit` (see `legibleScale`), at a scale large enough that the columns' spare width
 * leaves no blank band over `MAX_BLANK_BAND`: stages that fit this way fill the page both ways,
 * instead of leaving side bands on a page taller than they are.
 */
export function fitsPage(heights: readonly number[], page: PrintPage, minMmPerUnit: number): boolean {
  const k = Math.min(columnsFor(page, minMmPerUnit), heights.length);
  // Spare width w − columnsWidth goes into k + 1 bands beside the margins: the widest page that keeps each under the limit.
  const widest = (columnsWidth(k) / (k + 1) - MARGIN) / (1 / (k + 1) - MAX_BLANK_BAND);
  const mmPerUnit = Math.max(minMmPerUnit, page.widthMm / widest);
  return tallestColumn(heights, k) <= page.heightMm / mmPerUnit - 2 * MARGIN;
}

/**
 * Places the stages in k columns on a page of width × height units: the spare width goes evenly
 * into margins and gutters, the spare height of each column into the gaps between its stages (each
 * gap at most `maxGap`), and what is left centres the column, so no blank band grows at one edge.
 */
function placeColumns(heights: readonly number[], groups: readonly number[][], width: number, height: number, maxGap: number): Placed[] {
  const k = groups.length;
  const spareWidth = (width - columnsWidth(k)) / (k + 1);
  const placed: Placed[] = [];
  groups.forEach((g, c) => {
    const own = g.reduce((s, i) => s + heights[i]!, 0);
    const room = height - 2 * MARGIN;
    const gap = g.length > 1 ? Math.max(STAGE_GAP, Math.min(maxGap, (room - own) / (g.length - 1))) : 0;
    let y = MARGIN + Math.max(0, (room - own - gap * (g.length - 1)) / 2);
    const x = MARGIN + spareWidth + c * (STAGE_WIDTH + GUTTER + spareWidth);
    for (const i of g) {
      placed.push({ index: i, x, y });
      y += heights[i]! + gap;
    }
  });
  return placed;
}

/** One column, as tall as its stages: the web size. */
export function layoutStrip(heights: readonly number[]): PageLayout {
  const groups = partition(heights, 1, STAGE_GAP);
  const height = 2 * MARGIN + tallestColumn(heights, 1);
  return { width: columnsWidth(1), height, columns: 1, placed: placeColumns(heights, groups, columnsWidth(1), height, STAGE_GAP) };
}

/**
 * Lays the stages out for a printed page: of the column counts the page holds at the smallest
 * scale, the one whose drawing fills the page best, scaled up until it meets the page's width or
 * height (type only ever grows from `minMmPerUnit`), the other dimension filled by spreading.
 */
export function layoutPrint(heights: readonly number[], page: PrintPage, minMmPerUnit: number): PageLayout & { mmPerUnit: number } {
  let best: { groups: number[][]; mmPerUnit: number; fill: number } | undefined;
  for (let k = 1; k <= Math.min(columnsFor(page, minMmPerUnit), heights.length); k++) {
    const groups = partition(heights, k, STAGE_GAP);
    const w = columnsWidth(groups.length);
    const h = 2 * MARGIN + tallestColumn(heights, k);
    const mmPerUnit = Math.min(page.widthMm / w, page.heightMm / h);
    const fill = (w * h * mmPerUnit * mmPerUnit) / (page.widthMm * page.heightMm);
    if (!best || fill > best.fill + 1e-9) best = { groups, mmPerUnit, fill };
  }
  const { groups, mmPerUnit } = best!;
  const width = page.widthMm / mmPerUnit;
  const height = page.heightMm / mmPerUnit;
  // A gap between two stages stays under the 5 % blank band the page allows.
  const placed = placeColumns(heights, groups, width, height, 0.04 * height);
  return { width, height, columns: groups.length, placed, mmPerUnit };
}

/** The widest strip across the page (edges included) that no stage covers, as a share of the page's width or height, whichever is larger. */
export function widestBlankBand(layout: PageLayout, heights: readonly number[]): number {
  const widest = (spans: [number, number][], length: number) => {
    let reach = 0;
    let gap = 0;
    for (const [a, b] of spans.sort((p, q) => p[0] - q[0])) {
      gap = Math.max(gap, a - reach);
      reach = Math.max(reach, b);
    }
    return Math.max(gap, length - reach) / length;
  };
  const x = widest(layout.placed.map((p) => [p.x, p.x + STAGE_WIDTH]), layout.width);
  const y = widest(layout.placed.map((p) => [p.y, p.y + heights[p.index]!]), layout.height);
  return Math.max(x, y);
}
