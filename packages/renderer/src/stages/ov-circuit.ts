/** The OV circuit of the drawn head as a token × token heatmap (circuits.ov of the trace's analysis). */
import { defineStage } from '../stage.js';
import { circuitTex, drawCircuit, prepareCircuit } from './circuit.js';

const meta = { id: 'stage-ov-circuit', category: 'attention' } as const;

export const ovCircuitStage = defineStage({
  ...meta,
  title: 'OV circuit',
  tex: (ctx) => circuitTex(ctx, 'OV'),
  reads: () => [],
  prepare: (ctx) => prepareCircuit(ctx, 'OV'),
  draw: (ctx, prepared) => drawCircuit(ctx, 'OV', meta, prepared),
});
