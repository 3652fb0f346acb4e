/**
 * Releases: `changeset version`, run on a throwaway copy (a fresh git repository holding the
 * package.json files and .changeset/), bumps every public package to its next minor version with a
 * CHANGELOG.md, leaves the private apps alone, and changes nothing in the real repository.
 */
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { APPS, PUBLIC_PACKAGES, readJson, ROOT, sh } from './support.mjs';

const CHANGESET = path.join(ROOT, 'node_modules/@changesets/cli/bin.js');
let copy;
let before;
let run;

/** The files `changeset version` may touch in the real repository, with their bytes. */
function snapshotRealRepo() {
  const files = ['package.json', ...[...PUBLIC_PACKAGES, ...APPS].flatMap((d) => [`${d}/package.json`, `${d}/CHANGELOG.md`])];
  const out = {};
  for (const f of files) out[f] = existsSync(path.join(ROOT, f)) ? readFileSync(path.join(ROOT, f), 'utf8') : null;
  out['.changeset'] = readdirSync(path.join(ROOT, '.changeset')).sort();
  return out;
}

function nextMinor(version) {
  const [major, minor] = version.split('.').map(Number);
  return `${major}.${minor + 1}.0`;
}

beforeAll(async () => {
  before = snapshotRealRepo();
  copy = mkdtempSync(path.join(tmpdir(), 'vectorview-changesets-'));
  const rootPkg = readJson(path.join(ROOT, 'package.json'));
  writeFileSync(path.join(copy, 'package.json'), JSON.stringify(rootPkg, null, 2));
  for (const pattern of rootPkg.workspaces) {
    const base = pattern.replace(/\/\*$/, '');
    for (const name of readdirSync(path.join(ROOT, base))) {
      const file = path.join(ROOT, base, name, 'package.json');
      if (!existsSync(file)) continue;
      mkdirSync(path.join(copy, base, name), { recursive: true });
      cpSync(file, path.join(copy, base, name, 'package.json'));
    }
  }
  cpSync(path.join(ROOT, '.changeset'), path.join(copy, '.changeset'), { recursive: true });
  const git = 'git -c user.name=test -c user.email=test@example.invalid -c commit.gpgsign=false';
  const init = await sh(`git init -q -b main && ${git} add -A && ${git} commit -q -m base`, { cwd: copy });
  expect(init.code, init.output).toBe(0);
  run = await sh(`node ${JSON.stringify(CHANGESET)} version`, { cwd: copy });
});

afterAll(() => {
  if (copy) rmSync(copy, { recursive: true, force: true });
});

describe('changeset version (dry run on a copy)', () => {
  test('runs cleanly', () => {
    expect(run.code, run.output).toBe(0);
  });

  test.each(PUBLIC_PACKAGES)('%s goes to its next minor version with a CHANGELOG.md', (dir) => {
    const old = readJson(path.join(ROOT, dir, 'package.json'));
    const pkg = readJson(path.join(copy, dir, 'package.json'));
    expect(pkg.version).toBe(nextMinor(old.version));
    if (old.version === '0.1.0') expect(pkg.version).toBe('0.2.0');
    const changelog = readFileSync(path.join(copy, dir, 'CHANGELOG.md'), 'utf8');
    expect(changelog).toContain(`# ${pkg.name}`);
    expect(changelog).toContain(`## ${pkg.version}`);
    expect(changelog).toContain('First release');
    // Internal dependencies follow the new versions.
    for (const [name, range] of Object.entries(pkg.dependencies ?? {})) {
      if (!name.startsWith('@vectorview/')) continue;
      const dep = readJson(path.join(copy, PUBLIC_PACKAGES.find((d) => readJson(path.join(copy, d, 'package.json')).name === name), 'package.json'));
      expect(range, `${pkg.name} → ${name}`).toContain(dep.version);
    }
  });

  test.each(APPS)('%s stays private and unversioned', (dir) => {
    const old = readJson(path.join(ROOT, dir, 'package.json'));
    const pkg = readJson(path.join(copy, dir, 'package.json'));
    expect(pkg.private).toBe(true);
    expect(pkg.version).toBe(old.version);
    expect(existsSync(path.join(copy, dir, 'CHANGELOG.md'))).toBe(false);
  });

  test('consumes the changesets and commits nothing', async () => {
    expect(readdirSync(path.join(copy, '.changeset')).filter((f) => f.endsWith('.md') && f !== 'README.md')).toEqual([]);
    const log = await sh('git rev-list --count HEAD', { cwd: copy });
    expect(log.stdout.trim()).toBe('1');
  });

  test('leaves the real repository untouched', () => {
    expect(snapshotRealRepo()).toEqual(before);
    expect(statSync(path.join(ROOT, '.changeset/first-release.md')).isFile()).toBe(true);
  });
});
