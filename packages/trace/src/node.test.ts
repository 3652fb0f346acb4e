import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeSafetensorsFile } from './node.js';
import { encodeSafetensors, type Tensor } from './safetensors.js';

const dir = await mkdtemp(path.join(tmpdir(), 'vectorview-trace-node-'));
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('writeSafetensorsFile', () => {
  it('streams the same bytes encodeSafetensors builds in memory, leaving no temporary behind', async () => {
    const tensors = new Map<string, Tensor>([
      ['a', { shape: [2, 3], data: Float32Array.from([1, 2, 3, 4, 5, 6]) }],
      ['ids', { shape: [3], data: Int32Array.from([7, 8, 9]) }],
      // A view into a larger buffer: only its own bytes may be written.
      ['view', { shape: [2], data: new Float32Array([0, 10, 11, 0]).subarray(1, 3) }],
    ]);
    const file = path.join(dir, 'out.safetensors');
    await writeSafetensorsFile(file, tensors, { note: 'x' });
    expect(new Uint8Array(await readFile(file))).toEqual(encodeSafetensors(tensors, { note: 'x' }));
    expect(await readdir(dir)).toEqual(['out.safetensors']);
  });
});
