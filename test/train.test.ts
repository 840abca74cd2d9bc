// Training end to end on the bundled data: the diversity loss makes the noise matter, --resume continues
// exactly, Ctrl-C leaves a checkpoint, and bad runs get clear errors.
import test from 'ava';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { DiversityMode } from '../graph/losses.js';
import { GeneratorSpec } from '../graph/spec.js';
import { defaultTrainingOptions } from '../graph/families/index.js';
import { measureGenerator } from '../metrics/measures.js';
import { noiseScheme } from '../common/variation.js';
import { openSampler } from '../runtime/open-sampler.js';
import { readGenerator } from '../runtime/model-file.js';
import { openDataset } from '../train/datasets.js';
import { batchOpener, evalItems } from '../train/loader.js';
import { cmpFacades } from '../common/palettes.js';
import { train } from '../train/trainer.js';
import { divsyn, repoRoot, tempDir } from './helpers/cli.js';

const S = 32;

async function trainAndMeasure(diversity: DiversityMode) {
  const out = tempDir();
  const spec: GeneratorSpec = { model: 'pix2pix', classes: cmpFacades(), height: S, width: S, channels: 8, norm: 'instance' };
  await train(
    {
      spec,
      options: defaultTrainingOptions(spec, { diversity }),
      seed: 0,
      lr: 1e-3,
      lrPolicy: 'constant',
      totalSteps: 400,
      checkpointEvery: 1e9,
      out,
      resume: false,
      ep: 'cpu',
      threads: 1,
      metadata: {},
    },
    batchOpener({ dataset: openDataset({ data: 'fixture', classes: spec.classes }), width: S, batch: 1, seed: 0 }),
  );
  const g = await openSampler(path.join(out, 'generator.onnx'), { threads: 1 });
  const items = await evalItems(openDataset({ data: 'fixture', classes: spec.classes, split: 'test' }), S, S, 10);
  const m = await measureGenerator((l, n, k) => g.generatePacked(l, n, k), items, noiseScheme(12), { count: 4, seed: 1 });
  await g.release();
  return m;
}

test('with the bounded diversity loss the noise matters; without it the model learns to ignore it', async (t) => {
  const [withLoss, without] = await Promise.all([trainAndMeasure('bounded'), trainAndMeasure('none')]);
  t.log(
    `diversity ${withLoss.diversity.toFixed(3)} vs ${without.diversity.toFixed(3)}; linking ${withLoss.linking!.toFixed(2)}; l1_truth ${withLoss.l1_truth.toFixed(3)} vs ${without.l1_truth.toFixed(3)}`,
  );
  t.true(without.diversity < 0.04, `without the loss: ${without.diversity}`);
  t.true(withLoss.diversity > 0.08, `with the loss: ${withLoss.diversity}`);
  t.true(withLoss.diversity > 4 * without.diversity);
  t.true(withLoss.linking! > 2, `each class's noise moves mostly its own segment: linking ${withLoss.linking}`);
});

// schedules are given explicitly: their defaults follow --steps, which a resumed run may extend
const base = ['train', '--model', 'pix2pix', '--data', 'fixture', '--size', String(S), '--width', '4', '--threads', '1', '--lr-policy', 'constant', '--beta-ramp', '8', '--checkpoint-every', '4'];
const trainingOptions = (run: string) => JSON.parse(readGenerator(path.join(run, 'generator.onnx')).metadata['divsyn.options']);

test("pix2pix's β ramps in over half of the steps unless --beta-ramp says otherwise; a resumed run keeps its ramp", (t) => {
  const run = tempDir();
  const noRamp = base.filter((a, i) => a !== '--beta-ramp' && base[i - 1] !== '--beta-ramp');
  t.is(divsyn(...noRamp, '--steps', '6', '--out', run).status, 0);
  t.is(trainingOptions(run).betaRampSteps, 3);
  const longer = divsyn(...noRamp, '--steps', '10', '--out', run, '--resume');
  t.is(longer.status, 0, longer.stderr);
  t.is(trainingOptions(run).betaRampSteps, 3, 'extending the run does not move the ramp');
});

test('options of other models are usage errors, before any work', (t) => {
  const cases: [string[], RegExp][] = [
    [['--model', 'crn', '--ndf', '8'], /--ndf applies to pix2pix .*not --model crn$/m],
    [['--model', 'crn', '--diversity', 'none', '--noise-content', '0.5'], /--noise-content applies to crn and latent --with-noise, with a diversity loss, not --model crn with --diversity none/],
    [['--model', 'pix2pix', '--noise-content', '1'], /--noise-content applies to crn/],
    [['--model', 'crn-multi', '--beta-ramp', '10'], /--beta-ramp applies to models trained with a diversity loss, not --model crn-multi/],
  ];
  for (const [args, message] of cases) {
    const out = path.join(tempDir(), 'run');
    const r = divsyn('train', ...args, '--data', 'fixture', '--size', '32', '--out', out);
    t.is(r.status, 2, args.join(' '));
    t.regex(r.stderr, message);
    t.false(fs.existsSync(out), 'nothing written');
  }
});

test('--resume gives the same parameters as an uninterrupted run', (t) => {
  const a = tempDir();
  const b = tempDir();
  t.is(divsyn(...base, '--steps', '12', '--out', a).status, 0);
  t.is(divsyn(...base, '--steps', '6', '--out', b).status, 0);
  const resumed = divsyn(...base, '--steps', '12', '--out', b, '--resume');
  t.is(resumed.status, 0, resumed.stderr);
  t.true(fs.readFileSync(path.join(a, 'generator.onnx')).equals(fs.readFileSync(path.join(b, 'generator.onnx'))), 'identical generator files');
  const log = fs
    .readFileSync(path.join(b, 'log.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  t.deepEqual(
    log.map((l) => l.step),
    [...Array(12).keys()].map((i) => i + 1),
  );
  for (const key of ['step', 'epoch', 'seconds', 'step_seconds', 'lr', 'losses']) t.true(key in log[0], key);
  t.true(fs.existsSync(path.join(b, 'preview.png')));
});

test('Ctrl-C writes a checkpoint and exits 130; --resume continues from it', async (t) => {
  const out = tempDir();
  const child = spawn(path.join(repoRoot, 'bin', 'divsyn'), [...base, '--steps', '300', '--out', out], { stdio: ['ignore', 'pipe', 'pipe'] });
  const logFile = path.join(out, 'log.jsonl');
  await new Promise<void>((resolve) => {
    const poll = setInterval(() => {
      if (fs.existsSync(logFile) && fs.readFileSync(logFile, 'utf8').split('\n').length > 3) {
        clearInterval(poll);
        child.kill('SIGINT');
        resolve();
      }
    }, 50);
  });
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  t.is(code, 130);
  const index = JSON.parse(fs.readFileSync(path.join(out, 'state', 'index.json'), 'utf8'));
  const steps = fs.readFileSync(logFile, 'utf8').trim().split('\n').length;
  t.is(index.progress.step, steps, 'the checkpoint holds every logged step');
  t.true(fs.existsSync(path.join(out, 'generator.onnx')));
  t.true(steps < 300, 'stopped before the end');
  const r = divsyn('train', '--out', out, '--resume');
  t.is(r.status, 0, r.stderr);
  t.is(fs.readFileSync(logFile, 'utf8').trim().split('\n').length, 300);
});

test('bad training runs get one clear error', (t) => {
  const out = tempDir();
  fs.writeFileSync(path.join(out, 'x'), '');
  const notEmpty = divsyn(...base, '--steps', '2', '--out', out);
  t.is(notEmpty.status, 1);
  t.regex(notEmpty.stderr, /not empty.*--resume/);
  const none = divsyn(...base, '--steps', '2', '--out', tempDir(), '--resume');
  t.is(none.status, 1);
  t.regex(none.stderr, /no training state/);
  t.is(divsyn(...base, '--steps', '2', '--epochs', '1', '--out', tempDir()).status, 2);
  const lambda = divsyn(...base, '--steps', '2', '--lambda', '0.3,nope=1', '--out', tempDir());
  t.is(lambda.status, 2);
  t.regex(lambda.stderr, /unknown class 'nope'/);
  const other = tempDir();
  t.is(divsyn(...base, '--steps', '2', '--out', other).status, 0);
  const changed = divsyn(...base.map((a) => (a === '4' ? '8' : a)), '--steps', '4', '--out', other, '--resume');
  t.is(changed.status, 2);
  t.regex(changed.stderr, /--resume: --width 8 \(the run has 4\)/);
});

test('train reads a pix2pix aligned folder (BtoA, as CMP Facades); a corrupt image names its file', async (t) => {
  const { indicesToColors, writePng } = await import('../common/image.js');
  const { fixtureItem } = await import('../fixtures/facades.js');
  const data = tempDir();
  const size = 40; // not the model's size: the loader resizes and crops
  for (let i = 0; i < 4; i++) {
    const item = fixtureItem('train', i, size);
    const labels = indicesToColors(item.layout, cmpFacades());
    const ab = new Uint8Array(size * 2 * size * 3);
    for (let y = 0; y < size; y++) {
      ab.set(item.photo.subarray(y * size * 3, (y + 1) * size * 3), y * 2 * size * 3); // A: photo
      ab.set(labels.subarray(y * size * 3, (y + 1) * size * 3), (y * 2 * size + size) * 3); // B: labels
    }
    await writePng(path.join(data, `${i}.png`), { data: ab, width: 2 * size, height: size, channels: 3 });
  }
  const out = tempDir();
  const args = [
    'train',
    '--model',
    'pix2pix',
    '--data',
    data,
    '--format',
    'pix2pix',
    '--direction',
    'BtoA',
    '--palette',
    'cmp-facades',
    '--size',
    String(S),
    '--width',
    '4',
    '--steps',
    '3',
    '--threads',
    '1',
  ];
  const r = divsyn(...args, '--out', out);
  t.is(r.status, 0, r.stderr);
  t.is(fs.readFileSync(path.join(out, 'log.jsonl'), 'utf8').trim().split('\n').length, 3);
  fs.writeFileSync(path.join(data, '2.png'), fs.readFileSync(path.join(data, '2.png')).subarray(0, 100));
  const bad = divsyn(...args, '--out', tempDir());
  t.is(bad.status, 1);
  t.regex(bad.stderr, /2\.png/);
});
