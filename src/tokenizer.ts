// Closed word-level tokenizer for the mini task language (benchmarks/mini/).
//
// The vocabulary is a list of surface strings, most words with a leading space (GPT-style), so a text
// is the plain concatenation of its tokens' strings and `decode(encode(s)) === s` for every string of
// the mini language. Encoding is greedy longest match from left to right. No token has whitespace
// after a non-space character, so greedy matching never crosses a word boundary; lenient mode uses
// that to map each unencodable word (with its leading whitespace) to one UNK. Special tokens are
// never produced from text.

export interface TokenizerJSON {
  kind: 'rlsd-word-tokenizer';
  version: 1;
  /** Surface strings; the first five are the special tokens in the order PAD, BOS, EOS, SEP, UNK. */
  vocab: string[];
}

const SPECIALS = ['<pad>', '<bos>', '<eos>', '<sep>', '<unk>'] as const;

const DIGITS = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'];
const LETTERS = ['A', 'B', 'C', 'D'];

/** Words that occur after a space somewhere in the mini language. */
const SPACED_WORDS = [
  // colours and shapes (plural = word + 's')
  'red', 'green', 'blue', 'yellow', 'circle', 'square', 'triangle',
  // questions
  'how', 'many', 'what', 'which', 'is', 'the', 'colour', 'has', 'bar', 'most', 'least', 'tallest', 'shortest',
  'area', 'perimeter', 'width', 'height', 'plus', 'minus', 'times',
  // response preambles and the combining step
  'in', 'image', 'i', 'see', 'so',
  // answer statements
  'The', 'answer', 'Answer',
  // reference template word (only references use it; see benchmarks/mini/language.ts)
  'hence',
];

/** Words that can open a text (question, response, reference), hence also without the space. */
const TEXT_STARTS = ['how', 'what', 'which', 'i', 'in', '[ref]'];

/** Punctuation and markers of the answer statements and the reference template. */
const SYMBOLS = [' ?', ':', ')', '}', '".', ' (', ' "', ' {', ' \\boxed{', ' [ref]', ' [/ref]', 's', ' '];

/**
 * The deep mini world's words (benchmarks/mini/deep/language.ts) that the first vocabulary lacks: its filler,
 * connectives, step sentences and questions. Appended after every other token, so the other ids stay.
 */
const DEEP_WORDS = [
  'looking', 'at', 'let', 'me', 'look', 'chart', 'picture', 'grid', 'we', 'need', 'question', 'asks', 'for', 'with',
  'first', 'then', 'next', 'now', 'and', 'that', 'this', 'gives', 'result', 'there', 'are', 'objects', 'rectangle',
  'wide', 'tall', 'cells', 'not', 'of',
];
/** Deep-world words that can open a response (hence also without the space), and its sentence punctuation. */
const DEEP_STARTS = ['looking', 'let', 'there', 'the'];
const DEEP_SYMBOLS = [' .', ' ,'];

function defaultVocab(): string[] {
  const vocab: string[] = [...SPECIALS];
  vocab.push(...DIGITS, ...DIGITS.map((d) => ' ' + d));
  vocab.push(...LETTERS, ...LETTERS.map((l) => ' ' + l));
  vocab.push(...SPACED_WORDS.map((w) => ' ' + w));
  vocab.push(...TEXT_STARTS);
  vocab.push(...SYMBOLS);
  return vocab;
}

function isSpace(ch: string): boolean {
  return ch === ' ' || ch === '\n' || ch === '\t' || ch === '\r';
}

export class Tokenizer {
  readonly vocab: string[];
  readonly pad = 0;
  readonly bos = 1;
  readonly eos = 2;
  readonly sep = 3;
  readonly unk = 4;
  /** For each first character, the candidate token ids sorted by decreasing length. */
  private readonly byFirstChar = new Map<string, number[]>();

  constructor(vocab: string[]) {
    for (let i = 0; i < SPECIALS.length; i++) {
      if (vocab[i] !== SPECIALS[i]) throw new Error(`Tokenizer: vocab[${i}] must be '${SPECIALS[i]}', got '${vocab[i]}'`);
    }
    const seen = new Set<string>();
    for (const [id, s] of vocab.entries()) {
      if (s.length === 0) throw new Error(`Tokenizer: empty token at id ${id}`);
      if (seen.has(s)) throw new Error(`Tokenizer: duplicate token '${s}'`);
      seen.add(s);
      if (id < SPECIALS.length) continue;
      // A space after a non-space character would let a token straddle two words (breaks lenient mode).
      if (/\S\s/.test(s)) throw new Error(`Tokenizer: token '${s}' has whitespace inside a word`);
      const list = this.byFirstChar.get(s[0]!) ?? [];
      list.push(id);
      this.byFirstChar.set(s[0]!, list);
    }
    for (const list of this.byFirstChar.values()) list.sort((a, b) => vocab[b]!.length - vocab[a]!.length);
    this.vocab = [...vocab];
  }

  /**
   * The mini language's vocabulary. `fusedOptionMarkers` adds ' (A)' … ' (D)' as single tokens (after all
   * others, so the other ids stay), making the option lookup a one-token induction: after the value in a
   * trace, copy the token that followed the same value among the options. `deep` adds the deep mini world's words.
   */
  static default(opts: { fusedOptionMarkers?: boolean; deep?: boolean } = {}): Tokenizer {
    return new Tokenizer([
      ...defaultVocab(),
      ...(opts.fusedOptionMarkers ? LETTERS.map((l) => ` (${l})`) : []),
      ...(opts.deep ? [...DEEP_WORDS.map((w) => ' ' + w), ...DEEP_STARTS, ...DEEP_SYMBOLS] : []),
    ]);
  }

  get vocabSize(): number {
    return this.vocab.length;
  }

  /** Whether the option markers ' (A)' … ' (D)' are single tokens (Tokenizer.default's `fusedOptionMarkers`). */
  get fusedOptionMarkers(): boolean {
    return LETTERS.every((l) => this.vocab.includes(` (${l})`));
  }

  /** Longest token matching `text` at `pos`, or -1. */
  private matchAt(text: string, pos: number): number {
    const candidates = this.byFirstChar.get(text[pos]!);
    if (!candidates) return -1;
    for (const id of candidates) {
      if (text.startsWith(this.vocab[id]!, pos)) return id;
    }
    return -1;
  }

  /** Greedy encoding of text[from, to); returns the ids, or the offset of the first failure. */
  private greedy(text: string, from: number, to: number, out: number[]): number {
    let pos = from;
    while (pos < to) {
      const id = this.matchAt(text, pos);
      if (id < 0 || pos + this.vocab[id]!.length > to) return pos;
      out.push(id);
      pos += this.vocab[id]!.length;
    }
    return -1;
  }

  /**
   * Text to token ids. Strict (default): throws naming the first unencodable fragment and its offset.
   * Lenient: every word that cannot be encoded (together with its leading whitespace) becomes one UNK.
   */
  encode(text: string, opts: { lenient?: boolean } = {}): number[] {
    const ids: number[] = [];
    if (!opts.lenient) {
      const fail = this.greedy(text, 0, text.length, ids);
      if (fail >= 0) {
        let end = fail + 1;
        while (end < text.length && !isSpace(text[end]!)) end++;
        throw new Error(`Tokenizer: cannot encode ${JSON.stringify(text.slice(fail, end))} at offset ${fail}`);
      }
      return ids;
    }
    // Lenient: chunk = leading whitespace run + following non-space run.
    let start = 0;
    while (start < text.length) {
      let mid = start;
      while (mid < text.length && isSpace(text[mid]!)) mid++;
      let end = mid;
      while (end < text.length && !isSpace(text[end]!)) end++;
      const chunk: number[] = [];
      if (this.greedy(text, start, end, chunk) >= 0) ids.push(this.unk);
      else ids.push(...chunk);
      start = end;
    }
    return ids;
  }

  /** Number of UNK tokens the lenient encoding of `text` contains. */
  countUnknown(text: string): number {
    let n = 0;
    for (const id of this.encode(text, { lenient: true })) if (id === this.unk) n++;
    return n;
  }

  /** Token ids to text: skips PAD and BOS, stops at EOS; SEP and UNK render as '<sep>' and '<unk>'. */
  decode(ids: ArrayLike<number>): string {
    let out = '';
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i]!;
      if (id === this.eos) break;
      if (id === this.pad || id === this.bos) continue;
      const s = this.vocab[id];
      if (s === undefined) throw new Error(`Tokenizer: id ${id} out of range (vocab size ${this.vocab.length})`);
      out += s;
    }
    return out;
  }

  /** The id of an exact surface string (e.g. ' answer'), or throws. */
  id(token: string): number {
    const i = this.vocab.indexOf(token);
    if (i < 0) throw new Error(`Tokenizer: no token ${JSON.stringify(token)}`);
    return i;
  }

  toJSON(): TokenizerJSON {
    return { kind: 'rlsd-word-tokenizer', version: 1, vocab: [...this.vocab] };
  }

  static fromJSON(json: unknown): Tokenizer {
    const j = json as Partial<TokenizerJSON> | null;
    if (!j || j.kind !== 'rlsd-word-tokenizer' || j.version !== 1 || !Array.isArray(j.vocab)) {
      throw new Error('Tokenizer.fromJSON: not a saved rlsd-word-tokenizer (version 1)');
    }
    return new Tokenizer(j.vocab.map(String));
  }
}
