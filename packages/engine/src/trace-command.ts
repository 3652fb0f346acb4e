/** vectorview-trace: one traced forward pass written as a safetensors file of TransformerLens-named tensors. */
import { checkOutputs, createdNote, TraceStream, writeOutputs } from '@vectorview/trace/node';
import { FORWARD_FLAGS, FORWARD_HELP, helpText, inputsFromFlags, parseFlags, progressToStderr, runCommand, traceFromFlags, UsageError, type FlagHelp } from './node.js';

const FLAGS = { ...FORWARD_FLAGS, out: { type: 'string' }, json: { type: 'boolean' }, 'last-only': { type: 'boolean' } } as const;
const HELP = {
  ...FORWARD_HELP,
  model: { ...FORWARD_HELP.model, default: 'the bundled model, when @vectorview/default-model is installed' },
  prompt: { value: 'TEXT', meaning: 'the text to run forward; this or --tokens is required' },
  out: { value: 'FILE.safetensors', meaning: 'where the trace is written (missing folders are created); required' },
  json: { meaning: 'also print a JSON summary (tokens, candidates, the chosen token, timings) on stdout' },
  'last-only': { meaning: 'unembed only the last position instead of every position' },
} as const satisfies Record<keyof typeof FLAGS, FlagHelp>;

const USAGE = `usage: vectorview-trace [--model gpt2|DIR|FILE|random:NAME] (--prompt TEXT | --tokens 464,3139,286)
       [--temperature T] [--top-k K] [--top-p P] [--seed S] [--greedy] [--mode vectorwise|batched]
       [--last-only] [--offline] --out FILE.safetensors [--json]`;

/** The bundled model, when @vectorview/default-model is installed beside the engine (not a dependency: it is trained with the engine). */
async function bundledModel(): Promise<{ defaultModelDir: string; defaultModelInfo: { name: string } } | undefined> {
  const name = '@vectorview/default-model';
  try {
    return (await import(name)) as { defaultModelDir: string; defaultModelInfo: { name: string } };
  } catch {
    return undefined;
  }
}

await runCommand('vectorview-trace', async (argv) => {
  const flags = parseFlags(argv, FLAGS);
  if (flags.help) {
    process.stdout.write(helpText(USAGE, HELP));
    return;
  }
  const bundled = flags.model === undefined ? await bundledModel() : undefined;
  const model = flags.model ?? bundled?.defaultModelDir;
  if (!model) throw new UsageError('missing --model (a checkpoint directory, a .safetensors file, random:NAME, or a hub id such as gpt2)');
  if (!flags.out) throw new UsageError('missing --out FILE.safetensors');
  if (flags.tokens === undefined && flags.prompt === undefined) throw new UsageError('missing --prompt TEXT or --tokens IDS');
  const out = { flag: '--out', path: flags.out };
  checkOutputs([out], inputsFromFlags(flags, model));
  // The trace is written while the pass runs, each tensor as it is recorded. Its header holds every
  // token's text, bytes and merges (~250 bytes a token), so its room grows with the prompt.
  const stream = new TraceStream(64 * 1024 + 512 * (flags.tokens !== undefined ? flags.tokens.split(',').length : Buffer.byteLength(flags.prompt ?? '')));
  const writing = writeOutputs([{ target: out, data: stream.writer }]);
  // A failure to write is reported below, after the pass, not as an unhandled rejection meanwhile.
  writing.catch(() => undefined);
  let trace;
  try {
    trace = await traceFromFlags(flags, { model, ...(bundled ? { modelName: bundled.defaultModelInfo.name } : {}), prompt: '', unembed: flags['last-only'] ? 'last' : 'all' }, progressToStderr, { onTensor: (name, tensor) => stream.add(name, tensor) });
  } catch (error) {
    // The pass's own error is the one to report; the staged file is removed first.
    stream.abort(error instanceof Error ? error : new Error(String(error)));
    await writing.catch(() => undefined);
    throw error;
  }
  stream.finishTrace(trace);
  const { createdFolders } = await writing;
  const chosen = trace.decode!.chosen;
  process.stderr.write(`wrote ${flags.out} (${trace.tensors.size} tensors, ${trace.tokens.length} token${trace.tokens.length === 1 ? '' : 's'}); next token ${JSON.stringify(chosen.text)} (${chosen.id}) p=${chosen.prob.toFixed(4)}${createdNote(createdFolders)}\n`);
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
