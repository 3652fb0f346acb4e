/**
 * Every command shown in the docs runs. From README.md and docs/*.md: every line of a ```sh block,
 * and lines starting with `npm run`, `npx` or `node` in other non-code blocks. Each distinct command
 * runs from the repository root and must exit 0, with:
 *   - outputs (--out, --pdf, --png, --save-trace, --out-dir) moved to a temporary folder, and the
 *     apps' default outputs given one there, so nothing is written into the repository;
 *   - `--model gpt2` (and any hub id) served offline from a temporary HuggingFace cache holding the
 *     fixture checkpoint as models--openai-community--gpt2; random:gpt2-sized models run as random:tiny;
 *   - `--trace FILE` given a trace made first if no earlier command wrote one;
 *   - `npm run bench` cut to `--quick --only warm --repeats 1`; PNGs to at most 30 dpi;
 *   - a few commands skipped, each with its reason (SKIP below).
 */
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import process from 'node:process';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { codeBlocks, commandLines, ROOT, sh, splitAnd, words } from './support.mjs';

/** Commands that are shown but not run here, and why. Matched against the command as written. */
export const SKIP = [
  [/^npm ci\b/, 'reinstalls node_modules under every running process; .ci/run runs it first'],
  [/^npm test$/, 'this test is part of npm test'],
  [/^npx turbo run test\b/, "runs a package's suite, which npm test runs already"],
  [/^npm install\b/, 'adds a dependency: rewrites package.json and the lockfile (the names are placeholders)'],
  [/^npx changeset$/, 'interactive: asks which packages to bump'],
  [/^npx changeset version\b/, 'applies the pending bumps; changesets.test.mjs runs it on a throwaway copy'],
  [/^npx changeset publish\b/, 'publishes to the registry'],
  [/^rm\b.*__snapshots__/, 'deletes the committed snapshots (the recipe for accepting new ones)'],
  [/^npm run train\b/, 'trains the bundled model (hours); not part of CI'],
  [/^npm run plot\b/, "rewrites docs/model-loss.svg and model-circuits.svg from the training log, the model card's figures"],
  [/^npm run finish\b/, "measures a training run's export (checkpoints/, made by npm run train) and rewrites model/"],
];

const OUTPUT_FLAGS = new Set(['--out', '--pdf', '--png', '--save-trace', '--out-dir']);
/** Programs that write into the current folder when not told where; the flag that moves it. */
const DEFAULT_OUTPUT = [
  [/^npm run poster\b|^node apps\/poster\/dist\/cli\.js\b/, '--out', 'poster.svg'],
  [/^npm run talk\b|^node apps\/talk\/dist\/cli\.js\b/, '--out', 'talk/'],
  [/^node scripts\/docs-figures\.mjs\b/, '--out-dir', 'figures/'],
  [/^node scripts\/talk-screenshots\.mjs\b/, '--out-dir', 'screenshots/'],
];
const HUB_MODEL = /^(gpt2(-medium|-large|-xl)?|openai-community\/gpt2(-medium|-large|-xl)?)$/;

/** Commands in the docs, in order, with where they were found. */
export function docsCommands() {
  const files = ['README.md', ...readdirSync(path.join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).sort().map((f) => `docs/${f}`)];
  const out = [];
  for (const file of files) {
    for (const block of codeBlocks(readFileSync(path.join(ROOT, file), 'utf8'))) {
      const shell = block.lang === 'sh' || block.lang === 'bash' || block.lang === 'shell' || block.lang === 'console';
      if (!shell && block.lang !== '' && block.lang !== 'text') continue;
      for (const line of commandLines(block.code)) {
        for (const part of splitAnd(line.replace(/^\$\s+/, ''))) {
          if (shell || /^(npm run|npx|node) /.test(part)) out.push({ file, command: part });
        }
      }
    }
  }
  return out;
}

/** The command as run here, or a skip reason. */
export function mapCommand(command, tmp) {
  for (const [pattern, reason] of SKIP) if (pattern.test(command)) return { skip: reason };
  let w = words(command);
  const outputs = [];
  const inputs = [];
  for (let i = 0; i < w.length - 1; i++) {
    const flag = w[i];
    const value = w[i + 1].replace(/^["']|["']$/g, '');
    if (OUTPUT_FLAGS.has(flag)) {
      const mapped = path.join(tmp, path.basename(value)) + (value.endsWith('/') ? '/' : '');
      outputs.push({ original: value, mapped });
      w[i + 1] = JSON.stringify(mapped);
    } else if (flag === '--trace') {
      const mapped = path.join(tmp, path.basename(value));
      inputs.push(mapped);
      w[i + 1] = JSON.stringify(mapped);
    } else if (flag === '--dpi' && Number(value) > 30) w[i + 1] = '30';
    else if (flag === '--model' && /^random:gpt2/.test(value)) w[i + 1] = 'random:tiny';
  }
  let mapped = w.join(' ');
  for (const [pattern, flag, name] of DEFAULT_OUTPUT) {
    if (pattern.test(command) && !w.includes(flag)) {
      const target = path.join(tmp, name.replace(/\/$/, '')) + (name.endsWith('/') ? '/' : '');
      outputs.push({ original: name, mapped: target });
      mapped += `${/^npm run/.test(command) && !w.includes('--') ? ' --' : ''} ${flag} ${JSON.stringify(target)}`;
    }
  }
  if (/^npm run bench\b/.test(command) && !w.includes('--only')) mapped += `${w.includes('--') ? '' : ' --'} --quick --only warm --repeats 1`;
  const hub = w.some((x, i) => w[i - 1] === '--model' && HUB_MODEL.test(x.replace(/^["']|["']$/g, '')));
  return { run: mapped, outputs, inputs, hub };
}

let tmp;
let env;
const commands = docsCommands();
/** Each command once, and once per distinct mapped form (`npm run bench` and its cut-down form are one). */
const distinct = [...new Map(commands.map((c) => [mapCommand(c.command, '/tmp').run ?? c.command, c])).values()];
/** Repository paths the docs' commands would write, with their state before the test. */
const before = new Map();

function state(p) {
  return existsSync(p) ? statSync(p).mtimeMs : null;
}

beforeAll(() => {
  tmp = mkdtempSync(path.join(tmpdir(), 'vectorview-docs-'));
  // An offline HuggingFace cache holding the fixture checkpoint under gpt2's repo name.
  const hub = path.join(tmp, 'hf-cache');
  const revision = '0123456789abcdef0123456789abcdef01234567';
  for (const repo of ['models--openai-community--gpt2']) {
    const snapshot = path.join(hub, repo, 'snapshots', revision);
    mkdirSync(snapshot, { recursive: true });
    mkdirSync(path.join(hub, repo, 'refs'), { recursive: true });
    writeFileSync(path.join(hub, repo, 'refs', 'main'), revision);
    for (const file of ['config.json', 'model.safetensors']) cpSync(path.join(ROOT, 'fixtures/gpt2-tiny-hf', file), path.join(snapshot, file));
  }
  env = { HF_HUB_CACHE: hub, HF_HUB_OFFLINE: '1', XDG_CACHE_HOME: path.join(tmp, 'xdg-cache'), TURBO_TELEMETRY_DISABLED: '1' };
  for (const { command } of distinct) {
    const m = mapCommand(command, tmp);
    for (const o of m.outputs ?? []) if (!path.isAbsolute(o.original)) before.set(o.original, state(path.join(ROOT, o.original)));
  }
});

afterAll(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe('the commands shown in the docs', () => {
  test('are found: the README quick start and the contributing guide at least', () => {
    expect(commands.some((c) => c.file === 'README.md' && c.command.startsWith('npm run poster'))).toBe(true);
    expect(commands.some((c) => c.file === 'docs/contributing.md')).toBe(true);
  });

  test('map outputs out of the repository and skip only with a reason', () => {
    const m = mapCommand('npm run poster -- --size A1 --pdf poster.pdf --png out/poster.png --dpi 150', '/t');
    expect(m.run).toBe('npm run poster -- --size A1 --pdf "/t/poster.pdf" --png "/t/poster.png" --dpi 30 --out "/t/poster.svg"');
    expect(mapCommand('npm run poster', '/t').run).toBe('npm run poster -- --out "/t/poster.svg"');
    expect(mapCommand('npm run talk', '/t').run).toBe('npm run talk -- --out "/t/talk/"');
    expect(mapCommand('npm run bench', '/t').run).toBe('npm run bench -- --quick --only warm --repeats 1');
    expect(mapCommand('npm run talk -- --model random:gpt2 --out talk/', '/t').run).toBe('npm run talk -- --model random:tiny --out "/t/talk/"');
    expect(mapCommand('npm run poster -- --model gpt2 --prompt "..."', '/t').hub).toBe(true);
    expect(mapCommand('npm ci', '/t').skip).toMatch(/node_modules/);
  });

  const runnable = distinct.filter((c) => !mapCommand(c.command, '/tmp').skip);
  const skipped = distinct.filter((c) => mapCommand(c.command, '/tmp').skip);
  test.skipIf(process.env['VECTORVIEW_SKIP_DOCS_COMMANDS'] === '1').each(runnable.map((c) => [c.command, c.file]))('%s  (%s)', async (command) => {
    const m = mapCommand(command, tmp);
    for (const input of m.inputs) {
      if (existsSync(input)) continue;
      const made = await sh(`node packages/engine/dist/cli.js --model random:tiny --prompt "The capital of France is" --out ${JSON.stringify(input)}`, { env });
      expect(made.code, made.output).toBe(0);
    }
    for (const o of m.outputs) mkdirSync(o.mapped.endsWith('/') ? o.mapped : path.dirname(o.mapped), { recursive: true });
    const run = await sh(m.run, { env, timeout: 230_000 });
    expect(run.code, `${m.run}\n${run.output}`).toBe(0);
    for (const o of m.outputs) expect(existsSync(o.mapped), `${command} wrote ${o.mapped}`).toBe(true);
    if (m.hub) expect(run.output).not.toMatch(/download/i);
  });

  test.each(skipped.map((c) => [c.command, mapCommand(c.command, '/tmp').skip]))('skipped: %s — %s', () => {});

  test('wrote nothing into the repository', () => {
    for (const [original, mtime] of before) expect(state(path.join(ROOT, original)), `${original} was written in the repository`).toBe(mtime);
  });
});
