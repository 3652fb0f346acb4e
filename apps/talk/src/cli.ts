#!/usr/bin/env node
/** vectorview-talk: a prompt (or a saved trace) in, a reveal.js talk out, and optionally its PDF. */
import { TRACE_INPUT_FLAGS, parseFlags, progressToStderr, runCommand } from '@vectorview/engine/node';
import { makeTalk, type TalkRequest } from './talk.js';

const USAGE = `usage: vectorview-talk [--prompt TEXT | --tokens IDS] [--model DIR|FILE|random:NAME] [--trace saved.safetensors]
       [--temperature T] [--top-k K] [--top-p P] [--seed S] [--greedy] [--head H] [--layer L]
       [--out talk/] [--single-file] [--theme NAME] [--pdf talk.pdf [--notes-in-pdf]]`;

await runCommand('vectorview-talk', async (argv) => {
  const flags = parseFlags(argv, {
    ...TRACE_INPUT_FLAGS,
    out: { type: 'string' },
    pdf: { type: 'string' },
    'single-file': { type: 'boolean' },
    theme: { type: 'string' },
    head: { type: 'string' },
    layer: { type: 'string' },
    'notes-in-pdf': { type: 'boolean' },
  });
  if (flags.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const request: TalkRequest = { ...flags };
  const result = await makeTalk(request, progressToStderr);
  process.stderr.write(`wrote ${result.written.map((o) => `${o.path} (${o.describe})`).join(', ')}\n`);
});
