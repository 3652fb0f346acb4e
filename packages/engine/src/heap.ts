/**
 * Tensors written and sliced in place in the wasm backend's heap. tfjs offers neither: a new tensor's
 * values are staged in a JS array and then copied in, and wasm's slice first copies its whole input
 * out of the heap. On this project's machines the first touch of fresh memory dominates a cold pass
 * (about 13 µs per 4 KiB page), so each avoided copy of the weights saves seconds.
 * On any other backend these fall back to tfjs's own ops.
 */
import * as tf from '@tensorflow/tfjs-core';

/** The parts of tfjs-backend-wasm's BackendWasm used here (public fields of its class, untyped in its exports). */
interface WasmHeapBackend extends tf.KernelBackend {
  readonly wasm: { readonly HEAPU8: Uint8Array };
  readonly dataIdMap: { get(dataId: object): { memoryOffset: number } | undefined };
}

function wasmBackend(): WasmHeapBackend | undefined {
  return tf.getBackend() === 'wasm' ? (tf.backend() as WasmHeapBackend) : undefined;
}

/** A tensor's float32 values as a view of the heap: valid only until the next allocation, which may grow (and so move) the heap. */
function heapBytes(backend: WasmHeapBackend, tensor: tf.Tensor): Uint8Array {
  const offset = backend.dataIdMap.get(tensor.dataId)!.memoryOffset;
  return new Uint8Array(backend.wasm.HEAPU8.buffer, offset, tensor.size * 4);
}

/** A float32 tensor in the heap with its bytes not yet written. */
function allocate<R extends tf.Rank>(backend: WasmHeapBackend, shape: readonly number[]): tf.Tensor<R> {
  // write(null, …) only allocates; the engine then tracks the new data like any tensor's (tidy, dispose).
  const dataId = backend.write(null as unknown as Float32Array, [...shape], 'float32');
  return tf.engine().makeTensorFromDataId(dataId, [...shape], 'float32', backend) as tf.Tensor<R>;
}

/** A float32 tensor whose bytes `fill` writes: on wasm straight into the heap, with no staging array. */
export function filledTensor<R extends tf.Rank>(shape: readonly number[], fill: (bytes: Uint8Array) => void): tf.Tensor<R> {
  const backend = wasmBackend();
  if (!backend) {
    const values = new Float32Array(shape.reduce((a, b) => a * b, 1));
    fill(new Uint8Array(values.buffer));
    return tf.tensor<tf.Rank>(values, [...shape]) as tf.Tensor<R>;
  }
  const tensor = allocate<R>(backend, shape);
  fill(heapBytes(backend, tensor));
  return tensor;
}

/**
 * Float32 tensors whose bytes `fill` writes, all allocated before it runs: the views it gets stay
 * valid until it resolves, provided nothing else allocates on the backend meanwhile, so its writes
 * may run concurrently (parallel file reads, say).
 */
export async function filledTensors(shapes: readonly (readonly number[])[], fill: (bytes: Uint8Array[]) => Promise<void>): Promise<tf.Tensor[]> {
  const backend = wasmBackend();
  if (!backend) {
    const values = shapes.map((shape) => new Float32Array(shape.reduce((a, b) => a * b, 1)));
    await fill(values.map((v) => new Uint8Array(v.buffer)));
    return values.map((v, i) => tf.tensor<tf.Rank>(v, [...shapes[i]!]));
  }
  const tensors = shapes.map((shape) => allocate(backend, shape));
  try {
    await fill(tensors.map((t) => heapBytes(backend, t)));
  } catch (error) {
    tf.dispose(tensors);
    throw error;
  }
  return tensors;
}

/** Entries from…from+count−1 along the first axis, copying only those bytes. */
export function leadingSlice<R extends tf.Rank>(tensor: tf.Tensor<R>, from: number, count: number): tf.Tensor<R> {
  const [first, ...rest] = tensor.shape;
  const backend = wasmBackend();
  if (!backend) return tf.slice(tensor, [from, ...rest.map(() => 0)], [count, ...rest]) as tf.Tensor<R>;
  const rowBytes = (tensor.size / first!) * 4;
  return filledTensor<R>([count, ...rest], (bytes) => bytes.set(heapBytes(backend, tensor).subarray(from * rowBytes, (from + count) * rowBytes)));
}

/**
 * A tensor's values without a copy where possible: on wasm a view of the heap, valid only until the
 * next allocation, so read it at once; elsewhere its data. For values copied onward (into the
 * recorded score and pattern squares), this skips dataSync's fresh array.
 */
export function valuesView(tensor: tf.Tensor): Float32Array {
  const backend = wasmBackend();
  if (!backend) return tensor.dataSync() as Float32Array;
  const bytes = heapBytes(backend, tensor);
  return new Float32Array(bytes.buffer, bytes.byteOffset, tensor.size);
}
