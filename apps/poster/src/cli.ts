#!/usr/bin/env node
/** vectorview-poster: a prompt (or a saved trace) in, a poster out as SVG, and optionally PDF and PNG. */
import { TRACE_INPUT_FLAGS, parseFlags, progressToStderr, runCommand, UsageError } from '@vectorview/engine/node';
import { writeFileAtomic } from '@vectorview/trace/node';
import { makePoster, POSTER_SIZES, type PosterRequest } from './poster.js';

const USAGE = `usage: vectorview-poster [--prompt TEXT | --tokens IDS] [--model DIR|FILE|random:NAME] [--trace saved.safetensors]
       [--size ${POSTER_SIZES.join('|')}] [--landscape] [--head H] [--layer L] [--all-layers] [--components N]
       [--temperature T] [--top-k K] [--top-p P] [--seed S] [--greedy]
       [--out poster.svg] [--pdf poster.pdf] [--png poster.png [--dpi N]] [--save-trace FILE]`;

await runCommand('vectorview-poster', async (argv) => {
  const flags = parseFlags(argv, {
    ...TRACE_INPUT_FLAGS,
    size: { type: 'string' },
    landscape: { type: 'boolean' },
    head: { type: 'string' },
    layer: { type: 'string' },
    'all-layers': { type: 'boolean' },
    components: { type: 'string' },
    out: { type: 'string' },
    pdf: { type: 'string' },
    png: { type: 'string' },
    dpi: { type: 'string' },
    'save-trace': { type: 'string' },
  });
  if (flags.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  if (flags.dpi !== undefined && flags.png === undefined) throw new UsageError('--dpi applies to --png; add --png FILE');
  const request: PosterRequest = { ...flags, out: flags.out ?? 'poster.svg' };
  const outputs = await makePoster(request, progressToStderr);
  for (const output of outputs) await writeFileAtomic(output.path, output.data);
  process.stderr.write(`wrote ${outputs.map((o) => `${o.path} (${o.describe})`).join(', ')}\n`);
});
