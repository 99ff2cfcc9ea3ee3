// `npx tsx scripts/docs-cli.ts [--check]`: rewrites the generated flag blocks of docs/cli.md from the commands' own
// `--help` (the yargs definitions every flag is declared in), so the reference cannot drift from the CLI.
// `--check` rewrites nothing and exits 1 naming the blocks that differ; test/docs-cli.test.ts runs the same check.
// A block sits between `<!-- BEGIN generated: rlsd-bench CMD --help -->` and `<!-- END generated -->`; every command
// the top-level help lists must have one.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { writeFileAtomic } from '../src/util/fs.ts';
import { parseOrExit, runScript, scriptCli } from '../src/cli/script.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
export const CLI_DOC = join(root, 'docs', 'cli.md');
const run = promisify(execFile);

/** What `rlsd-bench [command] --help` prints at yargs' default width of 80 columns (stdout is not a terminal). */
export async function helpText(command: string | null): Promise<string> {
  const args = [join(root, 'bin', 'rlsd-bench.mjs'), ...(command === null ? [] : [command]), '--help'];
  // A fixed environment: no data folder, no terminal, so the text is the same on every machine.
  const env = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', LANG: 'C.UTF-8' };
  const { stdout } = await run(process.execPath, args, { cwd: root, env, maxBuffer: 1 << 22 });
  return stdout.replace(/\s+$/, '');
}

/** The command names the top-level help lists (`rlsd-bench methods [method]` → `methods`). */
export function commandNames(topHelp: string): string[] {
  const names: string[] = [];
  for (const m of topHelp.matchAll(/^ {2}rlsd-bench (\w+)/gm)) names.push(m[1]!);
  return names;
}

const BLOCK = /<!-- BEGIN generated: rlsd-bench ((?:\w+ )?)--help -->\n[\s\S]*?<!-- END generated -->/g;

function block(command: string | null, help: string): string {
  const name = command === null ? '' : `${command} `;
  return `<!-- BEGIN generated: rlsd-bench ${name}--help -->\n\`\`\`\n$ rlsd-bench ${name}--help\n${help}\n\`\`\`\n<!-- END generated -->`;
}

export interface DocCheck {
  text: string;
  /** Commands whose block differs from their --help, or that have no block. */
  stale: string[];
  missing: string[];
}

/** The document with every generated block rewritten, and what was stale or missing. */
export async function regenerate(doc: string): Promise<DocCheck> {
  const top = await helpText(null);
  const commands = commandNames(top);
  const helps = new Map<string, string>([['', top]]);
  // Four at a time: each is a Node start-up, and the machine may be small.
  for (let i = 0; i < commands.length; i += 4) {
    const batch = commands.slice(i, i + 4);
    const texts = await Promise.all(batch.map((c) => helpText(c)));
    batch.forEach((c, j) => helps.set(`${c} `, texts[j]!));
  }
  const seen = new Set<string>();
  const stale: string[] = [];
  const text = doc.replace(BLOCK, (whole, name: string) => {
    const help = helps.get(name);
    if (help === undefined) return whole;
    seen.add(name);
    const fresh = block(name === '' ? null : name.trim(), help);
    if (fresh !== whole) stale.push(name === '' ? '(top level)' : name.trim());
    return fresh;
  });
  const missing = [...helps.keys()].filter((k) => !seen.has(k)).map((k) => (k === '' ? '(top level)' : k.trim()));
  return { text, stale, missing };
}

async function cli(): Promise<number> {
  const { check } = parseOrExit(
    scriptCli('npx tsx scripts/docs-cli.ts [--check]', "Rewrites the generated flag blocks of docs/cli.md from the commands' own --help.").option('check', {
      type: 'boolean',
      default: false,
      describe: 'rewrite nothing; exit 1 naming the blocks that differ from --help',
    }),
    (argv) => ({ check: Boolean(argv['check']) }),
  );
  const doc = readFileSync(CLI_DOC, 'utf8');
  const result = await regenerate(doc);
  if (result.missing.length > 0) {
    console.error(`rlsd-bench: error: docs/cli.md has no generated block for: ${result.missing.join(', ')} — add ` +
      `'<!-- BEGIN generated: rlsd-bench CMD --help -->' and '<!-- END generated -->' to its section`);
    return 1;
  }
  if (check) {
    if (result.stale.length === 0) return 0;
    console.error(`docs/cli.md is stale for: ${result.stale.join(', ')} — run npx tsx scripts/docs-cli.ts`);
    return 1;
  }
  if (result.text !== doc) writeFileAtomic(CLI_DOC, result.text);
  console.log(result.stale.length === 0 ? 'docs/cli.md is up to date' : `rewrote: ${result.stale.join(', ')}`);
  return 0;
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) await runScript(cli);
