// divsyn sample --redis with divsyn worker processes on a real redis-server: a worker killed with SIGKILL
// mid-job has its job rerun by another, and the run ends byte-identical to a one-machine run; a Redis
// address that does not answer is one clear error within 10 s, and so is one lost mid-run.
import test from 'ava';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fixtureLayout } from '../fixtures/facades.js';
import { cmpFacades } from '../common/palettes.js';
import { writeIndexPng } from '../train/labels.js';
import { divsyn, divsynAsync, repoRoot, tempDir } from './helpers/cli.js';
import { freePort, startRedis } from './helpers/redis.js';

const S = 32;
const LAYOUTS = 5;
const COUNT = 24;
const RUN = ['--count', String(COUNT), '--batch', '4', '--threads', '1', '--seed', '2'];

/** bin/divsyn as a child whose pid the test knows; stderr() is what it wrote so far. */
function start(args: string[]) {
  const child = spawn(path.join(repoRoot, 'bin', 'divsyn'), args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<{ status: number | null; signal: NodeJS.Signals | null; stderr: string }>((resolve) => child.on('close', (status, signal) => resolve({ status, signal, stderr })));
  return { child, done, stderr: () => stderr };
}

/** Waits until a started command's stderr says `what` (or it ended). */
async function saying(run: ReturnType<typeof start>, what: RegExp): Promise<void> {
  let ended = false;
  void run.done.then(() => (ended = true));
  while (!what.test(run.stderr()) && !ended) await new Promise((r) => setTimeout(r, 50));
}

/** sample over the fixture's 50 layouts, 2 images each (100), on queue 'q' in jobs of jobImages. */
const fixtureRun = (model: string, out: string, redis: string, jobImages: number) => [
  ...'sample --layouts fixture --count 2 --threads 1 --queue q'.split(' '),
  ...['--model', model, '--out', out, '--redis', redis, '--job-images', String(jobImages)],
];

/** An untrained 12-class model at S px for the fixture's layouts. */
function tinyModel(dir: string): string {
  const model = path.join(dir, 'g.onnx');
  const r = divsyn('init', '--model', 'pix2pix', '--palette', 'cmp-facades', '--size', String(S), '--width', '4', '--out', model);
  if (r.status !== 0) throw new Error(r.stderr);
  return model;
}

function folderBytes(dir: string): Map<string, Buffer> {
  return new Map(
    fs
      .readdirSync(dir)
      .sort()
      .map((f) => [f, fs.readFileSync(path.join(dir, f))]),
  );
}

test('three workers, one killed with SIGKILL mid-job: its job is rerun by another and the run equals the one-machine run byte for byte', async (t) => {
  const dir = tempDir();
  const model = tinyModel(dir);
  const layouts = path.join(dir, 'layouts');
  fs.mkdirSync(layouts);
  for (let i = 0; i < LAYOUTS; i++) await writeIndexPng(path.join(layouts, `house${i}.png`), fixtureLayout('test', i, S), S, S, cmpFacades());
  const redis = await startRedis();
  const workers = [0, 1, 2].map(() => start(['worker', '--redis', redis.url, '--queue', 'runs', '--lock-duration', '2000']));
  try {
    const one = path.join(dir, 'one');
    const queued = path.join(dir, 'queued');
    const oneRun = divsynAsync(['sample', '--model', model, '--layouts', layouts, ...RUN, '--out', one]);
    // 120 images in jobs of 8: 15 jobs
    const queuedRun = divsynAsync(['sample', '--model', model, '--layouts', layouts, ...RUN, '--out', queued, '--redis', redis.url, '--queue', 'runs', '--job-images', '8']);
    // kill worker 0 while it has a job in hand: its job folder is there
    const victim = workers[0].child;
    let killedIn: string | undefined;
    let finished = false;
    void queuedRun.then(() => (finished = true));
    while (!killedIn && !finished) {
      const parts = fs.existsSync(path.join(queued, '.divsyn-jobs')) ? fs.readdirSync(path.join(queued, '.divsyn-jobs')) : [];
      killedIn = parts.find((p) => p.includes(`.${victim.pid}.`));
      if (killedIn) victim.kill('SIGKILL');
      else await new Promise((r) => setTimeout(r, 20));
    }
    t.truthy(killedIn, 'worker 0 was seen with a job in hand');
    const r = await queuedRun;
    t.is(r.status, 0, r.stderr);
    t.regex(r.stderr, /120 images from 5 layouts/);
    t.is((await workers[0].done).signal, 'SIGKILL');
    // the killed worker's job, by its id, was finished by one of the others
    const jobId = killedIn!.split('.')[0];
    for (const w of workers.slice(1)) w.child.kill('SIGTERM');
    const others = await Promise.all(workers.slice(1).map((w) => w.done));
    for (const o of others) t.is(o.status, 143, o.stderr);
    t.true(
      others.some((o) => o.stderr.includes(`job ${jobId}: `)),
      `job ${jobId} was rerun by another worker:\n${others.map((o) => o.stderr).join('\n')}`,
    );
    // each worker opened the model once, for all of its jobs
    for (const o of others) {
      t.is(o.stderr.match(/^opened .*g\.onnx on cpu/gm)?.length, 1, o.stderr);
      t.true((o.stderr.match(/^job \S+: /gm)?.length ?? 0) > 1, o.stderr);
    }
    t.is((await oneRun).status, 0);
    t.false(fs.existsSync(path.join(queued, '.divsyn-jobs')), 'no job folder is left');
    const expected = folderBytes(one);
    const got = folderBytes(queued);
    t.deepEqual([...got.keys()], [...expected.keys()]);
    for (const [f, bytes] of expected) t.true(got.get(f)!.equals(bytes), f);
    const lines = fs.readFileSync(path.join(queued, 'samples.jsonl'), 'utf8').trim().split('\n');
    const pairs = lines.map((l) => JSON.parse(l) as { layout: string; k: number }).map((l) => `${l.layout}:${l.k}`);
    t.is(new Set(pairs).size, LAYOUTS * COUNT, 'each (layout, k) exactly once');
    t.is(pairs.length, LAYOUTS * COUNT);
  } finally {
    for (const w of workers) w.child.kill('SIGKILL');
    await redis.stop();
  }
});

// serial: run alone, before the test that runs five divsyn processes, so that its time is its own
test.serial('a Redis address that refuses or does not answer is one error naming it, within 10 s, before any work', async (t) => {
  const closed = await freePort();
  const silent = net.createServer(() => undefined);
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  const silentPort = (silent.address() as net.AddressInfo).port;
  const dir = tempDir();
  const model = tinyModel(dir);
  try {
    // one at a time, each timed from its start (process start-up included) to its error
    const timed = async (args: string[]) => {
      const began = performance.now();
      const r = await divsynAsync(args);
      const seconds = (performance.now() - began) / 1000;
      t.log(`divsyn ${args[0]}: ${seconds.toFixed(1)} s`);
      t.true(seconds < 10, `divsyn ${args.join(' ')} took ${seconds.toFixed(1)} s`);
      return r;
    };
    const refused = await timed(['worker', '--redis', `redis://127.0.0.1:${closed}`, '--queue', 'q']);
    t.is(refused.status, 2);
    t.is(refused.stderr, `divsyn: option --redis: cannot reach Redis at redis://127.0.0.1:${closed}: connect ECONNREFUSED 127.0.0.1:${closed}\n`);
    const unanswered = await timed(['sample', '--model', model, '--layouts', 'fixture', '--out', path.join(dir, 'o'), '--redis', `redis://127.0.0.1:${silentPort}`, '--queue', 'q']);
    t.is(unanswered.status, 2);
    t.is(unanswered.stderr, `divsyn: option --redis: cannot reach Redis at redis://127.0.0.1:${silentPort}: no answer within 3 s\n`);
    t.false(fs.existsSync(path.join(dir, 'o')), 'no output folder is made');
  } finally {
    silent.close();
  }
});

test('a job that fails 3 times fails the run, naming the job and its error; --exit-when-empty ends the worker once the queue is empty', async (t) => {
  const dir = tempDir();
  const model = tinyModel(dir);
  // the jobs' folder cannot be made: a file stands where it goes
  const out = path.join(dir, 'out');
  fs.mkdirSync(out);
  fs.writeFileSync(path.join(out, '.divsyn-jobs'), 'not a folder');
  const redis = await startRedis();
  try {
    const run = start([...fixtureRun(model, out, redis.url, 100), '--force']);
    await saying(run, /enqueued 1 job /);
    const worker = await divsynAsync(['worker', '--redis', redis.url, '--queue', 'q', '--exit-when-empty', '1']);
    const r = await run.done;
    t.is(r.status, 1, r.stderr);
    t.regex(r.stderr, /^divsyn: queue job \S+-0 failed 3 times: .*\.divsyn-jobs/m);
    t.is(worker.status, 0, worker.stderr);
    t.is(worker.stderr.match(/^job \S+ failed: .*\.divsyn-jobs/gm)?.length, 3, worker.stderr);
    t.regex(worker.stderr, /^worker stopped \(the queue stayed empty\) after 0 jobs, 0 images$/m);
    // the jobs' parts folder (here the file in its way) is removed with the failed run
    t.false(fs.existsSync(path.join(out, '.divsyn-jobs')));
  } finally {
    await redis.stop();
  }
});

test('Ctrl-C on the coordinator removes the unfinished jobs of its run from the queue', async (t) => {
  const dir = tempDir();
  const model = tinyModel(dir);
  const redis = await startRedis();
  try {
    // 100 images in jobs of 8: 13 jobs, and no worker yet
    const run = start(fixtureRun(model, path.join(dir, 'out'), redis.url, 8));
    await saying(run, /enqueued 13 jobs/);
    run.child.kill('SIGINT');
    const r = await run.done;
    t.is(r.status, 130, r.stderr);
    t.regex(r.stderr, /removed the 13 unfinished jobs of queue 'q'/);
    // a worker finds nothing to do
    const worker = await divsynAsync(['worker', '--redis', redis.url, '--queue', 'q', '--exit-when-empty', '0']);
    t.is(worker.status, 0, worker.stderr);
    t.regex(worker.stderr, /after 0 jobs/);
  } finally {
    await redis.stop();
  }
});

test('a coordinator whose Redis goes away mid-run ends with one error naming it, not a wait for Redis to return', async (t) => {
  const dir = tempDir();
  const model = tinyModel(dir);
  const redis = await startRedis();
  const run = start(fixtureRun(model, path.join(dir, 'out'), redis.url, 8));
  await saying(run, /enqueued 13 jobs/);
  await redis.stop();
  const stopped = performance.now();
  const r = await run.done;
  t.is(r.status, 1, r.stderr);
  t.regex(r.stderr, new RegExp(`^divsyn: lost Redis at ${redis.url}: no answer for 10 s`, 'm'));
  t.true(performance.now() - stopped < 25_000, `ended ${((performance.now() - stopped) / 1000).toFixed(1)} s after Redis stopped`);
  t.false(fs.existsSync(path.join(dir, 'out', '.divsyn-jobs')));
});
