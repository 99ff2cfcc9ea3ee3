// `npm run sweep`: the README's first command — `rlsd-bench sweep` with the quick preset into results/sweeps/quick,
// which trains every method from the committed base, evaluates, and prints the accuracy and convergence tables.
// Any sweep flag passes through (`npm run sweep -- --preset paper`, `-- my.yaml`, `-- --workers 1`, `-- --status`);
// only the preset (quick, when no config is named) and --out (results/sweeps/<preset or config file name>) have
// defaults here.
import { basename, extname } from 'node:path';
import { main } from '../src/cli/main.ts';

const args = process.argv.slice(2);
const valueOf = (flag: string): string | undefined => {
  const i = args.findIndex((a) => a === `--${flag}` || a.startsWith(`--${flag}=`));
  if (i < 0) return undefined;
  return args[i]!.includes('=') ? args[i]!.slice(flag.length + 3) : args[i + 1];
};
const configFile = args.find((a) => /\.(ya?ml|json)$/i.test(a) && !a.startsWith('-'));
const preset = valueOf('preset') ?? (configFile === undefined ? 'quick' : undefined);
const extra: string[] = [];
if (preset !== undefined && valueOf('preset') === undefined) extra.push('--preset', preset);
if (valueOf('out') === undefined) extra.push('--out', `results/sweeps/${preset ?? basename(configFile!, extname(configFile!))}`);
process.exit(await main(['sweep', ...args, ...extra]));
