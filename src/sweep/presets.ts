// The presets shipped with the package (src/sweep/presets/<name>.yaml): ordinary sweep configs, read and checked
// like a user's file, so `sweep --preset quick` and `sweep src/sweep/presets/quick.yaml` are the same sweep.
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { DEFAULT_TRAIN } from '../train/config.ts';
import { formatEvalSchedule, parseEvalSchedule } from '../train/evaluate.ts';
import { UsageError } from '../util/errors.ts';
import { expandCells } from './cells.ts';
import { readSweepConfig, type SweepConfig } from './config.ts';

const PRESET_DIR = fileURLToPath(new URL('./presets/', import.meta.url));

/** The preset names, from the files (smoke, quick, paper, ablations, tuning). */
export function presetNames(): string[] {
  return readdirSync(PRESET_DIR)
    .filter((f) => f.endsWith('.yaml'))
    .map((f) => f.slice(0, -'.yaml'.length))
    .sort((a, b) => ORDER.indexOf(a) - ORDER.indexOf(b) || a.localeCompare(b));
}
const ORDER = ['smoke', 'quick', 'paper', 'ablations', 'tuning'];

export function presetFile(name: string): string {
  return `${PRESET_DIR}${name}.yaml`;
}

/** A preset's config, checked (its errors name the file as `preset <name>`). */
export function readPreset(name: string): SweepConfig {
  const names = presetNames();
  if (!names.includes(name)) throw new UsageError(`--preset must be ${names.join(', ')} (got '${name}')`);
  return readSweepConfig(presetFile(name), `${name}.yaml`);
}

/** One line per preset for --help: 'quick: 6 methods × 1 seed (6 cells), 60 steps, eval 5@50,25 on 60 items'. */
export function describePreset(name: string): string {
  const c = readPreset(name);
  const steps = Number(c.train['steps'] ?? DEFAULT_TRAIN.steps);
  const sched = parseEvalSchedule(String(c.train['eval-schedule'] ?? DEFAULT_TRAIN.evalSchedule));
  const items = c.train['eval-items'] ?? DEFAULT_TRAIN.evalPerBenchmark;
  const n = expandCells(c, name).length;
  return `${name}: ${c.methods.length} methods × ${c.seeds.length} seed${c.seeds.length === 1 ? '' : 's'} (${n} cells), ${steps} steps, evaluation ${typeof sched === 'string' ? sched : formatEvalSchedule(sched)} on ${items} items per benchmark`;
}
