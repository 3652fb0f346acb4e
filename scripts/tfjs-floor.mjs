#!/usr/bin/env node
/**
 * The bench's second anchor: the least a pass of N tokens costs on this stack (Node, tfjs, its wasm
 * backend) for a GPT-2 checkpoint on one thread, whatever the engine does. A fresh process imports
 * tfjs and starts the wasm backend; then, for each of the 48 layer matrices W, reads it, uploads
 * it, transposes it and multiplies Wᵀ·xᵀ for N rows x (the cheapest first product with a matrix
 * here: as stored, XNNPACK would pack W first, which costs more than the transpose), and multiplies
 * one row by W_U's table as stored, in pieces. Nothing else: no attention, no LayerNorm, no
 * recording, no probe, no analyses, no output file.
 *
 * usage: tfjs-floor.mjs CHECKPOINT_DIR N_TOKENS
 *
 * Prints one JSON line: start_ms (process start to a ready backend), weights_ms (reading, uploading
 * and transposing the matrices and the table), products_ms, total_ms (the whole process: the floor).
 */
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { initNodeBackend } from '@vectorview/engine/node';
import { openSafetensorsFile } from '@vectorview/trace/node';

const [dir, count] = process.argv.slice(2);
const n = Number(count);
await initNodeBackend();
const startMs = performance.now();

const file = await openSafetensorsFile(join(dir, 'model.safetensors'));
const entries = new Map(file.header.tensors.map((t) => [t.name.replace(/^transformer\./, ''), t]));
const entry = (name) => entries.get(name) ?? (() => { throw new Error(`${dir} has no ${name}`); })();
/** Rows from…from+rows−1 of a stored matrix, read into one reused buffer and uploaded. */
const scratch = new Float32Array(4 * 2 ** 20);
function upload(name, from, rows) {
  const { shape } = entry(name);
  const values = rows * shape[1];
  const buffer = values <= scratch.length ? scratch.subarray(0, values) : new Float32Array(values);
  file.readIntoSync(entry(name), new Uint8Array(buffer.buffer, 0, values * 4), from * shape[1] * 4);
  return tf.tensor2d(buffer, [rows, shape[1]]);
}

let weightsMs = 0;
let productsMs = 0;
const timed = (fn) => {
  const t = performance.now();
  const value = fn();
  return [value, performance.now() - t];
};
const d = entry('wte.weight').shape[1];
/** xᵀ [width, N] for each input width, made before timing. */
const inputs = new Map();
const rowsOf = (width) => inputs.get(width) ?? inputs.set(width, tf.randomNormal([width, n])).get(width);
// A block's matrices are its 2-D tensors (its attn.bias buffer is 4-D): no weight names spelt here.
const layerMatrices = [...entries].filter(([key, { shape }]) => key.startsWith('h.') && shape.length === 2);
for (const [name, { shape }] of layerMatrices) {
  const xT = rowsOf(shape[0]);
  const [transposed, weights] = timed(() => tf.tidy(() => tf.transpose(upload(name, 0, shape[0]))));
  const [, product] = timed(() => tf.tidy(() => void tf.transpose(tf.matMul(transposed, xT)).dataSync()));
  transposed.dispose();
  weightsMs += weights;
  productsMs += product;
}
// One row through W_U's table as stored: the table streams and the row is the packed operand.
const vocab = entry('wte.weight').shape[0];
const rowT = tf.randomNormal([d, 1]);
const piece = Math.floor(scratch.length / d);
for (let from = 0; from < vocab; from += piece) {
  const [table, weights] = timed(() => upload('wte.weight', from, Math.min(piece, vocab - from)));
  const [, product] = timed(() => tf.tidy(() => void tf.matMul(table, rowT).dataSync()));
  table.dispose();
  weightsMs += weights;
  productsMs += product;
}
await file.close();
const round = (ms) => Math.round(ms * 10) / 10;
console.log(JSON.stringify({ start_ms: round(startMs), weights_ms: round(weightsMs), products_ms: round(productsMs), total_ms: round(performance.now()) }));
