/** The positional embedding: each position selects a row of W_P. */
import { hook } from '@vectorview/trace';
import { defineStage } from '../stage.js';
import { drawLookup, lookupTex, prepareLookup } from './lookup.js';

const meta = { id: 'stage-positional', category: 'parameter' } as const;

export const positionalStage = defineStage({
  ...meta,
  title: 'Positional embedding',
  tex: () => lookupTex('pos'),
  reads: () => [hook.posEmbed],
  prepare: (ctx) => prepareLookup(ctx, 'pos'),
  draw: (ctx, prepared) => drawLookup(ctx, 'pos', meta, prepared),
});
