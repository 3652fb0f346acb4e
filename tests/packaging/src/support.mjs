/** Helpers shared by the repository tests: paths, running commands, reading Markdown code blocks. */
import { execFile, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import process from 'node:process';
import { clearTimeout, setTimeout } from 'node:timers';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const PUBLIC_PACKAGES = ['packages/trace', 'packages/engine', 'packages/content', 'packages/renderer', 'packages/chromium', 'packages/default-model'];
export const APPS = ['apps/poster', 'apps/talk'];
export const TSC = path.join(ROOT, 'node_modules/typescript/bin/tsc');

export const execFileAsync = promisify(execFile);

export function readJson(file) {
  return JSON.parse(readFileSync(file, 'utf8'));
}

/**
 * Runs a shell command; resolves with its exit code, its stdout, and the last 8 kB of stdout and
 * stderr interleaved (`output`, for readable failure messages). Never rejects.
 */
export function sh(command, { cwd = ROOT, env = {}, timeout = 240_000 } = {}) {
  return new Promise((resolve) => {
    const started = performance.now();
    const child = spawn('bash', ['-c', command], { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    let stdout = '';
    const keep = (chunk) => {
      output = (output + chunk.toString()).slice(-8192);
    };
    child.stdout.on('data', (chunk) => {
      keep(chunk);
      if (stdout.length < 4_000_000) stdout += chunk.toString();
    });
    child.stderr.on('data', keep);
    const timer = setTimeout(() => child.kill('SIGKILL'), timeout);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? (signal ? 128 : 1), signal, output, stdout, seconds: (performance.now() - started) / 1000 });
    });
  });
}

/** Fenced code blocks of a Markdown text: { lang, code, heading (the last ## heading above it) }. */
export function codeBlocks(markdown) {
  const blocks = [];
  let heading = '';
  let open;
  for (const line of markdown.split('\n')) {
    if (open) {
      if (/^\s*```\s*$/.test(line)) {
        blocks.push(open);
        open = undefined;
      } else open.code += `${line}\n`;
      continue;
    }
    const fence = /^\s*```\s*([\w-]*)/.exec(line);
    if (fence) open = { lang: fence[1].toLowerCase(), code: '', heading };
    else if (/^##\s/.test(line)) heading = line.replace(/^#+\s*/, '').trim();
  }
  return blocks;
}

/**
 * The runnable example of a package README: the first ```js block under "## Example". Its first
 * line may name it and say how to run it: `// render.mjs — node render.mjs trace.safetensors`.
 */
export function readmeExample(markdown) {
  const block = codeBlocks(markdown).find((b) => b.heading === 'Example' && (b.lang === 'js' || b.lang === 'javascript'));
  if (!block) return undefined;
  const first = /^\/\/\s*(\S+\.mjs)\s+—\s+node\s+\S+\.mjs\s*(.*)$/.exec(block.code.split('\n')[0]);
  return { code: block.code, file: first?.[1] ?? 'example.mjs', args: first?.[2]?.trim() ? first[2].trim().split(/\s+/) : [] };
}

/** Shell command lines of a code block: comments dropped, `\` continuations joined. */
export function commandLines(code) {
  const out = [];
  let pending = '';
  for (const raw of code.split('\n')) {
    const line = raw.replace(/\s+$/, '');
    if (!pending && (/^\s*#/.test(line) || !line.trim())) continue;
    if (line.endsWith('\\')) {
      pending += `${line.slice(0, -1)} `;
      continue;
    }
    out.push(stripComment(pending + line).trim());
    pending = '';
  }
  if (pending) out.push(stripComment(pending).trim());
  return out.filter(Boolean);
}

/** Drops a trailing `# comment` that is outside quotes. */
export function stripComment(line) {
  let quote = '';
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quote) {
      if (c === quote) quote = '';
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '#' && (i === 0 || /\s/.test(line[i - 1]))) return line.slice(0, i);
  }
  return line;
}

/** Splits `a && b` into its parts (outside quotes). */
export function splitAnd(line) {
  const parts = [];
  let quote = '';
  let current = '';
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quote) {
      if (c === quote) quote = '';
    } else if (c === '"' || c === "'") quote = c;
    else if (line.startsWith('&&', i)) {
      parts.push(current.trim());
      current = '';
      i++;
      continue;
    }
    current += c;
  }
  parts.push(current.trim());
  return parts.filter(Boolean);
}

/** Shell-like words of a command (quotes kept, so the command can be rebuilt verbatim). */
export function words(command) {
  return command.match(/(?:[^\s"']+|"[^"]*"|'[^']*')+/g) ?? [];
}
