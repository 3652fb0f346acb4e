import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { hugePageEnvironment } from './launch.js';

const LAUNCH = fileURLToPath(new URL('../dist/launch.js', import.meta.url));
const dir = mkdtempSync(path.join(tmpdir(), 'vv-launch-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A shim like the tools' own, running `body` as the command. */
function shim(name: string, body: string): string {
  const entry = path.join(dir, `${name}-command.mjs`);
  writeFileSync(entry, body);
  const file = path.join(dir, `${name}.mjs`);
  writeFileSync(file, `import { launch } from ${JSON.stringify(LAUNCH)};\nawait launch(new URL(${JSON.stringify(`file://${entry}`)}));\n`);
  return file;
}

const madvise = () => 'always [madvise] never\n';

describe('hugePageEnvironment', () => {
  it('asks glibc for huge pages on Linux in madvise mode, keeping other tunables', () => {
    expect(hugePageEnvironment({ HOME: '/h' }, 'linux', madvise)).toEqual({ HOME: '/h', GLIBC_TUNABLES: 'glibc.malloc.hugetlb=1' });
    expect(hugePageEnvironment({ GLIBC_TUNABLES: 'glibc.malloc.arena_max=2' }, 'linux', madvise)?.['GLIBC_TUNABLES']).toBe('glibc.malloc.arena_max=2:glibc.malloc.hugetlb=1');
  });

  it('runs in place elsewhere: another system, THP always or never or unreadable, or a hugetlb setting already given', () => {
    expect(hugePageEnvironment({}, 'darwin', madvise)).toBeUndefined();
    expect(hugePageEnvironment({}, 'linux', () => '[always] madvise never')).toBeUndefined();
    expect(hugePageEnvironment({}, 'linux', () => 'always madvise [never]')).toBeUndefined();
    expect(hugePageEnvironment({}, 'linux', () => undefined)).toBeUndefined();
    expect(hugePageEnvironment({ GLIBC_TUNABLES: 'glibc.malloc.hugetlb=0' }, 'linux', madvise)).toBeUndefined();
  });
});

describe('launch', () => {
  const here = hugePageEnvironment(process.env, process.platform, () => {
    try {
      return readFileSync('/sys/kernel/mm/transparent_hugepage/enabled', 'utf8');
    } catch {
      return undefined;
    }
  });

  it('runs the command with its arguments, its output and its exit status, with huge pages where this machine takes them', () => {
    const file = shim('status', 'console.log(JSON.stringify({ tunables: process.env.GLIBC_TUNABLES ?? null, args: process.argv.slice(2) })); process.exitCode = 3;');
    const run = spawnSync(process.execPath, [file, '--prompt', 'a b'], { encoding: 'utf8', env: { ...process.env, GLIBC_TUNABLES: '' } });
    expect(run.status).toBe(3);
    expect(JSON.parse(run.stdout)).toEqual({ tunables: here ? 'glibc.malloc.hugetlb=1' : '', args: ['--prompt', 'a b'] });
  });

  it.runIf(here)('passes a SIGTERM on to the command and ends by it', async () => {
    const file = shim('sleep', 'console.log(process.pid); setTimeout(() => {}, 60_000);');
    const parent = spawn(process.execPath, [file], { stdio: ['ignore', 'pipe', 'inherit'] });
    const commandPid = Number(await new Promise<string>((resolve) => parent.stdout.once('data', (d: Buffer) => resolve(d.toString()))));
    expect(commandPid).not.toBe(parent.pid);
    parent.kill('SIGTERM');
    const [code, signal] = await new Promise<[number | null, string | null]>((resolve) => parent.once('exit', (c, s) => resolve([c, s])));
    expect([code, signal]).toEqual([null, 'SIGTERM']);
    // The command ended before the shim did, so it is gone now.
    expect(() => process.kill(commandPid, 0)).toThrow();
  });
});
