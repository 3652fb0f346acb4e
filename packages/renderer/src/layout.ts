/** Page sizes and the column layout: stages top to bottom, in as many columns as the page shape needs. */
import { STAGE_WIDTH } from './theme.js';

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

function columnLayout(heights: readonly number[], k: number): PageLayout {
  const groups = partition(heights, k, STAGE_GAP);
  const placed: Placed[] = [];
  let tallest = 0;
  for (const g of groups) tallest = Math.max(tallest, g.reduce((s, i) => s + heights[i]!, 0) + (g.length - 1) * STAGE_GAP);
  groups.forEach((g, c) => {
    const own = g.reduce((s, i) => s + heights[i]!, 0);
    // Spread the spare height between the stages so the columns end together (at most 3 gaps' worth each).
    const gap = g.length > 1 ? Math.min(STAGE_GAP * 4, (tallest - own) / (g.length - 1)) : STAGE_GAP;
    let y = MARGIN;
    for (const i of g) {
      placed.push({ index: i, x: MARGIN + c * (STAGE_WIDTH + GUTTER), y });
      y += heights[i]! + gap;
    }
  });
  const columns = groups.length;
  return { width: 2 * MARGIN + columns * STAGE_WIDTH + (columns - 1) * GUTTER, height: 2 * MARGIN + tallest, columns, placed };
}

/** Chooses the number of columns that fills a page of the given aspect (width / height) best, then pads to that aspect. */
export function layoutPage(heights: readonly number[], aspect: number | undefined): PageLayout {
  if (aspect === undefined) return columnLayout(heights, 1);
  let best: { layout: PageLayout; fill: number } | undefined;
  for (let k = 1; k <= Math.min(8, heights.length); k++) {
    const layout = columnLayout(heights, k);
    const w = Math.max(layout.width, layout.height * aspect);
    const h = Math.max(layout.height, layout.width / aspect);
    const fill = (layout.width * layout.height) / (w * h);
    if (!best || fill > best.fill + 1e-9) best = { layout, fill };
  }
  const l = best!.layout;
  const width = Math.max(l.width, l.height * aspect);
  const height = Math.max(l.height, l.width / aspect);
  const dx = (width - l.width) / 2;
  const dy = (height - l.height) / 2;
  return { width, height, columns: l.columns, placed: l.placed.map((p) => ({ ...p, x: p.x + dx, y: p.y + dy })) };
}
