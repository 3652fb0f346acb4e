import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';
import { filledTensor, filledTensors, leadingSlice } from './heap.js';
import { initNodeBackend } from './node.js';

const values = Float32Array.from({ length: 4 * 3 * 2 }, (_, i) => i * 0.5 - 3);

describe.each(['wasm', 'cpu'] as const)('on the %s backend', (backend) => {
  afterAll(() => initNodeBackend('wasm'));

  it('filledTensor holds exactly the bytes its fill wrote, and tidy and dispose free it', async () => {
    expect(await initNodeBackend(backend)).toBe(backend);
    const before = tf.memory().numTensors;
    const t = filledTensor<tf.Rank.R3>([4, 3, 2], (bytes) => {
      expect(bytes.length).toBe(values.byteLength);
      bytes.set(new Uint8Array(values.buffer));
    });
    expect(t.shape).toEqual([4, 3, 2]);
    expect(Array.from(t.dataSync())).toEqual(Array.from(values));
    t.dispose();
    tf.tidy(() => {
      filledTensor([2], (bytes) => bytes.fill(0));
    });
    expect(tf.memory().numTensors).toBe(before);
  });

  it('filledTensors hands over every view at once, for fills that finish in any order', async () => {
    await initNodeBackend(backend);
    const tensors = await filledTensors([[2, 3], [4]], async ([a, b]) => {
      await Promise.all([
        new Promise<void>((done) => setTimeout(() => done(b!.set(new Uint8Array(Float32Array.of(1, 2, 3, 4).buffer))), 5)),
        Promise.resolve().then(() => a!.set(new Uint8Array(Float32Array.of(5, 6, 7, 8, 9, 10).buffer))),
      ]);
    });
    expect(tensors.map((t) => [t.shape, Array.from(t.dataSync())])).toEqual([[[2, 3], [5, 6, 7, 8, 9, 10]], [[4], [1, 2, 3, 4]]]);
    tf.dispose(tensors);
    const before = tf.memory().numTensors;
    await expect(filledTensors([[2]], () => Promise.reject(new Error('read failed')))).rejects.toThrow('read failed');
    expect(tf.memory().numTensors).toBe(before);
  });

  it('leadingSlice equals tf.slice along the first axis, and leaves its input intact', async () => {
    await initNodeBackend(backend);
    const t = tf.tensor3d(values, [4, 3, 2]);
    for (const [from, count] of [[0, 1], [1, 2], [3, 1], [0, 4]] as const) {
      const mine = leadingSlice(t, from, count);
      expect(mine.shape).toEqual([count, 3, 2]);
      expect(Array.from(mine.dataSync()), `${from}+${count}`).toEqual(Array.from(tf.slice(t, [from, 0, 0], [count, 3, 2]).dataSync()));
      mine.dispose();
    }
    expect(Array.from(t.dataSync())).toEqual(Array.from(values));
    t.dispose();
  });
});
