import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { hfHubCacheDir, isHubModelId, resolveHubModel, vectorviewCacheDir, vectorviewModelDir } from './hub.js';
import { loadWeights, traceFromFlags } from './node.js';
import { FIXTURE_DIR } from './test-support/fixture.js';
import { startHubServer, type HubServer } from './test-support/hub-server.js';

const config = readFileSync(path.join(FIXTURE_DIR, 'config.json'));
const weights = readFileSync(path.join(FIXTURE_DIR, 'model.safetensors'));
const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const COMMIT = '607a30d783dfa663caf39e06633721c8d4cfcd7e';
const ENV_NAMES = ['XDG_CACHE_HOME', 'HF_HOME', 'HF_HUB_CACHE', 'HUGGINGFACE_HUB_CACHE', 'HF_ENDPOINT', 'HF_HUB_OFFLINE'];

let server: HubServer;
let root: string;
let caseDir: string;
let lines: string[];
const saved = new Map<string, string | undefined>();
const quiet = () => ({ bar: false, progress: (line: string) => lines.push(line) });
const ownDir = () => vectorviewModelDir('openai-community/gpt2');

beforeAll(async () => {
  root = mkdtempSync(path.join(tmpdir(), 'vectorview-hub-'));
  server = await startHubServer({
    'openai-community/gpt2': { 'config.json': config, 'model.safetensors': weights },
    'someone/bin-only': { 'config.json': config },
  });
});

afterAll(async () => {
  await server.close();
  rmSync(root, { recursive: true, force: true });
});

let caseNumber = 0;
beforeEach(() => {
  for (const name of ENV_NAMES) saved.set(name, process.env[name]);
  for (const name of ENV_NAMES) delete process.env[name];
  caseDir = path.join(root, `case-${++caseNumber}`);
  process.env['XDG_CACHE_HOME'] = path.join(caseDir, 'xdg');
  process.env['HF_HUB_CACHE'] = path.join(caseDir, 'hf-hub'); // never the user's real cache
  process.env['HF_ENDPOINT'] = server.endpoint;
  server.requests.length = 0;
  server.dropAfter = undefined;
  server.corrupt = false;
  server.unverified = false;
  server.bodies = {};
  server.extraLength = 0;
  server.chunkDelayMs = 0;
  lines = [];
});

afterEach(() => {
  for (const [name, value] of saved) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
});

const cdnRequests = () => server.requests.filter((r) => r.path.startsWith('/cdn/'));

describe('hub ids', () => {
  it('knows GPT-2 names and owner/name ids, not paths or file names', () => {
    for (const id of ['gpt2', 'gpt2-medium', 'gpt2-large', 'gpt2-xl', 'openai-community/gpt2', 'someone/my.model_v2-x']) expect(isHubModelId(id), id).toBe(true);
    for (const id of ['gpt3', 'random:gpt2', './gpt2', '/abs/gpt2', 'a/b/c', 'out/trace.safetensors', 'dir/config.json', 'a--b/c', 'a/..b', '-a/b', 'a/b.', '']) {
      expect(isHubModelId(id), id).toBe(false);
    }
  });

  it('finds the caches as huggingface_hub does', () => {
    delete process.env['HF_HUB_CACHE'];
    expect(hfHubCacheDir()).toBe(path.join(caseDir, 'xdg', 'huggingface', 'hub'));
    process.env['HF_HOME'] = '/data/hf';
    expect(hfHubCacheDir()).toBe('/data/hf/hub');
    process.env['HF_HUB_CACHE'] = '/data/hub';
    expect(hfHubCacheDir()).toBe('/data/hub');
    expect(vectorviewCacheDir()).toBe(path.join(caseDir, 'xdg', 'vectorview'));
    delete process.env['XDG_CACHE_HOME'];
    delete process.env['HF_HOME'];
    delete process.env['HF_HUB_CACHE'];
    expect(hfHubCacheDir()).toBe(path.join(homedir(), '.cache', 'huggingface', 'hub'));
    expect(vectorviewCacheDir()).toBe(path.join(homedir(), '.cache', 'vectorview'));
  });

  it('keeps the "not found" error for strings that are not hub ids', async () => {
    await expect(loadWeights('no/such/dir')).rejects.toThrow(/model no\/such\/dir not found/);
    expect(server.requests).toHaveLength(0);
  });
});

describe('download', () => {
  it('downloads into the Vectorview cache, verified, and loads it', async () => {
    const got = await resolveHubModel('gpt2', quiet());
    expect(got.source).toBe('download');
    expect(got.repo).toBe('openai-community/gpt2');
    expect(got.dir).toBe(path.join(caseDir, 'xdg', 'vectorview', 'models', 'openai-community--gpt2'));
    expect(sha256(readFileSync(got.files.weights))).toBe(sha256(weights));
    expect(readFileSync(got.files.config)).toEqual(config);
    expect(readdirSync(got.dir).sort()).toEqual(['config.json', 'model.safetensors']);
    expect(server.requests.map((r) => r.path)).toEqual(['/openai-community/gpt2/resolve/main/config.json', '/openai-community/gpt2/resolve/main/model.safetensors', `/cdn/${sha256(weights)}`]);
    expect(lines.join('\n')).toMatch(/downloading openai-community\/gpt2\/model\.safetensors \(6\.55 MB\)/);

    const loaded = await loadWeights('gpt2');
    expect(loaded.config.name).toBe('gpt2');
    const reference = await loadWeights(FIXTURE_DIR);
    expect(Buffer.from(loaded.wte.buffer).equals(Buffer.from(reference.wte.buffer))).toBe(true);
    expect(server.requests).toHaveLength(3); // the second load was a cache hit
  }, 30_000);

  it('resumes a transfer cut halfway with a Range request', async () => {
    const half = weights.length >> 1;
    server.dropAfter = half;
    const got = await resolveHubModel('openai-community/gpt2', quiet());
    expect(got.source).toBe('download');
    const ranges = cdnRequests().map((r) => r.range);
    expect(ranges).toHaveLength(2);
    expect(ranges[0]).toBeUndefined();
    // The resume starts where the saved bytes end: at N, or a little before when undici dropped
    // chunks it had queued but not yet handed over when the socket closed.
    const from = Number(/^bytes=(\d+)-$/.exec(ranges[1] ?? '')?.[1]);
    expect(from).toBeGreaterThan(half - 256 * 1024);
    expect(from).toBeLessThanOrEqual(half);
    expect(sha256(readFileSync(got.files.weights))).toBe(sha256(weights));
    expect(existsSync(`${got.files.weights}.partial`)).toBe(false);
    expect(lines.join('\n')).toMatch(/connection lost[\s\S]*resuming at 3\.\d+ MB/);
  });

  it('resumes a .partial left by an earlier run', async () => {
    const part = 1_000_000;
    mkdirSync(ownDir(), { recursive: true });
    writeFileSync(path.join(ownDir(), 'model.safetensors.partial'), weights.subarray(0, part));
    const got = await resolveHubModel('gpt2', quiet());
    expect(cdnRequests().map((r) => r.range)).toEqual([`bytes=${part}-`]);
    expect(sha256(readFileSync(got.files.weights))).toBe(sha256(weights));
  });

  it('rejects a corrupted body and leaves nothing in the cache', async () => {
    server.corrupt = true;
    await expect(resolveHubModel('gpt2', quiet())).rejects.toThrow(
      new RegExp(`openai-community/gpt2/model\\.safetensors failed its SHA-256 check \\(the hub reports ${sha256(weights)}, the download hashes to [0-9a-f]{64}\\); the download was deleted`),
    );
    expect(readdirSync(ownDir())).toEqual([]);
  });

  it('a missing file is a 404 naming the repository and the file', async () => {
    await expect(resolveHubModel('someone/nothing-here', quiet())).rejects.toThrow(/someone\/nothing-here\/config\.json not found on the hub \(HTTP 404/);
    await expect(resolveHubModel('someone/bin-only', quiet())).rejects.toThrow(/someone\/bin-only\/model\.safetensors not found on the hub \(HTTP 404/);
    expect(readdirSync(vectorviewModelDir('someone/bin-only'))).toEqual([]);
  });
});

describe('what reaches the cache', () => {
  const html = new TextEncoder().encode('<!doctype html><html><body>Sign in</body></html>\n'.repeat(40));

  it('two concurrent downloads of one model: one downloads, the other waits; both get the verified file', async () => {
    server.chunkDelayMs = 5;
    const [a, b] = await Promise.all([resolveHubModel('gpt2', quiet()), resolveHubModel('gpt2', quiet())]);
    expect(a.files.weights).toBe(b.files.weights);
    expect(sha256(readFileSync(a.files.weights))).toBe(sha256(weights));
    expect(readdirSync(a.dir).sort()).toEqual(['config.json', 'model.safetensors']);
    expect(cdnRequests()).toHaveLength(1);
    expect(lines.join('\n')).toMatch(/waiting for another download of openai-community\/gpt2 \(model\.safetensors\)/);
  });

  it.each([['a dead process', '999999999'], ['an earlier run with this pid (containers reuse pids)', String(process.pid)]])('a lock left by %s is taken over', async (_name, pid) => {
    mkdirSync(ownDir(), { recursive: true });
    writeFileSync(path.join(ownDir(), 'model.safetensors.lock'), pid);
    const got = await resolveHubModel('gpt2', quiet());
    expect(sha256(readFileSync(got.files.weights))).toBe(sha256(weights));
    expect(readdirSync(got.dir).sort()).toEqual(['config.json', 'model.safetensors']);
  });

  it('with no hash from the server, a whole safetensors file is accepted after its structure is checked', async () => {
    server.unverified = true;
    const got = await resolveHubModel('gpt2', quiet());
    expect(sha256(readFileSync(got.files.weights))).toBe(sha256(weights));
    expect(lines.join('\n')).toMatch(/model\.safetensors: the hub reported no SHA-256, so only its structure is checked/);
  });

  it.each([
    ['an HTML page instead of model.safetensors', { 'model.safetensors': html }, /model\.safetensors from .* is not a valid safetensors file \(.*header length \d+/],
    ['a half-length body with a matching Content-Length', { 'model.safetensors': weights.subarray(0, weights.length >> 1) }, /model\.safetensors from .* is not a valid safetensors file \(tensor .* lie outside the \d+-byte data section/],
    ['the model with bytes appended', { 'model.safetensors': Buffer.concat([weights, Buffer.alloc(1000)]) }, /is not a valid safetensors file \(the data section is \d+ bytes but its tensors use \d+/],
    ['an HTML page instead of config.json', { 'config.json': html }, /openai-community\/gpt2\/config\.json from .* is not a model config \(an HTML page, not JSON\); nothing was saved/],
    ['a JSON array instead of config.json', { 'config.json': new TextEncoder().encode('[1, 2]') }, /config\.json from .* is not a model config \(JSON, but not an object\)/],
  ])('%s is refused and nothing is cached', async (_name, bodies, message) => {
    server.bodies = bodies;
    const error = await resolveHubModel('gpt2', quiet()).then(() => undefined, (e: Error) => e);
    expect(error?.message).toMatch(message);
    expect(error?.message).not.toContain('\n');
    expect(existsSync(ownDir()) ? readdirSync(ownDir()) : []).toEqual([]);
    // The next run, served properly, downloads afresh.
    server.bodies = {};
    expect(sha256(readFileSync((await resolveHubModel('gpt2', quiet())).files.weights))).toBe(sha256(weights));
  });

  it('a Content-Length longer than the body: the whole file is recognised by its size, not reported as "6.55 MB of 6.55 MB"', async () => {
    server.extraLength = 1000;
    const got = await resolveHubModel('gpt2', quiet());
    expect(sha256(readFileSync(got.files.weights))).toBe(sha256(weights));
    // Either every byte arrived before the close (the resume finds the file whole) or some were lost (it resumes).
    expect(lines.join('\n')).toMatch(new RegExp(`the server now gives its size as ${weights.length} bytes, all of which arrived|resuming at`));
    expect(lines.join('\n')).not.toMatch(/interrupted/);
    expect(readdirSync(got.dir).sort()).toEqual(['config.json', 'model.safetensors']);
  });

  it('a corrupt file an earlier version cached is moved aside and fetched again', async () => {
    mkdirSync(ownDir(), { recursive: true });
    writeFileSync(path.join(ownDir(), 'config.json'), config);
    writeFileSync(path.join(ownDir(), 'model.safetensors'), Buffer.concat([weights, Buffer.alloc(66_000, 7)]));
    const got = await resolveHubModel('gpt2', quiet());
    expect(got.source).toBe('download');
    expect(sha256(readFileSync(got.files.weights))).toBe(sha256(weights));
    expect(readdirSync(got.dir).sort()).toEqual(['config.json', 'model.safetensors', 'model.safetensors.broken']);
    expect(lines.join('\n')).toMatch(/model\.safetensors was not a valid safetensors file .*moved aside to model\.safetensors\.broken, fetching it again/);
  });

  it('a cached model that fails to load names the folder to delete', async () => {
    mkdirSync(ownDir(), { recursive: true });
    writeFileSync(path.join(ownDir(), 'config.json'), JSON.stringify({ ...JSON.parse(config.toString()), n_layer: 3 }));
    writeFileSync(path.join(ownDir(), 'model.safetensors'), weights);
    await expect(loadWeights('gpt2')).rejects.toThrow(/missing tensor h\.2\..* \(the cached files are in .*openai-community--gpt2: delete that folder to download them again\)$/);
  });

  it('a cache folder that cannot be created says so and how to fix it', async () => {
    mkdirSync(caseDir, { recursive: true });
    writeFileSync(path.join(caseDir, 'not-a-folder'), 'x');
    process.env['XDG_CACHE_HOME'] = path.join(caseDir, 'not-a-folder');
    await expect(resolveHubModel('gpt2', quiet())).rejects.toThrow(/^cannot create the model cache .*not-a-folder.* \(a file is in the way of the folder\); set XDG_CACHE_HOME to a writable folder/);
  });
});

describe('caches', () => {
  function ownCache() {
    mkdirSync(ownDir(), { recursive: true });
    writeFileSync(path.join(ownDir(), 'config.json'), config);
    writeFileSync(path.join(ownDir(), 'model.safetensors'), weights);
  }

  /** The HuggingFace layout: refs/main → snapshots/<commit>/ whose files are symlinks into blobs/. */
  function hfCache(folder: string) {
    const repo = path.join(caseDir, 'hf-hub', folder);
    mkdirSync(path.join(repo, 'refs'), { recursive: true });
    mkdirSync(path.join(repo, 'blobs'), { recursive: true });
    writeFileSync(path.join(repo, 'refs', 'main'), COMMIT);
    const snapshot = path.join(repo, 'snapshots', COMMIT);
    mkdirSync(snapshot, { recursive: true });
    for (const [name, bytes] of [['config.json', config], ['model.safetensors', weights]] as const) {
      const blob = sha256(bytes);
      writeFileSync(path.join(repo, 'blobs', blob), bytes);
      symlinkSync(path.join('..', '..', 'blobs', blob), path.join(snapshot, name));
    }
    return snapshot;
  }

  it('a Vectorview cache hit makes no request', async () => {
    ownCache();
    const got = await resolveHubModel('gpt2', quiet());
    expect(got.source).toBe('vectorview-cache');
    expect(got.files.weights).toBe(path.join(ownDir(), 'model.safetensors'));
    expect(server.requests).toHaveLength(0);
  });

  it.each(['models--openai-community--gpt2', 'models--gpt2'])('finds the HuggingFace cache layout %s without a request', async (folder) => {
    const snapshot = hfCache(folder);
    const got = await resolveHubModel('gpt2', quiet());
    expect(got.source).toBe('hf-cache');
    expect(got.dir).toBe(snapshot);
    expect(got.files).toEqual({ config: path.join(snapshot, 'config.json'), weights: path.join(snapshot, 'model.safetensors') });
    const loaded = await loadWeights('openai-community/gpt2');
    expect(loaded.config.name).toBe('openai-community/gpt2');
    expect(server.requests).toHaveLength(0);
  });

  it('prefers the HuggingFace cache and skips a snapshot with a file missing', async () => {
    ownCache();
    const snapshot = hfCache('models--openai-community--gpt2');
    expect((await resolveHubModel('gpt2', quiet())).source).toBe('hf-cache');
    rmSync(path.join(snapshot, 'model.safetensors'));
    expect((await resolveHubModel('gpt2', quiet())).source).toBe('vectorview-cache');
    expect(server.requests).toHaveLength(0);
  });
});

describe('offline', () => {
  const message = /^gpt2 is not cached and (.*): put config\.json and model\.safetensors in (.*)openai-community--gpt2\/, or run `huggingface-cli download openai-community\/gpt2 config\.json model\.safetensors --local-dir .*` on a machine with network and copy the folder here$/;

  it('with the hub unreachable, says in one line which files to put where', async () => {
    const closed = await startHubServer({});
    await closed.close();
    process.env['HF_ENDPOINT'] = closed.endpoint;
    const error = (await resolveHubModel('gpt2', quiet()).catch((e: unknown) => e)) as Error;
    expect(error.message).toMatch(message);
    expect(error.message).toContain(`${closed.endpoint} cannot be reached (ECONNREFUSED)`);
    expect(error.message).toContain(`${ownDir()}/`);
  });

  it('--offline and HF_HUB_OFFLINE never touch the network', async () => {
    await expect(resolveHubModel('gpt2', { ...quiet(), offline: true })).rejects.toThrow(/gpt2 is not cached and --offline forbids downloading it: put config\.json/);
    await expect(loadWeights('gpt2', { offline: true })).rejects.toThrow(message);
    await expect(traceFromFlags({ model: 'gpt2', offline: true }, { model: 'random:tiny', prompt: 'Hi' }, () => {})).rejects.toThrow(message);
    process.env['HF_HUB_OFFLINE'] = '1';
    await expect(loadWeights('gpt2')).rejects.toThrow(/gpt2 is not cached and HF_HUB_OFFLINE forbids downloading it/);
    expect(server.requests).toHaveLength(0);
  });

  it('offline still finds the caches', async () => {
    mkdirSync(ownDir(), { recursive: true });
    writeFileSync(path.join(ownDir(), 'config.json'), config);
    writeFileSync(path.join(ownDir(), 'model.safetensors'), weights);
    expect((await resolveHubModel('gpt2', { offline: true })).source).toBe('vectorview-cache');
  });
});
