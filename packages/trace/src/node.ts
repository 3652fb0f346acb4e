/** File access for safetensors and traces: Node only, kept out of the browser-safe entry. */
import { open, readFile, stat } from 'node:fs/promises';
import { writeOutputs } from './outputs.js';
import { decodeTensorBytes, parseHeader, readHeaderLength, SafetensorsError, type SafetensorsHeader, type Tensor, type TensorEntry } from './safetensors.js';
import { checkTraceHeader, decodeTrace, encodeTrace, type Trace } from './trace.js';

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

/** Refuses anything but a regular file before opening it: opening a FIFO with no writer would block forever, and /dev/zero never ends. */
async function checkRegularFile(path: string, cannot: string): Promise<void> {
  let s;
  try {
    s = await stat(path);
  } catch (error) {
    throw new SafetensorsError(`${cannot} ${path}: ${describe(error)}`);
  }
  if (s.isDirectory()) throw new SafetensorsError(`${cannot} ${path}: ${describe({ code: 'EISDIR' })}`);
  if (!s.isFile()) throw new SafetensorsError(`${cannot} ${path}: not a regular file (a device, FIFO or socket)`);
}

export async function openSafetensorsFile(path: string): Promise<SafetensorsFile> {
  await checkRegularFile(path, 'cannot open');
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
        const bytes = new Uint8Array(entry.end - entry.begin);
        const { bytesRead } = await fileHandle.read(bytes, 0, bytes.length, header.dataOffset + entry.begin);
        if (bytesRead !== bytes.length) throw new SafetensorsError(`${path}: tensor ${entry.name} is truncated`);
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
 * Writes one file atomically: staged beside the target, then renamed, so a failure (or a kill)
 * never leaves a half-written output under the target's name.
 */
export async function writeFileAtomic(path: string, data: Uint8Array | string): Promise<void> {
  await writeOutputs([{ target: { flag: 'file', path }, data }]);
}

export async function readTraceFile(path: string): Promise<Trace> {
  await checkRegularFile(path, 'cannot read trace');
  // The header alone is checked first: a config or shapes that imply more data than a trace of that
  // model holds are refused before the data is read.
  const file = await openSafetensorsFile(path);
  try {
    checkTraceHeader({ ...file.header.metadata }, file.header.tensors);
  } catch (error) {
    throw new SafetensorsError(`${path}: ${(error as Error).message}`);
  } finally {
    await file.close();
  }
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

export async function writeTraceFile(path: string, trace: Trace): Promise<void> {
  await writeFileAtomic(path, encodeTrace(trace));
}
export * from './outputs.js';
