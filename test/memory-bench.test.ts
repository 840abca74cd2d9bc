// The memory benchmark (bench/memory.ts and its child bench/memory-child.ts, `make bench-memory`) at a
// tiny size: its child reports a positive peak RSS and finite step times as one JSON line; the parent
// prints the table and the n=32 ratio.
import test from 'ava';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { repoRoot } from './helpers/cli.js';

const bench = (file: string) => path.join(repoRoot, 'dist', 'bench', file);
const tiny = { height: 32, width: 64, channels: 8, shrink: 16, threads: 1, steps: 2, secondUnder: 60 };

function run(file: string, args: string[]) {
  const r = spawnSync(process.execPath, ['--expose-gc', bench(file), ...args], { encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

for (const [name, cfg] of [
  ['crn-multi n=2', { ...tiny, model: 'crn-multi', images: 2, diversity: 'none' }],
  ['crn with the diversity loss', { ...tiny, model: 'crn', diversity: 'bounded' }],
] as const) {
  test(`memory bench child: ${name} reports its peak RSS and step times`, (t) => {
    const r = run('memory-child.js', [JSON.stringify(cfg)]);
    t.is(r.status, 0, r.stderr);
    const lines = r.stdout.trim().split('\n');
    t.is(lines.length, 1, 'one JSON line on stdout');
    const report = JSON.parse(lines[0]);
    t.true(report.ok, report.error);
    t.true(report.peakKiB > 0);
    t.true(report.peakKiB >= report.stagesKiB.session);
    t.is(report.stepSeconds.length, 2);
    for (const s of report.stepSeconds) t.true(Number.isFinite(s) && s > 0);
    t.true(Number.isFinite(report.buildSeconds));
    t.true(Object.values(report.losses as Record<string, number>).every(Number.isFinite));
    t.regex(r.stderr, /step 1 in/, 'progress on stderr');
  });
}

test('memory bench parent: the table at a tiny size, crn + diversity against crn-multi n=32', (t) => {
  const r = run('memory.js', ['--size', '32x64', '--width', '8', '--shrink', '16', '--images', '32,2', '--no-reference', '--steps', '1', '--threads', '1']);
  t.is(r.status, 0, r.stderr);
  t.regex(r.stdout, /training step at 32x64, width 8, 20 classes/);
  t.regex(r.stdout, /^crn \+ diversity loss\s+any\s+\d+\.\d\d\s/m);
  t.regex(r.stdout, /^crn-multi n=2\s+2\s+\d+\.\d\d\s/m);
  t.regex(r.stdout, /^crn-multi n=32\s+32\s+\d+\.\d\d\s/m);
  t.true(r.stdout.indexOf('n=2 ') < r.stdout.indexOf('n=32 '), 'smallest first');
  t.regex(r.stdout, /^ratio crn \+ diversity loss \/ crn-multi n=32, peak RSS over step 1: \d\.\d{3}/m);
  t.regex(r.stderr, /\[memory\] crn-multi n=32: running/);
  // the whole divsyn train beside the one-step figures, and its ratio
  t.regex(r.stdout, /^crn-multi n=32\s+32\s.*\s\d+\.\d\d$/m);
  t.regex(r.stdout, /^ratio crn \+ diversity loss \/ crn-multi n=32, peak RSS of the whole divsyn train: \d\.\d{3}/m);
});

test('memory bench child: the whole divsyn train reports its peak and step times', (t) => {
  const r = run('memory-child.js', [JSON.stringify({ ...tiny, model: 'crn', diversity: 'bounded', whole: true })]);
  t.is(r.status, 0, r.stderr);
  const report = JSON.parse(r.stdout.trim().split('\n').pop()!);
  t.true(report.ok, report.error);
  t.is(report.stepSeconds.length, 2);
  t.is(report.stagesKiB.steps.length, 2);
  t.true(report.peakKiB >= report.stagesKiB.steps[1], 'the peak covers the steps and what follows them');
  t.true(Object.values(report.losses as Record<string, number>).every(Number.isFinite));
});
