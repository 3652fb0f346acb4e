import { loadModel } from './dist/node.js';
import * as tf from '@tensorflow/tfjs-core';
const n = Number(process.argv[2]);
const heap = () => (tf.backend().wasm.HEAPU8.length/2**20).toFixed(0)+' MiB heap, rss '+(process.memoryUsage().rss/2**20).toFixed(0);
const m = await loadModel('/tmp/gpt2ck', {placement: 'file'});
const ids = Array.from({length:n},(_,i)=>(i*7919)%50257);
for (let r = 0; r < 2; r++) { const t = performance.now(); m.forward(ids, {unembed:'last'}); console.log('forward', (performance.now()-t).toFixed(0), heap()); }
const m2 = await loadModel('/tmp/gpt2ck', {placement: 'backend'});
for (let r = 0; r < 2; r++) { const t = performance.now(); m2.forward(ids, {unembed:'last'}); console.log('backend forward', (performance.now()-t).toFixed(0), heap()); }
