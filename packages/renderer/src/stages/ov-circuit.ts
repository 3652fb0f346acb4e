/** The OV circuit of the drawn head as one matrix. */
import { defineStage, NO_SCALES } from '../stage.js';
import { circuitTex, drawCircuit } from './circuit.js';

const meta = { id: 'stage-ov-circuit', category: 'attention' } as const;

export const ovCircuitStage = defineStage({
  ...meta,
  title: 'OV circuit',
  tex: (ctx) => circuitTex(ctx, 'OV'),
  reads: () => [],
  prepare: () => NO_SCALES,
  draw: (ctx) => drawCircuit(ctx, 'OV', meta),
});
