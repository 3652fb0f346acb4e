/**
 * Every package works on its own, from its tarball: packed as npm would publish it, installed in an
 * empty folder outside the repository (dependencies from the registry), its README example run
 * unchanged, the apps' commands run through npx, and its types compiled by a strict consumer.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { APPS, codeBlocks, commandLines, PUBLIC_PACKAGES, readJson, readmeExample, ROOT, sh, TSC } from './support.mjs';

let work;
let consumer;
/** dir → { name, tarball, files: string[] } */
const packed = new Map();
/** Apps that have no build to pack (reported, not silently dropped). */
const unbuilt = [];

beforeAll(async () => {
  work = mkdtempSync(path.join(tmpdir(), 'vectorview-tarballs-'));
  const tarballs = path.join(work, 'tarballs');
  mkdirSync(tarballs);
  for (const dir of [...PUBLIC_PACKAGES, ...APPS]) {
    const pkg = readJson(path.join(ROOT, dir, 'package.json'));
    if (pkg.bin && !Object.values(pkg.bin).every((bin) => existsSync(path.join(ROOT, dir, bin)))) {
      unbuilt.push(dir);
      continue;
    }
    const run = await sh(`npm pack --json --pack-destination ${JSON.stringify(tarballs)} -w ${dir}`, { cwd: ROOT });
    expect(run.code, `npm pack ${dir}:\n${run.output}`).toBe(0);
    const [info] = JSON.parse(run.stdout);
    packed.set(dir, { name: pkg.name, tarball: path.join(tarballs, info.filename), files: info.files.map((f) => f.path) });
  }
  consumer = path.join(work, 'consumer');
  mkdirSync(consumer);
  let run = await sh('npm init -y && npm pkg set type=module', { cwd: consumer });
  expect(run.code, run.output).toBe(0);
  const all = [...packed.values()].map((p) => JSON.stringify(p.tarball)).join(' ');
  run = await sh(`npm install --no-audit --no-fund --prefer-offline ${all}`, { cwd: consumer, timeout: 280_000 });
  expect(run.code, `npm install of the tarballs:\n${run.output}`).toBe(0);
});

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('tarballs', () => {
  test('every app is built, so every package and app is packed', () => {
    expect(unbuilt, `no dist/cli.js to pack in ${unbuilt.join(', ')}: build them first`).toEqual([]);
  });

  test.each([...PUBLIC_PACKAGES, ...APPS])('%s ships its build (and README), and no tests, test support or snapshots', (dir) => {
    const info = packed.get(dir);
    if (!info) return;
    const pkg = readJson(path.join(ROOT, dir, 'package.json'));
    if (PUBLIC_PACKAGES.includes(dir)) expect(info.files).toContain('README.md');
    expect(info.files).toContain('package.json');
    expect(info.files.filter((f) => /\.test\.|(^|\/)test-support\/|__snapshots__|\.tsbuildinfo$/.test(f))).toEqual([]);
    const targets = [pkg.main, pkg.types, ...Object.values(pkg.bin ?? {}), ...Object.values(pkg.exports).flatMap((e) => (typeof e === 'string' ? [e] : Object.values(e)))];
    for (const target of targets.filter(Boolean)) expect(info.files, `${dir} points at ${target}`).toContain(path.posix.normalize(target));
  });

  test('the default model ships its HuggingFace files', () => {
    const files = packed.get('packages/default-model')?.files ?? [];
    expect(files, 'packages/default-model/model/ is empty: the model has not been exported yet').toEqual(expect.arrayContaining(['model/config.json', 'model/model.safetensors']));
    expect(files.filter((f) => /training|checkpoints/.test(f))).toEqual([]);
  });

  test.each(PUBLIC_PACKAGES)('%s has a package.json fit to publish', (dir) => {
    const pkg = readJson(path.join(ROOT, dir, 'package.json'));
    expect(pkg.name).toMatch(/^@vectorview\/[a-z-]+$/);
    expect(pkg.private).toBeUndefined();
    expect(pkg.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(pkg.description.length).toBeGreaterThan(20);
    expect(pkg.license).toBe('MIT');
    expect(pkg.repository).toMatchObject({ type: 'git', directory: dir });
    expect(pkg.keywords.length).toBeGreaterThan(1);
    expect(pkg.engines.node).toBe('>=20');
    expect(pkg.type).toBe('module');
    expect(pkg.sideEffects).toBeDefined();
    expect(pkg.publishConfig).toEqual({ access: 'public' });
    for (const [entry, conditions] of Object.entries(pkg.exports)) {
      if (typeof conditions === 'string') continue;
      expect(Object.keys(conditions)[0], `exports["${entry}"] lists types first`).toBe('types');
    }
    // Test-only packages stay out of dependencies; workspace packages are pinned to a version.
    for (const name of Object.keys(pkg.dependencies ?? {})) expect(name).not.toMatch(/^(vitest|@xmldom\/|@types\/)/);
  });

  test.each(APPS)('%s is private but packable, with a bin', (dir) => {
    const pkg = readJson(path.join(ROOT, dir, 'package.json'));
    expect(pkg.private).toBe(true);
    expect(Object.keys(pkg.bin)).toHaveLength(1);
  });

  test('installs from the tarballs alone, with a complete dependency tree', async () => {
    for (const { name } of packed.values()) expect(existsSync(path.join(consumer, 'node_modules', name, 'package.json')), name).toBe(true);
    const run = await sh('npm ls --all --omit=dev >/dev/null', { cwd: consumer });
    expect(run.code, run.output).toBe(0);
  });
});

describe('README examples run unchanged from the installed tarballs', () => {
  // Engine first: its command writes the trace.safetensors the renderer's example reads.
  test.each(['packages/engine', 'packages/trace', 'packages/content', 'packages/chromium', 'packages/default-model', 'packages/renderer'])('%s', async (dir) => {
    const readme = readFileSync(path.join(ROOT, dir, 'README.md'), 'utf8');
    // Commands under "## Example" that use the installed package (npx …) run first, in the consumer.
    for (const block of codeBlocks(readme).filter((b) => b.heading === 'Example' && (b.lang === 'sh' || b.lang === 'bash'))) {
      for (const line of commandLines(block.code).filter((l) => l.startsWith('npx '))) {
        const run = await sh(line, { cwd: consumer });
        expect(run.code, `${dir} README: ${line}\n${run.output}`).toBe(0);
      }
    }
    const example = readmeExample(readme);
    expect(example, `${dir}/README.md has a \`\`\`js block under "## Example"`).toBeDefined();
    writeFileSync(path.join(consumer, example.file), example.code);
    const run = await sh(`node ${example.file} ${example.args.join(' ')}`, { cwd: consumer });
    expect(run.code, `${dir} README example (${example.file}):\n${run.output}`).toBe(0);
    expect(run.output.trim().length, `${dir} example prints something`).toBeGreaterThan(0);
  });

  test('the renderer example drew a poster and a stage from the engine trace', () => {
    expect(statSync(path.join(consumer, 'poster.svg')).size).toBeGreaterThan(100_000);
    expect(readFileSync(path.join(consumer, 'attention-head.svg'), 'utf8')).toContain('stage-attention-head');
  });
});

describe('commands from the installed tarballs', () => {
  test('npx vectorview-poster', async () => {
    const run = await sh('npx vectorview-poster --model random:tiny --prompt hi --out p.svg', { cwd: consumer });
    expect(run.code, run.output).toBe(0);
    expect(readFileSync(path.join(consumer, 'p.svg'), 'utf8')).toMatch(/^<svg[^>]*width="841mm"/);
  });

  test('npx vectorview-talk', async () => {
    expect(packed.has('apps/talk'), 'apps/talk has no dist/cli.js to pack').toBe(true);
    const run = await sh('npx vectorview-talk --model random:tiny --prompt hi --out talk', { cwd: consumer });
    expect(run.code, run.output).toBe(0);
    expect(readFileSync(path.join(consumer, 'talk/index.html'), 'utf8')).toContain('reveal');
  });

  test('npx vectorview-trace, and bad input is one line and exit code 1', async () => {
    let run = await sh('npx vectorview-trace --model random:tiny --tokens 464,3139 --out t.safetensors --json', { cwd: consumer });
    expect(run.code, run.output).toBe(0);
    run = await sh('npx vectorview-trace --model nowhere/at-all.safetensors --prompt hi --out x.safetensors', { cwd: consumer });
    expect(run.code).toBe(1);
    expect(run.output.trim().split('\n')).toHaveLength(1);
  });
});

describe('types', () => {
  test('a strict NodeNext consumer compiles against the published .d.ts files, README examples included', async () => {
    const src = path.join(consumer, 'src');
    mkdirSync(src, { recursive: true });
    writeFileSync(
      path.join(consumer, 'tsconfig.json'),
      JSON.stringify(
        {
          compilerOptions: {
            target: 'ES2022',
            lib: ['ES2022', 'DOM'],
            module: 'NodeNext',
            moduleResolution: 'NodeNext',
            strict: true,
            exactOptionalPropertyTypes: true,
            noUncheckedIndexedAccess: true,
            noEmit: true,
            skipLibCheck: false,
            typeRoots: [path.join(ROOT, 'node_modules/@types')],
            types: ['node'],
          },
          include: ['src'],
        },
        null,
        2,
      ),
    );
    writeFileSync(path.join(src, 'api.ts'), API_USE);
    for (const dir of PUBLIC_PACKAGES) {
      const example = readmeExample(readFileSync(path.join(ROOT, dir, 'README.md'), 'utf8'));
      writeFileSync(path.join(src, `readme-${path.basename(dir)}.ts`), `export {};\n${example.code}`);
    }
    const run = await sh(`node ${JSON.stringify(TSC)} -p tsconfig.json`, { cwd: consumer });
    expect(run.code, run.output).toBe(0);
  });
});

/** Uses the main API of every public package, with types spelt out so a changed signature fails. */
const API_USE = `
import { createTrace, decodeNextToken, DEFAULT_DECODE, encodeTrace, decodeTrace, hook, normalizeConfig, type ModelConfig, type Tensor, type Trace } from '@vectorview/trace';
import { readTraceFile, writeTraceFile } from '@vectorview/trace/node';
import { gpt2Tokenizer, Gpt2Model, randomWeights, gpt2Config, type Tokenizer, type TraceOptions } from '@vectorview/engine';
import { loadModel, traceModel, ENGINE_VERSION } from '@vectorview/engine/node';
import { fillTemplate, stageContent, STAGE_IDS, type StageContent, type StageId } from '@vectorview/content';
import { frameStage, POSTER_STAGE_IDS, renderFlowDiagram, renderPoster, fontFiles, type Poster, type PosterOptions } from '@vectorview/renderer';
import { findChromium, svgToPdf, withPage, type Page } from '@vectorview/chromium';
import { defaultModelDir, defaultModelInfo, type DefaultModelInfo } from '@vectorview/default-model';

const config: ModelConfig = normalizeConfig({ n_embd: 8, n_head: 2, n_layer: 1, vocab_size: 10, n_positions: 4 });
const tensor: Tensor = { shape: [1, 10], data: new Float32Array(10) };
const trace: Trace = createTrace({ config, tokens: [{ id: 1, display: 'a', text: 'a', bytes: 1 }], tensors: new Map([[hook.logits, tensor]]) });
const again: Trace = decodeTrace(encodeTrace(trace));
const next: number = decodeNextToken(tensor.data, DEFAULT_DECODE).record.chosen.id;
const tokenizer: Tokenizer = gpt2Tokenizer();
const ids: number[] = tokenizer.encode('hi');
const model: Gpt2Model = new Gpt2Model(randomWeights(gpt2Config('tiny'), 1));
const options: TraceOptions = { prompt: 'hi', mode: 'batched', decode: { strategy: 'greedy' } };
const traced: Promise<Trace> = traceModel('random:tiny', options);
const loaded: Promise<Gpt2Model> = loadModel('random:tiny', { offline: true });
const read: Promise<Trace> = readTraceFile('x.safetensors');
const written: Promise<void> = writeTraceFile('x.safetensors', trace);
const stage: StageContent = stageContent(STAGE_IDS[0] satisfies StageId);
const text: string = fillTemplate(stage.short, { d_model: 8 });
const posterOptions: PosterOptions = { size: 'A2', layer: 0, head: 0, tokenText: (id: number) => String(id) };
const poster: Promise<Poster> = renderPoster(trace, posterOptions);
const framed: Promise<string> = poster.then((p) => frameStage(p, POSTER_STAGE_IDS[0]!));
const figure: string = renderFlowDiagram({ nodes: [{ id: 'a', title: 'A', column: 0, row: 0, kind: 'data' }], edges: [] });
const fonts: string[] = fontFiles();
const browser: string | undefined = findChromium();
const pdf: Promise<Uint8Array> = svgToPdf('<svg/>', { width: '10mm', height: '10mm' });
const title: Promise<string> = withPage((page: Page) => page.title());
const info: DefaultModelInfo = defaultModelInfo;
const dir: string = defaultModelDir;
export { again, next, ids, model, traced, loaded, read, written, text, framed, figure, fonts, browser, pdf, title, info, dir, ENGINE_VERSION };
`;
