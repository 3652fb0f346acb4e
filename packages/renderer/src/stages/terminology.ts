/** Terminology: the glossary, in three columns. */
import { annotationBlock } from '../marks/callout.js';
import { defineStage, NO_SCALES } from '../stage.js';
import { INNER_WIDTH } from '../theme.js';
import { frame } from './common.js';

const meta = { id: 'stage-terminology', category: 'operation' } as const;

export const terminologyStage = defineStage({
  ...meta,
  title: 'Terminology',
  tex: () => [],
  reads: () => [],
  prepare: () => NO_SCALES,
  draw(ctx) {
    const note = ctx.note(meta.id);
    const body = annotationBlock({ ...note, short: '' }, INNER_WIDTH, ctx.tex, { columns: 3 });
    return frame(ctx, meta, body, { note: 'none' });
  },
});
