/**
 * HuggingFace hub models by id (`gpt2`, `gpt2-xl`, `openai-community/gpt2`): found in an existing
 * HuggingFace cache, in Vectorview's own cache, or downloaded once into Vectorview's cache —
 * resumable, SHA-256 checked, and renamed into place only when whole, so the cache never holds a
 * partial or corrupt final file.
 */
import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, readFile, rename, rm, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { openSafetensorsFile, writeFileAtomic } from '@vectorview/trace/node';

/** The OpenAI GPT-2 checkpoints, published under openai-community/ (formerly ownerless). */
export const HUB_MODEL_NAMES = ['gpt2', 'gpt2-medium', 'gpt2-large', 'gpt2-xl'] as const;
export const HUB_FILES = { config: 'config.json', weights: 'model.safetensors' } as const;
const DEFAULT_OWNER = 'openai-community';
const DEFAULT_ENDPOINT = 'https://huggingface.co';

export class HubError extends Error {
  override name = 'HubError';
}

export interface HubModelFiles {
  readonly config: string;
  readonly weights: string;
}

export interface ResolvedHubModel {
  /** The repository, e.g. `openai-community/gpt2`. */
  readonly repo: string;
  /** The directory holding both files. */
  readonly dir: string;
  readonly files: HubModelFiles;
  readonly source: 'hf-cache' | 'vectorview-cache' | 'download';
}

export interface ResolveHubOptions {
  /** Never use the network (also set by env HF_HUB_OFFLINE=1). */
  readonly offline?: boolean;
  /** Status lines: what is being downloaded, occasional progress when there is no terminal bar, warnings. */
  readonly progress?: (line: string) => void;
  readonly fetch?: typeof fetch;
  /** Draw a live progress bar on stderr; defaults to whether stderr is a terminal. */
  readonly bar?: boolean;
}

const PART = "[A-Za-z0-9](?:[A-Za-z0-9._-]{0,94}[A-Za-z0-9])?";
const REPO_ID = new RegExp(`^(?:${PART}/)?${PART}$`);

/**
 * Whether a string names a hub model: one of the GPT-2 names, or `owner/name` following the hub's
 * rules (letters, digits, `._-`, no `--` or `..`). Strings that look like file names do not count.
 */
export function isHubModelId(s: string): boolean {
  if ((HUB_MODEL_NAMES as readonly string[]).includes(s)) return true;
  if (!s.includes('/') || !REPO_ID.test(s) || s.includes('--') || s.includes('..')) return false;
  return !/\.(safetensors|json|bin|pt|pth|ckpt|h5|onnx)$/i.test(s);
}

/** `gpt2` → `openai-community/gpt2`; `owner/name` unchanged. */
export function hubRepoFor(id: string): string {
  if (!isHubModelId(id)) throw new HubError(`${JSON.stringify(id)} is not a hub model id: use ${HUB_MODEL_NAMES.join(', ')} or owner/name`);
  return id.includes('/') ? id : `${DEFAULT_OWNER}/${id}`;
}

function expandHome(p: string): string {
  return p === '~' || p.startsWith('~/') ? path.join(homedir(), p.slice(1)) : p;
}

function env(name: string): string | undefined {
  const v = process.env[name];
  return v === undefined || v === '' ? undefined : v;
}

function xdgCacheHome(): string {
  return expandHome(env('XDG_CACHE_HOME') ?? '~/.cache');
}

/** HuggingFace's hub cache, found as huggingface_hub finds it. */
export function hfHubCacheDir(): string {
  const explicit = env('HF_HUB_CACHE') ?? env('HUGGINGFACE_HUB_CACHE');
  if (explicit) return expandHome(explicit);
  const hfHome = env('HF_HOME');
  return path.join(hfHome ? expandHome(hfHome) : path.join(xdgCacheHome(), 'huggingface'), 'hub');
}

/** Vectorview's own cache: $XDG_CACHE_HOME/vectorview or ~/.cache/vectorview. */
export function vectorviewCacheDir(): string {
  return path.join(xdgCacheHome(), 'vectorview');
}

/** Where Vectorview keeps (and downloads) a repository's files. */
export function vectorviewModelDir(repo: string): string {
  return path.join(vectorviewCacheDir(), 'models', repo.replace('/', '--'));
}

function isOfflineByEnv(): boolean {
  return ['1', 'ON', 'YES', 'TRUE'].includes((env('HF_HUB_OFFLINE') ?? '').toUpperCase());
}

async function isFile(p: string): Promise<boolean> {
  try {
    return (await stat(p)).isFile(); // follows symlinks into blobs/
  } catch {
    return false;
  }
}

async function filesIn(dir: string): Promise<HubModelFiles | undefined> {
  const files = { config: path.join(dir, HUB_FILES.config), weights: path.join(dir, HUB_FILES.weights) };
  return (await isFile(files.config)) && (await isFile(files.weights)) ? files : undefined;
}

/** A model in the HuggingFace cache: the snapshot refs/main points to, in the current or the legacy (ownerless) folder. */
export async function findInHfCache(repo: string): Promise<{ dir: string; files: HubModelFiles } | undefined> {
  const cache = hfHubCacheDir();
  const [owner, name] = repo.split('/') as [string, string];
  const folders = [`models--${owner}--${name}`, ...(owner === DEFAULT_OWNER ? [`models--${name}`] : [])];
  for (const folder of folders) {
    let commit: string;
    try {
      commit = (await readFile(path.join(cache, folder, 'refs', 'main'), 'utf8')).trim();
    } catch {
      continue;
    }
    if (!/^[0-9a-f]{40}$/i.test(commit)) continue;
    const dir = path.join(cache, folder, 'snapshots', commit);
    const files = await filesIn(dir);
    if (files) return { dir, files };
  }
  return undefined;
}

function tilde(p: string): string {
  const home = homedir();
  return p === home || p.startsWith(home + path.sep) ? `~${p.slice(home.length)}` : p;
}

function notCachedMessage(id: string, repo: string, why: string): string {
  const dir = vectorviewModelDir(repo);
  return (
    `${id} is not cached and ${why}: put ${HUB_FILES.config} and ${HUB_FILES.weights} in ${tilde(dir)}${path.sep}, ` +
    `or run \`huggingface-cli download ${repo} ${HUB_FILES.config} ${HUB_FILES.weights} --local-dir ${tilde(dir)}\` on a machine with network and copy the folder here`
  );
}

/** A failure to reach the hub at all (no bytes received): with nothing cached, this means "offline". */
class Unreachable extends Error {}

function reason(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  if (cause?.code && /^E[A-Z]+$/.test(cause.code)) return cause.code; // ECONNREFUSED, ENOTFOUND, …
  return cause?.message ?? (error instanceof Error ? error.message : String(error));
}

/**
 * Resolves a hub id to a local checkpoint: the HuggingFace cache, then Vectorview's cache, then a
 * download into Vectorview's cache (unless offline).
 */
export async function resolveHubModel(id: string, options: ResolveHubOptions = {}): Promise<ResolvedHubModel> {
  const repo = hubRepoFor(id);
  const inHf = await findInHfCache(repo);
  if (inHf) return { repo, ...inHf, source: 'hf-cache' };
  const dir = vectorviewModelDir(repo);
  const own = await filesIn(dir);
  if (own) {
    const broken = await brokenCachedFile(own);
    if (!broken) return { repo, dir, files: own, source: 'vectorview-cache' };
    // A file an earlier version cached unverified: move it aside and fetch it again.
    await rename(broken.path, `${broken.path}.broken`);
    options.progress?.(`${tilde(broken.path)} was not a valid ${broken.what} (${broken.why}); moved aside to ${path.basename(broken.path)}.broken, fetching it again`);
  }
  if (options.offline || isOfflineByEnv()) {
    throw new HubError(notCachedMessage(id, repo, `${options.offline ? '--offline' : 'HF_HUB_OFFLINE'} forbids downloading it`));
  }
  const endpoint = (env('HF_ENDPOINT') ?? DEFAULT_ENDPOINT).replace(/\/+$/, '');
  const ctx: Download = {
    fetch: options.fetch ?? globalThis.fetch,
    progress: options.progress ?? (() => {}),
    bar: options.bar ?? process.stderr.isTTY === true,
    repo,
  };
  const url = (file: string) => `${endpoint}/${repo}/resolve/main/${file}`;
  let config: Uint8Array;
  try {
    // The small config first, held in memory: it proves the repository exists before the big download.
    config = await fetchSmall(ctx, url(HUB_FILES.config), HUB_FILES.config);
  } catch (error) {
    if (error instanceof Unreachable) throw new HubError(notCachedMessage(id, repo, `${endpoint} cannot be reached (${error.message})`));
    throw error;
  }
  const configProblem = checkConfigJson(config);
  if (configProblem) throw new HubError(`${repo}/${HUB_FILES.config} from ${endpoint} is not a model config (${configProblem}); nothing was saved`);
  const files = { config: path.join(dir, HUB_FILES.config), weights: path.join(dir, HUB_FILES.weights) };
  try {
    await mkdir(dir, { recursive: true });
  } catch (error) {
    throw new HubError(`cannot create the model cache ${tilde(dir)} (${cacheWriteReason(error)}); set XDG_CACHE_HOME to a writable folder, or use --offline with a cached model`);
  }
  // One download per file at a time, across processes: a second run waits, then finds it cached.
  await withLock(ctx, `${files.weights}.lock`, async () => {
    if (!(await isFile(files.weights))) await downloadFile(ctx, url(HUB_FILES.weights), HUB_FILES.weights, files.weights);
  });
  await writeFileAtomic(files.config, config);
  return { repo, dir, files, source: 'download' };
}

function cacheWriteReason(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'EROFS') return 'the file system is read-only';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'ENOTDIR' || code === 'EEXIST') return 'a file is in the way of the folder';
  if (code === 'ENOSPC') return 'no space left on the device';
  return code ?? (error instanceof Error ? error.message : String(error));
}

/** Why bytes are not a GPT-2 config.json, or undefined when they parse as a JSON object. */
function checkConfigJson(bytes: Uint8Array): string | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch {
    return /^\s*</.test(new TextDecoder().decode(bytes.subarray(0, 64))) ? 'an HTML page, not JSON' : 'not valid JSON';
  }
  return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? undefined : 'JSON, but not an object';
}

/** Why a file is not a whole safetensors file (its header parses and the tensors fill the data exactly), or undefined. */
async function checkSafetensors(file: string): Promise<string | undefined> {
  try {
    await (await openSafetensorsFile(file)).close();
    return undefined;
  } catch (error) {
    return (error as Error).message.replace(`${file}: `, '');
  }
}

/** The first cached file that fails the structural checks a download must pass. */
async function brokenCachedFile(files: HubModelFiles): Promise<{ path: string; what: string; why: string } | undefined> {
  const weights = await checkSafetensors(files.weights);
  if (weights) return { path: files.weights, what: 'safetensors file', why: weights };
  const config = checkConfigJson(await readFile(files.config));
  if (config) return { path: files.config, what: 'config.json', why: config };
  return undefined;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Runs `work` holding `lock` (a file created exclusively, holding the owner's pid); a dead owner's lock is taken over. */
async function withLock(ctx: Download, lock: string, work: () => Promise<void>): Promise<void> {
  let told = false;
  for (;;) {
    try {
      const handle = await open(lock, 'wx');
      await handle.write(String(process.pid));
      await handle.close();
      heldLocks.add(lock);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw new HubError(`cannot write the model cache ${tilde(path.dirname(lock))} (${cacheWriteReason(error)}); set XDG_CACHE_HOME to a writable folder`);
    }
    const owner = Number(await readFile(lock, 'utf8').catch(() => ''));
    // Our own pid on a lock we do not hold is a killed earlier run's (containers reuse pids).
    const stale = owner === process.pid ? !heldLocks.has(lock) : Number.isInteger(owner) && owner > 0 && !alive(owner);
    if (stale) {
      await rm(lock, { force: true });
      continue;
    }
    if (!told) ctx.progress(`waiting for another download of ${ctx.repo} (${path.basename(lock, '.lock')}) to finish`);
    told = true;
    await sleep(LOCK_POLL_MS);
  }
  try {
    await work();
  } finally {
    heldLocks.delete(lock);
    await rm(lock, { force: true });
  }
}

const LOCK_POLL_MS = 100;
/** The locks this process holds now. */
const heldLocks = new Set<string>();

interface Download {
  readonly fetch: typeof fetch;
  readonly progress: (line: string) => void;
  readonly bar: boolean;
  readonly repo: string;
}

interface Opened {
  readonly response: Response;
  /** The SHA-256 the hub reports, lower-case hex, if any. */
  readonly sha256: string | undefined;
  /** The hub's ETag for a file kept in git rather than LFS: the git blob SHA-1. */
  readonly gitSha1: string | undefined;
}

function hexFrom(header: string | null, digits: number): string | undefined {
  const v = header?.trim().replace(/^W\//, '').replace(/^"|"$/g, '').toLowerCase();
  return v && v.length === digits && /^[0-9a-f]+$/.test(v) ? v : undefined;
}

/**
 * GETs a file, following redirects by hand so the hash headers of the hub's own response (the
 * first hop; the CDN it redirects to does not carry them) are seen.
 */
async function openUrl(ctx: Download, url: string, file: string, headers: Record<string, string>, signal: AbortSignal): Promise<Opened> {
  let linked: string | undefined;
  let etag: string | undefined;
  let gitSha1: string | undefined;
  let current = url;
  for (let hop = 0; hop < 10; hop++) {
    let response: Response;
    try {
      response = await ctx.fetch(current, { headers, redirect: 'manual', signal });
    } catch (error) {
      throw new Unreachable(reason(error));
    }
    linked ??= hexFrom(response.headers.get('x-linked-etag'), 64);
    etag ??= hexFrom(response.headers.get('etag'), 64);
    if (hop === 0) gitSha1 = hexFrom(response.headers.get('etag'), 40);
    const location = response.headers.get('location');
    if (response.status >= 300 && response.status < 400 && location) {
      await response.body?.cancel();
      current = new URL(location, current).toString();
      continue;
    }
    if (response.ok) return { response, sha256: linked ?? etag, gitSha1 };
    await response.body?.cancel();
    const where = `${ctx.repo}/${file}`;
    if (response.status === 404) throw new HubError(`${where} not found on the hub (HTTP 404 from ${url}): check the model id, and that the repository has ${file}`);
    if (response.status === 401 || response.status === 403) throw new HubError(`${where}: access denied (HTTP ${response.status} from ${url}); the repository may be private or gated`);
    if (response.status === 416) throw new RangeNotSatisfiable(Number(/^bytes \*\/(\d+)$/.exec(response.headers.get('content-range') ?? '')?.[1] ?? NaN), linked ?? etag);
    throw new HubError(`${where}: HTTP ${response.status} ${response.statusText} from ${current}`);
  }
  throw new HubError(`${ctx.repo}/${file}: too many redirects from ${url}`);
}

class RangeNotSatisfiable extends Error {
  constructor(
    /** The file's size, from `Content-Range: bytes *\/N`. */
    readonly size: number,
    readonly sha256: string | undefined,
  ) {
    super('range not satisfiable');
  }
}

function mismatch(ctx: Download, file: string, kind: string, expected: string, actual: string, deleted: string): HubError {
  return new HubError(`${ctx.repo}/${file} failed its ${kind} check (the hub reports ${expected}, the download hashes to ${actual}); ${deleted} — run again to download it afresh`);
}

async function fetchSmall(ctx: Download, url: string, file: string): Promise<Uint8Array> {
  const { response, sha256, gitSha1 } = await openUrl(ctx, url, file, {}, AbortSignal.timeout(60_000));
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await response.arrayBuffer());
  } catch (error) {
    throw new HubError(`${ctx.repo}/${file}: download interrupted (${reason(error)})`);
  }
  if (sha256) {
    const actual = createHash('sha256').update(bytes).digest('hex');
    if (actual !== sha256) throw mismatch(ctx, file, 'SHA-256', sha256, actual, 'nothing was saved');
  } else if (gitSha1) {
    const actual = createHash('sha1').update(`blob ${bytes.length}\0`).update(bytes).digest('hex');
    if (actual !== gitSha1) throw mismatch(ctx, file, 'git SHA-1', gitSha1, actual, 'nothing was saved');
  } else {
    ctx.progress(`${file}: the hub reported no hash, so it is not verified`);
  }
  return bytes;
}

async function sizeOf(p: string): Promise<number> {
  try {
    return (await stat(p)).size;
  } catch {
    return 0;
  }
}

async function hashFile(hash: Hash, p: string): Promise<void> {
  for await (const chunk of createReadStream(p)) hash.update(chunk as Buffer);
}

const MAX_ATTEMPTS = 5;
const IDLE_TIMEOUT_MS = 60_000;

/**
 * Downloads into `<dest>.partial` (resuming it with a Range request if it exists), checks the
 * SHA-256, then renames to `dest`. A dropped connection that made progress is resumed right away.
 */
async function downloadFile(ctx: Download, url: string, file: string, dest: string): Promise<void> {
  const partial = `${dest}.partial`;
  const meter = new Meter(ctx, file);
  for (let attempt = 1; ; attempt++) {
    const offset = await sizeOf(partial);
    const idle = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    const poke = () => {
      clearTimeout(timer);
      timer = setTimeout(() => idle.abort(new Error(`no data for ${IDLE_TIMEOUT_MS / 1000} s`)), IDLE_TIMEOUT_MS);
    };
    poke();
    let received = 0;
    let total: number | undefined;
    try {
      let opened: Opened;
      try {
        opened = await openUrl(ctx, url, file, offset > 0 ? { range: `bytes=${offset}-` } : {}, idle.signal);
      } catch (error) {
        if (error instanceof RangeNotSatisfiable && error.size === offset) {
          // The file is `offset` bytes and all of them are here: an earlier response announced more than it sent.
          ctx.progress(`${file}: the server now gives its size as ${offset} bytes, all of which arrived; checking them`);
          const hash = createHash('sha256');
          await hashFile(hash, partial);
          await finish(ctx, url, file, partial, dest, error.sha256, hash.digest('hex'));
          return;
        }
        if (!(error instanceof RangeNotSatisfiable)) throw error;
        if (attempt >= MAX_ATTEMPTS) throw new HubError(`${ctx.repo}/${file}: the server refused to resume from ${bytes(offset)}; delete ${tilde(partial)} and run again`);
        ctx.progress(`${file}: the server refused to resume from ${bytes(offset)}; starting over`);
        await rm(partial, { force: true });
        continue;
      }
      const { response, sha256 } = opened;
      const range = /^bytes (\d+)-\d+\/(\d+)$/.exec(response.headers.get('content-range') ?? '');
      const resumed = response.status === 206 && range !== null && Number(range[1]) === offset;
      if (response.status === 206 && !resumed) {
        await response.body?.cancel();
        if (attempt >= MAX_ATTEMPTS) throw new HubError(`${ctx.repo}/${file}: the server sent the wrong byte range (${response.headers.get('content-range')}) from ${url}`);
        ctx.progress(`${file}: the server sent the wrong byte range; starting over`);
        await rm(partial, { force: true });
        continue;
      }
      const length = Number(response.headers.get('content-length') ?? NaN);
      const start = resumed ? offset : 0;
      total = resumed ? Number(range[2]) : Number.isFinite(length) ? length : undefined;
      if (offset > 0) ctx.progress(resumed ? `${file}: resuming at ${bytes(offset)}` : `${file}: the server cannot resume; starting over`);
      const hash = createHash('sha256');
      if (resumed) await hashFile(hash, partial);
      meter.begin(start, total, attempt === 1);
      const out = await open(partial, resumed ? 'a' : 'w');
      try {
        if (!response.body) throw new HubError(`${ctx.repo}/${file}: empty response from ${url}`);
        for await (const chunk of response.body as AsyncIterable<Uint8Array>) {
          poke();
          await out.write(chunk);
          hash.update(chunk);
          received += chunk.length;
          meter.update(start + received);
        }
      } finally {
        await out.close();
      }
      const size = start + received;
      if (total !== undefined && size !== total) throw new Error(`the server sent ${exactBytes(size, total)} it announced`);
      meter.end();
      await finish(ctx, url, file, partial, dest, sha256, hash.digest('hex'));
      return;
    } catch (error) {
      meter.end();
      if (error instanceof HubError) throw error;
      const why = error instanceof Unreachable ? error.message : reason(error);
      if (received > 0 && attempt < MAX_ATTEMPTS) {
        ctx.progress(`${file}: connection lost (${why}); resuming`);
        continue;
      }
      const have = await sizeOf(partial);
      if (have === 0) throw new HubError(`${ctx.repo}/${file}: download failed (${why})`);
      throw new HubError(`${ctx.repo}/${file}: download interrupted (${why}); run again to resume from ${tilde(partial)}, or delete it to start over`);
    } finally {
      clearTimeout(timer);
    }
  }
}

/** "6.55 MB of the 6.60 MB", or exact byte counts when the rounded sizes would read the same. */
function exactBytes(have: number, total: number): string {
  return bytes(have) === bytes(total) ? `${have} of the ${total} bytes` : `${bytes(have)} of the ${bytes(total)}`;
}

/** Checks a whole download (SHA-256 when the hub gave one, and always its safetensors structure), then renames it into place. */
async function finish(ctx: Download, url: string, file: string, partial: string, dest: string, sha256: string | undefined, actual: string): Promise<void> {
  if (sha256 === undefined) {
    ctx.progress(`${file}: the hub reported no SHA-256, so only its structure is checked`);
  } else if (actual !== sha256) {
    await rm(partial, { force: true });
    throw mismatch(ctx, file, 'SHA-256', sha256, actual, 'the download was deleted');
  }
  // Hashed or not, a file that is not whole safetensors never reaches the cache under its final name.
  const broken = await checkSafetensors(partial);
  if (broken) {
    await rm(partial, { force: true });
    throw new HubError(`${ctx.repo}/${file} from ${url} is not a valid safetensors file (${broken}); the download was deleted`);
  }
  await rename(partial, dest);
}

function bytes(n: number): string {
  if (n < 1000) return `${Math.round(n)} B`;
  const units = ['kB', 'MB', 'GB', 'TB'];
  let v = n / 1000;
  let i = 0;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return `${v.toFixed(v < 10 ? 2 : v < 100 ? 1 : 0)} ${units[i]}`;
}

function duration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '--:--';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const pad = (x: number) => String(x).padStart(2, '0');
  return h > 0 ? `${h}:${pad(m)}:${pad(s % 60)}` : `${m}:${pad(s % 60)}`;
}

/**
 * Download progress: a redrawn bar on a terminal (bytes, rate, time left), otherwise a plain line
 * every 10 % or 30 s through `progress`.
 */
class Meter {
  private startBytes = 0;
  private startTime = 0;
  private total: number | undefined;
  private lastDraw = 0;
  private lastLine = 0;
  private lastTenth = 0;
  private drawn = false;

  constructor(
    private readonly ctx: Download,
    private readonly file: string,
  ) {}

  begin(at: number, total: number | undefined, announce: boolean): void {
    this.startBytes = at;
    this.startTime = performance.now();
    this.total = total;
    this.lastLine = this.startTime;
    this.lastTenth = total ? Math.floor((10 * at) / total) : 0;
    if (announce) this.ctx.progress(`downloading ${this.ctx.repo}/${this.file}${total ? ` (${bytes(total)})` : ''}`);
  }

  update(done: number): void {
    const now = performance.now();
    const seconds = (now - this.startTime) / 1000;
    const rate = seconds > 0 ? (done - this.startBytes) / seconds : 0;
    const left = this.total && rate > 0 ? (this.total - done) / rate : NaN;
    if (this.ctx.bar) {
      if (now - this.lastDraw < 100 && done !== this.total) return;
      this.lastDraw = now;
      const stats = `${bytes(done)}${this.total ? `/${bytes(this.total)}` : ''}  ${bytes(rate)}/s  ${duration(left)} left`;
      const columns = process.stderr.columns ?? 80;
      const width = Math.max(10, Math.min(40, columns - stats.length - this.file.length - 12));
      const fraction = this.total ? Math.min(1, done / this.total) : 0;
      const filled = Math.round(fraction * width);
      const bar = `${'█'.repeat(filled)}${'░'.repeat(width - filled)}`;
      process.stderr.write(`\r\x1b[K${this.file} ${bar} ${String(Math.floor(fraction * 100)).padStart(3)}%  ${stats}`);
      this.drawn = true;
      return;
    }
    const tenth = this.total ? Math.floor((10 * done) / this.total) : 0;
    if (tenth > this.lastTenth || now - this.lastLine > 30_000) {
      this.lastTenth = tenth;
      this.lastLine = now;
      const pct = this.total ? `${Math.floor((100 * done) / this.total)}%, ` : '';
      this.ctx.progress(`  ${this.file}: ${pct}${bytes(done)}${this.total ? ` of ${bytes(this.total)}` : ''}, ${bytes(rate)}/s, ${duration(left)} left`);
    }
  }

  end(): void {
    if (this.drawn) process.stderr.write('\r\x1b[K');
    this.drawn = false;
  }
}
