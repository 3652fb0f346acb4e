#!/usr/bin/env node
/**
 * Checks that every package imports only what it declares. For each workspace, every module the
 * JavaScript files of its tarball (what `npm pack` would ship) load at run time — static imports, dynamic import(), require() and
 * require.resolve() — must be a Node builtin, a file inside the package, or a package named in its
 * `dependencies` (or `peerDependencies`). Sources (src/**.ts, tests included) must never reach
 * into another package's folder by a relative path. Prints the problems; exits 1 if there are any.
 *
 *   node scripts/check-deps.mjs [--json]
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const builtins = new Set(builtinModules);

function* walk(dir, test) {
  if (!existsSync(dir)) return;
  for (const entry of readdirSync(dir)) {
    if (entry === 'node_modules') continue;
    const full = path.join(dir, entry);
    if (statSync(full).isDirectory()) yield* walk(full, test);
    else if (test(full)) yield full;
  }
}

/** Module specifiers a JS/TS file loads: import/export … from, import(), require(), require.resolve(). */
export function specifiers(code) {
  const out = new Set();
  const patterns = [
    /(?:^|[\s;})])(?:import|export)\s[^'"`;]*?\sfrom\s*['"]([^'"]+)['"]/g,
    /(?:^|[\s;})])import\s*['"]([^'"]+)['"]/g,
    /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g,
    /\brequire(?:\.resolve)?\(\s*[`'"]([^`'"$]+)[`'"]/g,
  ];
  const stripped = code.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
  for (const re of patterns) for (const m of stripped.matchAll(re)) out.add(m[1]);
  return [...out];
}

export function packageName(spec) {
  if (spec.startsWith('node:') || builtins.has(spec.split('/')[0])) return undefined;
  if (spec.startsWith('.') || spec.startsWith('/')) return undefined;
  const parts = spec.split('/');
  return spec.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

export function workspaces() {
  const rootPkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
  const dirs = [];
  for (const pattern of rootPkg.workspaces) {
    const base = path.join(root, pattern.replace(/\/\*$/, ''));
    if (pattern.endsWith('/*')) {
      for (const d of readdirSync(base)) if (existsSync(path.join(base, d, 'package.json'))) dirs.push(path.join(base, d));
    } else if (existsSync(path.join(base, 'package.json'))) dirs.push(base);
  }
  return dirs.map((dir) => ({ dir, pkg: JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) }));
}

/** Absolute paths of the files `npm pack` would put in the tarball. */
export function packedFiles(dir) {
  const out = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  return JSON.parse(out)[0].files.map((f) => path.join(dir, f.path));
}

export function checkDependencies() {
  const problems = [];
  for (const { dir, pkg } of workspaces()) {
    // Private workspaces without a command are never packed (repository tests): nothing to check.
    if (pkg.private && !pkg.bin) continue;
    const rel = path.relative(root, dir);
    const declared = new Set([...Object.keys(pkg.dependencies ?? {}), ...Object.keys(pkg.peerDependencies ?? {})]);
    const used = new Set();
    for (const file of packedFiles(dir).filter((f) => /\.(c|m)?js$/.test(f))) {
      const code = readFileSync(file, 'utf8');
      // Names that appear as whole string literals (e.g. require.resolve(`${name}/package.json`) callers).
      for (const m of code.matchAll(/['"`](@?[\w.-]+(?:\/[\w.-]+)?)['"`/]/g)) if (declared.has(m[1])) used.add(m[1]);
      for (const spec of specifiers(code)) {
        if (spec.startsWith('.')) {
          const target = path.resolve(path.dirname(file), spec);
          if (!target.startsWith(dir + path.sep)) problems.push(`${rel}: ${path.relative(dir, file)} loads ${spec}, outside the package`);
          continue;
        }
        const name = packageName(spec);
        if (!name || name === pkg.name) continue;
        used.add(name);
        if (!declared.has(name)) problems.push(`${rel}: ${path.relative(dir, file)} imports ${name}, which is not in its dependencies`);
      }
    }
    for (const file of walk(path.join(dir, 'src'), (f) => /\.(ts|mts|js|mjs)$/.test(f))) {
      for (const spec of specifiers(readFileSync(file, 'utf8'))) {
        if (!spec.startsWith('.')) continue;
        const target = path.resolve(path.dirname(file), spec);
        if (!target.startsWith(dir + path.sep)) problems.push(`${rel}: ${path.relative(dir, file)} reaches into ${path.relative(root, target)} by path; import the package by name`);
      }
    }
    for (const name of Object.keys(pkg.dependencies ?? {})) {
      if (existsSync(path.join(dir, 'dist')) && !used.has(name) && !name.startsWith('@types/')) problems.push(`${rel}: depends on ${name} but its dist never imports it (move it to devDependencies?)`);
    }
  }
  return [...new Set(problems)];
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const problems = checkDependencies();
  if (process.argv.includes('--json')) console.log(JSON.stringify(problems, null, 2));
  else for (const p of problems) console.log(p);
  if (problems.length) process.exitCode = 1;
  else if (!process.argv.includes('--json')) console.log('dependencies: every runtime import is declared');
}
