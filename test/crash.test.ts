// Nothing lost at any instant: train and sample killed (SIGKILL, as a power cut or kill -9) at every
// kill point the code declares, then resumed, end with the same files as runs that never stopped;
// SIGTERM and SIGHUP checkpoint like Ctrl-C; a damaged checkpoint is reported as damaged; on a full disk
// (a small tmpfs mounted here) every command names the file it could not write and leaves no temporary.
import test, { ExecutionContext } from 'ava';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import PQueue from 'p-queue';
import { atomicWriteKillPoints } from '../common/files.js';
import { sampleKillPoints } from '../runtime/sampler.js';
import { trainKillPoints } from '../train/trainer.js';
import { divsynAsync, repoRoot, tempDir, tinyTrainArgs } from './helpers/cli.js';

// two commands at a time: the machine's cores are shared
const cpu = new PQueue({ concurrency: 2 });
const divsyn = (args: string[], env: Record<string, string> = {}) => cpu.add(() => divsynAsync(args, env), { throwOnTimeout: true });

const trainArgs = (out: string, steps = 6, every = 2) => [
  ...tinyTrainArgs(),
  '--lr-policy',
  'constant',
  '--beta-ramp',
  '8',
  '--checkpoint-every',
  String(every),
  '--steps',
  String(steps),
  '--out',
  out,
];

const sampleArgs = (model: string, out: string) => [
  'sample',
  '--model',
  model,
  '--layouts',
  'fixture',
  '--count',
  '2',
  '--grid',
  '--sweep',
  'window',
  '--sweep-steps',
  '3',
  '--batch',
  '3',
  '--threads',
  '1',
  '--out',
  out,
];

/** sample --resume as users run it: only the folder, the run's own options come from its ledger. */
async function resumeSampling(out: string, ...extra: string[]) {
  return divsyn(['sample', '--out', out, '--resume', ...extra]);
}

function filesUnder(dir: string, at = ''): string[] {
  return fs.readdirSync(path.join(dir, at), { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? filesUnder(dir, path.join(at, e.name)) : [path.join(at, e.name)]));
}

/** Every file of a run, with its bytes (wall times aside: they differ from run to run). */
function runContents(dir: string): Record<string, string> {
  const contents: Record<string, string> = {};
  for (const name of filesUnder(dir).sort()) {
    const bytes = fs.readFileSync(path.join(dir, name));
    if (name.endsWith('log.jsonl')) {
      contents[name] = bytes
        .toString()
        .trim()
        .split('\n')
        .map((l) => {
          const line = JSON.parse(l) as Record<string, unknown>;
          delete line.seconds;
          delete line.step_seconds;
          return JSON.stringify(line);
        })
        .join('\n');
    } else if (name.endsWith('index.json')) {
      const index = JSON.parse(bytes.toString()) as { progress: { seconds?: number } };
      delete index.progress.seconds;
      contents[name] = JSON.stringify(index);
    } else contents[name] = crypto.createHash('sha256').update(bytes).digest('hex');
  }
  return contents;
}

const sha256 = (file: string) => crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');

let trained: Promise<string> | undefined;
/** An uninterrupted 6-step run (checkpoints at 2, 4 and 6). */
function uninterruptedRun(): Promise<string> {
  trained ??= (async () => {
    const out = path.join(tempDir(), 'run');
    const r = await divsyn(trainArgs(out));
    if (r.status !== 0) throw new Error(r.stderr);
    return out;
  })();
  return trained;
}

let sampled: Promise<{ model: string; out: string }> | undefined;
/** An uninterrupted sampling run of the uninterrupted run's generator. */
function uninterruptedSampling(): Promise<{ model: string; out: string }> {
  sampled ??= (async () => {
    const model = path.join(await uninterruptedRun(), 'generator.onnx');
    const out = path.join(tempDir(), 'samples');
    const r = await divsyn(sampleArgs(model, out));
    if (r.status !== 0) throw new Error(r.stderr);
    return { model, out };
  })();
  return sampled;
}

const isAtomicWrite = (point: string) => (atomicWriteKillPoints as readonly string[]).includes(point);

// a 6-step run writes run.json, then per checkpoint state/index.json, generator.onnx and preview.png:
// the atomic writes 1 to 7 are those up to the second checkpoint; every other point: the first and a later checkpoint
const trainKills = trainKillPoints.flatMap((point) => (isAtomicWrite(point) ? [1, 2, 3, 4, 5, 6, 7] : [1, 2]).map((n) => `${point}:${n}`));

for (const kill of trainKills) {
  test(`train killed at ${kill}, then resumed, ends as an uninterrupted run`, async (t) => {
    const out = path.join(tempDir(), 'run');
    const killed = await divsyn(trainArgs(out), { DIVSYN_KILL_AT: kill });
    t.is(killed.signal, 'SIGKILL', `the run passed ${kill}: ${killed.stderr}`);
    if (fs.existsSync(path.join(out, 'run.json'))) {
      const resumed = await divsyn([...trainArgs(out), '--resume']);
      t.is(resumed.status, 0, resumed.stderr);
      // the state swapped in, its generator file not yet written: the first checkpoint's is missing, a later one's is the previous
      if (kill === 'state.swapped:1') t.regex(resumed.stderr, /generator\.onnx' was missing from the checkpoint of step 2: written again from its state/);
      if (kill === 'state.swapped:2') t.regex(resumed.stderr, /generator\.onnx' did not match the checkpoint of step 4: written again from its state/);
    } else {
      // killed before the run had recorded anything: nothing to resume, and a new run may start there
      const resumed = await divsyn([...trainArgs(out), '--resume']);
      t.is(resumed.status, 1);
      t.regex(resumed.stderr, /holds no training state/);
      const again = await divsyn(trainArgs(out));
      t.is(again.status, 0, again.stderr);
    }
    t.deepEqual(runContents(out), runContents(await uninterruptedRun()));
  });
}

// 50 layouts: 100 samples, 50 grids and 50 strips; the 40th is mid-run
const sampleKills = sampleKillPoints.flatMap((point) => (point === 'sample.merged' ? [1] : [1, 40]).map((n) => `${point}:${n}`));

for (const kill of sampleKills) {
  test(`sample killed at ${kill}, then resumed, ends as an uninterrupted run`, async (t) => {
    const { model, out: reference } = await uninterruptedSampling();
    const out = path.join(tempDir(), 'samples');
    const killed = await divsyn(sampleArgs(model, out), { DIVSYN_KILL_AT: kill });
    t.is(killed.signal, 'SIGKILL', `the run passed ${kill}: ${killed.stderr}`);
    t.true(fs.existsSync(path.join(out, 'samples.ledger.jsonl')));
    const other = await resumeSampling(out, '--seed', '1');
    t.is(other.status, 2, other.stderr);
    t.regex(other.stderr, /--resume: --seed 1 \(the run has none\)/);
    const resumed = await resumeSampling(out);
    t.is(resumed.status, 0, resumed.stderr);
    t.deepEqual(runContents(out), runContents(reference));
    const again = await resumeSampling(out);
    t.is(again.status, 1, again.stderr);
    t.regex(again.stderr, /the sampling in '.*' is finished/);
  });
}

for (const [signal, status] of [
  ['SIGTERM', 143],
  ['SIGHUP', 129],
] as const) {
  test(`${signal} writes a checkpoint and exits ${status}`, async (t) => {
    const out = path.join(tempDir(), 'run');
    const child = spawn(path.join(repoRoot, 'bin', 'divsyn'), trainArgs(out, 100000, 1000), { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const logFile = path.join(out, 'log.jsonl');
    const poll = setInterval(() => {
      if (fs.existsSync(logFile) && fs.readFileSync(logFile, 'utf8').split('\n').length > 3) {
        clearInterval(poll);
        child.kill(signal);
      }
    }, 50);
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    clearInterval(poll);
    t.is(code, status, stderr);
    t.regex(stderr, new RegExp(`${signal} received: writing a checkpoint`));
    const index = JSON.parse(fs.readFileSync(path.join(out, 'state', 'index.json'), 'utf8')) as { progress: { step: number } };
    t.is(index.progress.step, fs.readFileSync(logFile, 'utf8').trim().split('\n').length, 'the checkpoint holds every logged step');
  });
}

test('a damaged values.bin is reported as damaged, naming the earlier checkpoint, which resume then continues from', async (t) => {
  const out = path.join(tempDir(), 'run');
  t.is((await divsyn(trainArgs(out, 4))).status, 0);
  const values = path.join(out, 'state', 'values.bin');
  const bytes = fs.readFileSync(values);
  bytes[bytes.length >> 1] ^= 0x40;
  fs.writeFileSync(values, bytes);
  const damaged = await divsyn([...trainArgs(out), '--resume']);
  t.is(damaged.status, 1);
  t.regex(
    damaged.stderr,
    /^divsyn: training state '.*\/state' \(step 4\) is damaged: values\.bin does not match its checksum; the earlier checkpoint '.*\/state\.old' \(step 2\) is complete: remove '.*\/state' and --resume continues from it$/m,
  );
  fs.rmSync(path.join(out, 'state'), { recursive: true });
  const resumed = await divsyn([...trainArgs(out), '--resume']);
  t.is(resumed.status, 0, resumed.stderr);
  const reference = await uninterruptedRun();
  for (const file of ['generator.onnx', 'state/values.bin', 'preview.png']) t.is(sha256(path.join(out, file)), sha256(path.join(reference, file)), file);

  const single = path.join(tempDir(), 'run');
  t.is((await divsyn(trainArgs(single, 2))).status, 0); // one checkpoint: none before it
  fs.appendFileSync(path.join(single, 'state', 'values.bin'), 'x');
  const alone = await divsyn([...trainArgs(single), '--resume']);
  t.is(alone.status, 1);
  t.regex(alone.stderr, /training state '.*\/state' \(step 2\) is damaged: values\.bin does not match its checksum; there is no earlier complete checkpoint/);
});

test('a command that starts again removes the temporaries of a crashed one', async (t) => {
  const out = path.join(tempDir(), 'export');
  fs.mkdirSync(out);
  const dead = spawnSync('true').pid; // a process id that no longer runs
  const stale = path.join(out, `.manifest.json.${dead}.tmp`);
  fs.writeFileSync(stale, 'half');
  const r = await divsyn(['export-training', '--model', 'pix2pix', '--palette', 'cmp-facades', '--size', '32', '--width', '4', '--out', out]);
  t.is(r.status, 0, r.stderr);
  t.false(fs.existsSync(stale));
});

// ---- a full disk -----------------------------------------------------------------------------------

/** A tmpfs of `size` mounted for fn (the tests run as root); a refused mount fails the test with its reason. */
async function onTmpfs(t: ExecutionContext, size: string, fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = tempDir('divsyn-tmpfs-');
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir], { stdio: 'pipe' });
  } catch (e) {
    t.fail(`cannot mount a ${size} tmpfs on '${dir}' for the disk-full test: ${(e as { stderr?: Buffer }).stderr?.toString().trim() || (e as Error).message}`);
    return;
  }
  try {
    await fn(dir);
  } finally {
    execFileSync('umount', [dir]);
    fs.rmdirSync(dir);
  }
}

/** Fills the file system of dir but for about `leave` bytes; returns the filler to remove. */
function fill(dir: string, leave: number): string {
  const { bavail, bsize } = fs.statfsSync(dir);
  const filler = path.join(dir, 'filler');
  fs.writeFileSync(filler, Buffer.alloc(Math.max(0, bavail * bsize - leave)));
  return filler;
}

const temporaries = (dir: string) => filesUnder(dir).filter((f) => f.endsWith('.tmp') || f.includes('state.new'));
const errorLines = (stderr: string) => stderr.split('\n').filter((l) => l.startsWith('divsyn:'));

test('train on a full disk: the state it could not write is named and removed, the last checkpoint stays intact and resumes', async (t) => {
  await onTmpfs(t, '8m', async (disk) => {
    const out = path.join(disk, 'run');
    t.is((await divsyn(trainArgs(out, 4, 4))).status, 0); // one checkpoint, at step 4
    const before = runContents(out);
    const filler = fill(disk, 64 << 10);
    const full = await divsyn([...trainArgs(out, 6, 4), '--resume']);
    t.is(full.status, 1);
    t.deepEqual(errorLines(full.stderr), [`divsyn: could not write '${out}/state.new/values.bin': ENOSPC: no space left on device, write`]);
    t.deepEqual(temporaries(out), []);
    const index = JSON.parse(fs.readFileSync(path.join(out, 'state', 'index.json'), 'utf8')) as { progress: { step: number }; checksums: Record<string, string> };
    t.is(index.progress.step, 4);
    t.is(sha256(path.join(out, 'state', 'values.bin')), index.checksums['values.bin']);
    t.is(sha256(path.join(out, 'generator.onnx')), index.checksums['generator.onnx']);
    t.is(runContents(out)['state/values.bin'], before['state/values.bin']);
    fs.rmSync(filler);
    t.is((await divsyn([...trainArgs(out, 6, 4), '--resume'])).status, 0);
    t.is(sha256(path.join(out, 'generator.onnx')), sha256(path.join(await uninterruptedRun(), 'generator.onnx')));
  });
});

test('train on a full disk after a checkpoint: the generator it could not write is named, and resume writes it from the state', async (t) => {
  await onTmpfs(t, '8m', async (disk) => {
    const out = path.join(disk, 'run');
    t.is((await divsyn(trainArgs(out, 4))).status, 0); // checkpoints at 2 and 4: the one at 6 replaces the one at 2
    const generator = sha256(path.join(out, 'generator.onnx'));
    const filler = fill(disk, 64 << 10);
    const full = await divsyn([...trainArgs(out), '--resume']);
    t.is(full.status, 1);
    t.deepEqual(errorLines(full.stderr), [`divsyn: could not write '${out}/generator.onnx': ENOSPC: no space left on device, write`]);
    t.deepEqual(temporaries(out), []);
    t.is(sha256(path.join(out, 'generator.onnx')), generator, 'the previous generator file is intact');
    fs.rmSync(filler);
    const finished = await divsyn([...trainArgs(out), '--resume']);
    t.is(finished.status, 1);
    t.regex(finished.stderr, /is finished: 6 of 6 steps .*generator\.onnx' did not match the checkpoint of step 6: written again from its state/);
    const reference = await uninterruptedRun();
    for (const file of ['generator.onnx', 'state/values.bin']) t.is(sha256(path.join(out, file)), sha256(path.join(reference, file)), file);
  });
});

test('sample, eval, export-training and init on a full disk name the file and leave no temporary; sampling resumes', async (t) => {
  const { model, out: reference } = await uninterruptedSampling();
  await onTmpfs(t, '2m', async (disk) => {
    const run = async (args: string[], out: string, file: RegExp) => {
      const filler = fill(disk, 24 << 10);
      const r = await divsyn(args);
      fs.rmSync(filler);
      t.is(r.status, 1, args[0]);
      const errors = errorLines(r.stderr);
      t.is(errors.length, 1, r.stderr);
      t.regex(errors[0], new RegExp(`^divsyn: could not write '${out}/${file.source}': ENOSPC: no space left on device`), args[0]);
      t.deepEqual(temporaries(disk), [], args[0]);
    };
    const samples = path.join(disk, 'samples');
    await run(sampleArgs(model, samples), samples, /(\w+_(\d|grid|sweep_window)\.png|samples\.ledger\.jsonl)/);
    t.is((await resumeSampling(samples)).status, 0);
    t.deepEqual(runContents(samples), runContents(reference));
    fs.rmSync(samples, { recursive: true });

    const evalOut = path.join(disk, 'eval');
    await run(['eval', '--model', model, '--data', 'fixture', '--count', '2', '--limit', '2', '--threads', '1', '--out', evalOut], evalOut, /[\w.]+/);
    fs.rmSync(evalOut, { recursive: true });
    const exportOut = path.join(disk, 'export');
    await run(['export-training', '--model', 'pix2pix', '--palette', 'cmp-facades', '--size', '32', '--width', '4', '--out', exportOut], exportOut, /[\w.]+\.onnx/);
    fs.rmSync(exportOut, { recursive: true });
    await run(['init', '--model', 'pix2pix', '--palette', 'cmp-facades', '--size', '32', '--width', '4', '--out', path.join(disk, 'g.onnx')], disk, /g\.onnx/);
  });
});

test('--resume of a finished run says it is finished', async (t) => {
  const r = await divsyn([...trainArgs(await uninterruptedRun()), '--resume']);
  t.is(r.status, 1);
  t.regex(r.stderr, /^divsyn: the run in '.*' is finished: 6 of 6 steps \(more --steps continue it\)$/m);
});
