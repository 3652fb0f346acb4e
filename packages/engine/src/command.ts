/**
 * What every Vectorview command shares: flag parsing, model and decoding flags, and the rule that
 * bad input ends in one clear line on stderr and a non-zero exit, never a stack trace.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import type { DecodeSettings } from '@vectorview/trace';

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

/** FORWARD_FLAGS plus `--trace FILE`: the inputs `traceFromFlags` accepts, for commands that draw a pass. */
export const TRACE_INPUT_FLAGS = { ...FORWARD_FLAGS, trace: { type: 'string' } } as const satisfies ParseArgsConfig['options'];

export function parseFlags<T extends NonNullable<ParseArgsConfig['options']>>(argv: string[], options: T) {
  try {
    return parseArgs({ args: argv, options, strict: true, allowPositionals: false }).values;
  } catch (error) {
    throw new UsageError((error as Error).message.replace(/\. To specify.*$/, ''));
  }
}

function number(flag: string, raw: string | undefined, check: (n: number) => boolean, expected: string): number | undefined {
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(n) || !check(n)) throw new UsageError(`--${flag} must be ${expected}, got ${JSON.stringify(raw)}`);
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
  const temperature = number('temperature', values.temperature, (n) => n >= 0, 'a number ≥ 0');
  const topK = number('top-k', values['top-k'], (n) => Number.isInteger(n) && n >= 0, 'a whole number ≥ 0');
  const topP = number('top-p', values['top-p'], (n) => n > 0 && n <= 1, 'a number in (0, 1]');
  const seed = number('seed', values.seed, Number.isSafeInteger, 'an integer');
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
  const ids = parts.map(Number);
  const bad = parts.find((s, i) => s === '' || !Number.isInteger(ids[i]));
  if (bad !== undefined) throw new UsageError(`--tokens must be comma-separated integer ids, got ${JSON.stringify(values.tokens)}`);
  return ids;
}
