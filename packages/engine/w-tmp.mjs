import { loadModel } from '@vectorview/engine/node';
import { Session } from 'node:inspector/promises';
import { writeFileSync, mkdirSync } from 'node:fs';
const ids = Array.from({ length: Number(process.argv[2]) }, (_, i) => (i * 7919) % 50257);
const m = await loadModel('/tmp/gpt2ck');
m.forward(ids); m.forward(ids);
const s = new Session(); s.connect(); await s.post('Profiler.enable'); await s.post('Profiler.start');
let t = performance.now(); m.forward(ids); console.log('forward', (performance.now() - t).toFixed(0));
const { profile } = await s.post('Profiler.stop'); mkdirSync('/tmp/profw', { recursive: true }); writeFileSync('/tmp/profw/w.cpuprofile', JSON.stringify(profile));
