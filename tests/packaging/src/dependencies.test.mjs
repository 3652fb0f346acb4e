/** Every runtime import of every tarball is declared in that package's dependencies (scripts/check-deps.mjs). */
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { expect, test } from 'vitest';
import { ROOT } from './support.mjs';

test('every import is declared by the package that makes it, and none reaches into another package', async () => {
  const { checkDependencies } = await import(pathToFileURL(path.join(ROOT, 'scripts/check-deps.mjs')).href);
  expect(checkDependencies()).toEqual([]);
});

test('the import scanner sees every form of import', async () => {
  const { specifiers, packageName } = await import(pathToFileURL(path.join(ROOT, 'scripts/check-deps.mjs')).href);
  const code = `import a from 'pkg-a';\nimport { b } from "@scope/b/deep.js";\nexport * from './local.js';\nimport 'side-effect';\nconst c = await import('pkg-c');\nrequire.resolve('pkg-d/package.json');\n// import x from 'commented-out';`;
  expect(specifiers(code).map(packageName).filter(Boolean).sort()).toEqual(['@scope/b', 'pkg-a', 'pkg-c', 'pkg-d', 'side-effect']);
  expect(packageName('node:fs')).toBeUndefined();
  expect(packageName('fs/promises')).toBeUndefined();
});
