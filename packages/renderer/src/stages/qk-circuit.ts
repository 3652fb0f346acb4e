/** The QK circuit of the drawn head as a token × token heatmap (circuits.qk of the trace's analysis). */
import { defineStage } from '../stage.js';
import { circuitTex, drawCircuit, prepareCircuit } from './circuit.js';

const meta = { id: 'stage-qk-circuit', category: 'attention' } as const;

export const qkCircuitStage = defineStage({
  ...meta,
  title: 'QK circuit',
  tex: (ctx) => circuitTex(ctx, 'QK'),
  reads: () => [],
  prepare: (ctx) => prepareCircuit(ctx, 'QK'),
  draw: (ctx, prepared) => drawCircuit(ctx, 'QK', meta, prepared),
});
