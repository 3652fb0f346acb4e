/**
 * The one rule every command follows when it writes: all outputs are checked before any work, staged
 * in a dot-folder beside each target, and renamed into place only when every one of them was built.
 * A failing command leaves no new file and changes no existing one; a killed one leaves only a
 * staging folder that the next run in that folder removes (and SIGINT/SIGTERM remove it at once).
 */
import { existsSync, readdirSync, realpathSync, rmdirSync, rmSync, statSync } from 'node:fs';
import { mkdir, readdir, rename, rm, rmdir, writeFile } from 'node:fs/promises';
import path from 'node:path';

export class OutputError extends Error {
  override name = 'OutputError';
}

/** Something a command will write: a file, or a folder (a talk deck). */
export interface OutputTarget {
  /** The flag that named it, for messages: `--out`, `--pdf`. */
  readonly flag: string;
  readonly path: string;
  readonly folder?: boolean;
}

/** Something a command reads; no output may replace it or hold it. */
export interface InputSource {
  readonly flag: string;
  readonly path: string;
}

/** The folder beside each target where outputs are staged; one subfolder per run, named by its pid. */
export const STAGING_FOLDER = '.vectorview-partial';

/** Writes an output's contents to the given (staged) path: for outputs too large to hold as one buffer. */
export type OutputWriter = (temporary: string) => Promise<void>;
export type OutputData = Uint8Array | string | OutputWriter;

/** An absolute path with symlinks resolved as far as the path exists, so two spellings of one file compare equal. */
function canonical(p: string): string {
  let dir = path.resolve(p);
  const rest: string[] = [];
  while (!existsSync(dir) && path.dirname(dir) !== dir) {
    rest.unshift(path.basename(dir));
    dir = path.dirname(dir);
  }
  try {
    dir = realpathSync(dir);
  } catch {
    // unreadable: keep the resolved spelling
  }
  return path.join(dir, ...rest);
}

/** True when `a` and `b` are the same path or one lies inside the other. */
function overlaps(a: string, b: string): boolean {
  return a === b || a.startsWith(`${b}${path.sep}`) || b.startsWith(`${a}${path.sep}`);
}

/**
 * Refuses, before any work is done, outputs that would write over one of the command's inputs, over
 * each other, or onto a folder where a file belongs, and parents that cannot be folders.
 */
export function checkOutputs(outputs: readonly OutputTarget[], inputs: readonly InputSource[] = []): void {
  const resolved = outputs.map((o) => ({ ...o, at: canonical(o.path) }));
  for (const [i, o] of resolved.entries()) {
    if (o.path.trim() === '') throw new OutputError(`${o.flag} needs a path`);
    for (const input of inputs) {
      const at = canonical(input.path);
      if (overlaps(o.at, at)) throw new OutputError(`${o.flag} ${o.path} would write over the input ${input.flag} ${input.path}; choose another ${o.flag}`);
    }
    for (const other of resolved.slice(0, i)) {
      if (overlaps(o.at, other.at)) throw new OutputError(`${o.flag} ${o.path} and ${other.flag} ${other.path} would write over each other; give them different paths`);
    }
    if (!o.folder && existsSync(o.at) && statSync(o.at).isDirectory()) throw new OutputError(`${o.flag} ${o.path} is a folder; give a file name`);
    // The nearest existing ancestor must be a folder, or the missing folders cannot be created.
    let up = path.dirname(o.at);
    while (!existsSync(up) && path.dirname(up) !== up) up = path.dirname(up);
    if (!statSync(up).isDirectory()) throw new OutputError(`${o.flag} ${o.path}: ${up} is a file, not a folder`);
  }
}

const liveStages = new Set<string>();
const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/** On a signal, staged files are removed before the process ends with that signal. */
function onSignal(signal: NodeJS.Signals): void {
  for (const dir of liveStages) {
    rmSync(dir, { recursive: true, force: true });
    try {
      rmdirSync(path.dirname(dir));
    } catch {
      // another run is staging there
    }
  }
  for (const s of SIGNALS) process.removeListener(s, onSignal);
  process.kill(process.pid, signal);
}

function track(dir: string): void {
  if (liveStages.size === 0) for (const s of SIGNALS) process.on(s, onSignal);
  liveStages.add(dir);
}

function untrack(dir: string): void {
  liveStages.delete(dir);
  if (liveStages.size === 0) for (const s of SIGNALS) process.removeListener(s, onSignal);
}

/** Whether the run that wrote a leftover may still be going. Our own pid counts as dead (in a container every run may get the same pid): this process's live stages are skipped by name. */
function alive(pid: number): boolean {
  if (pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes what killed runs left in `parent`: staging subfolders of dead processes, and the names
 * earlier versions used (`.NAME.tmp-XXXXXX/`, `NAME.PID.TIME.partial`, `NAME.tmp-PID`) for `names`.
 */
export function removeLeftovers(parent: string, names: readonly string[] = []): void {
  const staging = path.join(parent, STAGING_FOLDER);
  if (existsSync(staging)) {
    for (const entry of readdirSync(staging)) {
      const pid = Number(/^(\d+)-/.exec(entry)?.[1]);
      const dir = path.join(staging, entry);
      if (!liveStages.has(dir) && (!Number.isInteger(pid) || !alive(pid))) rmSync(dir, { recursive: true, force: true });
    }
    try {
      rmdirSync(staging);
    } catch {
      // another run is staging here
    }
  }
  if (names.length === 0 || !existsSync(parent)) return;
  for (const entry of readdirSync(parent)) {
    for (const name of names) {
      const tail = entry.startsWith(`${name}.`) ? entry.slice(name.length) : undefined;
      const pid = tail === undefined ? undefined : /^\.(\d+)\.\d+\.partial$|^\.tmp-(\d+)$/.exec(tail);
      if (entry.startsWith(`.${name}.tmp-`) || (pid && !alive(Number(pid[1] ?? pid[2])))) rmSync(path.join(parent, entry), { recursive: true, force: true });
    }
  }
}

/** One line for a failed write, naming the target and never the temporary. */
function writeFailure(target: OutputTarget, error: unknown): OutputError {
  const code = (error as NodeJS.ErrnoException).code;
  const why: Record<string, string> = {
    ENOSPC: 'no space left on the device',
    EDQUOT: 'disk quota exceeded',
    EACCES: 'permission denied',
    EPERM: 'permission denied',
    EROFS: 'the file system is read-only',
    ENOTDIR: 'a file is in the way of its folder',
    EISDIR: 'it is a folder',
    ENOTEMPTY: 'a folder is in the way',
    EEXIST: 'a file is in the way',
  };
  return new OutputError(`cannot write ${target.flag} ${target.path}: ${(code && why[code]) ?? (error instanceof Error ? error.message : String(error))}`);
}

interface Staged {
  readonly target: OutputTarget;
  /** The staged file or folder. */
  readonly temporary: string;
}

/**
 * The outputs of one run, staged in `.vectorview-partial/PID-N/` beside each target (same file
 * system, so the final rename is atomic). Missing parent folders are created, and removed again if
 * the run fails.
 */
export class OutputStage {
  private readonly staged: Staged[] = [];
  private readonly stagingDirs = new Map<string, string>();
  private readonly createdDirs: string[] = [];

  private async stagingFor(target: OutputTarget): Promise<string> {
    const parent = path.dirname(path.resolve(target.path));
    const known = this.stagingDirs.get(parent);
    if (known) return known;
    try {
      const created = await mkdir(parent, { recursive: true });
      if (created) this.createdDirs.push(created);
      removeLeftovers(parent, [path.basename(target.path)]);
      const dir = path.join(parent, STAGING_FOLDER, `${process.pid}-${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`);
      await mkdir(dir, { recursive: true });
      track(dir);
      this.stagingDirs.set(parent, dir);
      return dir;
    } catch (error) {
      throw writeFailure(target, error);
    }
  }

  /** Stages one file (its bytes, or a writer that streams them); returns the staged file (for a command that reads it back, as the talk prints its deck). */
  async file(target: OutputTarget, data: OutputData): Promise<string> {
    const temporary = path.join(await this.stagingFor(target), path.basename(target.path));
    try {
      await (typeof data === 'function' ? data(temporary) : writeFile(temporary, data));
    } catch (error) {
      throw writeFailure(target, error);
    }
    this.staged.push({ target, temporary });
    return temporary;
  }

  /** Stages a folder: returns an empty temporary folder for the caller to fill. */
  async folder(target: OutputTarget): Promise<string> {
    const temporary = path.join(await this.stagingFor(target), path.basename(target.path));
    await mkdir(temporary);
    this.staged.push({ target, temporary });
    return temporary;
  }

  /** Renames every staged output into place (a folder replaces the old one whole); returns the folders it created. */
  async commit(): Promise<{ readonly createdFolders: readonly string[] }> {
    try {
      for (const { target, temporary } of this.staged) {
        const final = path.resolve(target.path);
        try {
          if (target.folder && existsSync(final)) await rename(final, `${temporary}.old`);
          await rename(temporary, final);
        } catch (error) {
          throw writeFailure(target, error);
        }
      }
    } catch (error) {
      await this.discard();
      throw error;
    }
    await this.removeStaging();
    // The top of each created chain: o/ rather than o/ and o/nodir/.
    return { createdFolders: this.createdDirs.filter((d) => !this.createdDirs.some((top) => d.startsWith(`${top}${path.sep}`))) };
  }

  /** Removes everything staged, and the folders this run created (they hold nothing else). */
  async discard(): Promise<void> {
    await this.removeStaging();
    for (const parent of this.stagingDirs.keys()) {
      // Empty folders only, from the target's folder up to the first one this run created.
      const top = this.createdDirs.find((d) => parent === d || parent.startsWith(`${d}${path.sep}`));
      for (let d = parent; top && d.length >= top.length; d = path.dirname(d)) await rmdir(d).catch(() => undefined);
    }
  }

  private async removeStaging(): Promise<void> {
    for (const dir of this.stagingDirs.values()) {
      await rm(dir, { recursive: true, force: true });
      untrack(dir);
      const parent = path.dirname(dir);
      if ((await readdir(parent).catch(() => ['?'])).length === 0) await rmdir(parent).catch(() => undefined);
    }
  }
}

/** Writes files as one unit: all are staged, then all renamed; on any failure none is written. */
export async function writeOutputs(files: readonly { readonly target: OutputTarget; readonly data: OutputData }[]): Promise<{ readonly createdFolders: readonly string[] }> {
  const stage = new OutputStage();
  try {
    for (const f of files) await stage.file(f.target, f.data);
  } catch (error) {
    await stage.discard();
    throw error;
  }
  return stage.commit();
}

/** The end of a command's "wrote …" line when it had to create folders: "; created folder o/new". */
export function createdNote(folders: readonly string[]): string {
  return folders.length === 0 ? '' : `; created folder${folders.length > 1 ? 's' : ''} ${folders.map((f) => (path.relative(process.cwd(), f).startsWith('..') ? f : path.relative(process.cwd(), f))).join(', ')}`;
}
