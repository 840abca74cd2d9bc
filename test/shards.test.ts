// divsyn sample --shard I/N on job-array schedulers, and divsyn merge: the shards of a run merged are the
// one-machine run byte for byte; a (layout, k) missing or doubled is named; auto/N reads Kubernetes' and
// Slurm's index variables.
import test from 'ava';
import fs from 'node:fs';
import path from 'node:path';
import { fixtureLayout } from '../fixtures/facades.js';
import { cmpFacades } from '../common/palettes.js';
import { writeIndexPng } from '../train/labels.js';
import { defaultJobImages, parseShard, queueRanges, shardRange } from '../runtime/shards.js';
import { divsyn, divsynAsync, tempDir } from './helpers/cli.js';

const S = 32;
const COUNT = 7;
const LAYOUTS = 5;
// 35 sample jobs in 12 batches of 3, 4 batches a shard: the shards' edges fall inside layouts
const RUN = ['--count', String(COUNT), '--batch', '3', '--threads', '1'];

/** Every file of a folder and its bytes. */
function folderBytes(dir: string): Map<string, Buffer> {
  return new Map(
    fs
      .readdirSync(dir)
      .sort()
      .map((f) => [f, fs.readFileSync(path.join(dir, f))]),
  );
}

async function setup() {
  const dir = tempDir();
  const model = path.join(dir, 'g.onnx');
  const init = divsyn('init', '--model', 'pix2pix', '--palette', 'cmp-facades', '--size', String(S), '--width', '4', '--out', model);
  if (init.status !== 0) throw new Error(init.stderr);
  const layouts = path.join(dir, 'layouts');
  fs.mkdirSync(layouts);
  for (let i = 0; i < LAYOUTS; i++) await writeIndexPng(path.join(layouts, `house${i}.png`), fixtureLayout('test', i, S), S, S, cmpFacades());
  const sample = (out: string, extra: string[] = [], env: Record<string, string> = {}, seed = 5) =>
    divsynAsync(['sample', '--model', model, '--layouts', layouts, ...RUN, '--seed', String(seed), '--out', out, ...extra], env);
  return { dir, sample };
}

test('three shards (index from the option, JOB_COMPLETION_INDEX, SLURM_ARRAY_TASK_ID) merged equal the one-machine run; a missing and a doubled (layout, k) are named', async (t) => {
  const { dir, sample } = await setup();
  const one = path.join(dir, 'one');
  const shard = (i: number) => path.join(dir, `shard${i}`);
  const noIndex = { JOB_COMPLETION_INDEX: '', SLURM_ARRAY_TASK_ID: '', SLURM_ARRAY_TASK_MIN: '' };
  const runs = await Promise.all([
    sample(one),
    sample(shard(0), ['--shard', 'auto/3'], { ...noIndex, JOB_COMPLETION_INDEX: '0' }),
    sample(shard(1), ['--shard', 'auto/3'], { ...noIndex, SLURM_ARRAY_TASK_ID: '5', SLURM_ARRAY_TASK_MIN: '4' }),
    sample(shard(2), ['--shard', '2/3']),
  ]);
  for (const r of runs) t.is(r.status, 0, r.stderr);
  t.regex(runs[1].stderr, /shard 0\/3 \(index from JOB_COMPLETION_INDEX=0\)/);
  t.regex(runs[2].stderr, /shard 1\/3 \(index from SLURM_ARRAY_TASK_ID=5 minus SLURM_ARRAY_TASK_MIN=4\)/);
  // each shard made its slice only, in whole batches
  const ranges = [0, 1, 2].map((index) => shardRange(LAYOUTS * COUNT, 3, { index, count: 3, from: '' }));
  t.deepEqual(
    ranges.map((r) => [r.from, r.to]),
    [
      [0, 12],
      [12, 24],
      [24, 35],
    ],
  );
  for (const [i, r] of ranges.entries()) t.is(fs.readdirSync(shard(i)).filter((f) => f.endsWith('.png')).length, r.to - r.from);

  const merged = path.join(dir, 'merged');
  const m = divsyn('merge', shard(2), shard(0), shard(1), '--out', merged);
  t.is(m.status, 0, m.stderr);
  const expected = folderBytes(one);
  const got = folderBytes(merged);
  t.deepEqual([...got.keys()], [...expected.keys()]);
  for (const [f, bytes] of expected) t.true(got.get(f)!.equals(bytes), f);
  t.is(fs.readFileSync(path.join(merged, 'samples.jsonl'), 'utf8').trim().split('\n').length, LAYOUTS * COUNT);

  // shard 1 left out: its first sample, (house1.png, 5) at position 12, is named missing
  const missing = divsyn('merge', shard(0), shard(2), '--out', path.join(dir, 'm2'));
  t.is(missing.status, 1);
  t.regex(missing.stderr, /^divsyn: 12 \(layout, k\) missing: \(house1\.png, 5\), \(house1\.png, 6\), \(house2\.png, 0\),/m);
  t.false(fs.existsSync(path.join(dir, 'm2')));
  // a shard given twice: each of its (layout, k) is named present twice, with both places
  const doubled = divsyn('merge', shard(0), shard(1), shard(2), shard(0), '--out', path.join(dir, 'm3'));
  t.is(doubled.status, 1);
  t.regex(doubled.stderr, /^divsyn: 12 \(layout, k\) present twice: \(house0\.png, 0\) in '.*shard0' and '.*shard0',/m);
  // a shard of another run (another seed) is refused, naming what differs
  const other = await sample(path.join(dir, 'other'), ['--shard', '1/3'], {}, 6);
  t.is(other.status, 0, other.stderr);
  const mixed = divsyn('merge', shard(0), path.join(dir, 'other'), shard(2), '--out', path.join(dir, 'm4'));
  t.is(mixed.status, 1);
  t.regex(mixed.stderr, /shard '.*other' is not of the same run as '.*shard0': its seed is 6, not 5/);
});

test('--shard values: I/N with I from 0; auto/N from JOB_COMPLETION_INDEX, else SLURM_ARRAY_TASK_ID - SLURM_ARRAY_TASK_MIN; errors name the value', (t) => {
  t.deepEqual(parseShard('0/1', {}), { index: 0, count: 1, from: 'the option' });
  t.deepEqual(parseShard('auto/4', { JOB_COMPLETION_INDEX: '3', SLURM_ARRAY_TASK_ID: '1' }), { index: 3, count: 4, from: 'JOB_COMPLETION_INDEX=3' });
  t.deepEqual(parseShard('auto/4', { SLURM_ARRAY_TASK_ID: '2' }), { index: 2, count: 4, from: 'SLURM_ARRAY_TASK_ID=2 minus SLURM_ARRAY_TASK_MIN=0' });
  t.throws(() => parseShard('3/3', {}), { message: /option --shard: index 3 \(from the option\) is not between 0 and 2/ });
  t.throws(() => parseShard('1/0', {}), { message: /'1\/0' is not I\/N or auto\/N/ });
  t.throws(() => parseShard('auto/2', {}), { message: /neither JOB_COMPLETION_INDEX \(Kubernetes\) nor SLURM_ARRAY_TASK_ID \(Slurm\) is set/ });
  t.throws(() => parseShard('auto/2', { SLURM_ARRAY_TASK_ID: '9', SLURM_ARRAY_TASK_MIN: '4' }), {
    message: /index 5 \(from SLURM_ARRAY_TASK_ID=9 minus SLURM_ARRAY_TASK_MIN=4\) is not between 0 and 1/,
  });
  t.throws(() => parseShard('auto/2', { JOB_COMPLETION_INDEX: 'x' }), { message: /JOB_COMPLETION_INDEX='x' is not a whole number/ });
});

test('--shard and --redis refuse what needs all of a layout on one machine, and each other', (t) => {
  const r = divsyn('sample', '--model', 'g.onnx', '--layouts', 'fixture', '--out', 'x', '--shard', '0/2', '--grid');
  t.is(r.status, 2);
  t.regex(r.stderr, /^divsyn: option --grid makes one image of several samples of a layout: not with --shard \(run it on one machine\)$/m);
  const two = divsyn('sample', '--model', 'g.onnx', '--layouts', 'fixture', '--out', 'x', '--redis', 'redis://127.0.0.1:1', '--queue', 'q', '--sweep', 'window', '--grid');
  t.is(two.status, 2);
  t.regex(two.stderr, /^divsyn: options --grid and --sweep make one image of several samples of a layout: not with --redis \(run them on one machine\)$/m);
  const interp = divsyn('sample', '--model', 'g.onnx', '--layouts', 'fixture', '--out', 'x', '--shard', 'auto/3', '--code-interp', '0,1');
  t.is(interp.status, 2);
  t.regex(interp.stderr, /^divsyn: option --code-interp makes one image .* not with --shard/m);
  const both = divsyn('sample', '--model', 'g.onnx', '--layouts', 'fixture', '--out', 'x', '--shard', '0/2', '--redis', 'redis://127.0.0.1:1', '--queue', 'q');
  t.is(both.status, 2);
  t.regex(both.stderr, /give --shard or --redis, not both/);
});

test('queue jobs: 2048 images at 64 px and below, as many pixels for larger images but at least 256, at most 1/8 of the run; whole batches', (t) => {
  t.is(defaultJobImages(1_000_000, 64, 64), 2048);
  t.is(defaultJobImages(1_000_000, 32, 32), 2048);
  t.is(defaultJobImages(1_000_000, 128, 128), 512);
  t.is(defaultJobImages(1_000_000, 256, 512), 256);
  t.is(defaultJobImages(2000, 64, 64), 250);
  t.is(defaultJobImages(3, 64, 64), 1);
  const ranges = queueRanges(2000, 8, 250);
  t.is(ranges.length, 8);
  t.deepEqual(ranges[0], { from: 0, to: 256 });
  t.deepEqual(ranges.at(-1), { from: 1792, to: 2000 });
  t.true(ranges.every((r, i) => i === 0 || r.from === ranges[i - 1].to));
});
