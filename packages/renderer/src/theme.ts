/** Colours, sizes and the category vocabulary shared by every stage. */
import type { Weight } from './fonts.js';

export const INK = '#1f2328';
export const MUTED = '#57606a';
export const FAINT = '#8c959f';
export const RULE = '#d0d7de';
export const PAPER = '#ffffff';
export const PANEL = '#f6f8fa';

export type Category = 'operation' | 'parameter' | 'tokenizer' | 'residual' | 'attention' | 'mlp';

/** Each category has a colour and also a shape/outline and a word, so colour never carries meaning alone. */
export const CATEGORY: Record<Category, { color: string; tint: string; label: string; dash?: string }> = {
  operation: { color: '#24292f', tint: '#ffffff', label: 'operation' },
  parameter: { color: '#9a6700', tint: '#fff3d1', label: 'parameters (learned weights)' },
  tokenizer: { color: '#1a7f37', tint: '#dafbe1', label: 'tokenizer (outside the network)' },
  residual: { color: '#4d5a66', tint: '#eef1f4', label: 'residual stream', dash: '6 3' },
  attention: { color: '#0a6d80', tint: '#dff4f7', label: 'attention' },
  mlp: { color: '#8250df', tint: '#f1eafe', label: 'MLP' },
};

/**
 * Type sizes in design units. A printed page is scaled so that the smallest drawn text prints at
 * `PRINT_PT.min` or larger and the median at `PRINT_PT.median` (layout.ts `legibleScale`); no mark
 * draws text below `min` (cells too small for a number carry colour only).
 */
export const SIZE = {
  posterTitle: 88,
  posterSubtitle: 38,
  stageTitle: 34,
  short: 21,
  body: 19,
  small: 17,
  caption: 16,
  tiny: 16,
  min: 12,
} as const;

/** Printed type sizes every paper size keeps, in points: the smallest text, and the common (median) text. */
export const PRINT_PT = { min: 6, median: 8 } as const;

export const WEIGHT: Record<'title' | 'strong' | 'body', Weight> = { title: 700, strong: 600, body: 400 };

/** Width of one stage (design units); the page fits as many columns of stages as its shape needs. */
export const STAGE_WIDTH = 1440;
export const STAGE_PAD = 32;
export const INNER_WIDTH = STAGE_WIDTH - 2 * STAGE_PAD;
/** Width of the annotation panel when it sits beside the drawing. */
export const NOTE_WIDTH = 500;
export const GAP = 40;
