/**
 * The value colour scale: diverging, colour-blind-safe (ColorBrewer RdBu, blue negative, red
 * positive), symmetric about zero, quantised into a few steps so the legend can be read exactly.
 * Each stage gets its own domain (values in different places differ by orders of magnitude); the
 * domain is printed beside the drawing and in the legend.
 */
import { quantile } from 'd3-array';
import { rgb } from 'd3-color';
import { format } from 'd3-format';
import { interpolateRdBu } from 'd3-scale-chromatic';
import { scaleDiverging } from 'd3-scale';

/** Steps on each side of zero. */
export const STEPS = 7;

export interface ValueScale {
  /** Values beyond ±max are drawn at full colour. */
  readonly max: number;
  /** Colour of a value (quantised). */
  color(value: number): string;
  /** Index of the colour step, −STEPS..STEPS. */
  step(value: number): number;
  readonly label: string;
}

const palette: string[] = (() => {
  const s = scaleDiverging(interpolateRdBu).domain([1, 0, -1]);
  const out: string[] = [];
  for (let i = -STEPS; i <= STEPS; i++) out.push(rgb(s(i / STEPS)).formatHex());
  return out;
})();

export function stepColor(step: number): string {
  return palette[step + STEPS]!;
}

export const fmtDomain = format('.3~g');

/** A symmetric scale whose limit is the 99th percentile of |values| (so a few outliers do not wash out the rest). */
export function valueScale(samples: Iterable<ArrayLike<number>>, label = 'value'): ValueScale {
  const abs: number[] = [];
  for (const vector of samples) for (let i = 0; i < vector.length; i++) if (Number.isFinite(vector[i]!)) abs.push(Math.abs(vector[i]!));
  let max = abs.length ? (quantile(abs, 0.99) ?? 1) : 1;
  if (!(max > 0)) max = Math.max(1e-6, ...abs.slice(0, 1));
  const nice = Number(max.toPrecision(2));
  return makeScale(nice > 0 ? nice : max, label);
}

export function makeScale(max: number, label: string): ValueScale {
  const step = (value: number) => {
    if (!Number.isFinite(value)) return 0;
    const t = Math.max(-1, Math.min(1, value / max));
    return Math.round(t * STEPS);
  };
  return { max, label, step, color: (value: number) => stepColor(step(value)) };
}
