export * from './safetensors.js';
export * from './config.js';
export * from './decoding.js';
export * from './graph.js';
export * from './trace.js';
export * from './analysis.js';
export * from './validate.js';
