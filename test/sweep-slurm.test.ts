// `sweep --executor slurm` (src/sweep/slurm.ts): the batch script as a golden text, the settings' precedence and
// refusals, submission errors through stand-in sbatch/squeue commands, and — on a real Slurm — the whole route:
// a tiny sweep submitted as an array, waited for, and reported with the same tables as the local executor.
// Without a cluster (`bash scripts/slurm-local.sh up`) the end-to-end test is skipped, saying why — except under
// CI, which brings one up.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml, parseAllDocuments } from 'yaml';
import { expandCells } from '../src/sweep/cells.ts';
import { checkSweepConfig } from '../src/sweep/config.ts';
import { planSweep, readCellFile, readSweepFile } from '../src/sweep/state.ts';
import { arraySpec, parseSubmission, resolveSlurmSettings, sbatchScript, settingsFor, SlurmError, slurmSection } from '../src/sweep/slurm.ts';
import { UsageError } from '../src/util/errors.ts';
import { BIN, cliEnv, errorLines, REPO, runCli, runCliInProcess } from './fixtures.ts';

const made: string[] = [];
after(() => {
  for (const d of made) rmSync(d, { recursive: true, force: true });
});

function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), 'rlsd-slurm-'));
  made.push(d);
  return d;
}

/** The tiny grid of the end-to-end test: the base row and GRPO, 2 steps, 2 held-out items per benchmark. */
const TINY_YAML = `name: tiny
methods: [base, grpo]
seeds: [1]
train:
  steps: 2
  eval-items: 2
  train-items: 4
  prompts: 2
  samples: 2
  eval-schedule: "1"
`;

function writeConfig(dir: string, text = TINY_YAML): string {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'tiny.yaml');
  writeFileSync(file, text);
  return file;
}

test('arraySpec: indexes sorted, deduplicated, runs collapsed', () => {
  assert.equal(arraySpec([0, 1, 2, 3]), '0-3');
  assert.equal(arraySpec([1, 3, 4]), '1,3-4');
  assert.equal(arraySpec([8, 7, 0, 2, 1, 5, 2]), '0-2,5,7-8');
  assert.equal(arraySpec([4]), '4');
});

test('sbatchScript: golden — array of the unfinished cells, resources, per-cell logs, one shard command per task', () => {
  const config = checkSweepConfig({ name: 'g', methods: ['base', 'grpo', 'rlsd'], seeds: [1, 2], train: { steps: 3 } }, 'g.yaml');
  const sweep = planSweep(config, '/base');
  assert.deepEqual(
    sweep.cells.map((c) => c.id),
    ['base/seed-1', 'grpo/seed-1', 'grpo/seed-2', 'rlsd/seed-1', 'rlsd/seed-2'],
  );
  const script = sbatchScript({
    sweep,
    dir: '/sw/g',
    source: { file: 'cfg/g.yaml' },
    indexes: [1, 3, 4],
    settings: { partition: 'debug', time: '00:30:00', cpus: 2, extra: ['--mem=2G', '--account=lab'] },
    cwd: '/home/u',
    cell: { backend: 'wasm' },
    node: '/opt/node/bin/node',
    bin: '/repo/bin/rlsd-bench.mjs',
  });
  assert.equal(
    script,
    `#!/bin/bash
# rlsd-bench sweep g: one array task per cell (task id = the cell's index in /sw/g/sweep.json).
# Written by \`rlsd-bench sweep --executor slurm\`; resubmitting that command runs only the cells not yet done.
#SBATCH --job-name=rlsd-g
#SBATCH --array=1,3-4
#SBATCH --output=/sw/g/slurm/logs/%x-%A_%a.out
#SBATCH --chdir=/home/u
#SBATCH --nodes=1
#SBATCH --ntasks=1
#SBATCH --cpus-per-task=2
#SBATCH --partition=debug
#SBATCH --time=00:30:00
#SBATCH --mem=2G
#SBATCH --account=lab
#
# task  cell
#    1  grpo/seed-1
#    3  rlsd/seed-1
#    4  rlsd/seed-2
set -eu
exec /opt/node/bin/node /repo/bin/rlsd-bench.mjs sweep /home/u/cfg/g.yaml --out /sw/g --shard "$SLURM_ARRAY_TASK_ID/5" --no-report --backend wasm
`,
  );
  // A preset is passed on as a preset; a sweep resumed from its sweep.json passes no config (the shards do the same).
  const common = { sweep, dir: '/sw/g', indexes: [0], settings: { cpus: 1, extra: [] }, cwd: '/w', node: 'node', bin: 'b.mjs' };
  assert.match(sbatchScript({ ...common, source: { preset: 'smoke' } }), /\nexec node b\.mjs sweep --preset smoke --out \/sw\/g --shard "\$SLURM_ARRAY_TASK_ID\/5" --no-report\n$/);
  assert.match(sbatchScript({ ...common, source: { stored: true } }), /\nexec node b\.mjs sweep --out \/sw\/g --shard "\$SLURM_ARRAY_TASK_ID\/5" --no-report\n$/);
  // Slurm's defaults where nothing is set: no partition or time line.
  assert.doesNotMatch(sbatchScript({ ...common, source: { stored: true } }), /--partition|--time/);
});

test('settings: flags over the config file\'s slurm section over the defaults; bad values refused naming the key', () => {
  assert.deepEqual(resolveSlurmSettings({}, {}), { cpus: 1, extra: [] });
  assert.deepEqual(resolveSlurmSettings({ partition: 'gpu', cpus: 4 }, { partition: 'debug', time: '10', cpus: 2, extra: ['--mem=1G'] }), { partition: 'gpu', time: '10', cpus: 4, extra: ['--mem=1G'] });
  assert.throws(() => resolveSlurmSettings({ time: 'soon' }, {}), (e: Error) => e instanceof UsageError && /^--time must be a Slurm time limit/.test(e.message));
  assert.throws(() => resolveSlurmSettings({ partition: 'a b' }, {}), /^UsageError: --partition must be a partition name/);
  for (const t of ['90', '30:00', '02:00:00', '1-00', '1-12:00', '2-00:00:00', 'UNLIMITED']) assert.equal(resolveSlurmSettings({ time: t }, {}).time, t);

  const dir = tmp();
  const file = writeConfig(dir, `${TINY_YAML}slurm:\n  partition: debug\n  time: 20\n  cpus: 2\n  extra: ["--mem=1G"]\n`);
  assert.deepEqual(settingsFor({ file }, { time: '00:05:00' }), { partition: 'debug', time: '00:05:00', cpus: 2, extra: ['--mem=1G'] });
  assert.deepEqual(settingsFor({ stored: true }, {}), { cpus: 1, extra: [] });
  const bad = (section: unknown): string => {
    try {
      slurmSection({ slurm: section }, 'c.yaml');
    } catch (e) {
      return (e as Error).message;
    }
    return 'accepted';
  };
  assert.equal(bad({ partitions: 'x' }), 'c.yaml: slurm.partitions: unknown key (known: partition, time, cpus, extra)');
  assert.equal(bad({ cpus: 0 }), "c.yaml: slurm.cpus must be an integer ≥ 1 (got '0')");
  assert.equal(bad({ extra: ['--array=0-3'] }), 'c.yaml: slurm.extra[0]: --array is set by the sweep itself');
  assert.equal(bad({ extra: ['--cpus-per-task=4'] }), 'c.yaml: slurm.extra[0]: --cpus-per-task is set by the sweep itself (use slurm.cpus or --cpus)');
  assert.equal(bad({ extra: ['mem=1G'] }), "c.yaml: slurm.extra[0] must be one sbatch long option such as --mem=4G (got 'mem=1G')");
  assert.equal(bad('debug'), 'c.yaml: slurm: must be an object (partition, time, cpus, extra)');
});

test('parseSubmission: `jobid` or `jobid;cluster`; anything else is an error', () => {
  assert.deepEqual(parseSubmission('42\n'), { jobId: '42', cluster: null });
  assert.deepEqual(parseSubmission('42;c1\n'), { jobId: '42', cluster: 'c1' });
  assert.throws(() => parseSubmission('Submitted batch job 42'), SlurmError);
});

test('--dry-run prints the script (config section and flags) and writes nothing; refusals are one line', async () => {
  const root = tmp();
  const cfg = writeConfig(root, `${TINY_YAML}slurm: { partition: debug, time: 20, cpus: 4, extra: ["--mem=1G"] }\n`);
  const out = join(root, 'sweep');
  const r = runCli(['sweep', cfg, '--executor', 'slurm', '--out', out, '--dry-run', '--cpus', '2']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^#!\/bin\/bash\n/);
  assert.match(r.stdout, /\n#SBATCH --array=0-1\n/);
  assert.match(r.stdout, /\n#SBATCH --cpus-per-task=2\n#SBATCH --partition=debug\n#SBATCH --time=20\n#SBATCH --mem=1G\n/);
  assert.ok(r.stdout.includes(`exec ${process.execPath} ${BIN} sweep ${cfg} --out ${out} --shard "$SLURM_ARRAY_TASK_ID/2" --no-report\n`), r.stdout);
  assert.equal(existsSync(out), false, 'a dry run writes nothing');
  // The refusals in this process (runCliInProcess: the same entry and output; sweep.test.ts sends the sweep's through
  // the binary).
  const s = await runCliInProcess(['sweep', cfg, '--executor', 'slurm', '--out', out, '--shard', '0/2']);
  assert.equal(s.code, 2);
  assert.match(errorLines(s.stderr)[0] ?? '', /--shard .* does not combine with --executor slurm/);
  const t = await runCliInProcess(['sweep', cfg, '--executor', 'slurm', '--out', out, '--dry-run', '--time', 'tomorrow']);
  assert.equal(t.code, 2);
  assert.deepEqual(errorLines(t.stderr), ["rlsd-bench: error: --time must be a Slurm time limit: minutes, HH:MM:SS or D-HH:MM:SS (got 'tomorrow')"]);
  const badCfg = writeConfig(join(root, 'bad'), `${TINY_YAML}slurm: { partitions: debug }\n`);
  const u = await runCliInProcess(['sweep', badCfg, '--executor', 'slurm', '--out', out, '--dry-run']);
  assert.equal(u.code, 2);
  assert.deepEqual(errorLines(u.stderr), [`rlsd-bench: error: ${badCfg}: slurm.partitions: unknown key (known: partition, time, cpus, extra)`]);
  assert.equal(existsSync(out), false);
});

/** A folder of stand-in Slurm commands (shell scripts) to put first on PATH. */
function fakeSlurm(root: string, scripts: Record<string, string>): string {
  const bin = join(root, 'fake-bin');
  mkdirSync(bin, { recursive: true });
  for (const [name, body] of Object.entries(scripts)) {
    writeFileSync(join(bin, name), `#!/bin/sh\n${body}\n`);
    chmodSync(join(bin, name), 0o755);
  }
  return bin;
}

test('no sbatch on PATH, or sbatch refusing the job: one line each, nothing submitted', () => {
  const root = tmp();
  const cfg = writeConfig(root);
  const empty = fakeSlurm(root, {});
  const r = runCli(['sweep', cfg, '--executor', 'slurm', '--out', join(root, 'a')], { env: { PATH: empty } });
  assert.equal(r.code, 1, r.stderr);
  const lines = errorLines(r.stderr);
  assert.equal(lines.length, 1, r.stderr);
  assert.match(lines[0]!, /^rlsd-bench: error: slurm executor needs sbatch on PATH /);

  const refusing = fakeSlurm(join(root, 'r'), {
    sbatch: `[ "$1" = --version ] && { echo "slurm 22.05.8"; exit 0; }\necho "sbatch: error: Batch job submission failed: Invalid partition name specified" >&2\nexit 1`,
    squeue: 'exit 0',
  });
  const s = runCli(['sweep', cfg, '--executor', 'slurm', '--out', join(root, 'b'), '--partition', 'nosuch'], { env: { PATH: `${refusing}:${process.env['PATH']}` } });
  assert.equal(s.code, 1, s.stderr);
  assert.deepEqual(errorLines(s.stderr), [
    `rlsd-bench: error: sbatch refused the job: sbatch: error: Batch job submission failed: Invalid partition name specified (script: ${join(root, 'b', 'slurm', 'sweep.sbatch')})`,
  ]);
  assert.equal(existsSync(join(root, 'b', 'slurm', 'jobs.json')), false);
});

test('a submission is recorded in DIR/slurm/jobs.json; a second one while that job is queued is refused', () => {
  const root = tmp();
  const cfg = writeConfig(root);
  const out = join(root, 'sweep');
  // sbatch accepts (job 777) and keeps a copy of the script it was given; squeue says job 777 is still queued.
  const bin = fakeSlurm(root, {
    sbatch: `[ "$1" = --version ] && exit 0\ncp "$2" "${join(root, 'submitted.sbatch')}"\necho "777;cl"`,
    squeue: `[ "$3" = 777 ] && echo "777_[0-1]"\nexit 0`,
  });
  const env = { PATH: `${bin}:${process.env['PATH']}` };
  const r = runCli(['sweep', cfg, '--executor', 'slurm', '--out', out], { env });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^submitted Slurm job 777: 2 array tasks \(--array=0-1, one per cell not yet done, of 2\)/);
  assert.match(r.stdout, /squeue -j 777/);
  assert.match(r.stdout, /sweep --status /);
  assert.match(r.stdout, /report /);
  assert.ok(readSweepFile(out), 'sweep.json written as by the local executor');
  const jobs = JSON.parse(readFileSync(join(out, 'slurm', 'jobs.json'), 'utf8')) as { jobs: { jobId: string; cluster: string; array: string; cells: { index: number; id: string }[] }[] };
  assert.deepEqual(
    jobs.jobs.map((j) => [j.jobId, j.cluster, j.array, j.cells.map((c) => c.id)]),
    [['777', 'cl', '0-1', ['base/seed-1', 'grpo/seed-1']]],
  );
  assert.equal(readFileSync(join(root, 'submitted.sbatch'), 'utf8'), readFileSync(join(out, 'slurm', 'sweep.sbatch'), 'utf8'));
  const again = runCli(['sweep', cfg, '--executor', 'slurm', '--out', out], { env });
  assert.equal(again.code, 1);
  assert.deepEqual(errorLines(again.stderr), [`rlsd-bench: error: ${out} already has Slurm job 777 queued or running (squeue -j 777); wait for it, or cancel it with scancel 777, then submit again`]);
});

/** Whether a Slurm controller answers here (sinfo lists a responding node). */
function slurmUp(): { up: boolean; why: string } {
  const r = spawnSync('sinfo', ['-h', '-o', '%t'], { encoding: 'utf8', timeout: 15_000 });
  if (r.error) return { up: false, why: `sinfo: ${r.error.message}` };
  if (r.status !== 0) return { up: false, why: `sinfo: ${r.stderr.trim().split('\n').at(-1)}` };
  if (!/^(idle|mix|alloc)/m.test(r.stdout)) return { up: false, why: `no idle node (sinfo: ${r.stdout.trim() || 'none'})` };
  return { up: true, why: '' };
}

/** Runs the CLI asynchronously (two sweeps at once), resolving with its exit code and output. */
function runAsync(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((res) => {
    const child = spawn(process.execPath, [BIN, '--quiet', ...args], { cwd: REPO, env: cliEnv() });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString('utf8')));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString('utf8')));
    child.on('close', (code) => res({ code: code ?? -1, stdout, stderr }));
  });
}

/**
 * A report file with the timing columns blanked (the dynamics table's `s/step`, the CSV's `step_s`): the only
 * numbers that may differ between two runs of the same cells. Table cells are trimmed, since a column's width
 * follows its widest number.
 */
function withoutTimings(name: string, text: string): string {
  if (name.endsWith('.csv')) {
    const lines = text.split('\n');
    const col = lines[0]!.split(',').indexOf('step_s');
    if (col < 0) return text;
    return lines.map((l, i) => (i === 0 || l === '' ? l : l.split(',').map((x, j) => (j === col ? '*' : x)).join(','))).join('\n');
  }
  let col = -1;
  return text
    .split('\n')
    .map((l) => {
      if (!l.startsWith('|')) {
        col = -1;
        return l;
      }
      const cells = l.split('|').map((c) => c.trim());
      // The dynamics table's s/step and the configuration's wall time are timings.
      const timing = cells.includes('s/step') ? 's/step' : cells.includes('wall time / seed') ? 'wall time / seed' : null;
      if (col < 0 && timing) col = cells.indexOf(timing);
      return col < 0 ? cells.join('|') : cells.map((c, j) => (j === col && c !== timing && !/^-+:?$/.test(c) ? '*' : c)).join('|');
    })
    .join('\n');
}

test('end to end on Slurm: a tiny sweep as an array job, waited for; report equals the local executor\'s', { timeout: 600_000 }, async (t) => {
  const slurm = slurmUp();
  if (!slurm.up) {
    if (process.env['CI']) assert.fail(`Slurm is not up (${slurm.why}): CI runs \`bash scripts/slurm-local.sh up\` before the tests`);
    t.skip(`Slurm is not up (${slurm.why}); start a one-node cluster with: bash scripts/slurm-local.sh up`);
    return;
  }
  const root = tmp();
  const cfg = writeConfig(root);
  const viaSlurm = join(root, 'slurm');
  const viaLocal = join(root, 'local');
  const t0 = performance.now();
  const [s, l] = await Promise.all([
    runAsync(['sweep', cfg, '--executor', 'slurm', '--out', viaSlurm, '--wait']),
    runAsync(['sweep', cfg, '--out', viaLocal, '--workers', '1']),
  ]);
  t.diagnostic(`both sweeps in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  assert.equal(l.code, 0, `local: ${l.stderr}`);
  assert.equal(s.code, 0, `slurm: ${s.stdout}\n${s.stderr}`);
  const jobId = /^submitted Slurm job (\d+)/m.exec(s.stdout)?.[1];
  assert.ok(jobId, s.stdout);

  const sweep = readSweepFile(viaSlurm)!;
  for (const c of sweep.cells) {
    const rec = readCellFile(join(viaSlurm, c.dir));
    assert.equal(rec?.state, 'done', `${c.id}: ${JSON.stringify(rec)}`);
    assert.equal(rec?.executor, 'slurm', `${c.id} ran as a Slurm array task`);
    assert.ok(existsSync(join(viaSlurm, 'slurm', 'logs', `rlsd-tiny-${jobId}_${c.index}.out`)), `${c.id}: its log`);
  }
  // `report DIR` rebuilt from the shared folder, then compared with the local executor's.
  const rep = runCli(['report', viaSlurm]);
  assert.equal(rep.code, 0, rep.stderr);
  for (const name of ['report.md', 'accuracy.md', 'accuracy.csv', 'convergence.md', 'convergence.csv', 'dynamics.csv']) {
    const a = readFileSync(join(viaSlurm, 'report', name), 'utf8');
    const b = readFileSync(join(viaLocal, 'report', name), 'utf8');
    if (name.startsWith('accuracy') || name.startsWith('convergence')) assert.equal(a, b, `${name} byte-identical`);
    else assert.equal(withoutTimings(name, a), withoutTimings(name, b), `${name} identical but for timings`);
  }
  // Everything done: a resubmission submits nothing.
  const again = runCli(['sweep', cfg, '--executor', 'slurm', '--out', viaSlurm]);
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stdout, /all 2 cells done .* nothing to submit/);
});

test('scripts/slurm-local.sh is valid bash', () => {
  const r = spawnSync('bash', ['-n', join(REPO, 'scripts', 'slurm-local.sh')], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
});

/** The parts of the manifest's objects the test reads. */
interface K8sContainer {
  name: string;
  command: string[];
  env?: { name: string; value?: string }[];
  volumeMounts?: { name: string }[];
}
interface K8sDoc {
  kind: string;
  metadata: { name: string };
  data?: Record<string, string>;
  spec: {
    completionMode?: string;
    completions?: number;
    accessModes?: string[];
    template: {
      spec: {
        containers: K8sContainer[];
        initContainers?: K8sContainer[];
        volumes: { name: string; persistentVolumeClaim?: { claimName: string }; configMap?: { name: string } }[];
      };
    };
  };
}

test('docs/kubernetes-sweep.yaml: an Indexed Job whose N, shard argument and volumes agree with its own config', () => {
  const docs = parseAllDocuments(readFileSync(join(REPO, 'docs', 'kubernetes-sweep.yaml'), 'utf8')).map((d) => {
    assert.deepEqual(d.errors, []);
    return d.toJS() as K8sDoc;
  });
  const byName = (kind: string, name: string): K8sDoc => {
    const d = docs.find((x) => x.kind === kind && x.metadata.name === name);
    assert.ok(d, `${kind} ${name}`);
    return d;
  };
  const cells = expandCells(checkSweepConfig(parseYaml(byName('ConfigMap', 'rlsd-sweep-config').data!['sweep.yaml']!), 'sweep.yaml'));
  const job = byName('Job', 'rlsd-sweep');
  assert.equal(job.spec.completionMode, 'Indexed');
  assert.equal(job.spec.completions, cells.length, 'completions = the number of cells');
  const container = job.spec.template.spec.containers[0]!;
  const command = container.command;
  const at = command.indexOf('--shard');
  assert.deepEqual(command.slice(at, at + 2), ['--shard', `$(JOB_COMPLETION_INDEX)/${cells.length}`]);
  assert.ok(command.includes('--no-report'));
  assert.equal(command[command.indexOf('--out') + 1], '/shared/sweeps/demo');
  assert.ok(container.env?.some((e) => e.name === 'JOB_COMPLETION_INDEX'), 'the variable $(…) expands is declared');
  const setup = byName('Job', 'rlsd-sweep-setup');
  assert.equal(setup.spec.template.spec.containers[0]!.env?.find((e) => e.name === 'CELLS')?.value, String(cells.length));
  byName('Job', 'rlsd-sweep-report');
  // Every mount names a volume of its pod, and every claim and config map exists in the file.
  assert.ok(byName('PersistentVolumeClaim', 'rlsd-shared').spec.accessModes?.includes('ReadWriteMany'));
  for (const j of docs.filter((d) => d.kind === 'Job')) {
    const pod = j.spec.template.spec;
    const names = new Set(pod.volumes.map((v) => v.name));
    for (const c of [...(pod.initContainers ?? []), ...pod.containers]) for (const m of c.volumeMounts ?? []) assert.ok(names.has(m.name), `${j.metadata.name}/${c.name}: volume ${m.name}`);
    for (const v of pod.volumes) {
      if (v.persistentVolumeClaim) assert.equal(v.persistentVolumeClaim.claimName, 'rlsd-shared');
      if (v.configMap) assert.equal(v.configMap.name, 'rlsd-sweep-config');
    }
  }
});
