import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { normalizeConfig } from './config.js';
import { readTraceFile, writeSafetensorsFile, writeTraceFile } from './node.js';
import { encodeSafetensors, SafetensorsError, type Tensor } from './safetensors.js';
import { createTrace, getTensor, type TensorName, type TokenInfo } from './trace.js';

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

describe('readTraceFile', () => {
  const tokens: TokenInfo[] = [14, 19, 13].map((id) => ({ id, display: `t${id}`, text: `t${id}`, bytes: 3 }));
  const config = normalizeConfig({ model_type: 'gpt2', vocab_size: 20, n_positions: 16, n_embd: 8, n_head: 2, n_layer: 1 }, 'tiny-test');
  const values = (n: number, at = 0) => Float32Array.from({ length: n }, (_, i) => (i === at ? NaN : i / n));
  const write = async (name: string, bad: boolean) => {
    const file = path.join(dir, name);
    const embed = bad ? values(24) : values(24, -1);
    await writeTraceFile(file, createTrace({ config, tokens, tensors: new Map<TensorName, Tensor>([['hook_embed', { shape: [3, 8], data: embed }], ['blocks.0.hook_resid_pre', { shape: [3, 8], data: values(24, -1) }]]) }));
    return file;
  };

  it('reads a tensor from the file on first use, and refuses a bad value then with one line naming the file and the tensor', async () => {
    const file = await write('lazy.safetensors', true);
    const trace = await readTraceFile(file);
    expect(Array.from(getTensor(trace, 'blocks.0.hook_resid_pre').data)).toEqual(Array.from(values(24, -1)));
    expect(() => getTensor(trace, 'hook_embed')).toThrow(SafetensorsError);
    expect(() => getTensor(trace, 'hook_embed')).toThrow(`${file}: tensor hook_embed holds NaN at element 0: a trace's values must be finite`);
  });

  it('refuses to read from a file that changed after it was opened, and one that is gone', async () => {
    const file = await write('changed.safetensors', false);
    const trace = await readTraceFile(file);
    await writeFile(file, 'something else entirely');
    expect(() => getTensor(trace, 'hook_embed')).toThrow(`${file}: the file changed after it was opened`);
    const gone = await readTraceFile(await write('gone.safetensors', false));
    await rm(path.join(dir, 'gone.safetensors'));
    expect(() => getTensor(gone, 'hook_embed')).toThrow(/gone\.safetensors: cannot read tensor hook_embed: no such file$/);
  });
});
