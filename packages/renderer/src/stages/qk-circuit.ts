/** The QK circuit of the drawn head as one matrix. */
import { defineStage, NO_SCALES } from '../stage.js';
import { circuitTex, drawCircuit } from './circuit.js';

const meta = { id: 'stage-qk-circuit', category: 'attention' } as const;

export const qkCircuitStage = defineStage({
  ...meta,
  title: 'QK circuit',
  tex: (ctx) => circuitTex(ctx, 'QK'),
  reads: () => [],
  prepare: () => NO_SCALES,
  draw: (ctx) => drawCircuit(ctx, 'QK', meta),
});
