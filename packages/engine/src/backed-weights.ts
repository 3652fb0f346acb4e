/**
 * Weights whose values are not held in a plain array: a loader put them on the backend, or left them
 * in the checkpoint file, to be read one layer at a time by each pass. Recorded beside the plain
 * weight objects rather than in their types, so the published types never name tfjs's (see
 * backend.ts). A field backed this way reads like any other: its values are fetched the first time
 * it is read, and kept.
 */
import type * as tf from '@tensorflow/tfjs-core';
import type { Tensor } from '@vectorview/trace';

/**
 * A float32 checkpoint tensor left in its file. A pass reads its layers unchecked and checks what
 * they produce instead (Gpt2Model): a non-finite weight makes its whole column of every product
 * non-finite, so one row of the residual stream (or of the logits) shows it at almost no cost,
 * where scanning every weight on every read took 0.2 s of a 16-token GPT-2 pass.
 */
export interface FileTensor {
  readonly shape: readonly number[];
  /** Reads `bytes.length` bytes of the tensor from its byte `from`, unchecked: see readChecked, assertFinite. */
  read(bytes: Uint8Array, from: number): void;
  /** Throws the loader's error naming the value when `values`, the tensor's elements from element `from` on, hold a non-finite one. */
  check(values: Float32Array, from: number): void;
}

/** FileTensor.read, then its check: for values used as read (embedding rows, a whole tensor fetched into an array). */
export function readChecked(file: FileTensor, bytes: Uint8Array, from: number): void {
  file.read(bytes, from);
  file.check(new Float32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4), from / 4);
}

/** Pieces assertFinite reads the tensor in, so naming a bad value on gpt2-xl never needs a table-sized array. */
const CHECK_PIECE_FLOATS = 4 * 2 ** 20;

/** Reads the whole tensor again and throws its check's error if any value is non-finite (to name what a pass's products showed). */
export function assertFinite(file: FileTensor): void {
  const size = file.shape.reduce((a, b) => a * b, 1);
  const piece = new Float32Array(Math.min(size, CHECK_PIECE_FLOATS));
  for (let from = 0; from < size; from += piece.length) {
    const values = piece.subarray(0, Math.min(piece.length, size - from));
    readChecked(file, new Uint8Array(values.buffer, 0, values.length * 4), from * 4);
  }
}

type Backing = { readonly device: tf.Tensor2D } | { readonly file: FileTensor };

const backing = new WeakMap<Tensor, Backing>();
const byOwner = new WeakMap<object, Map<string, Backing>>();
const releases = new WeakMap<object, () => void>();

function backedTensor(shape: readonly number[], how: Backing, values: () => Float32Array): Tensor {
  let kept: Float32Array | undefined;
  const tensor: Tensor = {
    shape: [...shape],
    get data() {
      return (kept ??= values());
    },
  };
  backing.set(tensor, how);
  return tensor;
}

/** A Tensor whose values live in `device`: `data` copies them back on first read. */
export function deviceBackedTensor(device: tf.Tensor2D): Tensor {
  return backedTensor(device.shape, { device }, () => device.dataSync() as Float32Array);
}

/** A Tensor whose values stay in the checkpoint: `data` reads all of them on first read. */
export function fileBackedTensor(file: FileTensor): Tensor {
  return backedTensor(file.shape, { file }, () => {
    const values = new Float32Array(file.shape.reduce((a, b) => a * b, 1));
    readChecked(file, new Uint8Array(values.buffer), 0);
    return values;
  });
}

/** Whether reading the tensor's data would fetch it from elsewhere (so a check of its type should not). */
export function isBacked(tensor: Tensor): boolean {
  return backing.has(tensor);
}

/** Sets `owner[key]` to the tensor's values: fetched on first use when it is backed, whose backing is then recorded for `owner`. */
export function attachValues(owner: Record<string, unknown>, key: string, tensor: Tensor): void {
  const how = backing.get(tensor);
  if (!how) {
    owner[key] = tensor.data;
    return;
  }
  Object.defineProperty(owner, key, { enumerable: true, get: () => tensor.data });
  const backed = byOwner.get(owner) ?? new Map<string, Backing>();
  byOwner.set(owner, backed.set(key, how));
}

/** The backend copy of `owner[key]`, when a loader put it there. */
export function deviceCopy(owner: object, key: string): tf.Tensor2D | undefined {
  const how = byOwner.get(owner)?.get(key);
  return how && 'device' in how ? how.device : undefined;
}

/** Every backend copy recorded for `owner`. */
export function deviceCopies(owner: object): tf.Tensor2D[] {
  return [...(byOwner.get(owner)?.values() ?? [])].flatMap((how) => ('device' in how ? [how.device] : []));
}

/** `owner[key]` still in its checkpoint, when a loader left it there. */
export function fileTensor(owner: object, key: string): FileTensor | undefined {
  const how = byOwner.get(owner)?.get(key);
  return how && 'file' in how ? how.file : undefined;
}

/** Whether any field of `owner` is left in a file. */
export function hasFileTensors(owner: object): boolean {
  return [...(byOwner.get(owner)?.values() ?? [])].some((how) => 'file' in how);
}

/** What `releaseBacking(owner)` runs: closing the checkpoint its file tensors read from, say. */
export function onRelease(owner: object, release: () => void): void {
  releases.set(owner, release);
}

/** Runs (once) what was registered for `owner` with onRelease. */
export function releaseBacking(owner: object): void {
  releases.get(owner)?.();
  releases.delete(owner);
}
