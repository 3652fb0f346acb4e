/** vectorview-poster: a prompt (or a saved trace) in, a poster out as SVG, and optionally PDF and PNG. */
import { helpText, OUTPUT_RULE, parseFlags, progressToStderr, runCommand, TRACE_INPUT_FLAGS, TRACE_INPUT_HELP, UsageError, type FlagHelp } from '@vectorview/engine/node';
import { createdNote, writeOutputs } from '@vectorview/trace/node';
import { makePoster, POSTER_SIZES, type PosterRequest } from './poster.js';

const USAGE = `usage: vectorview-poster [--prompt TEXT | --tokens IDS] [--model gpt2|DIR|FILE|random:NAME] [--trace saved.safetensors]
       [--size ${POSTER_SIZES.join('|')}] [--landscape] [--head H] [--layer L] [--all-layers] [--components N]
       [--temperature T] [--top-k K] [--top-p P] [--seed S] [--greedy] [--mode vectorwise|batched] [--offline]
       [--out poster.svg] [--pdf poster.pdf] [--png poster.png [--dpi N]] [--save-trace FILE]`;

const FLAGS = {
  ...TRACE_INPUT_FLAGS,
  size: { type: 'string' },
  landscape: { type: 'boolean' },
  'all-layers': { type: 'boolean' },
  components: { type: 'string' },
  out: { type: 'string' },
  pdf: { type: 'string' },
  png: { type: 'string' },
  dpi: { type: 'string' },
  'save-trace': { type: 'string' },
} as const;

const HELP = {
  ...TRACE_INPUT_HELP,
  size: { value: POSTER_SIZES.join('|'), meaning: 'the paper size', default: 'A0' },
  landscape: { meaning: 'lay the poster out landscape' },
  'all-layers': { meaning: 'draw every layer, not only the detailed one' },
  components: { value: 'N', meaning: 'components of each d_model vector drawn', default: '128, or d_model if smaller' },
  out: { value: 'FILE.svg', meaning: 'the SVG poster', default: 'poster.svg' },
  pdf: { value: 'FILE.pdf', meaning: 'also print a one-page PDF (needs Chromium)' },
  png: { value: 'FILE.png', meaning: 'also rasterise a PNG' },
  dpi: { value: 'N', meaning: "the PNG's resolution", default: '96' },
  'save-trace': { value: 'FILE', meaning: 'also save the trace, to draw again with --trace' },
} as const satisfies Record<keyof typeof FLAGS, FlagHelp>;

await runCommand('vectorview-poster', async (argv) => {
  const flags = parseFlags(argv, FLAGS);
  if (flags.help) {
    process.stdout.write(`${helpText(USAGE, HELP)}\n${OUTPUT_RULE}\n`);
    return;
  }
  if (flags.dpi !== undefined && flags.png === undefined) throw new UsageError('--dpi applies to --png; add --png FILE');
  const request: PosterRequest = { ...flags, out: flags.out ?? 'poster.svg' };
  const outputs = await makePoster(request, progressToStderr);
  const { createdFolders } = await writeOutputs(outputs);
  process.stderr.write(`wrote ${outputs.map((o) => `${o.target.path} (${o.describe})`).join(', ')}${createdNote(createdFolders)}\n`);
});
