// --input image|landmarks through the commands and the library (issue 24): a latent model trained briefly
// by `divsyn train` on each bundled set gives different images for different codes and the same image for
// the same code (openGenerator), its file and `divsyn info` say the input kind, label-map options on it are
// usage errors naming the option, `divsyn sample --layouts` takes point files and normal maps (a wrong
// point count named), a dataset folder with a missing partner is named, and init, export-training, eval
// and --resume take the input.
import test from 'ava';
import fs from 'node:fs';
import path from 'node:path';
import { openGenerator } from '../api/generator.js';
import { writePng } from '../common/image.js';
import { readGeneratorInfo } from '../common/generator-info.js';
import { headItem } from '../fixtures/heads.js';
import { faceItem } from '../fixtures/faces.js';
import { readGenerator } from '../runtime/model-file.js';
import { openSampler } from '../runtime/open-sampler.js';
import { conditionInputs } from '../train/condition-data.js';
import { divsyn, tempDir } from './helpers/cli.js';
import { canvasPixels, inChromium, openStudio, servingStudio, setSlider, settled, studioStatus } from './helpers/studio-page.js';

const S = 32;
const dir = tempDir();
test.after.always(() => fs.rmSync(dir, { recursive: true, force: true }));

const tiny = ['--size', String(S), '--width', '8', '--threads', '1'];
const latentArgs = ['--model', 'latent', '--data', 'fixture', ...tiny, '--branches', '3', '--split-depth', '1'];

/** A latent model trained by the command line on the bundled data of `input`, once for all the tests below. */
const trained = new Map<string, string>();
function latentOn(input: 'image' | 'landmarks'): string {
  if (!trained.has(input)) {
    const out = path.join(dir, `run-${input}`);
    const r = divsyn('train', ...latentArgs, '--input', input, '--steps', '6', '--checkpoint-every', '3', '--out', out, ...(input === 'landmarks' ? ['--sigma', '1.5'] : []));
    if (r.status !== 0) throw new Error(r.stderr);
    trained.set(input, path.join(out, 'generator.onnx'));
  }
  return trained.get(input)!;
}

const meanAbs = (a: Uint8Array, b: Uint8Array) => a.reduce((s, v, i) => s + Math.abs(v - b[i]), 0) / a.length;

/** Point files (one "x y" per line, and .pts) and normal maps of the bundled test items, in the model's pixels; written once. */
let written: Promise<{ points: string; normals: string }> | undefined;
const conditionFiles = () => (written ??= writeConditionFiles());

async function writeConditionFiles(): Promise<{ points: string; normals: string }> {
  const points = path.join(dir, 'points');
  const normals = path.join(dir, 'normals');
  fs.mkdirSync(points);
  fs.mkdirSync(normals);
  for (const i of [0, 1]) {
    const p = faceItem('test', i, S, S).points;
    const lines = Array.from({ length: p.length / 2 }, (_, k) => `${p[2 * k]} ${p[2 * k + 1]}`);
    // .pts is 1-based
    const pts = Array.from({ length: p.length / 2 }, (_, k) => `${p[2 * k] + 1} ${p[2 * k + 1] + 1}`);
    fs.writeFileSync(path.join(points, i ? `face${i}.pts` : `face${i}.txt`), i ? `version: 1\nn_points: ${pts.length}\n{\n${pts.join('\n')}\n}\n` : lines.join('\n'));
    const h = headItem('test', i, S, S);
    await writePng(path.join(normals, `head${i}.png`), { data: h.normals, width: S, height: S, channels: 3 });
  }
  return { points, normals };
}

for (const input of ['image', 'landmarks'] as const) {
  test(`divsyn train --input ${input}: different codes give different images, the same code the same image`, async (t) => {
    const file = latentOn(input);
    const files = await conditionFiles();
    const g = await openGenerator(file, { threads: 1 });
    try {
      const source = input === 'image' ? path.join(files.normals, 'head0.png') : path.join(files.points, 'face0.txt');
      const layout = await g.layout(source);
      t.is(layout.stem, input === 'image' ? 'head0' : 'face0');
      t.is(layout.onehot.length, (input === 'image' ? 3 : 68) * S * S);
      const [a, b] = await g.sample(layout, { count: 2, seed: 5 });
      const [again] = await g.sample(layout, { count: 1, seed: 5 });
      t.deepEqual(again.image.data, a.image.data);
      t.deepEqual(again.record.code, a.record.code);
      t.true(meanAbs(a.image.data, b.image.data) > 0.5, `codes 0 and 1 differ by ${meanAbs(a.image.data, b.image.data)} of 255`);
      // the same condition from its bytes, and another condition, through condition()
      const fromBytes = await g.condition(fs.readFileSync(source), { stem: layout.stem });
      t.deepEqual(fromBytes.onehot, layout.onehot);
      // and from its values: the points themselves, or the normal map's planes
      const values = input === 'image' ? layout.onehot : faceItem('test', 0, S, S).points;
      t.deepEqual((await g.condition(values)).onehot, layout.onehot);
      const other = await g.condition(input === 'image' ? path.join(files.normals, 'head1.png') : path.join(files.points, 'face1.pts'));
      const [third] = await g.sample(other, { count: 1, seed: 5 });
      t.true(meanAbs(third.image.data, a.image.data) > 0.5);
    } finally {
      await g.release();
    }
  });
}

test("the file and divsyn info say the input kind; the run's record keeps it", (t) => {
  const file = latentOn('landmarks');
  const info = readGeneratorInfo(fs.readFileSync(file), file);
  t.deepEqual(info.architecture.condition, { kind: 'landmarks', channels: 68, range: [0, 1], sigma: 1.5 });
  t.is(info.training?.input, 'landmarks');
  t.regex(divsyn('info', file).stdout, /^input: {3}landmarks \(68 heat maps, σ 1\.5 px\)$/m);
  const image = divsyn('info', latentOn('image'));
  t.regex(image.stdout, /^input: {3}image \(normal map, x y z in \[-1, 1\]\)$/m);
  t.regex(image.stdout, /^ {2}condition float32 \[N, 3, 32, 32\]/m);
  t.deepEqual(JSON.parse(fs.readFileSync(path.join(path.dirname(file), 'run.json'), 'utf8')).options.input, 'landmarks');
});

test('label-map options on a model fed normal maps or landmarks are usage errors naming the option', (t) => {
  const out = path.join(dir, 'refused');
  const train = ['train', ...latentArgs];
  const cases: [string[], RegExp][] = [
    [[...train, '--input', 'landmarks', '--palette', 'cmp-facades', '--out', out], /^divsyn: --palette names the classes of label maps: it does not apply to --input landmarks$/m],
    [[...train, '--input', 'image', '--format', 'pairs', '--out', out], /--format reads label-map datasets/],
    [[...train, '--input', 'image', '--diversity', 'bounded', '--out', out], /--diversity bounded needs label maps/],
    [[...train, '--input', 'image', '--sigma', '2', '--out', out], /--sigma applies to --input landmarks/],
    [[...train, '--input', 'landmarks', '--images', '4', '--out', out], /--images applies to --model crn-multi/],
    [['train', '--data', 'fixture', ...tiny, '--model', 'pix2pix', '--input', 'image', '--out', out], /--input image applies to --model crn and latent, not --model pix2pix/],
    [['init', '--model', 'crn', '--input', 'image', '--classes', '3', '--size', '32', '--out', path.join(out, 'g.onnx')], /--classes counts the classes of label maps/],
    [['sample', '--model', latentOn('landmarks'), '--layouts', 'fixture', '--sweep', 'wall', '--out', out], /--sweep sweeps a class’s noise: it does not apply to --input landmarks/],
    [['eval', '--model', latentOn('image'), '--data', 'fixture', '--segmenter', 'seg.onnx', '--out', out], /--segmenter measures realism/],
  ];
  for (const [args, message] of cases) {
    const r = divsyn(...args);
    t.is(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
    t.regex(r.stderr, message);
  }
  t.false(fs.existsSync(out));
});

test('divsyn sample --layouts takes point files and normal maps; a wrong point count is named', async (t) => {
  const files = await conditionFiles();
  const points = path.join(dir, 'samples-points');
  let r = divsyn('sample', '--model', latentOn('landmarks'), '--layouts', files.points, '--count', '2', '--out', points, '--threads', '1');
  t.is(r.status, 0, r.stderr);
  t.deepEqual(fs.readdirSync(points).sort(), ['face0_0.png', 'face0_1.png', 'face1_0.png', 'face1_1.png', 'samples.jsonl']);
  const records = fs
    .readFileSync(path.join(points, 'samples.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  t.deepEqual(
    records.map((x) => x.layout),
    [0, 0, 1, 1].map((i) => path.join(files.points, i ? 'face1.pts' : 'face0.txt')),
  );
  // the code of sample k depends on the seed, the stem and k alone, as the library's
  const g = await openGenerator(latentOn('landmarks'), { threads: 1 });
  try {
    const [, k1] = await g.sample(await g.layout(path.join(files.points, 'face1.pts')), { count: 2, seed: 0 });
    t.deepEqual(k1.record.code, records[3].code);
  } finally {
    await g.release();
  }

  const normals = path.join(dir, 'samples-normals');
  r = divsyn('sample', '--model', latentOn('image'), '--layouts', files.normals, '--count', '1', '--grid', '--out', normals, '--threads', '1');
  t.is(r.status, 0, r.stderr);
  t.true(['head0_0.png', 'head1_0.png', 'head0_grid.png'].every((f) => fs.existsSync(path.join(normals, f))));

  const bad = path.join(dir, 'three.txt');
  fs.writeFileSync(bad, '1 2\n3 4\n5 6\n');
  r = divsyn('sample', '--model', latentOn('landmarks'), '--layouts', bad, '--out', path.join(dir, 'samples-bad'));
  t.is(r.status, 1);
  t.regex(r.stderr, new RegExp(`point file '${bad}' holds 3 points; the model takes 68`));
});

test('a dataset folder: trained and sampled from, a missing partner named', async (t) => {
  const data = path.join(dir, 'heads');
  for (const i of [0, 1, 2]) {
    const h = headItem('train', i, S, S);
    await writePng(path.join(data, 'normals', `h${i}.png`), { data: h.normals, width: S, height: S, channels: 3 });
    if (i < 2) await writePng(path.join(data, 'photos', `h${i}.png`), { data: h.photo, width: S, height: S, channels: 3 });
  }
  const out = path.join(dir, 'run-folder');
  const args = ['train', ...tiny, '--model', 'crn', '--input', 'image', '--data', data, '--steps', '2', '--out', out];
  let r = divsyn(...args);
  t.is(r.status, 1);
  t.regex(r.stderr, new RegExp(`normal map '${path.join(data, 'normals', 'h2.png')}' has no photo`));
  fs.rmSync(path.join(data, 'normals', 'h2.png'));
  r = divsyn(...args);
  t.is(r.status, 0, r.stderr);
  t.true(fs.existsSync(path.join(out, 'preview.png')));
  // --layouts DATASET takes its normals/
  r = divsyn('sample', '--model', path.join(out, 'generator.onnx'), '--layouts', data, '--count', '1', '--out', path.join(dir, 'samples-folder'));
  t.is(r.status, 0, r.stderr);
  t.deepEqual(fs.readdirSync(path.join(dir, 'samples-folder')).sort(), ['h0_0.png', 'h1_0.png', 'samples.jsonl']);
});

test('init, export-training, eval and --resume take the input', (t) => {
  const init = path.join(dir, 'init.onnx');
  let r = divsyn('init', '--model', 'crn', '--input', 'landmarks', '--points', '5', '--sigma', '3', '--size', '32', '--width', '8', '--out', init);
  t.is(r.status, 0, r.stderr);
  t.regex(r.stdout, /crn 32x32, input landmarks \(5 channels\)/);
  t.deepEqual(readGeneratorInfo(fs.readFileSync(init)).architecture.condition, { kind: 'landmarks', channels: 5, range: [0, 1], sigma: 3 });

  const exported = path.join(dir, 'export');
  r = divsyn('export-training', '--model', 'latent', '--input', 'image', '--size', '32', '--width', '8', '--branches', '2', '--split-depth', '1', '--out', exported);
  t.is(r.status, 0, r.stderr);
  const manifest = JSON.parse(fs.readFileSync(path.join(exported, 'manifest.json'), 'utf8'));
  t.deepEqual(manifest.train_step.inputs.find((v: { name: string }) => v.name === 'condition').shape, [1, 3, 32, 32]);

  r = divsyn('eval', '--model', latentOn('image'), '--data', 'fixture', '--count', '2', '--limit', '2', '--out', path.join(dir, 'eval'), '--threads', '1');
  t.is(r.status, 0, r.stderr);
  const report = JSON.parse(fs.readFileSync(path.join(dir, 'eval', 'report.json'), 'utf8'));
  t.is(report.layouts, 2);
  t.regex(report.data, /heads/);
  t.true(report.models[0].diversity.diversity > 0);

  // the run's own options, --input among them, come back from run.json (in a copy: the other tests read the run)
  const run = path.join(dir, 'resumed');
  fs.cpSync(path.dirname(latentOn('landmarks')), run, { recursive: true });
  r = divsyn('train', '--resume', '--out', run, '--steps', '8');
  t.is(r.status, 0, r.stderr);
  const info = readGeneratorInfo(fs.readFileSync(path.join(run, 'generator.onnx')));
  t.is(info.training?.steps, 8);
  t.is(info.architecture.condition?.kind, 'landmarks');
});

test('reproduce he-latent --input landmarks: the five latent rows on the bundled faces, no segmenter, neighbours within θ', async (t) => {
  const out = path.join(dir, 'reproduce');
  const r = divsyn(
    'reproduce',
    'he-latent',
    '--input',
    'landmarks',
    '--data',
    'fixture',
    '--size',
    '32',
    '--width',
    '4',
    '--steps',
    '2',
    '--branches',
    '2',
    '--neighbours',
    '1',
    '--samples',
    '2',
    '--limit',
    '2',
    '--threads',
    '1',
    '--out',
    out,
  );
  t.is(r.status, 0, r.stderr);
  const report = JSON.parse(fs.readFileSync(path.join(out, 'report.json'), 'utf8'));
  t.deepEqual(
    report.table.map((row: { model: string }) => row.model),
    ['shared, best-of-n', 'shared, neighbours-enhanced', 'separate, best-of-n', 'separate, neighbours-enhanced', 'shared, neighbours-enhanced, late split'],
  );
  t.false(report.stages.some((s: { name: string }) => s.name === 'segmenter'));
  t.false('segmenter' in report.settings);
  t.is(report.settings.theta, 0.15);
  t.regex(report.data, /faces with 68 landmarks/);
  for (const row of report.table) {
    t.is(row.accuracy, undefined);
    t.true(row.ssim_best >= row.ssim_mean && row.rmse_best <= row.rmse_mean);
  }
  // the neighbour table was made with that θ
  const table = JSON.parse(fs.readFileSync(path.join(out, 'train-shared-neighbours', 'neighbours.json'), 'utf8'));
  t.is(JSON.parse(table.key).theta, 0.15);
  t.is(report.paper.length, 5);
  const refused = divsyn('reproduce', 'he-latent', '--input', 'image', '--data', 'fixture', '--palette', 'cityscapes', '--out', path.join(dir, 'refused-reproduce'));
  t.is(refused.status, 2);
});

test.serial('the studio page takes a model fed landmarks: the bundled faces, the image within 1 level of onnxruntime-node, point-file uploads', async (t) => {
  const model = latentOn('landmarks');
  const files = await conditionFiles();
  await inChromium('divsyn-inputs-studio-', (browser) =>
    servingStudio(model, async (url) => {
      const { page, errors } = await openStudio(browser, url);
      const status = await studioStatus(page);
      t.is(status.error, undefined);
      t.is(await page.locator('#layout-choice option').count(), 50);
      t.true(await page.locator('#brush-class').isHidden());
      // the first face at training code 0, as the page starts, through onnxruntime-node
      const { spec } = readGenerator(model);
      const [first] = await conditionInputs('fixture', spec.condition!, S, S);
      const sampler = await openSampler(model, { threads: 1 });
      const want = await sampler.generatePacked(first.condition, sampler.scheme.zero(0), 1);
      // the code slider's far end is training code 1
      const wantB = await sampler.generatePacked(first.condition, sampler.scheme.zero(1), 1);
      await sampler.release();
      const levelsApart = (rgba: number[], planes: Float32Array) => {
        let worst = 0;
        for (let p = 0; p < S * S; p++) for (let c = 0; c < 3; c++) worst = Math.max(worst, Math.abs(rgba[4 * p + c] - Math.round(planes[c * S * S + p] * 255)));
        return worst;
      };
      const shown = await canvasPixels(page);
      const worst = levelsApart(shown, want);
      t.true(worst <= 1, `the canvas differs from onnxruntime-node by ${worst} levels`);
      t.true(levelsApart(shown, wantB) > 10, 'training codes 0 and 1 give other images');
      t.is(await page.locator('#code-ends').textContent(), 'A: training code 0; B: training code 1');
      await setSlider(page, 'code', 1);
      const atB = levelsApart(await canvasPixels(page), wantB);
      t.true(atB <= 1, `the code slider's end differs from training code 1's image by ${atB} levels`);
      await settled(page, () => page.locator('#code-new-a').click());
      t.is(await page.locator('#code-ends').textContent(), "A: sample 6's code; B: training code 1");
      t.true(levelsApart(await canvasPixels(page), wantB) <= 1, 'a new code A leaves the image at code B');
      await setSlider(page, 'code', 0);

      await settled(page, () => page.locator('#upload').setInputFiles(path.join(files.points, 'face1.pts')));
      t.is(await page.locator('#layout-choice').inputValue(), 'upload:face1.pts');
      const uploaded = await canvasPixels(page);
      t.true(
        uploaded.some((v, i) => Math.abs(v - shown[i]) > 10),
        'the uploaded face is drawn',
      );
      const bad = path.join(dir, 'three-points.txt');
      fs.writeFileSync(bad, '1 2\n3 4\n5 6\n');
      await page.locator('#upload').setInputFiles(bad);
      await page.waitForFunction(() => document.querySelector('#message')!.textContent !== '');
      t.regex((await page.locator('#message').textContent())!, /three-points\.txt: 3 points; this model takes 68/);
      t.deepEqual(errors, []);
      await page.close();
    }),
  );
});

test.serial('the studio page takes a model fed normal maps: the bundled heads, and a normal-map upload', async (t) => {
  const files = await conditionFiles();
  await inChromium('divsyn-inputs-studio-', (browser) =>
    servingStudio(latentOn('image'), async (url) => {
      const { page, errors } = await openStudio(browser, url);
      t.is((await studioStatus(page)).error, undefined);
      t.is(await page.locator('#layout-choice option').count(), 50);
      const shown = await canvasPixels(page);
      await settled(page, () => page.locator('#upload').setInputFiles(path.join(files.normals, 'head1.png')));
      t.is(await page.locator('#layout-choice').inputValue(), 'upload:head1.png');
      t.true(
        (await canvasPixels(page)).some((v, i) => Math.abs(v - shown[i]) > 10),
        'the uploaded normal map is drawn',
      );
      t.deepEqual(errors, []);
      await page.close();
    }),
  );
});
