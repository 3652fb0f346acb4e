/** Chooses the tfjs backend: wasm (about 30× the pure-JS cpu backend here), cpu as the fallback. */
import * as tf from '@tensorflow/tfjs-core';
// Importing a value (not a bare `import '…'`) registers the cpu backend without the import being
// copied into backend.d.ts, so the published types never pull in tfjs's own typings.
import { version_cpu } from '@tensorflow/tfjs-backend-cpu';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';

export type BackendName = 'wasm' | 'cpu';

export interface BackendOptions {
  readonly preferred?: BackendName;
  /** Folder (or URL prefix) that holds tfjs-backend-wasm's .wasm files; browsers must serve them. */
  readonly wasmPaths?: string;
}

/** Initialises tfjs once and returns the backend in use. */
export async function initBackend(options: BackendOptions = {}): Promise<BackendName> {
  const preferred = options.preferred ?? 'wasm';
  if (tf.getBackend() === preferred) return preferred;
  if (preferred === 'wasm') {
    if (options.wasmPaths) setWasmPaths(options.wasmPaths);
    try {
      if (await tf.setBackend('wasm')) {
        await tf.ready();
        return 'wasm';
      }
    } catch {
      // Fall through to cpu: the wasm binary could not be loaded here.
    }
  }
  await tf.setBackend('cpu');
  await tf.ready();
  return 'cpu';
}

/** The version of the registered cpu backend (also keeps its registering import in the build). */
export const CPU_BACKEND_VERSION: string = version_cpu;
