/**
 * Which positions the per-position drawings show. Up to MAX_POSITIONS every position is drawn;
 * a longer prompt keeps the first positions, the last one and any position an analysis points to,
 * and the drawings mark each run of elided positions with a labelled gap.
 */

/** Columns a per-position drawing can hold legibly in its share of a stage. */
export const MAX_POSITIONS = 16;

export interface ShownPositions {
  /** The drawn positions, ascending. */
  readonly positions: readonly number[];
  /** Indices into `positions` after which some positions are elided. */
  readonly breaks: readonly number[];
  /** How many positions are not drawn. */
  readonly elided: number;
}

export function shownPositions(n: number, keep: readonly number[], max = MAX_POSITIONS): ShownPositions {
  const set = new Set(keep.filter((p) => Number.isInteger(p) && p >= 0 && p < n));
  for (let p = 0; p < n && (set.size < max || n <= max); p++) set.add(p);
  const positions = [...set].sort((a, b) => a - b);
  const breaks: number[] = [];
  for (let i = 0; i + 1 < positions.length; i++) if (positions[i + 1]! > positions[i]! + 1) breaks.push(i);
  return { positions, breaks, elided: n - positions.length };
}

/** The elided runs in words, e.g. "positions 15–298 (284 positions)". */
export function elidedRuns(shown: ShownPositions): string[] {
  return shown.breaks.map((i) => {
    const from = shown.positions[i]! + 1;
    const to = shown.positions[i + 1]! - 1;
    return from === to ? `position ${from}` : `positions ${from}–${to} (${to - from + 1} positions)`;
  });
}
