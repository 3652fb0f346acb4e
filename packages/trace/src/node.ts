/** File access for safetensors and traces: Node only, kept out of the browser-safe entry. */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { open, rename, stat, type FileHandle } from 'node:fs/promises';
import { writeOutputs, type OutputWriter } from './outputs.js';
import { decodeTensorBytes, parseHeader, placedHeader, readHeaderLength, SafetensorsError, safetensorsHeader, type PlacedTensor, type SafetensorsHeader, type Tensor, type TensorEntry } from './safetensors.js';
import { traceFromHeader, traceMetadata, type Trace } from './trace.js';

export interface SafetensorsFile {
  readonly path: string;
  readonly header: SafetensorsHeader;
  /** Reads one tensor from disk; only that tensor's bytes are held, so huge files never load whole. */
  read(entry: TensorEntry | string): Promise<Tensor>;
  /**
   * Reads `bytes.length` of one tensor's raw bytes, from byte `from` of the tensor, into a buffer the
   * caller owns (a backend's heap, say). Reads may run concurrently.
   */
  readInto(entry: TensorEntry, bytes: Uint8Array, from?: number): Promise<void>;
  /** readInto, blocking: for a caller that reads in the middle of synchronous work (a forward pass streaming its weights). */
  readIntoSync(entry: TensorEntry, bytes: Uint8Array, from?: number): void;
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

/** One read call's most bytes: Node refuses reads above 2 GiB. */
const READ_CHUNK = 1 << 30;
/** The buffer a rewritten stream copies its data through. */
const COPY_CHUNK = 16 * 2 ** 20;

const truncated = (entry: TensorEntry, path?: string) => new SafetensorsError(`${path === undefined ? '' : `${path}: `}tensor ${entry.name} is truncated`);

/** Reads one tensor from an open file; float32 and int32 bytes go straight into the tensor's own array. */
function readTensorSync(fd: number, dataOffset: number, entry: TensorEntry, path?: string): Tensor {
  const count = entry.shape.reduce((a, b) => a * b, 1);
  const target = entry.dtype === 'F32' ? new Float32Array(count) : entry.dtype === 'I32' ? new Int32Array(count) : new Uint8Array(entry.end - entry.begin);
  readBytesSync(fd, dataOffset, entry, new Uint8Array(target.buffer), 0, path);
  return target instanceof Uint8Array ? decodeTensorBytes(entry, target) : { shape: [...entry.shape], data: target };
}

function checkRange(entry: TensorEntry, bytes: Uint8Array, from: number, path?: string): void {
  const size = entry.end - entry.begin;
  if (!(from >= 0 && from + bytes.length <= size)) throw new SafetensorsError(`${path === undefined ? '' : `${path}: `}tensor ${entry.name} has ${size} bytes; bytes ${from}…${from + bytes.length} are outside it`);
}

async function readBytes(handle: FileHandle, dataOffset: number, entry: TensorEntry, bytes: Uint8Array, from: number, path: string): Promise<void> {
  checkRange(entry, bytes, from, path);
  for (let done = 0; done < bytes.length; ) {
    const { bytesRead } = await handle.read(bytes, done, Math.min(bytes.length - done, READ_CHUNK), dataOffset + entry.begin + from + done);
    if (bytesRead === 0) throw truncated(entry, path);
    done += bytesRead;
  }
}

function readBytesSync(fd: number, dataOffset: number, entry: TensorEntry, bytes: Uint8Array, from: number, path?: string): void {
  checkRange(entry, bytes, from, path);
  for (let done = 0; done < bytes.length; ) {
    const got = readSync(fd, bytes, done, Math.min(bytes.length - done, READ_CHUNK), dataOffset + entry.begin + from + done);
    if (got === 0) throw truncated(entry, path);
    done += got;
  }
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
        return readTensorSync(fileHandle.fd, header.dataOffset, entry, path);
      },
      readInto: (entry, bytes, from = 0) => readBytes(fileHandle, header.dataOffset, entry, bytes, from, path),
      readIntoSync: (entry, bytes, from = 0) => readBytesSync(fileHandle.fd, header.dataOffset, entry, bytes, from, path),
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

/**
 * Opens a saved trace: the header is read and checked against its config, the tokens, metadata and
 * analysis section are read, and every other tensor is read from the file when first used (see
 * `traceFromHeader`), so a trace of any size, above 2 GiB too, opens in milliseconds. The file must
 * stay in place while the trace is used; a file changed since it was opened is refused.
 */
export async function readTraceFile(path: string): Promise<Trace> {
  await checkRegularFile(path, 'cannot read trace');
  const file = await openSafetensorsFile(path);
  const { header } = file;
  const { size, mtimeMs } = await stat(path);
  await file.close();
  const read = (entry: TensorEntry): Tensor => {
    let fd: number | undefined;
    try {
      fd = openSync(path, 'r');
      const now = fstatSync(fd);
      if (now.size !== size || now.mtimeMs !== mtimeMs) throw new SafetensorsError('the file changed after it was opened');
      return readTensorSync(fd, header.dataOffset, entry);
    } catch (error) {
      if (error instanceof SafetensorsError) throw error;
      throw new SafetensorsError(`cannot read tensor ${entry.name}: ${describe(error)}`);
    } finally {
      if (fd !== undefined) closeSync(fd);
    }
  };
  return traceFromHeader(header, read, path);
}

/**
 * Streams tensors into a safetensors file, tensor by tensor: a full-context GPT-2 trace is
 * gigabytes, so it is never assembled as one buffer (nor held twice), and it may exceed Node's
 * 2 GiB limit for one write. For staged outputs (`writeOutputs`), which make it atomic.
 */
export function safetensorsWriter(tensors: ReadonlyMap<string, Tensor>, metadata: Record<string, string> = {}): OutputWriter {
  return async (temporary) => {
    const { header, entries } = safetensorsHeader(tensors, metadata);
    const handle = await open(temporary, 'w');
    try {
      await handle.write(header);
      for (const [, { data }] of entries) await handle.write(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    } finally {
      await handle.close();
    }
  };
}

/**
 * A safetensors file written while its tensors are still being produced. `add` queues a tensor's
 * bytes at once, so the writes run on Node's I/O threads beside the caller's work (a forward pass);
 * `finish` adds whatever was not added yet and writes the header into the room kept before the data,
 * padded with spaces as the format allows. A header that outgrows its room costs one rewrite of the
 * file. Hand `writer` to writeOutputs (staged, renamed into place when finished); `abort` fails it.
 * A tensor's values must not change once added.
 */
export class SafetensorsStream {
  readonly writer: OutputWriter;
  private readonly room: number;
  private readonly placed: PlacedTensor[] = [];
  private readonly names = new Map<string, Tensor>();
  private dataBytes = 0;
  private handle: FileHandle | undefined;
  private readonly writes: Promise<unknown>[] = [];
  private readonly ended: Promise<Record<string, string>>;
  private end!: { resolve: (metadata: Record<string, string>) => void; reject: (error: Error) => void };

  /** `headerRoom`: bytes kept for the header's JSON (rounded up to a multiple of 8). */
  constructor(headerRoom: number) {
    this.room = Math.ceil(headerRoom / 8) * 8;
    this.ended = new Promise((resolve, reject) => (this.end = { resolve, reject }));
    // An abort before the writer waits for the end is its failure, not an unhandled rejection.
    this.ended.catch(() => undefined);
    this.writer = async (temporary) => {
      // Read as well as written: a header that outgrows its room has the data read back.
      const handle = await open(temporary, 'w+');
      try {
        this.handle = handle;
        for (const { tensor, begin } of this.placed) this.queue(tensor, begin);
        const metadata = await this.ended;
        await Promise.all(this.writes);
        const header = placedHeader(this.placed, metadata, this.room);
        if (header) await handle.write(header, 0, header.length, 0);
        else await this.rewrite(handle, temporary, metadata);
      } finally {
        // A failed run's writes still settle before the file closes (and its staged copy is removed).
        await Promise.allSettled(this.writes);
        this.handle = undefined;
        await handle.close();
      }
    };
  }

  add(name: string, tensor: Tensor): void {
    if (this.names.has(name)) throw new SafetensorsError(`tensor ${name} was added twice`);
    const count = tensor.shape.reduce((a: number, b: number) => a * b, 1);
    if (count !== tensor.data.length) throw new SafetensorsError(`tensor ${name}: shape [${tensor.shape.join(', ')}] does not match its ${tensor.data.length} values`);
    this.names.set(name, tensor);
    this.placed.push({ name, tensor, begin: this.dataBytes });
    if (this.handle) this.queue(tensor, this.dataBytes);
    this.dataBytes += tensor.data.byteLength;
  }

  /** Completes the file as holding exactly `tensors` (those added, each unchanged, and the rest) and `metadata`. */
  finish(tensors: ReadonlyMap<string, Tensor>, metadata: Record<string, string> = {}): void {
    for (const [name, tensor] of this.names) {
      if (tensors.get(name) !== tensor) throw new SafetensorsError(`tensor ${name} was written but is not the one finishing the file`);
    }
    for (const [name, tensor] of tensors) if (!this.names.has(name)) this.add(name, tensor);
    this.end.resolve(metadata);
  }

  abort(reason: Error): void {
    this.end.reject(reason);
  }

  private queue(tensor: Tensor, begin: number): void {
    const { data } = tensor;
    const written = this.handle!.write(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), 0, data.byteLength, 8 + this.room + begin);
    // Its failure (a full disk) is reported when the writer gathers the writes, not as an unhandled rejection meanwhile.
    written.catch(() => undefined);
    this.writes.push(written);
  }

  /** The header did not fit its room: the file again, with a header of its own size before the same data. */
  private async rewrite(handle: FileHandle, temporary: string, metadata: Record<string, string>): Promise<void> {
    const header = placedHeader(this.placed, metadata);
    const full = `${temporary}.full`;
    const out = await open(full, 'w');
    try {
      await out.write(header);
      const chunk = new Uint8Array(COPY_CHUNK);
      for (let done = 0; done < this.dataBytes; ) {
        const { bytesRead } = await handle.read(chunk, 0, Math.min(chunk.length, this.dataBytes - done), 8 + this.room + done);
        if (bytesRead === 0) throw new SafetensorsError(`${temporary} is shorter than the tensors written to it`);
        await out.write(chunk, 0, bytesRead, header.length + done);
        done += bytesRead;
      }
    } finally {
      await out.close();
    }
    await rename(full, temporary);
  }
}

/** A trace file written as its pass runs (SafetensorsStream); `finish` takes the finished trace. */
export class TraceStream extends SafetensorsStream {
  finishTrace(trace: Trace): void {
    this.finish(trace.tensors, traceMetadata(trace));
  }
}

/** A trace as a safetensors file, streamed (see safetensorsWriter). */
export const traceWriter = (trace: Trace): OutputWriter => safetensorsWriter(trace.tensors, traceMetadata(trace));

/** Writes tensors as a safetensors file, atomically and tensor by tensor (files above 2 GiB too). */
export async function writeSafetensorsFile(path: string, tensors: ReadonlyMap<string, Tensor>, metadata: Record<string, string> = {}): Promise<void> {
  await writeOutputs([{ target: { flag: 'file', path }, data: safetensorsWriter(tensors, metadata) }]);
}

export async function writeTraceFile(path: string, trace: Trace): Promise<void> {
  await writeOutputs([{ target: { flag: 'file', path }, data: traceWriter(trace) }]);
}
export * from './outputs.js';
