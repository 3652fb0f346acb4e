/** The poster pipeline: trace (computed or saved) → SVG → optional PDF (Chromium) and PNG (resvg). */
import { svgToPdf } from '@vectorview/chromium';
import { defaultModelDir, defaultModelInfo, defaultPrompt } from '@vectorview/default-model';
import { inputsFromFlags, tokenizerForVocabulary, traceFromFlags, UsageError, wholeNumberFlag, type ForwardFlagValues } from '@vectorview/engine/node';
import { fontFiles, renderPoster, type Poster, type PosterOptions, type PosterSize } from '@vectorview/renderer';
import { checkOutputs, traceWriter, type OutputData, type OutputTarget } from '@vectorview/trace/node';

export const POSTER_SIZES: readonly PosterSize[] = ['A0', 'A1', 'A2', '24x36in', '36x48in', 'web'];

export interface PosterRequest extends ForwardFlagValues {
  trace?: string | undefined;
  size?: string | undefined;
  landscape?: boolean | undefined;
  head?: string | undefined;
  layer?: string | undefined;
  'all-layers'?: boolean | undefined;
  components?: string | undefined;
  out: string;
  pdf?: string | undefined;
  png?: string | undefined;
  dpi?: string | undefined;
  'save-trace'?: string | undefined;
}

export interface Output {
  readonly target: OutputTarget;
  readonly data: OutputData;
  readonly describe: string;
}


const megabytes = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`;

/** Physical width in inches of a rendered poster, for choosing PNG pixels from a DPI. */
function widthInches(poster: Poster): number {
  const match = /^([\d.]+)(mm|px)$/.exec(poster.physicalWidth);
  if (!match) return poster.width / 96;
  return match[2] === 'mm' ? Number(match[1]) / 25.4 : Number(match[1]) / 96;
}

export async function posterToPng(poster: Poster, dpi: number): Promise<{ png: Uint8Array; width: number; height: number }> {
  const pixels = Math.round(widthInches(poster) * dpi);
  // Loaded on first use: resvg's loader asks Node for a diagnostic report (~0.1 s) to pick its binary.
  const { Resvg } = await import('@resvg/resvg-js');
  const rendered = new Resvg(poster.svg, {
    fitTo: { mode: 'width', value: pixels },
    // Inter first; the system's fonts only for characters Inter lacks (Chinese, emoji): see docs/dependencies.md.
    font: { fontFiles: fontFiles(), loadSystemFonts: true, defaultFontFamily: 'Inter' },
    background: 'white',
  }).render();
  return { png: rendered.asPng(), width: rendered.width, height: rendered.height };
}

/** Builds every requested output in memory; the caller writes them (atomically) only if all succeeded. */
export async function makePoster(request: PosterRequest, progress: (line: string) => void): Promise<Output[]> {
  const size = (request.size ?? 'A0') as PosterSize;
  if (!POSTER_SIZES.includes(size)) throw new UsageError(`--size must be one of ${POSTER_SIZES.join(', ')}, got ${JSON.stringify(request.size)}`);
  const dpi = wholeNumberFlag('dpi', request.dpi, 10, 1200) ?? 96;
  const target = (flag: 'out' | 'pdf' | 'png' | 'save-trace') => ({ flag: `--${flag}`, path: request[flag]! });
  const targets = (['out', 'pdf', 'png', 'save-trace'] as const).filter((f) => request[f] !== undefined).map(target);
  checkOutputs(targets, inputsFromFlags(request, defaultModelDir));
  const trace = await traceFromFlags(request, { model: defaultModelDir, modelName: defaultModelInfo.name, prompt: defaultPrompt }, progress);
  const c = trace.config;
  const options: PosterOptions = {
    size,
    landscape: request.landscape ?? false,
    allLayers: request['all-layers'] ?? false,
    tokenText: (() => {
      const tokenizer = tokenizerForVocabulary(c.n_vocab);
      return (id: number) => tokenizer.readable(id);
    })(),
  };
  const head = wholeNumberFlag('head', request.head, 0, c.n_head - 1);
  const layer = wholeNumberFlag('layer', request.layer, 0, c.n_layer - 1);
  const components = wholeNumberFlag('components', request.components, 1, c.d_model);
  if (head !== undefined) options.head = head;
  if (layer !== undefined) options.layer = layer;
  if (components !== undefined) options.componentsDrawn = components;

  progress(`rendering the ${size}${request.landscape ? ' landscape' : ''} poster`);
  let start = performance.now();
  const poster = await renderPoster(trace, options);
  progress(`  ${poster.stages.length} stages, ${megabytes(poster.svg.length)} of SVG in ${((performance.now() - start) / 1000).toFixed(1)} s`);
  const outputs: Output[] = [{ target: target('out'), data: poster.svg, describe: `${poster.physicalWidth} × ${poster.physicalHeight}, ${megabytes(poster.svg.length)}` }];
  if (request.pdf) {
    progress('printing the PDF with Chromium');
    start = performance.now();
    const pdf = await svgToPdf(poster.svg, { width: poster.physicalWidth, height: poster.physicalHeight, title: `${c.name}: “${trace.prompt}”, one forward pass` });
    progress(`  ${megabytes(pdf.length)} in ${((performance.now() - start) / 1000).toFixed(1)} s`);
    outputs.push({ target: target('pdf'), data: pdf, describe: `PDF, ${megabytes(pdf.length)}` });
  }
  if (request.png) {
    progress(`rasterising the PNG at ${dpi} dpi`);
    start = performance.now();
    const { png, width, height } = await posterToPng(poster, dpi);
    progress(`  ${width}×${height} px in ${((performance.now() - start) / 1000).toFixed(1)} s`);
    outputs.push({ target: target('png'), data: png, describe: `${width}×${height} px PNG` });
  }
  if (request['save-trace']) outputs.push({ target: target('save-trace'), data: traceWriter(trace), describe: 'trace' });
  return outputs;
}
