// The numeric core of MATH-V's `is_equal`: `round(eval(str(latex2sympy(s))), 2)` (evaluation/utils.py,
// with `from math import *` in scope). Hundreds of the authors' verdicts are decided here, and they
// depend on how latex2sympy2 (1.9, OrangeX4/latex2sympy, grammar PS.g4) READS a string, not on what the
// string means as LaTeX:
//   - the start rule has no EOF: reading stops silently at the first token that cannot continue the
//     expression (`\frac{5}{2}}.the answer is` → 5/2, `2triangles` → 2 because `tr` is a token, `-2.b` → -2),
//     while an unknown character the parser looks at (`°`, `\circ`, `\boxed`) is a lexer error;
//   - `a:b` is division at the level of `*` and `/`, `1,234` is one number, `30\%` is 3/10, adjacent
//     factors multiply (`66\frac{2}{3}` → 44), powers are left-associative (`2^3^2` → 64), `2^34` reads
//     the exponent 34, `\frac` needs braces, a top-level comma makes a list (→ error);
//   - then Python evaluates sympy's printout: any free symbol is a NameError (`e` prints as `E`,
//     `\infty` as `oo`, `\ln x` as `log(x, E)`), `Abs`, `ceiling`, `Max`, `sec`, `csc`, `cot` are not
//     in `math`, `\tau` is the Symbol `tau` = math.tau, `x = 5` gives 5, `2 < 3` gives True (→ 1),
//     integers stay exact Python ints, `/` is true division, `math.sqrt` of a negative raises, a
//     negative base to a fractional power is complex (round() raises) — every exception means "not equal".
// This module ports the lexer and the parser (a recursive-descent mirror of PS.g4 with the same token
// rules) and the conversion rules of latex2sympy2.py; the numbers themselves come from
// @cortex-js/compute-engine, which parses and evaluates a canonical LaTeX rendering of what latex2sympy
// read. Integer-only parts (Python ints) are folded exactly with BigInt first, since compute-engine
// loses exactness on very large rationals (e.g. (2^1500-1)/2^1501), and a bare int/int quotient (a
// decimal literal, `\frac{a}{b}`, `a:b`) is the correctly rounded IEEE division CPython also returns;
// compute-engine is created once, lazily, and only reached for the rest. Results are cached per string.
// The rendering uses plain parentheses (compute-engine parses `\left(…\right)` three times slower).
// Departures (differential tests against the original; none occurs in the authors' published outputs):
// compute-engine's exact/decimal arithmetic instead of Python's step-by-step doubles (a value within an
// ulp of a 2-decimal rounding boundary can round the other way: `4-2.675` → 1.32, Python 1.33); sympy's
// printer dropping parentheses around some denominators (`\frac{1}{2^{-1}}` prints `1/1/2`, read here
// as 2); matrices, integrals, sums, limits, derivatives, \max/\min, non-literal binomial k, gcd of
// non-integers and \operatorname names other than floor/ceil/inverse hyperbolics count as errors.
import { ComputeEngine } from '@cortex-js/compute-engine';
import { pyFloatRepr, pyRound2 } from './python.ts';

/** A value as Python's eval gives it: an exact int (bool counts as int) or a float. */
export type PyNum = { kind: 'int'; v: bigint } | { kind: 'float'; v: number };

/** Raised where latex2sympy or Python's eval would raise; callers treat it like the original's `except`. */
class Fail extends Error {}
function fail(why: string): never {
  throw new Fail(why);
}

// ---------------------------------------------------------------- lexer (PS.g4 token rules)

const ACCENTS = [
  'acute', 'bar', 'overline', 'breve', 'check', 'widecheck', 'dot', 'ddot', 'grave', 'hat', 'tilde', 'widetilde', 'vec',
  'overrightarrow', 'bm', 'boldsymbol', 'text', 'textit', 'mathbb', 'mathbin', 'mathbf', 'mathcal', 'mathclap',
  'mathclose', 'mathellipsis', 'mathfrak', 'mathinner', 'mathnormal', 'mathop', 'mathopen', 'mathord', 'mathpunct',
  'mathrel', 'mathring', 'mathrlap', 'mathrm', 'mathscr', 'mathsf', 'mathsterling', 'mathtt',
].map((a) => `\\${a}`);

const GREEK = [
  '\\char"000391', '\\alpha', '\\char"000392', '\\beta', '\\Gamma', '\\gamma', '\\Delta', '\\delta', '\\char"000190',
  '\\epsilon', '\\varepsilon', '\\char"000396', '\\zeta', '\\char"000397', '\\eta', '\\Theta', '\\theta', '\\vartheta',
  '\\char"000399', '\\iota', '\\char"00039A', '\\kappa', '\\Lambda', '\\lambda', '\\char"00039C', '\\mu', '\\char"00039D',
  '\\nu', '\\Xi', '\\xi', '\\char"00039F', '\\omicron', '\\Pi', '\\varpi', '\\char"0003A1', '\\rho', '\\varrho', '\\Sigma',
  '\\sigma', '\\varsigma', '\\char"0003A4', '\\tau', '\\Upsilon', '\\upsilon', '\\Phi', '\\phi', '\\varphi',
  '\\char"0003A7', '\\chi', '\\Psi', '\\psi', '\\Omega', '\\omega',
];

const OTHER_SYMBOLS = [
  'Bbbk', 'wp', 'nabla', 'bigstar', 'angle', 'nexists', 'diagdown', 'measuredangle', 'eth', 'emptyset', 'diagup',
  'sphericalangle', 'clubsuit', 'varnothing', 'Diamond', 'complement', 'diamondsuit', 'imath', 'Finv', 'triangledown',
  'heartsuit', 'jmath', 'Game', 'triangle', 'spadesuit', 'ell', 'hbar', 'vartriangle', 'hslash', 'blacklozenge',
  'lozenge', 'blacksquare', 'mho', 'blacktriangle', 'sharp', 'prime', 'Im', 'flat', 'square', 'backprime', 'Re',
  'natural', 'surd', 'circledS',
].map((s) => `\\${s}`);

/** Bare function names of PS.g4 (`tr`, `eig`, `floor`, …): valid tokens that no expression can contain,
 *  so reading stops at them (`2triangles` → 2). */
const NAME_TOKENS = [
  'arsinh', 'arcsinh', 'arcosh', 'arccosh', 'artanh', 'arctanh', 'gcd', 'lcm', 'floor', 'ceil', 'eye', 'zeros', 'ones',
  'cols', 'rows', 'diag', 'norm', 'rank', 'trace', 'tr', 'rref', 'hstack', 'vstack', 'orth', 'ortho', 'orthogonal',
  'orthogonalize', 'nullspace', 'eig', 'eigen', 'diagonalize', 'eigenvals', 'eigenvalues', 'eigenvects', 'eigenvectors',
  'svd', 'SVD', 'matrix', 'pmatrix', 'bmatrix', 'vmatrix',
];

/** Single-argument functions (FUNC_* tokens) → their name in latex2sympy2's convert_func. */
const SINGLE_ARG_FUNCS = [
  'log', 'ln', 'exp', 'sin', 'cos', 'tan', 'csc', 'sec', 'cot', 'arcsin', 'arccos', 'arctan', 'arccsc', 'arcsec', 'arccot',
  'sinh', 'cosh', 'tanh', 'arsinh', 'arcosh', 'artanh', 'arcsinh', 'arccosh', 'arctanh', 'floor', 'ceil', 'det',
];

// [literal, token type] in PS.g4 rule order (the order breaks ties between equally long matches).
const LITERAL_RULES: Array<[string, string]> = [
  ...ACCENTS.map((a): [string, string] => [a, 'ACCENT']),
  ['^T', 'TRANSPOSE'], ['^{T}', 'TRANSPOSE'], ['^{\\top}', 'TRANSPOSE'], ["'", 'TRANSPOSE'],
  ['\\$', 'DOLLAR_SIGN'],
  ['+', 'ADD'], ['-', 'SUB'], ['*', 'MUL'], ['/', 'DIV'], ['\\over', 'DIV'],
  ['(', 'L_PAREN'], [')', 'R_PAREN'], ['\\lgroup', 'L_GROUP'], ['\\rgroup', 'R_GROUP'], ['{', 'L_BRACE'], ['}', 'R_BRACE'],
  ['\\{', 'L_BRACE_VISUAL'], ['\\}', 'R_BRACE_VISUAL'], ['\\lbrace', 'L_BRACE_CMD'], ['\\rbrace', 'R_BRACE_CMD'],
  ['[', 'L_BRACKET'], [']', 'R_BRACKET'], ['\\lbrack', 'L_BRACK'], ['\\rbrack', 'R_BRACK'],
  ['|', 'BAR'], ['\\lvert', 'L_VERT'], ['\\rvert', 'R_VERT'], ['\\vert', 'VERT'], ['\\|', 'NORM'],
  ['\\lfloor', 'L_FLOOR'], ['\\rfloor', 'R_FLOOR'], ['\\llcorner', 'LL_CORNER'], ['\\lrcorner', 'LR_CORNER'],
  ['\\lceil', 'L_CEIL'], ['\\rceil', 'R_CEIL'], ['\\ulcorner', 'UL_CORNER'], ['\\urcorner', 'UR_CORNER'],
  ['\\left', 'L_LEFT'], ['\\right', 'R_RIGHT'], ['\\mleft', 'ML_LEFT'], ['\\mright', 'MR_RIGHT'],
  ['\\lim', 'FUNC_LIM'],
  ['\\to', 'LIM_APPROACH_SYM'], ['\\rightarrow', 'LIM_APPROACH_SYM'], ['\\Rightarrow', 'LIM_APPROACH_SYM'],
  ['\\longrightarrow', 'LIM_APPROACH_SYM'], ['\\Longrightarrow', 'LIM_APPROACH_SYM'],
  ['\\int', 'FUNC_INT'], ['\\sum', 'FUNC_SUM'], ['\\prod', 'FUNC_PROD'],
  ...SINGLE_ARG_FUNCS.filter((f) => !['floor', 'ceil', 'det'].includes(f)).map((f): [string, string] => [`\\${f}`, 'FUNC1']),
  ...NAME_TOKENS.slice(0, 10).map((n): [string, string] => [n, 'NAME']),
  ['\\sqrt', 'FUNC_SQRT'], ['\\gcd', 'FUNC_MULTI'], ['\\lcm', 'FUNC_MULTI'], ['\\floor', 'FUNC1'], ['\\ceil', 'FUNC1'],
  ['\\max', 'FUNC_MULTI'], ['\\min', 'FUNC_MULTI'], ['\\det', 'FUNC1'],
  ...NAME_TOKENS.slice(10).map((n): [string, string] => [n, 'NAME']),
  ['\\times', 'CMD_TIMES'], ['\\cdot', 'CMD_CDOT'], ['\\div', 'CMD_DIV'], ['\\frac', 'CMD_FRAC'],
  ['\\binom', 'CMD_BINOM'], ['\\tbinom', 'CMD_BINOM'], ['\\dbinom', 'CMD_BINOM'], ['\\choose', 'CMD_CHOOSE'],
  ['\\mod', 'CMD_MOD'], ['\\mathit', 'ACCENT'], ['\\operatorname', 'CMD_OPERATORNAME'],
  ['\\begin{matrix}', 'CMD_MATRIX_START'], ['\\begin{pmatrix}', 'CMD_MATRIX_START'], ['\\begin{bmatrix}', 'CMD_MATRIX_START'],
  ['\\end{matrix}', 'CMD_MATRIX_END'], ['\\end{pmatrix}', 'CMD_MATRIX_END'], ['\\end{bmatrix}', 'CMD_MATRIX_END'],
  ['\\begin{vmatrix}', 'CMD_DET_START'], ['\\end{vmatrix}', 'CMD_DET_END'],
  ['&', 'MATRIX_DEL_COL'], ['\\\\', 'MATRIX_DEL_ROW'],
  ['_', 'UNDERSCORE'], ['^', 'CARET'], [':', 'COLON'], [';', 'SEMICOLON'], [',', 'COMMA'], ['.', 'PERIOD'],
  ['e', 'EXP_E'], ['\\exponentialE', 'EXP_E'], ['E', 'E_NOTATION_E'],
  ['\\xrightarrow', 'MATRIX_XRIGHTARROW'], ['\\xRightarrow', 'MATRIX_XRIGHTARROW'],
  ['<->', 'TRANSFORM_EXCHANGE'], ['<=>', 'TRANSFORM_EXCHANGE'], ['\\leftrightarrow', 'TRANSFORM_EXCHANGE'],
  ['\\Leftrightarrow', 'TRANSFORM_EXCHANGE'],
  ['\\in', 'IN'], ['=', 'ASSIGNMENT'], ['==', 'EQUAL'], ['\\equiv', 'EQUAL'], ['<', 'LT'],
  ['\\leq', 'LTE'], ['\\le', 'LTE'], ['\\leqslant', 'LTE'], ['>', 'GT'], ['\\geq', 'GTE'], ['\\ge', 'GTE'],
  ['\\geqslant', 'GTE'], ['!=', 'UNEQUAL'], ['!==', 'UNEQUAL'], ['\\ne', 'UNEQUAL'], ['\\neq', 'UNEQUAL'],
  ['\\not\\equiv', 'UNEQUAL'], ['!', 'BANG'],
  ...GREEK.flatMap((g): Array<[string, string]> => [[g, 'GREEK_CMD'], [`${g} `, 'GREEK_CMD']]),
  ...OTHER_SYMBOLS.flatMap((o): Array<[string, string]> => [[o, 'OTHER_SYMBOL_CMD'], [`${o} `, 'OTHER_SYMBOL_CMD']]),
  ['\\pi', 'SYMBOL'], ['\\partial', 'SYMBOL'], ['\\infty', 'SYMBOL'], ['\\$\\infty', 'SYMBOL'], ['\\infty\\%', 'SYMBOL'],
  ['\\emptyset', 'SYMBOL'],
];

// Pattern rules sit between literals in the grammar; their priorities are the index of the first
// literal rule that follows them there.
const PRIORITY_BEFORE = (type: string) => LITERAL_RULES.findIndex(([, t]) => t === type) - 0.5;
const PRIO_DIFFERENTIAL = PRIORITY_BEFORE('EXP_E');
const PRIO_LETTER = PRIORITY_BEFORE('MATRIX_XRIGHTARROW');
const PRIO_NUMBER = PRIORITY_BEFORE('IN') - 0.2;
const PRIO_E_NOTATION = PRIORITY_BEFORE('IN') - 0.1;
const PRIO_PERCENT = PRIORITY_BEFORE('GREEK_CMD');
const PRIO_VARIABLE = LITERAL_RULES.length;

interface Literal {
  text: string;
  type: string;
  prio: number;
}
const LITERALS_BY_CHAR = new Map<string, Literal[]>();
LITERAL_RULES.forEach(([text, type], prio) => {
  const list = LITERALS_BY_CHAR.get(text[0]!) ?? [];
  list.push({ text, type, prio });
  LITERALS_BY_CHAR.set(text[0]!, list);
});

interface Token {
  type: string;
  text: string;
}
const EOF: Token = { type: 'EOF', text: '' };

const WS = /[ \t\r\n]+/y;
const NUMBER_A = /[0-9]+(?:,[0-9]{3})*/y;
const NUMBER_B = /[0-9]*(?:,[0-9]{3})*\.[0-9]+/y;
const DIFFERENTIAL = /d[ \t\r\n]*(?:\\[a-zA-Z]+|[a-zA-Z])/y;
const VARIABLE = /\\variable\{[^}]*\}(?:\\%)?/y;
const LETTER_NO_E = /[a-df-zA-DF-Z]/y;
const E_EXPONENT = /E[+-]?[0-9]+/y;

function stickyMatch(re: RegExp, s: string, pos: number): string | null {
  re.lastIndex = pos;
  const m = re.exec(s);
  return m ? m[0] : null;
}

/** Lazy lexer with ANTLR's choice: the longest match, ties to the rule listed first. */
class Lexer {
  private pos = 0;
  private readonly tokens: Token[] = [];
  constructor(private readonly src: string) {}

  /** The k-th token from the start (lexing on demand, like CommonTokenStream). */
  at(k: number): Token {
    while (this.tokens.length <= k) {
      const t = this.next();
      this.tokens.push(t);
      if (t === EOF) break;
    }
    return this.tokens[Math.min(k, this.tokens.length - 1)]!;
  }

  private next(): Token {
    const s = this.src;
    for (;;) {
      if (this.pos >= s.length) return EOF;
      const ws = stickyMatch(WS, s, this.pos);
      if (ws) {
        this.pos += ws.length;
        continue;
      }
      let best: Token | null = null;
      let bestLen = 0;
      let bestPrio = Infinity;
      const offer = (type: string, text: string | null, prio: number) => {
        if (!text) return;
        if (text.length > bestLen || (text.length === bestLen && prio < bestPrio)) {
          best = { type, text };
          bestLen = text.length;
          bestPrio = prio;
        }
      };
      for (const lit of LITERALS_BY_CHAR.get(s[this.pos]!) ?? []) {
        if (s.startsWith(lit.text, this.pos)) offer(lit.type, lit.text, lit.prio);
      }
      const c = s[this.pos]!;
      if (c === 'd') offer('DIFFERENTIAL', stickyMatch(DIFFERENTIAL, s, this.pos), PRIO_DIFFERENTIAL);
      if (c === '\\') offer('VARIABLE', stickyMatch(VARIABLE, s, this.pos), PRIO_VARIABLE);
      offer('LETTER_NO_E', stickyMatch(LETTER_NO_E, s, this.pos), PRIO_LETTER);
      if ((c >= '0' && c <= '9') || c === ',' || c === '.') {
        const a = stickyMatch(NUMBER_A, s, this.pos) ?? '';
        const b = stickyMatch(NUMBER_B, s, this.pos) ?? '';
        const num = a.length >= b.length ? a : b;
        if (num) {
          offer('NUMBER', num, PRIO_NUMBER);
          const after = this.pos + num.length;
          const exponent = stickyMatch(E_EXPONENT, s, after);
          offer('E_NOTATION', exponent ? num + exponent : null, PRIO_E_NOTATION);
          if (s.startsWith('\\%', after)) offer('PERCENT_NUMBER', `${num}\\%`, PRIO_PERCENT);
        }
      }
      if (!best) fail(`lexer: no token at ${JSON.stringify(s.slice(this.pos, this.pos + 8))}`);
      this.pos += bestLen;
      const tok = best as Token;
      if (tok.type === 'DOLLAR_SIGN') continue; // -> skip
      return tok;
    }
  }
}

// ---------------------------------------------------------------- parser (PS.g4) → expression tree

type FnName = 'sin' | 'cos' | 'tan' | 'asin' | 'acos' | 'atan' | 'sinh' | 'cosh' | 'tanh' | 'asinh' | 'acosh' | 'atanh';

type Node =
  | { k: 'num'; p: bigint; q: bigint }
  | { k: 'sym'; name: string }
  | { k: 'pi' }
  | { k: 'bin'; op: '+' | '-' | '*' | '/'; a: Node; b: Node }
  | { k: 'neg'; a: Node }
  | { k: 'pow'; a: Node; b: Node }
  | { k: 'fact'; a: Node }
  | { k: 'sqrt'; a: Node }
  | { k: 'root'; a: Node; r: Node }
  | { k: 'fn'; name: FnName; a: Node }
  /** base null: the natural log of `\\ln`, printed `log(x, E)` (E is a NameError). */
  | { k: 'log'; a: Node; base: Node | null }
  | { k: 'exp'; a: Node }
  | { k: 'floor'; a: Node }
  | { k: 'binom'; a: Node; b: Node }
  | { k: 'gcdlcm'; name: 'gcd' | 'lcm'; args: Node[] }
  | { k: 'cmp'; op: 'LT' | 'LTE' | 'GT' | 'GTE'; a: Node; b: Node }
  /** Converts without error but Python's eval raises (Abs, ceiling, Max, sec, oo, E, I, matrices, …). */
  | { k: 'bad'; why: string };

const bad = (why: string): Node => ({ k: 'bad', why });

/** sympy.Rational(decimal string) as an exact fraction. */
function rational(text: string): Node {
  const m = /^([0-9]*)(?:\.([0-9]+))?(?:E([+-]?[0-9]+))?$/.exec(text.replace(/,/g, ''));
  if (!m) fail(`number ${text}`);
  const frac = m[2] ?? '';
  let p = BigInt((m[1] || '0') + frac);
  let q = 10n ** BigInt(frac.length);
  const e = Number(m[3] ?? 0);
  if (Math.abs(e) > 400) fail('exponent too large');
  if (e > 0) p *= 10n ** BigInt(e);
  else if (e < 0) q *= 10n ** BigInt(-e);
  return reduce(p, q);
}

function gcdBig(a: bigint, b: bigint): bigint {
  a = a < 0n ? -a : a;
  b = b < 0n ? -b : b;
  while (b) [a, b] = [b, a % b];
  return a;
}

function reduce(p: bigint, q: bigint): Node {
  const g = gcdBig(p, q) || 1n;
  return { k: 'num', p: p / g, q: q / g };
}

const isNum = (n: Node, value: bigint): boolean => n.k === 'num' && n.q === 1n && n.p === value;

/** Only Integer literals, + - * and non-negative integer powers: sympy evaluates such a tree to an Integer. */
function integerArithmetic(n: Node): boolean {
  if (n.k === 'num') return n.q === 1n;
  if (n.k === 'neg') return integerArithmetic(n.a);
  if (n.k === 'bin') return n.op !== '/' && integerArithmetic(n.a) && integerArithmetic(n.b);
  if (n.k === 'pow') return integerArithmetic(n.a) && n.b.k === 'num' && n.b.q === 1n && n.b.p >= 0n;
  return false;
}

/** The factors of a product tree (implicit and explicit multiplication, as mul_flat flattens them). */
function factorsOf(n: Node): Node[] {
  return n.k === 'bin' && n.op === '*' ? [...factorsOf(n.a), ...factorsOf(n.b)] : [n];
}

/** A numeric factor sympy can compare (no symbols, no failing constructs). */
function comparable(n: Node): boolean {
  switch (n.k) {
    case 'num':
    case 'pi':
      return true;
    case 'sym':
      return n.name === 'tau';
    case 'bad':
    case 'cmp':
    case 'log':
      return false;
    case 'neg':
    case 'fact':
    case 'sqrt':
    case 'fn':
    case 'exp':
    case 'floor':
      return comparable(n.a);
    case 'bin':
    case 'pow':
      return comparable(n.a) && comparable(n.b);
    case 'root':
      return comparable(n.a) && comparable(n.r);
    default:
      return false;
  }
}

/** exp.eval's log rules: exp(log(x)) → x, exp(c1·c2·…·log(x)) → x**(c1·c2·…); null when they do not apply. */
function expOfLog(arg: Node): Node | null {
  const inner = arg.k === 'neg' ? [{ k: 'num', p: -1n, q: 1n } as Node, ...factorsOf(arg.a)] : factorsOf(arg);
  const logs = inner.filter((f) => f.k === 'log');
  if (logs.length !== 1) return null;
  const coefficients = inner.filter((f) => f.k !== 'log');
  if (!coefficients.every(comparable)) return null;
  const x = (logs[0] as { a: Node }).a;
  if (coefficients.length === 0) return x;
  let c: Node = coefficients[0]!;
  for (const f of coefficients.slice(1)) c = { k: 'bin', op: '*', a: c, b: f };
  return { k: 'pow', a: x, b: c };
}

/** Exactly sympy's One: the literal 1, or exp(<zero>) which sympy already turned into 1. */
function sympyOne(n: Node): boolean {
  if (isNum(n, 1n)) return true;
  if (n.k !== 'exp' || expOfLog(n.a)) return false;
  try {
    const a = fold(n.a);
    return 'int' in a ? a.int === 0n : ceValue(a.tex) === 0;
  } catch {
    return false;
  }
}

/** A node whose evaluation raises in Python (a Symbol other than `tau`, or a `bad` construct). */
const doomed = (n: Node): boolean => n.k === 'bad' || (n.k === 'sym' && n.name !== 'tau');

/** The comp/atom tokens that can start a `postfix` (implicit multiplication continues while they come). */
const POSTFIX_START = new Set([
  'L_PAREN', 'L_GROUP', 'L_BRACE', 'L_BRACE_VISUAL', 'L_BRACE_CMD', 'L_BRACKET', 'L_BRACK', 'L_LEFT', 'ML_LEFT', 'NORM',
  'BAR', 'L_VERT', 'VERT', 'L_FLOOR', 'LL_CORNER', 'L_CEIL', 'UL_CORNER', 'FUNC1', 'FUNC_MULTI', 'CMD_OPERATORNAME',
  'LETTER_NO_E', 'GREEK_CMD', 'OTHER_SYMBOL_CMD', 'ACCENT', 'FUNC_INT', 'FUNC_SQRT', 'FUNC_SUM', 'FUNC_PROD',
  'FUNC_LIM', 'EXP_E', 'SYMBOL', 'NUMBER', 'PERCENT_NUMBER', 'E_NOTATION', 'DIFFERENTIAL', 'VARIABLE', 'CMD_FRAC',
  'CMD_BINOM', 'CMD_MATRIX_START', 'CMD_DET_START',
]);
/** Tokens that start a `func` (excluded where PS.g4 uses the *_nofunc rules). */
const FUNC_START = new Set(['FUNC1', 'FUNC_MULTI', 'CMD_OPERATORNAME', 'FUNC_INT', 'FUNC_SQRT', 'FUNC_SUM', 'FUNC_PROD', 'FUNC_LIM', 'EXP_E']);
const MP_OPS = new Set(['MUL', 'CMD_TIMES', 'CMD_CDOT', 'DIV', 'CMD_DIV', 'COLON', 'CMD_MOD']);
const REL_OPS = new Set(['IN', 'ASSIGNMENT', 'EQUAL', 'LT', 'LTE', 'GT', 'GTE', 'UNEQUAL']);

/** Opening token → its closing token, for the `group` alternatives. */
const GROUP_CLOSE: Record<string, string> = {
  L_PAREN: 'R_PAREN', L_GROUP: 'R_GROUP', L_BRACE: 'R_BRACE', L_BRACE_VISUAL: 'R_BRACE_VISUAL', L_BRACE_CMD: 'R_BRACE_CMD',
  L_BRACKET: 'R_BRACKET', L_BRACK: 'R_BRACK',
};
/** Delimiters that make abs / norm / floor / ceil groups. */
const SPECIAL_CLOSE: Record<string, [string, 'abs' | 'norm' | 'floor' | 'ceil']> = {
  BAR: ['BAR', 'abs'], L_VERT: ['R_VERT', 'abs'], VERT: ['VERT', 'abs'], NORM: ['NORM', 'norm'],
  L_FLOOR: ['R_FLOOR', 'floor'], LL_CORNER: ['LR_CORNER', 'floor'], L_CEIL: ['R_CEIL', 'ceil'], UL_CORNER: ['UR_CORNER', 'ceil'],
};

class Parser {
  private k = 0;
  constructor(private readonly lex: Lexer) {}

  private peek(ahead = 0): Token {
    return this.lex.at(this.k + ahead);
  }
  private take(): Token {
    const t = this.peek();
    if (t !== EOF) this.k++;
    return t;
  }
  private expect(type: string): Token {
    const t = this.peek();
    if (t.type !== type) fail(`expected ${type}, got ${t.type} '${t.text}'`);
    return this.take();
  }
  private accept(type: string): boolean {
    if (this.peek().type !== type) return false;
    this.k++;
    return true;
  }

  /** math: relation | relation_list — a top-level comma or semicolon after a relation makes a list. */
  math(): Node {
    const rel = this.relation();
    const next = this.peek().type;
    if (next === 'COMMA' || next === 'SEMICOLON') fail('relation_list');
    return rel;
  }

  /** relation: relation op relation | expr (left-recursive), converted by convert_relation. */
  private relation(): Node {
    let left: Node = this.expr();
    while (REL_OPS.has(this.peek().type)) {
      const op = this.take().type;
      const right = this.expr();
      if (op === 'ASSIGNMENT') {
        if (left.k !== 'sym') fail('equation'); // Eq(...) or a solve() list: NameError/TypeError in eval
        left = right; // `x = 5` → 5 (a Symbol on the left is assigned)
      } else if (op === 'LT' || op === 'LTE' || op === 'GT' || op === 'GTE') {
        if (left.k === 'cmp') fail('chained comparison');
        left = { k: 'cmp', op, a: left, b: right };
      } else fail(op); // Eq / Ne / \in
    }
    return left;
  }

  expr(): Node {
    let left = this.mp(false);
    for (;;) {
      const t = this.peek().type;
      if (t !== 'ADD' && t !== 'SUB') return left;
      this.take();
      const right = this.mp(false);
      left = { k: 'bin', op: t === 'ADD' ? '+' : '-', a: left, b: right };
    }
  }

  private mp(nofunc: boolean): Node {
    let left = this.unary(nofunc);
    while (MP_OPS.has(this.peek().type)) {
      const op = this.take().type;
      const right = this.unary(nofunc);
      if (op === 'CMD_MOD') left = bad('Mod');
      else if (op === 'DIV' || op === 'CMD_DIV' || op === 'COLON') left = { k: 'bin', op: '/', a: left, b: right };
      else left = { k: 'bin', op: '*', a: left, b: right };
    }
    return left;
  }

  /** unary: (+|-) unary | postfix+ ; unary_nofunc: (+|-) unary_nofunc | postfix postfix_nofunc* */
  private unary(nofunc: boolean): Node {
    const t = this.peek().type;
    if (t === 'ADD' || t === 'SUB') {
      this.take();
      const inner = this.unary(nofunc);
      if (t === 'ADD') return inner;
      return inner.k === 'num' ? { k: 'num', p: -inner.p, q: inner.q } : { k: 'neg', a: inner };
    }
    let product = this.postfix(false);
    for (;;) {
      const next = this.peek().type;
      if (!POSTFIX_START.has(next) || (nofunc && FUNC_START.has(next))) return product;
      // a factor that cannot evaluate dooms the product whatever follows (only a bare Symbol survives,
      // as the left side of `=`): stop here instead of reading a whole sentence as a product of letters
      if (doomed(product)) fail('symbol in a product');
      product = { k: 'bin', op: '*', a: product, b: this.postfix(nofunc) };
    }
  }

  private postfix(nofunc: boolean): Node {
    let e = this.exp(nofunc);
    for (;;) {
      const t = this.peek().type;
      if (t === 'BANG') {
        this.take();
        e = { k: 'fact', a: e };
      } else if (t === 'TRANSPOSE') {
        this.take(); // exp.T fails on a number, sympy.transpose(n) returns n
      } else if (t === 'BAR' && (this.peek(1).type === 'CARET' || this.peek(1).type === 'UNDERSCORE')) {
        fail('eval_at');
      } else return e;
    }
  }

  /** exp: exp ^ (atom | {expr}) subexpr? | comp — left-associative. */
  private exp(nofunc: boolean): Node {
    let base = this.comp(nofunc);
    while (this.peek().type === 'CARET') {
      this.take();
      const exponent = this.accept('L_BRACE') ? this.closeWith(this.expr(), 'R_BRACE') : this.atom();
      if (this.peek().type === 'UNDERSCORE') this.subexpr();
      base = { k: 'pow', a: base, b: exponent };
    }
    return base;
  }

  private closeWith(n: Node, type: string): Node {
    this.expect(type);
    return n;
  }

  private comp(nofunc: boolean): Node {
    const t = this.peek();
    if (nofunc && FUNC_START.has(t.type)) fail('function in a no-parenthesis argument');
    switch (t.type) {
      case 'L_PAREN':
      case 'L_GROUP':
      case 'L_BRACKET':
      case 'L_BRACK':
      case 'L_BRACE_VISUAL':
      case 'L_BRACE_CMD':
        this.take();
        return this.closeWith(this.expr(), GROUP_CLOSE[t.type]!);
      case 'L_BRACE': {
        this.take();
        const inner = this.expr();
        if (this.accept('CMD_CHOOSE')) {
          const lower = this.expr();
          this.expect('R_BRACE');
          return { k: 'binom', a: inner, b: lower };
        }
        return this.closeWith(inner, 'R_BRACE');
      }
      case 'L_LEFT':
      case 'ML_LEFT':
        return this.leftRight(t.type === 'L_LEFT' ? 'R_RIGHT' : 'MR_RIGHT');
      case 'BAR':
      case 'L_VERT':
      case 'VERT':
      case 'NORM':
      case 'L_FLOOR':
      case 'LL_CORNER':
      case 'L_CEIL':
      case 'UL_CORNER': {
        this.take();
        const [close, kind] = SPECIAL_CLOSE[t.type]!;
        const inner = this.closeWith(this.expr(), close);
        return kind === 'floor' ? { k: 'floor', a: inner } : bad(kind);
      }
      case 'CMD_FRAC': {
        this.take();
        this.expect('L_BRACE');
        const upper = this.closeWith(this.expr(), 'R_BRACE');
        this.expect('L_BRACE');
        const lower = this.closeWith(this.expr(), 'R_BRACE');
        return { k: 'bin', op: '/', a: upper, b: lower };
      }
      case 'CMD_BINOM': {
        this.take();
        this.expect('L_BRACE');
        const upper = this.closeWith(this.expr(), 'R_BRACE');
        this.expect('L_BRACE');
        const lower = this.closeWith(this.expr(), 'R_BRACE');
        return { k: 'binom', a: upper, b: lower };
      }
      case 'CMD_MATRIX_START':
      case 'CMD_DET_START':
        fail('matrix');
      case 'FUNC1':
      case 'CMD_OPERATORNAME':
        return this.func1();
      case 'FUNC_MULTI':
        return this.funcMulti();
      case 'FUNC_SQRT': {
        this.take();
        const root = this.accept('L_BRACKET') ? this.closeWith(this.expr(), 'R_BRACKET') : null;
        this.expect('L_BRACE');
        const base = this.closeWith(this.expr(), 'R_BRACE');
        return root ? { k: 'root', a: base, r: root } : { k: 'sqrt', a: base };
      }
      case 'FUNC_INT':
      case 'FUNC_SUM':
      case 'FUNC_PROD':
      case 'FUNC_LIM':
        fail(t.text);
      case 'EXP_E': {
        this.take();
        // handle_exp: sympy.exp(arg) evaluates exp(0) → 1 and exp(1) → E (a NameError in eval)
        const arg = this.peek().type === 'CARET' ? this.supexpr() : ({ k: 'num', p: 1n, q: 1n } as Node);
        return { k: 'exp', a: arg };
      }
      default:
        return this.atom();
    }
  }

  /** \left( … \right) and the other \left-\right pairs. */
  private leftRight(rightToken: string): Node {
    this.take();
    const open = this.take().type;
    const close = GROUP_CLOSE[open] ?? SPECIAL_CLOSE[open]?.[0];
    if (!close) fail(`\\left${open}`);
    const inner = this.expr();
    this.expect(rightToken);
    this.expect(close);
    if (GROUP_CLOSE[open]) return inner;
    const kind = SPECIAL_CLOSE[open]![1];
    return kind === 'floor' ? { k: 'floor', a: inner } : bad(kind);
  }

  /** (subexpr? supexpr? | supexpr? subexpr?) after a function name. */
  private scripts(): { sub: Node | null; sup: Node | null } {
    let sub: Node | null = null;
    let sup: Node | null = null;
    for (let i = 0; i < 2; i++) {
      if (!sub && this.peek().type === 'UNDERSCORE') sub = this.subexpr();
      else if (!sup && this.peek().type === 'CARET') sup = this.supexpr();
    }
    return { sub, sup };
  }

  private subexpr(): Node {
    this.expect('UNDERSCORE');
    if (!this.accept('L_BRACE')) return this.atom();
    const first = this.expr();
    while (this.accept('COMMA')) this.expr(); // args: a subscript list only names a symbol
    this.expect('R_BRACE');
    return first;
  }

  private supexpr(): Node {
    this.expect('CARET');
    return this.accept('L_BRACE') ? this.closeWith(this.expr(), 'R_BRACE') : this.atom();
  }

  /** func_normal_single_arg with its scripts and argument, converted like convert_func. */
  private func1(): Node {
    const head = this.take();
    let name = head.text.slice(1);
    if (head.type === 'CMD_OPERATORNAME') {
      this.expect('L_BRACE');
      const op = this.take();
      if (op.type !== 'NAME') fail('operatorname');
      this.expect('R_BRACE');
      name = op.text;
    }
    const { sub, sup } = this.scripts();
    let arg: Node;
    const t = this.peek().type;
    if (t === 'L_PAREN' || ((t === 'L_LEFT' || t === 'ML_LEFT') && this.peek(1).type === 'L_PAREN')) {
      this.accept('L_LEFT') || this.accept('ML_LEFT');
      this.expect('L_PAREN');
      arg = this.expr();
      this.accept('R_RIGHT') || this.accept('MR_RIGHT');
      this.expect('R_PAREN');
    } else {
      arg = this.mp(true);
    }
    // func_pow: a literal 0 is falsy (no power applied); -1 on a trig name means the inverse
    const pow = sup && !isNum(sup, 0n) ? sup : null;
    const inverse = pow !== null && pow.k === 'num' && pow.p === -1n && pow.q === 1n;
    const trig: Record<string, FnName | null> = {
      sin: 'sin', cos: 'cos', tan: 'tan', sinh: 'sinh', cosh: 'cosh', tanh: 'tanh', csc: null, sec: null, cot: null,
    };
    const inverseOf: Record<string, FnName | null> = {
      sin: 'asin', cos: 'acos', tan: 'atan', sinh: 'asinh', cosh: 'acosh', tanh: 'atanh', csc: null, sec: null, cot: null,
    };
    const named: Record<string, FnName | null> = {
      arcsin: 'asin', arccos: 'acos', arctan: 'atan', arccsc: null, arcsec: null, arccot: null,
      arsinh: 'asinh', arcosh: 'acosh', artanh: 'atanh', arcsinh: 'asinh', arccosh: 'acosh', arctanh: 'atanh',
    };
    let expr: Node;
    let applyPow = true;
    if (name in trig) {
      const fn = inverse ? inverseOf[name]! : trig[name]!;
      if (inverse) applyPow = false;
      expr = fn ? { k: 'fn', name: fn, a: arg } : bad(name); // sec, csc, cot, asec, … are not in math
    } else if (name in named) {
      const fn = named[name]!;
      expr = fn ? { k: 'fn', name: fn, a: arg } : bad(name);
    } else if (name === 'log') {
      expr = { k: 'log', a: arg, base: sub ?? { k: 'num', p: 10n, q: 1n } };
    } else if (name === 'ln') {
      expr = { k: 'log', a: arg, base: sub }; // no subscript: log(x, E), a NameError unless exp() undoes it
    } else if (name === 'exp') {
      expr = { k: 'exp', a: arg };
    } else if (name === 'floor') {
      expr = { k: 'floor', a: arg };
    } else {
      expr = bad(name); // ceiling, det, and the matrix operator names
    }
    return pow && applyPow ? { k: 'pow', a: expr, b: pow } : expr;
  }

  /** \gcd, \lcm, \max, \min with their arguments. */
  private funcMulti(): Node {
    const name = this.take().text.slice(1);
    const { sup } = this.scripts();
    if (!this.accept('L_PAREN')) fail(`${name} without parentheses`); // .split on a parse tree: AttributeError
    const first = this.k;
    const args = [this.expr()];
    while (this.accept('COMMA')) args.push(this.expr());
    // convert_func re-parses getText().split(','): a comma inside an argument (a nested call, 1,234)
    // cuts it into pieces that do not parse
    for (let i = first; i < this.k; i++) {
      const tok = this.lex.at(i);
      if (tok.type !== 'COMMA' && tok.text.includes(',')) fail('comma inside an argument');
    }
    if (args.length !== this.countTopCommas(first) + 1) fail('comma inside an argument');
    this.expect('R_PAREN');
    const expr: Node = name === 'gcd' || name === 'lcm' ? { k: 'gcdlcm', name, args } : bad(name);
    return sup && !isNum(sup, 0n) ? { k: 'pow', a: expr, b: sup } : expr;
  }

  /** Commas between `from` and the current token (all of them, nested or not). */
  private countTopCommas(from: number): number {
    let commas = 0;
    for (let i = from; i < this.k; i++) if (this.lex.at(i).type === 'COMMA') commas++;
    return commas;
  }

  /** atom: atom_expr | SYMBOL | NUMBER | PERCENT_NUMBER | E_NOTATION | DIFFERENTIAL | mathit | VARIABLE */
  private atom(): Node {
    const t = this.take();
    switch (t.type) {
      case 'NUMBER':
      case 'E_NOTATION':
        return rational(t.text);
      case 'PERCENT_NUMBER': {
        const n = rational(t.text.slice(0, -2)) as { p: bigint; q: bigint };
        return reduce(n.p, n.q * 100n);
      }
      case 'SYMBOL':
        return t.text === '\\pi' ? { k: 'pi' } : bad(t.text); // oo, EmptySet, \partial
      case 'DIFFERENTIAL':
      case 'VARIABLE':
        return { k: 'sym', name: t.text };
      case 'LETTER_NO_E':
      case 'GREEK_CMD':
      case 'OTHER_SYMBOL_CMD':
      case 'ACCENT': {
        let name: string;
        if (t.type === 'ACCENT') {
          this.expect('L_BRACE');
          this.expr();
          this.expect('R_BRACE');
          name = t.text; // '\mathrm{…}': a backslash in the printed name is a SyntaxError
        } else if (t.type === 'GREEK_CMD') name = t.text.slice(1).trim();
        else name = t.text.trim();
        let sup: Node | null = null;
        for (let i = 0; i < 2; i++) {
          if (this.peek().type === 'UNDERSCORE') {
            this.subexpr();
            name += '_';
          } else if (!sup && this.peek().type === 'CARET') sup = this.supexpr();
        }
        const sym: Node = name === 'I' ? bad('I') : { k: 'sym', name };
        return sup ? { k: 'pow', a: sym, b: sup } : sym;
      }
      default:
        fail(`unexpected ${t.type} '${t.text}'`);
    }
  }
}

// ---------------------------------------------------------------- evaluation

/** Python names a sympy Symbol can print as and that `from math import *` defines. */
const PY_SYMBOL_TEX: Record<string, string> = { tau: '(2\\pi)' };

const FN_TEX: Record<FnName, string> = {
  sin: '\\sin', cos: '\\cos', tan: '\\tan', asin: '\\arcsin', acos: '\\arccos', atan: '\\arctan',
  sinh: '\\sinh', cosh: '\\cosh', tanh: '\\tanh', asinh: '\\arsinh', acosh: '\\arcosh', atanh: '\\artanh',
};

/** Largest Python int computations done exactly (beyond, the original would crawl; we call it an error). */
const MAX_BITS = 100_000;

type Folded = { int: bigint } | { tex: string };

let engine: ComputeEngine | null = null;
/** The one compute-engine instance, created on first use (construction is slow). */
function ce(): ComputeEngine {
  engine ??= new ComputeEngine();
  return engine;
}

/** Numeric value of a canonical LaTeX string via compute-engine; a non-real or non-finite result raises. */
function ceValue(tex: string): number {
  const n = ce().parse(tex).N();
  const re = n.re;
  if (typeof re !== 'number' || !Number.isFinite(re) || n.im !== 0) fail(`not a real number: ${tex}`);
  return re;
}

/** LaTeX of a folded value. Python converts an int operand of a float operation to float, which raises
 *  OverflowError past ~1.8e308; true division of two ints and math.log are exact for any size. */
function texOf(f: Folded, bigIntOk = false): string {
  if (!('int' in f)) return f.tex;
  if (!bigIntOk && !Number.isFinite(Number(f.int))) fail('OverflowError: int too large to convert to float');
  return `${f.int}`;
}
const par = (f: Folded): string => ('int' in f && f.int >= 0n ? texOf(f) : `(${texOf(f)})`);
const valueOf = (f: Folded): number => ('int' in f ? Number(f.int) : ceValue(f.tex));

function bitLength(n: bigint): number {
  return (n < 0n ? -n : n).toString(2).length;
}

function fold(n: Node): Folded {
  switch (n.k) {
    case 'num':
      if (n.q === 1n) return { int: n.p };
      return { tex: n.p < 0n ? `-\\frac{${-n.p}}{${n.q}}` : `\\frac{${n.p}}{${n.q}}` };
    case 'sym': {
      const tex = PY_SYMBOL_TEX[n.name];
      if (!tex) fail(`NameError: ${n.name}`);
      return { tex };
    }
    case 'pi':
      return { tex: '\\pi' };
    case 'bad':
      fail(n.why);
    case 'neg': {
      const a = fold(n.a);
      return 'int' in a ? { int: -a.int } : { tex: `-${par(a)}` };
    }
    case 'bin': {
      const a = fold(n.a);
      const b = fold(n.b);
      if (n.op === '/') {
        const exact = 'int' in a && 'int' in b;
        return { tex: `\\frac{${texOf(a, exact)}}{${texOf(b, exact)}}` };
      }
      if ('int' in a && 'int' in b) {
        if (n.op === '*' && bitLength(a.int) + bitLength(b.int) > MAX_BITS) fail('int too large');
        return { int: n.op === '+' ? a.int + b.int : n.op === '-' ? a.int - b.int : a.int * b.int };
      }
      const op = n.op === '*' ? '\\cdot' : n.op;
      return { tex: `${par(a)}${op}${par(b)}` };
    }
    case 'pow': {
      const a = fold(n.a);
      const b = fold(n.b);
      if ('int' in a && 'int' in b) {
        if (b.int >= 0n) {
          if (bitLength(a.int) > 1 && bitLength(a.int) * Number(b.int) > MAX_BITS) fail('int too large');
          return { int: a.int ** b.int };
        }
        if (a.int === 0n) fail('ZeroDivisionError: 0 to a negative power');
        return { tex: `${par(a)}^{${texOf(b)}}` };
      }
      // Python: a negative number to a non-integral power is complex, which round() rejects
      if (!('int' in b) && !Number.isInteger(valueOf(b)) && valueOf(a) < 0) fail('complex power');
      return { tex: `${par(a)}^{${texOf(b)}}` };
    }
    case 'fact': {
      const a = fold(n.a);
      if (!('int' in a)) fail('TypeError: factorial of a float');
      if (a.int < 0n) fail('ValueError: factorial of a negative');
      if (a.int > 20000n) fail('factorial too large');
      let r = 1n;
      for (let i = 2n; i <= a.int; i++) r *= i;
      return { int: r };
    }
    case 'sqrt':
      return { tex: `\\sqrt{${texOf(fold(n.a))}}` };
    case 'root': {
      const a = fold(n.a);
      const r = fold(n.r);
      const inverse = 1 / valueOf(r);
      if (!Number.isInteger(inverse) && valueOf(a) < 0) fail('complex root');
      return { tex: `${par(a)}^{\\frac{1}{${texOf(r)}}}` };
    }
    case 'fn':
      return { tex: `${FN_TEX[n.name]}(${texOf(fold(n.a))})` };
    case 'log':
      if (!n.base) fail('NameError: E (log(x, E))');
      return { tex: `\\log_{${texOf(fold(n.base!), true)}}(${texOf(fold(n.a), true)})` };
    case 'exp': {
      // sympy.exp evaluates its argument: exp(log(x, b)) → x and exp(c·log(x, b)) → x**c for a numeric c
      // (the base is ignored, as log(x, b).args[0] is x); exp(<zero>) → 1; exp(1) → E, printed 'E': NameError
      const logPower = expOfLog(n.a);
      if (logPower) return fold(logPower);
      if (sympyOne(n.a)) fail('NameError: E');
      const a = fold(n.a);
      if ('int' in a ? a.int === 0n : ceValue(a.tex) === 0) return { int: 1n };
      return { tex: `\\exp(${texOf(a)})` };
    }
    case 'floor': {
      const a = fold(n.a);
      if ('int' in a) return a;
      const v = ceValue(a.tex);
      return { int: BigInt(Math.floor(v)) };
    }
    case 'binom': {
      // sympy.binomial(n, k) evaluates only for a literal Integer k (else it prints `binomial(…)`:
      // NameError): 0 for k < 0, exactly for an integer n built from + - * ^, otherwise the
      // polynomial n(n-1)…(n-k+1)/k!, which Python evaluates with true division (a float)
      if (n.b.k !== 'num' || n.b.q !== 1n) fail('binomial with a non-literal k');
      const k = n.b.p;
      if (k < 0n) return { int: 0n };
      if (k > 10000n) fail('binomial too large');
      const a = fold(n.a);
      if ('int' in a && integerArithmetic(n.a)) {
        if (bitLength(a.int) * Number(k) > MAX_BITS) fail('binomial too large');
        let r = 1n;
        for (let i = 1n; i <= k; i++) r = (r * (a.int - k + i)) / i;
        return { int: r };
      }
      const factors: string[] = [];
      for (let i = 0n; i < k; i++) factors.push(`(${texOf(a)}-${i})`);
      let kFactorial = 1n;
      for (let i = 2n; i <= k; i++) kFactorial *= i;
      return { tex: `\\frac{${factors.join('\\cdot') || '1'}}{${kFactorial}}` };
    }
    case 'gcdlcm': {
      // handle_gcd_lcm: sympy.gcd/lcm of the nsimplify'd arguments
      const args = n.args.map((x) => fold(x));
      if (args.every((x) => 'int' in x)) {
        const vals = args.map((x) => (x as { int: bigint }).int);
        let r = vals[0]!;
        for (const v of vals.slice(1)) {
          if (n.name === 'gcd') r = gcdBig(r, v);
          else {
            const g = gcdBig(r, v);
            r = g === 0n ? 0n : (r / g) * v;
          }
        }
        return { int: r < 0n ? -r : r };
      }
      if (n.name === 'lcm') fail('lcm of non-integers');
      // gcd(0, x) = |x|; of other numbers that are not all integers sympy answers 1 (a rational
      // gcd would need the arguments' exact values, which only literal numbers give here)
      const nonzero = args.filter((x) => ('int' in x ? x.int !== 0n : ceValue(x.tex) !== 0));
      if (nonzero.length === 1) {
        const only = nonzero[0]!;
        return 'int' in only ? { int: only.int < 0n ? -only.int : only.int } : { tex: `|${only.tex}|` };
      }
      return { int: 1n };
    }
    case 'cmp': {
      const fa = fold(n.a);
      const fb = fold(n.b);
      const exact = 'int' in fa && 'int' in fb;
      const a: number | bigint = exact ? fa.int : valueOf(fa);
      const b: number | bigint = exact ? (fb as { int: bigint }).int : valueOf(fb);
      const r = n.op === 'LT' ? a < b : n.op === 'LTE' ? a <= b : n.op === 'GT' ? a > b : a >= b;
      return { int: r ? 1n : 0n };
    }
  }
}

/** latex2sympy2's own string preparation before lexing (dfrac/tfrac, \displaystyle, spacing, $ …). */
function prepare(s: string): string {
  return s
    .replaceAll('\\dfrac', '\\frac')
    .replaceAll('\\tfrac', '\\frac')
    .replaceAll('\\mathrm{T}', 'T')
    .replaceAll('\\mathrm{d}', 'd')
    .replaceAll('{\\rm d}', 'd')
    .replaceAll('\\left[\\begin{matrix}', '\\begin{bmatrix}')
    .replaceAll('\\end{matrix}\\right]', '\\end{bmatrix}')
    .replace(/\(([a-zA-Z0-9+\-*/\\ ]+?)\)_\{([a-zA-Z0-9+\-*/\\ ]+?)\}/g, '\\frac{($1)!}{(($1)-($2))!}')
    .replaceAll('\\displaystyle', ' ')
    .replaceAll('\\quad', ' ')
    .replaceAll('\\qquad', ' ')
    .replaceAll('~', ' ')
    .replaceAll('\\,', ' ')
    .replaceAll('$', ' ');
}

const SIMPLE_INT = /^[ \t\r\n]*-?[0-9]{1,15}[ \t\r\n]*$/;
const CACHE_LIMIT = 50_000;
const cache = new Map<string, PyNum | null>();

const SAFE = 2n ** 53n;
const exactDouble = (n: bigint): boolean => n < SAFE && n > -SAFE;

/**
 * Python's value of an int/int true division (a Rational literal prints as `p/q`, `\frac{a}{b}` and
 * `a:b` as `a/b`) without compute-engine: with both sides exact doubles, IEEE division is the
 * correctly rounded quotient, which is what CPython returns. Null when the tree is anything else.
 */
function quotient(n: Node): number | null {
  if (n.k === 'num') return n.q !== 1n && exactDouble(n.p) && exactDouble(n.q) ? Number(n.p) / Number(n.q) : null;
  if (n.k === 'bin' && n.op === '/' && n.a.k === 'num' && n.b.k === 'num' && n.a.q === 1n && n.b.q === 1n) {
    if (n.b.p === 0n || !exactDouble(n.a.p) || !exactDouble(n.b.p)) return null;
    return Number(n.a.p) / Number(n.b.p);
  }
  return null;
}

function compute(s: string): PyNum | null {
  try {
    const tree = new Parser(new Lexer(prepare(s))).math();
    const direct = quotient(tree);
    if (direct !== null) return { kind: 'float', v: direct };
    const f = fold(tree);
    if ('int' in f) return { kind: 'int', v: f.int };
    return { kind: 'float', v: ceValue(f.tex) };
  } catch {
    return null; // utils.py: `except: return False` (also covers stack overflows on absurd nesting)
  }
}

/**
 * `eval(str(latex2sympy(s)))` as a Python number, or null where the original raises (parse error,
 * NameError, TypeError, ValueError, ZeroDivisionError, a list, a complex number, …).
 */
export function latexValue(s: string): PyNum | null {
  if (SIMPLE_INT.test(s)) return { kind: 'int', v: BigInt(s.trim()) }; // the common case, no parsing
  const hit = cache.get(s);
  if (hit !== undefined || cache.has(s)) return hit ?? null;
  const v = compute(s);
  if (cache.size >= CACHE_LIMIT) cache.clear();
  cache.set(s, v);
  return v;
}

/** Python `round(v, 2)`: ints unchanged, floats half-even on the binary value. */
export function pyRound2Num(x: PyNum): PyNum {
  return x.kind === 'int' ? x : { kind: 'float', v: pyRound2(x.v) };
}

/** Python `==` between two numbers (int/float compare exactly). */
export function pyNumEquals(a: PyNum, b: PyNum): boolean {
  if (a.kind === 'int' && b.kind === 'int') return a.v === b.v;
  if (a.kind === 'float' && b.kind === 'float') return a.v === b.v;
  const i = (a.kind === 'int' ? a.v : (b as { v: bigint }).v) as bigint;
  const f = (a.kind === 'float' ? a.v : (b as { v: number }).v) as number;
  return Number.isInteger(f) && BigInt(f) === i;
}

/** Python `str(x)` of an int or float. */
export function pyNumStr(x: PyNum): string {
  return x.kind === 'int' ? x.v.toString() : pyFloatRepr(x.v);
}

/** The normalised LaTeX that compute-engine evaluates for `s` (null on error) — for debugging and tests. */
export function latexCanonical(s: string): string | null {
  try {
    const f = fold(new Parser(new Lexer(prepare(s))).math());
    return 'int' in f ? f.int.toString() : f.tex;
  } catch {
    return null;
  }
}
