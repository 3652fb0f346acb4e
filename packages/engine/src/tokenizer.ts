/**
 * GPT-2's byte-level BPE. The merge ranks and the pre-tokenising regex come from gpt-tokenizer's
 * offline copy of r50k_base; the merge loop is ours so that it can report the merges behind each
 * token and stop after the first K merges (a smaller vocabulary whose ids are still GPT-2's).
 */
import bpeRanks from 'gpt-tokenizer/bpeRanks/r50k_base';
import { R50K_TOKEN_SPLIT_REGEX } from 'gpt-tokenizer/encodingParams/constants';
import type { TokenInfo } from '@vectorview/trace';

export const END_OF_TEXT = '<|endoftext|>';
/** GPT-2's full vocabulary: 256 byte tokens, 50,000 merges and <|endoftext|>. */
export const GPT2_MERGES = 50_000;

export class TokenizerError extends Error {
  override name = 'TokenizerError';
}

export interface Tokenizer {
  /** 256 + merges + 1: the last id is <|endoftext|>. */
  readonly vocabSize: number;
  readonly merges: number;
  readonly endOfText: number;
  encode(text: string): number[];
  decode(ids: readonly number[]): string;
  bytesOf(id: number): Uint8Array;
  /** GPT-2's printable form of a token: bytes mapped to visible characters ("Ġ" for a space). */
  display(id: number): string;
  /** The token's text, or its display form when its bytes are only part of a UTF-8 character. */
  readable(id: number): string;
  info(id: number): TokenInfo;
}

/** GPT-2's byte→unicode table: printable Latin-1 bytes stand for themselves, the rest shift to 256+. */
function byteToUnicodeTable(): string[] {
  const table: string[] = new Array(256);
  const printable = (b: number) => (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
  let shifted = 0;
  for (let b = 0; b < 256; b++) table[b] = String.fromCharCode(printable(b) ? b : 256 + shifted++);
  return table;
}
const BYTE_TO_UNICODE = byteToUnicodeTable();

const latin1 = (bytes: Iterable<number>) => String.fromCharCode(...bytes);
const utf8 = new TextEncoder();

const entries = bpeRanks as (string | number[])[];
/** Printable ASCII: such an entry's bytes are its own characters (others take the general path). */
const PRINTABLE_ASCII = /^[ -~]*$/;
const entryBytes = (entry: string | number[]) => (typeof entry === 'string' ? utf8.encode(entry) : Uint8Array.from(entry));

/** Each token's bytes, made on first use: building all 50,257 arrays up front cost a command ~0.1 s. */
const tokenBytes: Uint8Array[] = [];
const bytesOfRank = (rank: number) => (tokenBytes[rank] ??= entryBytes(entries[rank]!));

let rankTable: Map<string, number> | undefined;
/** Rank of each token keyed by its bytes as a Latin-1 string; a printable ASCII entry is its own key. */
function ranks(): Map<string, number> {
  rankTable ??= new Map(entries.map((entry, rank) => [typeof entry === 'string' && PRINTABLE_ASCII.test(entry) ? entry : latin1(entryBytes(entry)), rank]));
  return rankTable;
}

/**
 * Byte-pair merging of one pre-token: repeatedly join the adjacent pair whose joined bytes have the
 * lowest rank below `maxRank`. Returns the token ids and the merges made, in order.
 */
function mergeBytes(piece: Uint8Array, maxRank: number): { ids: number[]; merges: [string, string][] } {
  const rankOf = ranks();
  const parts = Array.from(piece, (b) => latin1([b]));
  const merges: [string, string][] = [];
  for (;;) {
    let best = -1;
    let bestRank = maxRank;
    for (let i = 0; i < parts.length - 1; i++) {
      const rank = rankOf.get(parts[i]! + parts[i + 1]!);
      if (rank !== undefined && rank < bestRank) {
        bestRank = rank;
        best = i;
      }
    }
    if (best < 0) break;
    merges.push([parts[best]!, parts[best + 1]!]);
    parts.splice(best, 2, parts[best]! + parts[best + 1]!);
  }
  return { ids: parts.map((p) => rankOf.get(p)!), merges };
}

const showBytes = (latin: string) => Array.from(latin, (c) => BYTE_TO_UNICODE[c.charCodeAt(0)]!).join('');

/**
 * GPT-2's tokenizer. With `merges` below 50,000 only the first merges are used: ids 0..255+merges
 * are exactly GPT-2's, and <|endoftext|> takes the next id (256 + merges).
 */
export function gpt2Tokenizer(options: { merges?: number } = {}): Tokenizer {
  const merges = options.merges ?? GPT2_MERGES;
  if (!Number.isSafeInteger(merges) || merges < 0 || merges > GPT2_MERGES) throw new TokenizerError(`merges must be 0..${GPT2_MERGES}, got ${merges}`);
  const endOfText = 256 + merges;
  const vocabSize = endOfText + 1;
  const maxRank = 256 + merges;
  const cache = new Map<string, number[]>();

  const bytesOf = (id: number): Uint8Array => {
    if (!Number.isInteger(id) || id < 0 || id >= vocabSize) throw new TokenizerError(`token id ${id} is outside the vocabulary (0..${vocabSize - 1})`);
    return id === endOfText ? utf8.encode(END_OF_TEXT) : bytesOfRank(id);
  };

  const encodeText = (text: string, out: number[]) => {
    for (const match of text.matchAll(new RegExp(R50K_TOKEN_SPLIT_REGEX))) {
      const piece = match[0];
      let ids = cache.get(piece);
      if (!ids) {
        ids = mergeBytes(utf8.encode(piece), maxRank).ids;
        if (cache.size < 100_000) cache.set(piece, ids);
      }
      out.push(...ids);
    }
  };

  return {
    vocabSize,
    merges,
    endOfText,
    encode(text) {
      const out: number[] = [];
      // <|endoftext|> in the text is the special token, as GPT-2 uses it between documents.
      text.split(END_OF_TEXT).forEach((segment, i) => {
        if (i > 0) out.push(endOfText);
        encodeText(segment, out);
      });
      return out;
    },
    decode(ids) {
      const chunks = ids.map(bytesOf);
      const all = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
      let at = 0;
      for (const c of chunks) {
        all.set(c, at);
        at += c.length;
      }
      return new TextDecoder().decode(all);
    },
    bytesOf,
    display(id) {
      return id === endOfText ? END_OF_TEXT : showBytes(latin1(bytesOf(id)));
    },
    readable(id) {
      const text = new TextDecoder().decode(bytesOf(id));
      return text.includes('\uFFFD') ? this.display(id) : text;
    },
    info(id) {
      const bytes = bytesOf(id);
      if (id === endOfText) return { id, display: END_OF_TEXT, text: END_OF_TEXT, bytes: 0, merges: [] };
      const { merges: steps } = mergeBytes(bytes, maxRank);
      return {
        id,
        display: showBytes(latin1(bytes)),
        text: new TextDecoder().decode(bytes),
        bytes: bytes.length,
        merges: steps.map(([a, b]) => [showBytes(a), showBytes(b)] as const),
      };
    },
  };
}

/** The tokenizer that fits a model's vocabulary: GPT-2's, or its first n_vocab − 257 merges. */
export function tokenizerForVocabulary(nVocab: number): Tokenizer {
  const merges = nVocab - 257;
  if (merges < 0 || merges > GPT2_MERGES) {
    throw new TokenizerError(`a vocabulary of ${nVocab} does not fit GPT-2's tokenizer (257 to ${GPT2_MERGES + 257} tokens)`);
  }
  return gpt2Tokenizer({ merges });
}
