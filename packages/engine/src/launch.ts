/**
 * How the command-line tools start. On Linux with transparent huge pages in 'madvise' mode, a command
 * runs again in a child process whose glibc malloc asks for huge pages (the GLIBC_TUNABLES setting
 * glibc.malloc.hugetlb=1). A trace copies its activations into fresh JS arrays, and where each first
 * touch of a 4 KiB page is slow (about 13 µs on this project's virtual machines) 2 MiB pages save
 * seconds: a 512-token GPT-2 trace ran 2–3 s faster (docs/engine.md). Elsewhere, or when the
 * variable already says how to use huge pages, the command runs in this process.
 * Imports nothing heavy: a tool's shim loads this before anything else.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const HUGE_PAGES = 'glibc.malloc.hugetlb=1';
const THP_MODE_FILE = '/sys/kernel/mm/transparent_hugepage/enabled';
const FORWARDED_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/**
 * The environment to run a command again in, or undefined to run it here. `thpMode` reads the
 * kernel's setting ("always [madvise] never"): with 'always' malloc gets huge pages anyway, with
 * 'never' it cannot.
 */
export function hugePageEnvironment(env: NodeJS.ProcessEnv, platform: NodeJS.Platform, thpMode: () => string | undefined): NodeJS.ProcessEnv | undefined {
  if (platform !== 'linux') return undefined;
  const tunables = env['GLIBC_TUNABLES'];
  if (tunables?.split(':').some((setting) => setting.startsWith('glibc.malloc.hugetlb='))) return undefined;
  if (!thpMode()?.includes('[madvise]')) return undefined;
  return { ...env, GLIBC_TUNABLES: tunables ? `${tunables}:${HUGE_PAGES}` : HUGE_PAGES };
}

function readThpMode(): string | undefined {
  try {
    return readFileSync(THP_MODE_FILE, 'utf8');
  } catch {
    return undefined;
  }
}

/** Runs a command's module: in this process, or in a child with huge pages whose exit status (or signal) becomes this process's. */
export async function launch(entry: URL): Promise<void> {
  const env = hugePageEnvironment(process.env, process.platform, readThpMode);
  if (!env) {
    await import(entry.href);
    return;
  }
  const child = spawn(process.execPath, [...process.execArgv, fileURLToPath(entry), ...process.argv.slice(2)], { stdio: 'inherit', env });
  // A signal sent to this process alone (a supervisor's SIGTERM) must reach the command too.
  const forward = (signal: NodeJS.Signals) => child.kill(signal);
  for (const signal of FORWARDED_SIGNALS) process.on(signal, forward);
  const ended = await new Promise<{ code: number | null; signal: NodeJS.Signals | null } | Error>((resolve) => {
    // After a start, an error is a failed kill: the exit still comes.
    child.on('error', (error) => child.pid === undefined && resolve(error));
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
  for (const signal of FORWARDED_SIGNALS) process.off(signal, forward);
  if (ended instanceof Error) {
    // Could not start a child (out of processes, say): the command still runs, without huge pages.
    await import(entry.href);
    return;
  }
  if (ended.signal) process.kill(process.pid, ended.signal);
  else process.exitCode = ended.code ?? 1;
}
