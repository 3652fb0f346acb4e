/** vectorview-talk: a prompt (or a saved trace) in, a reveal.js talk out, and optionally its PDF. */
import { helpText, OUTPUT_RULE, parseFlags, progressToStderr, runCommand, TRACE_INPUT_FLAGS, TRACE_INPUT_HELP, type FlagHelp } from '@vectorview/engine/node';
import { createdNote } from '@vectorview/trace/node';
import { DEFAULT_THEME } from './assets.js';
import { TALK_LENGTHS } from './slides.js';
import { makeTalk, type TalkRequest } from './talk.js';

const USAGE = `usage: vectorview-talk [--prompt TEXT | --tokens IDS] [--model gpt2|DIR|FILE|random:NAME] [--trace saved.safetensors]
       [--temperature T] [--top-k K] [--top-p P] [--seed S] [--greedy] [--mode vectorwise|batched] [--offline] [--head H] [--layer L]
       [--length short|full] [--out talk/] [--single-file] [--theme NAME] [--pdf talk.pdf [--notes-in-pdf]]`;

const FLAGS = {
  ...TRACE_INPUT_FLAGS,
  out: { type: 'string' },
  pdf: { type: 'string' },
  'single-file': { type: 'boolean' },
  theme: { type: 'string' },
  'notes-in-pdf': { type: 'boolean' },
  length: { type: 'string' },
} as const;

const HELP = {
  ...TRACE_INPUT_HELP,
  out: { value: 'FOLDER|FILE.html', meaning: 'the deck folder (or one .html file with --single-file); an earlier deck there is replaced', default: 'talk' },
  pdf: { value: 'FILE.pdf', meaning: 'also print the slides to PDF (needs Chromium)' },
  'single-file': { meaning: 'write one self-contained HTML file' },
  theme: { value: 'NAME', meaning: 'a reveal.js theme', default: DEFAULT_THEME },
  'notes-in-pdf': { meaning: 'add the speaker notes to the PDF, one page after each slide' },
  length: { value: 'short|full', meaning: `the talk's length: short (${TALK_LENGTHS.short.minutes} min) or full (${TALK_LENGTHS.full.minutes} min); docs/talk.md lists the slides of each`, default: 'full' },
} as const satisfies Record<keyof typeof FLAGS, FlagHelp>;

await runCommand('vectorview-talk', async (argv) => {
  const flags = parseFlags(argv, FLAGS);
  if (flags.help) {
    process.stdout.write(`${helpText(USAGE, HELP)}\n${OUTPUT_RULE}\n`);
    return;
  }
  const request: TalkRequest = { ...flags };
  const result = await makeTalk(request, progressToStderr);
  process.stderr.write(`wrote ${result.written.map((o) => `${o.path} (${o.describe})`).join(', ')}${createdNote(result.createdFolders)}\n`);
});
