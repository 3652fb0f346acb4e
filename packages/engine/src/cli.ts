#!/usr/bin/env node
/** vectorview-trace: one traced forward pass written as a safetensors file of TransformerLens-named tensors. */
import { writeTraceFile } from '@vectorview/trace/node';
import { FORWARD_FLAGS, parseFlags, progressToStderr, runCommand, traceFromFlags, UsageError } from './node.js';

const USAGE = `usage: vectorview-trace --model DIR|FILE|random:NAME|gpt2 (--prompt TEXT | --tokens 464,3139,286)
       [--temperature T] [--top-k K] [--top-p P] [--seed S] [--greedy] [--mode vectorwise|batched]
       [--last-only] [--offline] --out FILE.safetensors [--json]`;

await runCommand('vectorview-trace', async (argv) => {
  const flags = parseFlags(argv, { ...FORWARD_FLAGS, out: { type: 'string' }, json: { type: 'boolean' }, 'last-only': { type: 'boolean' } });
  if (flags.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  if (!flags.model) throw new UsageError('missing --model (a checkpoint directory, a .safetensors file, random:NAME, or a hub id such as gpt2)');
  if (!flags.out) throw new UsageError('missing --out FILE.safetensors');
  if (flags.tokens === undefined && flags.prompt === undefined) throw new UsageError('missing --prompt TEXT or --tokens IDS');
  const trace = await traceFromFlags(flags, { model: flags.model, prompt: '', unembed: flags['last-only'] ? 'last' : 'all' }, progressToStderr);
  await writeTraceFile(flags.out, trace);
  const chosen = trace.decode!.chosen;
  process.stderr.write(`wrote ${flags.out} (${trace.tensors.size} tensors, ${trace.tokens.length} tokens); next token ${JSON.stringify(chosen.text)} (${chosen.id}) p=${chosen.prob.toFixed(4)}\n`);
  if (flags.json) {
    const summary = {
      model: trace.config.name,
      tokens: trace.tokens.map((t) => ({ id: t.id, display: t.display, text: t.text })),
      candidates: trace.decode!.candidates.slice(0, 10),
      chosen,
      settings: trace.decode!.settings,
      timings: trace.engine.timings,
      out: flags.out,
    };
    process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
  }
});
