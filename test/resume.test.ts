// Resuming at the library level: which options a resume may change (and how a refusal reads), and which
// training state a resume takes from the folders a crash can leave (state, state.new, state.old).
import test from 'ava';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { compareResumeOptions, describeOptionChanges } from '../common/resume-options.js';
import { latestProgress, loadLatestState, saveState } from '../train/checkpoint.js';
import { trainResumeRules } from '../train/run-record.js';
import { sampleResumeRules } from '../runtime/sample-ledger.js';
import { divsyn, tempDir, tinyTrainArgs } from './helpers/cli.js';

test('train --resume: more steps, other threads, ep and checkpoint interval are allowed; anything else given again must match', (t) => {
  const saved = { model: 'pix2pix', lr: 2e-4, steps: 60, threads: 1, ep: 'cpu', checkpointEvery: 500, batch: 4, grid: false };
  const given = { lr: 1e-3, steps: 30, threads: 4, ep: 'cuda', checkpointEvery: 100, batch: 4, seed: 3 };
  const { allowed, refused } = compareResumeOptions(saved, given, trainResumeRules);
  t.deepEqual(
    allowed.map((c) => c.option),
    ['threads', 'ep', 'checkpointEvery'],
  );
  t.deepEqual(refused, [
    { option: 'lr', saved: 2e-4, given: 1e-3 },
    { option: 'steps', saved: 60, given: 30, reason: 'may only grow' },
    { option: 'seed', saved: undefined, given: 3 },
  ]);
  t.is(describeOptionChanges(refused), '--lr 0.001 (the run has 0.0002); --steps 30 (the run has 60; it may only grow); --seed 3 (the run has none)');
  t.deepEqual(compareResumeOptions(saved, { steps: 90, epochs: 3 }, trainResumeRules).allowed, [
    { option: 'steps', saved: 60, given: 90 },
    { option: 'epochs', saved: undefined, given: 3 },
  ]);
  t.deepEqual(compareResumeOptions(saved, { steps: 60, lr: 2e-4, grid: undefined }, trainResumeRules), { allowed: [], refused: [] }, 'the same values, or none, are no change');
});

const values = (x: number) =>
  new Map([
    ['param.w', new Float32Array([x, x + 1, x + 2])],
    ['state.step', new Float32Array([x])],
  ]);
const progress = (step: number) => ({ step, epoch: 0, seconds: 0, seed: 0, totalSteps: 10 });

test('sample --resume: other threads and ep are allowed; anything else, --batch included, must match', (t) => {
  const saved = { model: 'g.onnx', count: 4, batch: 8, threads: 1, ep: 'cpu' };
  const { allowed, refused } = compareResumeOptions(saved, { count: 8, batch: 4, threads: 2, ep: 'auto' }, sampleResumeRules);
  t.deepEqual(
    allowed.map((c) => c.option),
    ['threads', 'ep'],
  );
  t.is(describeOptionChanges(refused), '--count 8 (the run has 4); --batch 4 (the run has 8)');
});

test('resume takes the newest complete state of those a crash leaves, and puts it back as state', (t) => {
  const run = tempDir();
  const dir = path.join(run, 'state');
  t.is(loadLatestState(dir), undefined, 'no state at all');
  saveState(dir, values(2), progress(2), 'g2');
  saveState(dir, values(4), progress(4), 'g4');
  t.deepEqual(fs.readdirSync(run).sort(), ['state', 'state.old'], 'the previous checkpoint is kept');
  // a crash between the renames of a third checkpoint: state.new complete, state retired to state.old
  fs.renameSync(dir, `${dir}.new`);
  t.is(latestProgress(dir)?.step, 4);
  const s = loadLatestState(dir)!;
  t.is(s.progress.step, 4);
  t.deepEqual([...s.values.get('param.w')!], [4, 5, 6]);
  t.is(s.generatorChecksum, 'g4');
  t.deepEqual(fs.readdirSync(run).sort(), ['state', 'state.old']);
  t.is(latestProgress(`${dir}`)?.step, 4);
  // an index-less state.new (killed while writing) is not a state
  fs.mkdirSync(`${dir}.new`);
  fs.writeFileSync(path.join(`${dir}.new`, 'values.bin'), 'partial');
  t.is(loadLatestState(dir)!.progress.step, 4);
  t.deepEqual(fs.readdirSync(run).sort(), ['state', 'state.old'], 'and is dropped');
});

test('a damaged index.json is a damaged state, not a missing one', (t) => {
  const dir = path.join(tempDir(), 'state');
  saveState(dir, values(2), progress(2), 'g2');
  fs.writeFileSync(path.join(dir, 'index.json'), '{"progress": ');
  t.throws(() => loadLatestState(dir), { message: /^training state '.*state' is damaged: index\.json is not readable \(.*\); there is no earlier complete checkpoint to resume from$/ });
});

const base = [...tinyTrainArgs(), '--lr', '1e-3', '--lr-policy', 'constant', '--beta-ramp', '2', '--checkpoint-every', '2'];
const hash = (f: string) => crypto.createHash('sha256').update(fs.readFileSync(f)).digest('hex');

test('train --resume takes the run options from the run: only the folder and more steps are typed again', (t) => {
  const [run, whole] = [tempDir(), tempDir()];
  t.is(divsyn(...base, '--steps', '4', '--out', run).status, 0);
  const more = divsyn('train', '--out', run, '--resume', '--steps', '6');
  t.is(more.status, 0, more.stderr);
  t.regex(more.stderr, /resuming with --steps 6 \(the run has 4\)/);
  t.is(divsyn(...base, '--steps', '6', '--out', whole).status, 0);
  t.is(hash(path.join(run, 'generator.onnx')), hash(path.join(whole, 'generator.onnx')), 'the same file as an uninterrupted 6-step run');

  const cases: [string[], number, RegExp][] = [
    [['--lr', '2e-4'], 2, /^divsyn: --resume: --lr 0\.0002 \(the run has 0\.001\)/],
    [['--steps', '3'], 2, /--steps 3 \(the run has 6; it may only grow\)/],
    [['--force'], 2, /--resume or --force, not both/],
    [[], 1, /is finished: 6 of 6 steps/],
  ];
  for (const [extra, status, message] of cases) {
    const r = divsyn('train', '--out', run, '--resume', ...extra);
    t.is(r.status, status, `${extra.join(' ')}: ${r.stderr}`);
    t.regex(r.stderr, message, extra.join(' '));
  }
  const threads = divsyn('train', '--out', run, '--resume', '--steps', '7', '--threads', '2');
  t.is(threads.status, 0, threads.stderr);
  t.regex(threads.stderr, /--threads 2 \(the run has 1\)[^]*results equal an uninterrupted run only with the same --threads and --ep/);
  t.regex(
    divsyn('train', '--help').stdout,
    /--resume takes the run's options from RUN\/run\.json; given again they must match, except more --steps \(or --epochs\), --checkpoint-every, --threads and --ep/,
  );
});
