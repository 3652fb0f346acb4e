import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { checkOutputs, createdNote, OutputError, OutputStage, removeLeftovers, STAGING_FOLDER, writeOutputs } from './outputs.js';

const fresh = () => mkdtempSync(path.join(tmpdir(), 'vv-outputs-'));

/** Every file and folder under `dir`, relative, dot-folders included. */
function tree(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: false }).map(String).sort();
}

describe('checkOutputs', () => {
  const dir = fresh();
  writeFileSync(path.join(dir, 't.safetensors'), 'trace');
  writeFileSync(path.join(dir, 'a-file'), 'x');
  mkdirSync(path.join(dir, 'folder'));
  symlinkSync(path.join(dir, 't.safetensors'), path.join(dir, 'link.safetensors'));
  const at = (p: string) => path.join(dir, p);
  const refused: [string, Parameters<typeof checkOutputs>[0], Parameters<typeof checkOutputs>[1], RegExp][] = [
    ['two outputs on one path', [{ flag: '--out', path: at('s.svg') }, { flag: '--pdf', path: at('s.svg') }], [], /--pdf .*s\.svg and --out .*s\.svg would write over each other/],
    ['two spellings of one path', [{ flag: '--out', path: at('s.svg') }, { flag: '--png', path: `${dir}/./folder/../s.svg` }], [], /would write over each other/],
    ['a file inside a folder output', [{ flag: '--out', path: at('deck'), folder: true }, { flag: '--pdf', path: at('deck/talk.pdf') }], [], /--pdf .* and --out .* would write over each other/],
    ['an output over the --trace input', [{ flag: '--out', path: at('t.safetensors') }], [{ flag: '--trace', path: at('t.safetensors') }], /--out .*t\.safetensors would write over the input --trace/],
    ['an output over an input through a symlink', [{ flag: '--out', path: at('link.safetensors') }], [{ flag: '--trace', path: at('t.safetensors') }], /would write over the input --trace/],
    ['a folder output holding an input', [{ flag: '--out', path: dir, folder: true }], [{ flag: '--trace', path: at('t.safetensors') }], /would write over the input/],
    ['a file output that is a folder', [{ flag: '--pdf', path: at('folder') }], [], /--pdf .*folder is a folder/],
    ['a parent that is a file', [{ flag: '--out', path: at('a-file/p.svg') }], [], /a-file is a file, not a folder/],
    ['an empty path', [{ flag: '--out', path: '' }], [], /--out needs a path/],
  ];
  it.each(refused)('refuses %s with one line', (_name, outputs, inputs, message) => {
    let error: unknown;
    try {
      checkOutputs(outputs, inputs);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(OutputError);
    expect((error as Error).message).toMatch(message);
    expect((error as Error).message).not.toContain('\n');
  });

  it('accepts distinct outputs beside an input, in folders that do not exist yet', () => {
    expect(() => checkOutputs([{ flag: '--out', path: at('new/p.svg') }, { flag: '--pdf', path: at('new/deeper/p.pdf') }], [{ flag: '--trace', path: at('t.safetensors') }])).not.toThrow();
  });
});

describe('writeOutputs', () => {
  it('writes every output, creating missing folders and saying so', async () => {
    const dir = fresh();
    const result = await writeOutputs([
      { target: { flag: '--out', path: path.join(dir, 'p.svg') }, data: 'svg' },
      { target: { flag: '--pdf', path: path.join(dir, 'new', 'deeper', 'p.pdf') }, data: new Uint8Array([1, 2]) },
    ]);
    expect(readFileSync(path.join(dir, 'p.svg'), 'utf8')).toBe('svg');
    expect(readFileSync(path.join(dir, 'new', 'deeper', 'p.pdf'))).toEqual(Buffer.from([1, 2]));
    expect(result.createdFolders).toEqual([path.join(dir, 'new')]);
    expect(createdNote(result.createdFolders)).toMatch(/^; created folder .*new$/);
    expect(tree(dir)).toEqual(['new', path.join('new', 'deeper'), path.join('new', 'deeper', 'p.pdf'), 'p.svg']);
  });

  it('a failing output leaves no new file, no new folder, and the existing file unchanged', async () => {
    const dir = fresh();
    writeFileSync(path.join(dir, 'p.svg'), 'old');
    writeFileSync(path.join(dir, 'blocker'), 'a file where a folder must go');
    const before = tree(dir);
    const failure = writeOutputs([
      { target: { flag: '--out', path: path.join(dir, 'p.svg') }, data: 'new' },
      { target: { flag: '--save-trace', path: path.join(dir, 'made', 'p.safetensors') }, data: 'trace' },
      { target: { flag: '--pdf', path: path.join(dir, 'blocker', 'x.pdf') }, data: 'pdf' },
    ]);
    await expect(failure).rejects.toThrow(/^cannot write --pdf .*blocker\/x\.pdf: a file is in the way/);
    await failure.catch((e: Error) => expect(e.message).not.toMatch(/partial|vectorview-partial|\n/));
    expect(readFileSync(path.join(dir, 'p.svg'), 'utf8')).toBe('old');
    expect(tree(dir)).toEqual(before);
  });

  it('replaces a folder whole: nothing of the old one is left', async () => {
    const dir = fresh();
    const deck = path.join(dir, 'deck');
    mkdirSync(deck);
    writeFileSync(path.join(deck, 'old.html'), 'old');
    const stage = new OutputStage();
    const folder = await stage.folder({ flag: '--out', path: deck, folder: true });
    writeFileSync(path.join(folder, 'index.html'), 'new');
    await stage.commit();
    expect(tree(dir)).toEqual(['deck', path.join('deck', 'index.html')]);
  });
});

describe('leftovers of killed runs', () => {
  it('the next run removes staging of dead processes and the names earlier versions used', async () => {
    const dir = fresh();
    mkdirSync(path.join(dir, STAGING_FOLDER, '999999999-dead'), { recursive: true });
    writeFileSync(path.join(dir, STAGING_FOLDER, '999999999-dead', 'p.svg'), 'half');
    mkdirSync(path.join(dir, STAGING_FOLDER, `${process.ppid}-alive`), { recursive: true });
    mkdirSync(path.join(dir, STAGING_FOLDER, `${process.pid}-same-pid-earlier-run`), { recursive: true });
    mkdirSync(path.join(dir, '.deck.tmp-AbC123'));
    writeFileSync(path.join(dir, '.deck.tmp-AbC123', 'index.html'), 'half');
    writeFileSync(path.join(dir, 'x.pdf.999999999.1796151198729.partial'), 'half');
    writeFileSync(path.join(dir, 'x.pdf.tmp-999999999'), 'half');
    writeFileSync(path.join(dir, `x.pdf.${process.ppid}.1.partial`), 'a live run');
    writeFileSync(path.join(dir, 'keep.txt'), 'mine');
    removeLeftovers(dir, ['deck', 'x.pdf']);
    expect(tree(dir)).toEqual(['.vectorview-partial', path.join('.vectorview-partial', `${process.ppid}-alive`), 'keep.txt', `x.pdf.${process.ppid}.1.partial`]);
  });

  it('SIGINT during a run removes what it staged, and the process still ends by the signal', async () => {
    const dir = fresh();
    const outputs = fileURLToPath(new URL('../dist/outputs.js', import.meta.url));
    const script = `import { OutputStage } from ${JSON.stringify(outputs)};
const stage = new OutputStage();
await stage.file({ flag: '--out', path: ${JSON.stringify(path.join(dir, 'p.svg'))} }, 'half');
process.stdout.write('staged\\n');
setTimeout(() => {}, 60000);`;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((resolve) => child.stdout.on('data', () => resolve()));
    expect(existsSync(path.join(dir, STAGING_FOLDER))).toBe(true);
    const ended = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
    child.kill('SIGINT');
    expect(await ended).toBe('SIGINT');
    expect(tree(dir)).toEqual([]);
  }, 30_000);
});
