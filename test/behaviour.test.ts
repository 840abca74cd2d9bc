// Behaviour pinned across refactors: the bytes of the files the host alone makes (`init` and
// `export-training` for every model kind) by sha256, and, for a short `train` of every kind, the per-step
// losses and parameter sums as numbers (trained bytes depend on the CPU's kernels, so they are compared
// within 1e-5 relative, not hashed). A change that alters these on purpose records them again in the same
// commit (DIVSYN_RECORD_BEHAVIOUR=1 npx ava dist/test/behaviour.test.js) and says why.
import test from 'ava';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import onnxProto from 'onnx-proto';
import { divsyn, repoRoot, tempDir } from './helpers/cli.js';

const RECORD = process.env.DIVSYN_RECORD_BEHAVIOUR === '1';
const recordFile = path.join(repoRoot, 'test', 'golden', 'behaviour.json');
const TOLERANCE = 1e-5;

const tiny = ['--size', '32', '--width', '8', '--seed', '3'];
const fixtureClasses = ['--palette', 'cmp-facades'];
const latentArch = ['--branches', '3', '--split-depth', '1'];

/** Host-only files: every model kind, and the training modes that change the programs' structure. */
const HOST_CASES: Record<string, string[]> = {
  'init pix2pix': ['init', '--model', 'pix2pix', ...fixtureClasses, ...tiny],
  'init crn': ['init', '--model', 'crn', ...fixtureClasses, ...tiny],
  'init crn-multi': ['init', '--model', 'crn-multi', '--images', '3', ...fixtureClasses, ...tiny],
  'init latent': ['init', '--model', 'latent', ...latentArch, ...fixtureClasses, ...tiny],
  'init latent --with-noise': ['init', '--model', 'latent', ...latentArch, '--with-noise', ...fixtureClasses, ...tiny],
  'export-training pix2pix': ['export-training', '--model', 'pix2pix', '--classes', '5', ...tiny, '--beta-ramp', '10'],
  'export-training pix2pix none': ['export-training', '--model', 'pix2pix', '--classes', '5', ...tiny, '--diversity', 'none'],
  'export-training crn': ['export-training', '--model', 'crn', '--classes', '5', ...tiny],
  'export-training crn pairwise best search': ['export-training', '--model', 'crn', '--classes', '5', ...tiny, '--diversity', 'pairwise', '--pass-content', 'best', '--noise-search', '3'],
  'export-training crn-multi': ['export-training', '--model', 'crn-multi', '--images', '3', '--classes', '5', ...tiny, '--diversity', 'none'],
  'export-training latent': ['export-training', '--model', 'latent', ...latentArch, '--classes', '5', ...tiny, '--diversity', 'none'],
  'export-training latent --with-noise': ['export-training', '--model', 'latent', ...latentArch, '--with-noise', '--classes', '5', ...tiny],
};

const trainBase = ['train', '--data', 'fixture', '--size', '32', '--width', '8', '--threads', '1', '--steps', '30', '--checkpoint-every', '1000', '--seed', '5'];

/** 30-step trainings of every kind at 32 px, width 8, one thread. */
const TRAIN_CASES: Record<string, string[]> = {
  'train pix2pix': [...trainBase, '--model', 'pix2pix'],
  'train crn': [...trainBase, '--model', 'crn'],
  'train crn pairwise best search': [...trainBase, '--model', 'crn', '--diversity', 'pairwise', '--pass-content', 'best', '--noise-search', '2'],
  'train crn-multi': [...trainBase, '--model', 'crn-multi', '--images', '3'],
  'train latent neighbours': [...trainBase, '--model', 'latent', ...latentArch, '--neighbours', '2', '--warmup', '5'],
  'train latent --with-noise': [...trainBase, '--model', 'latent', ...latentArch, '--with-noise'],
};

interface TrainRecord {
  /** Per step, the losses in log.jsonl's order. */
  losses: Record<string, number>[];
  /** Over the generator file's initializers: the sum, the sum of absolute values, and the sums of the first and last by name. */
  sums: number[];
}

interface Record_ {
  files: Record<string, Record<string, string>>;
  train: Record<string, TrainRecord>;
}

const sha256 = (file: string) => crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');

function run(args: string[], out: string) {
  const r = divsyn(...args, '--out', out);
  if (r.status !== 0) throw new Error(`divsyn ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
}

function hostFiles(args: string[]): Record<string, string> {
  const dir = tempDir();
  const out = args[0] === 'init' ? path.join(dir, 'generator.onnx') : path.join(dir, 'out');
  run(args, out);
  const files = args[0] === 'init' ? ['generator.onnx'] : fs.readdirSync(out).sort();
  const base = args[0] === 'init' ? dir : out;
  const hashes = Object.fromEntries(files.map((f) => [f, sha256(path.join(base, f))]));
  fs.rmSync(dir, { recursive: true, force: true });
  return hashes;
}

function initializerSums(file: string): number[] {
  const model = onnxProto.onnx.ModelProto.decode(fs.readFileSync(file));
  const arrays = (model.graph?.initializer ?? [])
    .filter((t) => t.dataType === onnxProto.onnx.TensorProto.DataType.FLOAT)
    .sort((a, b) => (a.name! < b.name! ? -1 : 1))
    .map((t) => {
      const raw = t.rawData!;
      return new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
    });
  const sum = (v: Float32Array) => v.reduce((s, x) => s + x, 0);
  return [arrays.reduce((s, v) => s + sum(v), 0), arrays.reduce((s, v) => s + v.reduce((a, x) => a + Math.abs(x), 0), 0), sum(arrays[0]), sum(arrays[arrays.length - 1])];
}

function trainRecord(args: string[]): TrainRecord {
  const dir = tempDir();
  run(args, dir);
  const losses = fs
    .readFileSync(path.join(dir, 'log.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l).losses as Record<string, number>);
  const sums = initializerSums(path.join(dir, 'generator.onnx'));
  fs.rmSync(dir, { recursive: true, force: true });
  return { losses, sums };
}

const close = (a: number, b: number) => Math.abs(a - b) <= TOLERANCE * Math.max(Math.abs(a), Math.abs(b), 1e-12);

if (RECORD) {
  test.serial('record the behaviour', (t) => {
    const files = Object.fromEntries(Object.entries(HOST_CASES).map(([name, args]) => [name, hostFiles(args)]));
    const train = Object.fromEntries(Object.entries(TRAIN_CASES).map(([name, args]) => [name, trainRecord(args)]));
    fs.mkdirSync(path.dirname(recordFile), { recursive: true });
    fs.writeFileSync(recordFile, JSON.stringify({ files, train } satisfies Record_, null, 1) + '\n');
    t.pass(`recorded into ${recordFile}`);
  });
} else {
  const recorded: Record_ = JSON.parse(fs.readFileSync(recordFile, 'utf8'));

  test('the recorded cases are the ones this test runs', (t) => {
    t.deepEqual(Object.keys(recorded.files).sort(), Object.keys(HOST_CASES).sort());
    t.deepEqual(Object.keys(recorded.train).sort(), Object.keys(TRAIN_CASES).sort());
  });

  for (const [name, args] of Object.entries(HOST_CASES)) {
    test(`host-made files are unchanged: ${name}`, (t) => {
      t.deepEqual(hostFiles(args), recorded.files[name]);
    });
  }

  for (const [name, args] of Object.entries(TRAIN_CASES)) {
    test(`training is unchanged: ${name}`, (t) => {
      const got = trainRecord(args);
      const want = recorded.train[name];
      t.is(got.losses.length, want.losses.length);
      got.losses.forEach((step, i) => {
        t.deepEqual(Object.keys(step), Object.keys(want.losses[i]), `step ${i + 1}: loss names`);
        for (const [k, v] of Object.entries(step)) t.true(close(v, want.losses[i][k]), `step ${i + 1}: ${k} ${v} vs recorded ${want.losses[i][k]}`);
      });
      got.sums.forEach((v, i) => t.true(close(v, want.sums[i]), `parameter sum ${i}: ${v} vs recorded ${want.sums[i]}`));
    });
  }
}
