// A small, strict parser for the Python-literal string lists MMMU stores as text: the `options`
// column ("['$6', '$7', \"It's\"]") and list-valued gold answers ("['24/7', '3.429']"). The authors
// read them with `eval` (data_utils.construct_prompt), lmms-eval with `ast.literal_eval`; this accepts
// exactly the subset that can occur: a list (or tuple) of str literals with ' or " quotes, optional
// r/u prefixes, triple quotes, adjacent-literal concatenation, a trailing comma, and every
// Python escape (\\ \' \" \a \b \f \n \r \t \v \ooo \xhh \uXXXX \UXXXXXXXX, backslash-newline;
// unknown escapes such as "\d" keep their backslash, as Python does). \N{name} is rejected.

export class PyLiteralError extends Error {
  override name = 'PyLiteralError';
}

const SIMPLE_ESCAPES: Record<string, string> = {
  '\\': '\\',
  "'": "'",
  '"': '"',
  a: '\x07',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
  v: '\v',
};

const PY_SPACE = /[ \t\f\r\n]/;

class Cursor {
  pos = 0;
  constructor(readonly text: string) {}

  fail(what: string): never {
    throw new PyLiteralError(`${what} at offset ${this.pos}`);
  }

  skipSpace(): void {
    const t = this.text;
    while (this.pos < t.length) {
      const c = t[this.pos]!;
      if (c === '\\' && (t[this.pos + 1] === '\n' || (t[this.pos + 1] === '\r' && t[this.pos + 2] === '\n'))) {
        this.pos += t[this.pos + 1] === '\n' ? 2 : 3; // explicit line joining
      } else if (PY_SPACE.test(c)) {
        this.pos++;
      } else if (c === '#') {
        while (this.pos < t.length && t[this.pos] !== '\n') this.pos++;
      } else {
        break;
      }
    }
  }

  peek(): string | undefined {
    return this.text[this.pos];
  }
}

function readHex(cur: Cursor, count: number, label: string): number {
  const digits = cur.text.slice(cur.pos, cur.pos + count);
  if (digits.length !== count || !/^[0-9a-fA-F]+$/.test(digits)) cur.fail(`truncated \\${label} escape`);
  cur.pos += count;
  return parseInt(digits, 16);
}

/** One str literal (with optional prefix) starting at the cursor. */
function readStringLiteral(cur: Cursor): string {
  const t = cur.text;
  let raw = false;
  const prefix = /^(?:[rR][uU]?|[uU][rR]?)?(?=['"])/.exec(t.slice(cur.pos, cur.pos + 3));
  if (!prefix) cur.fail('expected a string literal');
  const p = prefix[0].toLowerCase();
  if (p.includes('r')) raw = true;
  if (p.includes('u') && p.includes('r')) cur.fail("invalid string prefix 'ur'");
  cur.pos += p.length;
  const q = t[cur.pos]!;
  const triple = t.startsWith(q.repeat(3), cur.pos);
  const closing = triple ? q.repeat(3) : q;
  cur.pos += closing.length;
  let out = '';
  for (;;) {
    if (cur.pos >= t.length) cur.fail('unterminated string literal');
    if (t.startsWith(closing, cur.pos)) {
      cur.pos += closing.length;
      return out;
    }
    const c = t[cur.pos]!;
    if (c === '\n' && !triple) cur.fail('newline in single-quoted string literal');
    if (c !== '\\') {
      out += c;
      cur.pos++;
      continue;
    }
    // Backslash.
    const e = t[cur.pos + 1];
    if (e === undefined) cur.fail('unterminated string literal');
    if (raw) {
      // In raw strings a backslash only protects the next character from ending the literal.
      out += c + e;
      cur.pos += 2;
      continue;
    }
    cur.pos += 2;
    if (e === '\n') continue;
    if (e === '\r') {
      if (t[cur.pos] === '\n') cur.pos++;
      continue;
    }
    const simple = SIMPLE_ESCAPES[e];
    if (simple !== undefined) {
      out += simple;
    } else if (e >= '0' && e <= '7') {
      let oct = e;
      while (oct.length < 3 && t[cur.pos] !== undefined && t[cur.pos]! >= '0' && t[cur.pos]! <= '7') oct += t[cur.pos++];
      out += String.fromCodePoint(parseInt(oct, 8));
    } else if (e === 'x') {
      out += String.fromCodePoint(readHex(cur, 2, 'x'));
    } else if (e === 'u') {
      out += String.fromCodePoint(readHex(cur, 4, 'u'));
    } else if (e === 'U') {
      const cp = readHex(cur, 8, 'U');
      if (cp > 0x10ffff) cur.fail('illegal Unicode character in \\U escape');
      out += String.fromCodePoint(cp);
    } else if (e === 'N') {
      cur.fail('\\N{...} escapes are not supported');
    } else {
      out += '\\' + e; // unrecognised escape: Python keeps the backslash
    }
  }
}

/** A string expression: one or more adjacent literals, concatenated (Python's implicit concatenation). */
function readStringExpr(cur: Cursor): string {
  let s = readStringLiteral(cur);
  for (;;) {
    const save = cur.pos;
    cur.skipSpace();
    const c = cur.peek();
    if (c === "'" || c === '"' || (c !== undefined && /[rRuU]/.test(c) && /^[rRuU]{1,2}['"]/.test(cur.text.slice(cur.pos, cur.pos + 3)))) {
      s += readStringLiteral(cur);
    } else {
      cur.pos = save;
      return s;
    }
  }
}

/**
 * Parses a Python list (or tuple) literal whose elements are all str literals.
 * Throws PyLiteralError (with the offset) on anything else.
 */
export function parsePythonStringList(text: string): string[] {
  const cur = new Cursor(text);
  cur.skipSpace();
  const open = cur.peek();
  if (open !== '[' && open !== '(') cur.fail("expected '[' ");
  const close = open === '[' ? ']' : ')';
  cur.pos++;
  const items: string[] = [];
  cur.skipSpace();
  if (cur.peek() === close) {
    cur.pos++;
  } else {
    for (;;) {
      cur.skipSpace();
      items.push(readStringExpr(cur));
      cur.skipSpace();
      const c = cur.peek();
      if (c === ',') {
        cur.pos++;
        cur.skipSpace();
        if (cur.peek() === close) {
          cur.pos++;
          break;
        }
        continue;
      }
      if (c === close) {
        cur.pos++;
        if (close === ')' && items.length === 1) cur.fail('a parenthesised single string is not a tuple');
        break;
      }
      cur.fail(`expected ',' or '${close}'`);
    }
  }
  cur.skipSpace();
  if (cur.pos !== text.length) cur.fail('unexpected text after the list');
  return items;
}

/** True when `text` looks like a list literal (so a parse failure is a data error rather than a plain string). */
export function looksLikePythonList(text: string): boolean {
  const t = text.trim();
  return t.startsWith('[') && t.endsWith(']');
}

/** Parses `text` as a Python string list when it is one; otherwise returns null (no throw). */
export function tryParsePythonStringList(text: string): string[] | null {
  if (!looksLikePythonList(text)) return null;
  try {
    return parsePythonStringList(text);
  } catch {
    return null;
  }
}
