/**
 * What every Vectorview command shares: flag parsing, model and decoding flags, and the rule that
 * bad input ends in one clear line on stderr and a non-zero exit, never a stack trace.
 */
import { statSync } from 'node:fs';
import path from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { DEFAULT_DECODE, type DecodeSettings } from '@vectorview/trace';
import type { InputSource } from '@vectorview/trace/node';

export class UsageError extends Error {
  override name = 'UsageError';
}

/** Runs a command's main function; any error becomes `name: message` on stderr and exit code 1. */
export async function runCommand(name: string, main: (argv: string[]) => Promise<void>): Promise<void> {
  try {
    await main(process.argv.slice(2));
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`${name}: ${message.split('\n')[0]}\n`);
    if (process.env['VECTORVIEW_DEBUG'] && error instanceof Error) process.stderr.write(`${error.stack}\n`);
    process.exitCode = 1;
  }
}

/**
 * Where a command's progress lines go: stderr when a person is watching (a terminal) or when
 * VECTORVIEW_VERBOSE=1; otherwise nowhere, so a scripted run that fails prints one line only.
 */
export function progressToStderr(line: string): void {
  if (process.stderr.isTTY === true || process.env['VECTORVIEW_VERBOSE'] === '1') process.stderr.write(`${line}\n`);
}

/** The flags that choose the model, the input and the decoding; shared by trace, poster and talk. */
export const FORWARD_FLAGS = {
  model: { type: 'string' },
  prompt: { type: 'string' },
  tokens: { type: 'string' },
  temperature: { type: 'string' },
  'top-k': { type: 'string' },
  'top-p': { type: 'string' },
  seed: { type: 'string' },
  greedy: { type: 'boolean' },
  mode: { type: 'string' },
  /** Use only cached models; never download. */
  offline: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies ParseArgsConfig['options'];

/**
 * FORWARD_FLAGS plus `--trace FILE` and the head drawn in full (`--layer`, `--head`, whose circuits
 * the pass computes): the inputs `traceFromFlags` accepts, for commands that draw a pass.
 */
export const TRACE_INPUT_FLAGS = { ...FORWARD_FLAGS, trace: { type: 'string' }, head: { type: 'string' }, layer: { type: 'string' } } as const satisfies ParseArgsConfig['options'];

/** What `--help` says of one flag. */
export interface FlagHelp {
  /** The value's placeholder, e.g. `T` in `--temperature T`; absent for a switch. */
  readonly value?: string;
  readonly meaning: string;
  /** What is used when the flag is absent. */
  readonly default?: string;
}

/** Help for FORWARD_FLAGS; `satisfies` keeps it in step with the flags themselves. */
export const FORWARD_HELP = {
  model: { value: 'gpt2|DIR|FILE|random:NAME', meaning: 'the model: a hub id (cached, else downloaded), a checkpoint folder, a .safetensors file, or a seeded random model', default: 'the bundled model' },
  prompt: { value: 'TEXT', meaning: 'the text to run forward', default: "the bundled model's sample sentence" },
  tokens: { value: 'IDS', meaning: 'token ids instead of --prompt, comma-separated: 464,3139,286' },
  temperature: { value: 'T', meaning: 'divide the logits by T before sampling; 0 means greedy', default: String(DEFAULT_DECODE.temperature) },
  'top-k': { value: 'K', meaning: 'keep only the K most likely tokens; 0 turns it off', default: String(DEFAULT_DECODE.top_k) },
  'top-p': { value: 'P', meaning: 'keep the smallest set of tokens whose probability reaches P', default: String(DEFAULT_DECODE.top_p) },
  seed: { value: 'S', meaning: "the sampler's seed", default: String(DEFAULT_DECODE.seed) },
  greedy: { meaning: 'take the most likely token instead of sampling' },
  mode: { value: 'vectorwise|batched', meaning: 'run one vector at a time, or whole matrices at once (same numbers, faster)', default: 'vectorwise' },
  offline: { meaning: 'use only models already in the hub cache; never download' },
  help: { meaning: 'show this help' },
} as const satisfies Record<keyof typeof FORWARD_FLAGS, FlagHelp>;

export const TRACE_INPUT_HELP = {
  ...FORWARD_HELP,
  trace: { value: 'FILE', meaning: 'draw a saved trace instead of running a model (no --model, --prompt or decoding flags)' },
  head: { value: 'H', meaning: 'the attention head drawn in full, whose QK and OV circuits are computed (alone: the best head with that index)', default: 'the head with the largest direct attribution to the decoded token' },
  layer: { value: 'L', meaning: 'the layer of the head drawn in full (alone: the best head in that layer)', default: 'as for --head' },
} as const satisfies Record<keyof typeof TRACE_INPUT_FLAGS, FlagHelp>;

/** `--help`'s text: the usage line, then every flag with its meaning and default. */
/** The last line of help for commands that write files: the rule writeOutputs enforces. */
export const OUTPUT_RULE = 'Missing output folders are created; no output may write over an input or another output.';

export function helpText(summary: string, help: Readonly<Record<string, FlagHelp>>): string {
  const rows = Object.entries(help).map(([name, h]) => [`--${name}${h.value ? ` ${h.value}` : ''}`, `${h.meaning}${h.default ? ` (default: ${h.default})` : ''}`] as const);
  const width = Math.min(34, Math.max(...rows.map(([flag]) => flag.length)));
  return `${summary}\n\n${rows.map(([flag, text]) => `  ${flag.padEnd(width)}  ${text}`).join('\n')}\n`;
}

/**
 * Parses flags strictly. A string flag always takes the next argument as its value, even one that
 * starts with "-" (`--top-k -3`, `--prompt -->`), so the value is then checked with a precise message
 * instead of Node's "argument is ambiguous".
 */
export function parseFlags<T extends NonNullable<ParseArgsConfig['options']>>(argv: string[], options: T) {
  const args: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const name = arg.startsWith('--') && !arg.includes('=') ? arg.slice(2) : undefined;
    if (name === undefined || options[name]?.type !== 'string') {
      args.push(arg);
      continue;
    }
    const value = argv[i + 1];
    // `--tokens --out x` forgot the value; `--prompt -->` did not.
    if (value === undefined || (value.startsWith('--') && options[value.slice(2).split('=')[0]!] !== undefined)) throw new UsageError(`${arg} needs a value`);
    args.push(`${arg}=${value}`);
    i++;
  }
  try {
    return parseArgs({ args, options, strict: true, allowPositionals: false }).values;
  } catch (error) {
    throw new UsageError((error as Error).message.replace(/\. To specify.*$/, ''));
  }
}

/** Decimal numbers only: "0x10", "1_000", "Infinity" and "" are refused, as a user rarely means them. */
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

function number(flag: string, raw: string | undefined, check: (n: number) => boolean, expected: string): number | undefined {
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!DECIMAL.test(raw.trim()) || !Number.isFinite(n) || !check(n)) throw new UsageError(`--${flag} must be ${expected}, got ${raw}`);
  return n;
}

/** A whole-number flag within [min, max], or undefined when the flag is absent. */
export function wholeNumberFlag(flag: string, raw: string | undefined, min: number, max: number): number | undefined {
  return number(flag, raw, (n) => Number.isInteger(n) && n >= min && n <= max, `a whole number from ${min} to ${max}`);
}

export interface ForwardFlagValues {
  model?: string | undefined;
  prompt?: string | undefined;
  tokens?: string | undefined;
  temperature?: string | undefined;
  'top-k'?: string | undefined;
  'top-p'?: string | undefined;
  seed?: string | undefined;
  greedy?: boolean | undefined;
  mode?: string | undefined;
  offline?: boolean | undefined;
}

/** Decoding settings from flags; temperature 0 or --greedy means greedy decoding. */
export function decodeFromFlags(values: ForwardFlagValues): Partial<DecodeSettings> {
  // Below 1e-6 the scaled logits overflow to infinity; 0 already means greedy.
  const temperature = number('temperature', values.temperature, (n) => n === 0 || (n >= 1e-6 && n <= 1e6), '0 (greedy) or a number from 0.000001 to 1000000');
  const topK = number('top-k', values['top-k'], (n) => Number.isSafeInteger(n) && n >= 0, 'a whole number ≥ 0 (0 turns it off)');
  const topP = number('top-p', values['top-p'], (n) => n > 0 && n <= 1, 'a number in (0, 1]');
  const seed = number('seed', values.seed, Number.isSafeInteger, 'a whole number');
  const greedy = values.greedy === true || temperature === 0;
  return {
    ...(temperature !== undefined && temperature > 0 ? { temperature } : {}),
    ...(topK !== undefined ? { top_k: topK } : {}),
    ...(topP !== undefined ? { top_p: topP } : {}),
    ...(seed !== undefined ? { seed } : {}),
    ...(greedy ? { strategy: 'greedy' as const } : {}),
  };
}

export function modeFromFlags(values: ForwardFlagValues): 'vectorwise' | 'batched' {
  const mode = values.mode ?? 'vectorwise';
  if (mode !== 'vectorwise' && mode !== 'batched') throw new UsageError(`--mode must be vectorwise or batched, got ${JSON.stringify(mode)}`);
  return mode;
}

/** Token ids from `--tokens 464,3139,286`. */
export function tokensFromFlags(values: ForwardFlagValues): number[] | undefined {
  if (values.tokens === undefined) return undefined;
  if (values.prompt !== undefined) throw new UsageError('give either --prompt or --tokens, not both');
  const parts = values.tokens.split(',').map((s) => s.trim());
  const bad = parts.find((s) => !/^\d{1,9}$/.test(s));
  if (bad !== undefined) throw new UsageError(`--tokens must be comma-separated integer ids (whole numbers ≥ 0 in decimal), got ${JSON.stringify(bad)} in ${JSON.stringify(values.tokens)}`);
  return parts.map(Number);
}

/**
 * The files a command reads, so that no output replaces them: `--trace`, and the model's files
 * when it is a local folder or .safetensors file (`defaultModel` when --model is absent).
 */
export function inputsFromFlags(values: ForwardFlagValues & { trace?: string | undefined }, defaultModel?: string): InputSource[] {
  if (values.trace !== undefined) return [{ flag: '--trace', path: values.trace }];
  const model = values.model ?? defaultModel;
  if (model === undefined) return [];
  const flag = values.model === undefined ? 'the default model' : '--model';
  let isFolder: boolean;
  try {
    isFolder = statSync(model).isDirectory();
  } catch {
    return []; // random:NAME or a hub id: nothing local to protect
  }
  const folder = isFolder ? model : path.dirname(model);
  return [
    { flag, path: isFolder ? path.join(model, 'model.safetensors') : model },
    { flag, path: path.join(folder, 'config.json') },
  ];
}
