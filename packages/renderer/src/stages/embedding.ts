/** The token embedding: each token id selects a row of W_E. */
import { hook } from '@vectorview/trace';
import { defineStage } from '../stage.js';
import { drawLookup, lookupTex, prepareLookup } from './lookup.js';

const meta = { id: 'stage-embedding', category: 'parameter' } as const;

export const embeddingStage = defineStage({
  ...meta,
  title: 'Token embedding',
  tex: () => lookupTex('embed'),
  reads: () => [hook.embed],
  prepare: (ctx) => prepareLookup(ctx, 'embed'),
  draw: (ctx, prepared) => drawLookup(ctx, 'embed', meta, prepared),
});
