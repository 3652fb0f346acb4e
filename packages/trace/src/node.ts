/** File access for safetensors and traces: Node only, kept out of the browser-safe entry. */
import { open, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { decodeTensorBytes, parseHeader, readHeaderLength, SafetensorsError, safetensorsHeader, type SafetensorsHeader, type Tensor, type TensorEntry } from './safetensors.js';
import { decodeTrace, traceMetadata, type Trace } from './trace.js';

export interface SafetensorsFile {
  readonly path: string;
  readonly header: SafetensorsHeader;
  /** Reads one tensor from disk; only that tensor's bytes are held, so huge files never load whole. */
  read(entry: TensorEntry | string): Promise<Tensor>;
  close(): Promise<void>;
}

function describe(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EACCES') return 'permission denied';
  if (code === 'EISDIR') return 'is a directory, not a file';
  return error instanceof Error ? error.message : String(error);
}

export async function openSafetensorsFile(path: string): Promise<SafetensorsFile> {
  let handle;
  try {
    handle = await open(path, 'r');
  } catch (error) {
    throw new SafetensorsError(`cannot open ${path}: ${describe(error)}`);
  }
  try {
    const { size } = await handle.stat();
    if (!(await handle.stat()).isFile()) throw new SafetensorsError(`${path} is not a regular file`);
    const prefix = new Uint8Array(8);
    await handle.read(prefix, 0, Math.min(8, size), 0);
    const headerLength = readHeaderLength(prefix, size);
    const json = new Uint8Array(headerLength);
    await handle.read(json, 0, headerLength, 8);
    const header = parseHeader(json, size);
    const byName = new Map(header.tensors.map((t) => [t.name, t]));
    const fileHandle = handle;
    return {
      path,
      header,
      async read(which) {
        const entry = typeof which === 'string' ? byName.get(which) : which;
        if (!entry) throw new SafetensorsError(`${path} has no tensor named ${String(which)}`);
        const readInto = async (bytes: Uint8Array) => {
          const { bytesRead } = await fileHandle.read(bytes, 0, bytes.length, header.dataOffset + entry.begin);
          if (bytesRead !== bytes.length) throw new SafetensorsError(`${path}: tensor ${entry.name} is truncated`);
        };
        // Float32 and int32 bytes are read straight into the tensor's own array: no copy after the read.
        if (entry.dtype === 'F32' || entry.dtype === 'I32') {
          const count = entry.shape.reduce((a, b) => a * b, 1);
          const data = entry.dtype === 'F32' ? new Float32Array(count) : new Int32Array(count);
          await readInto(new Uint8Array(data.buffer));
          return { shape: [...entry.shape], data };
        }
        const bytes = new Uint8Array(entry.end - entry.begin);
        await readInto(bytes);
        return decodeTensorBytes(entry, bytes);
      },
      close: () => fileHandle.close(),
    };
  } catch (error) {
    await handle.close();
    if (error instanceof SafetensorsError) throw new SafetensorsError(`${path}: ${error.message}`);
    throw error;
  }
}

/**
 * Writes a file atomically: to a temporary name beside the target, then renamed,
 * so a failure never leaves a half-written output behind.
 */
export async function writeFileAtomic(path: string, data: Uint8Array | string): Promise<void> {
  await writeAtomically(path, (temporary) => writeFile(temporary, data));
}

async function writeAtomically(path: string, write: (temporary: string) => Promise<void>): Promise<void> {
  const temporary = `${path}.${process.pid}.${Date.now()}.partial`;
  try {
    await write(temporary);
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
}

export async function readTraceFile(path: string): Promise<Trace> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (error) {
    throw new SafetensorsError(`cannot read trace ${path}: ${describe(error)}`);
  }
  try {
    return decodeTrace(bytes);
  } catch (error) {
    throw new SafetensorsError(`${path}: ${(error as Error).message}`);
  }
}

/**
 * Writes tensors as a safetensors file, atomically and tensor by tensor: a full-context GPT-2 trace
 * is gigabytes, so it is never assembled as one buffer (nor held twice), and it may exceed Node's
 * 2 GiB limit for one write.
 */
export async function writeSafetensorsFile(path: string, tensors: ReadonlyMap<string, Tensor>, metadata: Record<string, string> = {}): Promise<void> {
  const { header, entries } = safetensorsHeader(tensors, metadata);
  await writeAtomically(path, async (temporary) => {
    const handle = await open(temporary, 'w');
    try {
      await handle.write(header);
      for (const [, { data }] of entries) await handle.write(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    } finally {
      await handle.close();
    }
  });
}

export async function writeTraceFile(path: string, trace: Trace): Promise<void> {
  await writeSafetensorsFile(path, trace.tensors, traceMetadata(trace));
}
