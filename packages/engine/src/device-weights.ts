/**
 * Weights a loader put on the backend, recorded beside the plain weight objects rather than in
 * their types, so the published types never name tfjs's (see backend.ts). A field backed this way
 * reads like any other: its values are copied back from the backend the first time it is read.
 */
import type * as tf from '@tensorflow/tfjs-core';
import type { Tensor } from '@vectorview/trace';

const backing = new WeakMap<Tensor, tf.Tensor2D>();
const copiesByOwner = new WeakMap<object, Map<string, tf.Tensor2D>>();

/** A Tensor whose values live in `device`: `data` copies them back on first read and keeps them. */
export function deviceBackedTensor(device: tf.Tensor2D): Tensor {
  let values: Float32Array | undefined;
  const tensor: Tensor = {
    shape: [...device.shape],
    get data() {
      return (values ??= device.dataSync() as Float32Array);
    },
  };
  backing.set(tensor, device);
  return tensor;
}

export function isDeviceBacked(tensor: Tensor): boolean {
  return backing.has(tensor);
}

/** Sets `owner[key]` to the tensor's values: read on first use when it is device-backed, whose backend copy is then recorded for `owner`. */
export function attachValues(owner: Record<string, unknown>, key: string, tensor: Tensor): void {
  const device = backing.get(tensor);
  if (!device) {
    owner[key] = tensor.data;
    return;
  }
  Object.defineProperty(owner, key, { enumerable: true, get: () => tensor.data });
  const copies = copiesByOwner.get(owner) ?? new Map<string, tf.Tensor2D>();
  copiesByOwner.set(owner, copies.set(key, device));
}

/** The backend copy of `owner[key]`, when a loader put it there. */
export function deviceCopy(owner: object, key: string): tf.Tensor2D | undefined {
  return copiesByOwner.get(owner)?.get(key);
}

/** Every backend copy recorded for `owner`. */
export function deviceCopies(owner: object): tf.Tensor2D[] {
  return [...(copiesByOwner.get(owner)?.values() ?? [])];
}
