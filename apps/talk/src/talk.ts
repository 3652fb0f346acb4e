/**
 * The talk pipeline: trace (computed or saved) → poster drawing → slides → a reveal.js deck folder
 * (or one self-contained HTML file) → optionally a PDF printed by headless Chromium. Everything is
 * built beside the target under a temporary name and renamed into place only when all of it succeeded.
 */
import { existsSync } from 'node:fs';
import { mkdir, readdir, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { withPage } from '@vectorview/chromium';
import { defaultModelDir, defaultModelInfo, defaultPrompt } from '@vectorview/default-model';
import { inputsFromFlags, tokenizerForVocabulary, traceFromFlags, UsageError, wholeNumberFlag, type ForwardFlagValues } from '@vectorview/engine/node';
import { renderStageDrawings, type PosterOptions } from '@vectorview/renderer';
import type { Trace } from '@vectorview/trace';
import { checkOutputs, OutputStage, type OutputTarget } from '@vectorview/trace/node';
import { checkTheme } from './assets.js';
import { deckHtml, type DeckPage } from './deck.js';
import { buildSlides, CANVAS, TALK_LENGTHS, type TalkLength } from './slides.js';


export interface TalkRequest extends ForwardFlagValues {
  trace?: string | undefined;
  out?: string | undefined;
  pdf?: string | undefined;
  'single-file'?: boolean | undefined;
  theme?: string | undefined;
  head?: string | undefined;
  layer?: string | undefined;
  'notes-in-pdf'?: boolean | undefined;
  length?: string | undefined;
}

export interface TalkResult {
  /** What was written, for the command's last line. */
  readonly written: readonly { path: string; describe: string }[];
  readonly slides: number;
  readonly timings: Readonly<Record<string, number>>;
  /** Folders created for the outputs. */
  readonly createdFolders: readonly string[];
}


const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** Checks the flags that need no model, so bad input fails before any work. */
export function checkRequest(request: TalkRequest): { theme: string; singleFile: boolean; out: string; length: TalkLength } {
  const theme = checkTheme(request.theme);
  const length = request.length ?? 'full';
  if (!Object.hasOwn(TALK_LENGTHS, length)) throw new UsageError(`--length must be ${Object.keys(TALK_LENGTHS).join(' or ')}, got ${JSON.stringify(length)}`);
  if (request['notes-in-pdf'] && !request.pdf) throw new UsageError('--notes-in-pdf applies to --pdf; add --pdf FILE');
  if (request.prompt !== undefined && request.prompt.trim() === '') throw new UsageError('the prompt is empty: give some text with --prompt or ids with --tokens');
  if (request.out !== undefined && request.out.trim() === '') throw new UsageError('--out must name a folder (or an .html file with --single-file)');
  if (request.pdf !== undefined && !/\.pdf$/i.test(request.pdf)) throw new UsageError(`--pdf must name a .pdf file, got ${JSON.stringify(request.pdf)}`);
  if (request.trace !== undefined && !existsSync(request.trace)) throw new UsageError(`trace file ${request.trace} not found`);
  const singleFile = request['single-file'] === true;
  const out = request.out ?? 'talk';
  if (!singleFile && /\.html?$/i.test(out)) throw new UsageError(`--out ${out} names a file: a deck is a folder; add --single-file for one HTML file`);
  return { theme, singleFile, out, length: length as TalkLength };
}

/** Builds the deck in memory from a trace. */
export async function buildDeck(trace: Trace, options: { theme: string; singleFile: boolean; length: TalkLength; head?: number | undefined; layer?: number | undefined }): Promise<DeckPage> {
  const tokenizer = tokenizerForVocabulary(trace.config.n_vocab);
  const drawingOptions: PosterOptions = { tokenText: (id: number) => tokenizer.readable(id) };
  if (options.head !== undefined) drawingOptions.head = options.head;
  if (options.layer !== undefined) drawingOptions.layer = options.layer;
  const drawings = await renderStageDrawings(trace, drawingOptions);
  const stacks = buildSlides(trace, drawings, { ...drawings.drawn, length: options.length });
  return deckHtml(trace, drawings, stacks, { theme: options.theme, singleFile: options.singleFile, length: options.length });
}

/** A deck folder may replace an earlier deck, never anything else. */
async function checkReplaceable(target: string, singleFile: boolean): Promise<void> {
  let s;
  try {
    s = await stat(target);
  } catch {
    return;
  }
  if (singleFile && /\.html?$/i.test(target)) {
    if (s.isDirectory()) throw new UsageError(`${target} is a folder; give --out a file name or another folder`);
    return;
  }
  if (!s.isDirectory()) throw new UsageError(`${target} exists and is not a folder; choose another --out`);
  const entries = (await readdir(target)).filter((e) => !e.startsWith('.'));
  const deckLike = entries.every((e) => e === 'index.html' || e === 'reveal');
  if (!deckLike) throw new UsageError(`${target} exists and is not a Vectorview deck (it holds ${entries.slice(0, 3).join(', ')}${entries.length > 3 ? ', …' : ''}); choose another --out`);
}

/** Prints a deck's index.html to PDF through reveal.js's print view, one page per slide. */
export async function printDeck(indexHtml: string, options: { notes?: boolean } = {}): Promise<Uint8Array> {
  return withPage(async (page) => {
    await page.route('**/*', (route) => (route.request().url().startsWith('file:') ? route.continue() : route.abort()));
    await page.setViewportSize({ width: CANVAS.width, height: CANVAS.height });
    await page.goto(`${pathToFileURL(path.resolve(indexHtml)).href}?print-pdf${options.notes ? '&notes' : ''}`, { waitUntil: 'load' });
    await page.waitForSelector('html[data-pdf-ready]', { state: 'attached', timeout: 120_000 });
    await page.evaluate(() => document.fonts.ready);
    return page.pdf({ preferCSSPageSize: true, printBackground: true });
  });
}

/** Runs the whole command: nothing is written unless every output was built. */
export async function makeTalk(request: TalkRequest, progress: (line: string) => void): Promise<TalkResult> {
  const { theme, singleFile, out, length } = checkRequest(request);
  const fileTarget = singleFile && /\.html?$/i.test(out);
  const deckTarget: OutputTarget = { flag: '--out', path: out, folder: !fileTarget };
  const pdfTarget: OutputTarget | undefined = request.pdf === undefined ? undefined : { flag: '--pdf', path: request.pdf };
  checkOutputs([deckTarget, ...(pdfTarget ? [pdfTarget] : [])], inputsFromFlags(request, defaultModelDir));
  await checkReplaceable(out, singleFile);
  const timings: Record<string, number> = {};
  let start = performance.now();
  const trace = await traceFromFlags(request, { model: defaultModelDir, modelName: defaultModelInfo.name, prompt: defaultPrompt }, progress);
  timings['trace_ms'] = performance.now() - start;
  const c = trace.config;
  const head = wholeNumberFlag('head', request.head, 0, c.n_head - 1);
  const layer = wholeNumberFlag('layer', request.layer, 0, c.n_layer - 1);

  progress(`building the ${length} talk (${TALK_LENGTHS[length].minutes} min, ${theme} theme${singleFile ? ', one file' : ''})`);
  start = performance.now();
  const deck = await buildDeck(trace, { theme, singleFile, length, head, layer });
  timings['build_ms'] = performance.now() - start;
  progress(`  ${deck.slides} slides, ${deck.fragments} fragments, ${(deck.html.length / 1e6).toFixed(1)} MB of HTML in ${seconds(timings['build_ms'])}`);

  // Everything is staged beside its target and renamed into place only when all of it was built.
  const stage = new OutputStage();
  try {
    let index: string;
    if (fileTarget) index = await stage.file(deckTarget, deck.html);
    else {
      const folder = await stage.folder(deckTarget);
      for (const file of deck.files) {
        await mkdir(path.join(folder, path.dirname(file.path)), { recursive: true });
        await writeFile(path.join(folder, file.path), file.data);
      }
      index = path.join(folder, 'index.html');
      await writeFile(index, deck.html);
    }
    if (pdfTarget) {
      progress('printing the PDF with Chromium');
      start = performance.now();
      const pdf = await printDeck(index, { notes: request['notes-in-pdf'] === true });
      timings['pdf_ms'] = performance.now() - start;
      await stage.file(pdfTarget, pdf);
      progress(`  ${(pdf.length / 1e6).toFixed(1)} MB in ${seconds(timings['pdf_ms'])}`);
    }
  } catch (error) {
    await stage.discard();
    throw error;
  }
  const { createdFolders } = await stage.commit();
  const written = [{ path: fileTarget ? out : path.join(out, 'index.html'), describe: `${deck.slides} slides${singleFile ? ', self-contained' : ''}` }];
  if (request.pdf) written.push({ path: request.pdf, describe: `PDF of ${deck.slides} slides${request['notes-in-pdf'] ? ' with notes pages' : ''}` });
  return { written, slides: deck.slides, timings, createdFolders };
}
