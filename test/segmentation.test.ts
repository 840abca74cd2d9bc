// Realism by segmentation: the measures against hand-computed confusion matrices, the segmenter runner on
// a hand-built ONNX segmenter, train-segmenter on the bundled data, and class mismatches as clear errors.
import test from 'ava';
import fs from 'node:fs';
import path from 'node:path';
import { Graph, Rng, conv2d, emitModel } from '../graph/index.js';
import { crossEntropy } from '../graph/programs/segmenter.js';
import { ClassInfo } from '../graph/spec.js';
import { argmaxClasses, classesOfOneHot, classIoU, meanIoU, SegmentationTally } from '../metrics/segmentation.js';
import { openSegmenter } from '../metrics/segmenter.js';
import { UserError } from '../common/errors.js';
import { readSegmenter } from '../runtime/segmenter-file.js';
import { floatTensor } from '../runtime/session.js';
import { parseOptions } from '../cli/options.js';
import { trainSegmenterCommand } from '../cli/commands/train-segmenter.js';
import { openDataset } from '../train/datasets.js';
import { evalItems } from '../train/loader.js';
import { cmpFacades, genericPalette } from '../common/palettes.js';
import { tempDir } from './helpers/cli.js';
import { gradCheck, randomInput, runModel } from './helpers/gradcheck.js';

const close = (a: number, b: number) => Math.abs(a - b) < 1e-12;

test('accuracy per image, IoU from the pooled matrix; an absent class is left out, a class only predicted counts as 0', (t) => {
  const tally = new SegmentationTally(4);
  // image 1: 4 of 6 right
  t.true(close(tally.addImage([0, 0, 1, 1, 1, 0], [0, 1, 1, 1, 0, 0]), 4 / 6));
  // image 2: the unlabelled last pixel (-1) is not counted, so class 3, predicted only there, stays absent;
  // class 2 is predicted once where the truth is 0 and never true
  t.true(close(tally.addImage([0, 1, 1, -1], [2, 1, 0, 3]), 1 / 3));
  t.deepEqual([...tally.confusion], [2, 1, 1, 0, 2, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
  const s = tally.score();
  t.deepEqual(s.confusion, [
    [2, 1, 1, 0],
    [2, 3, 0, 0],
    [0, 0, 0, 0],
    [0, 0, 0, 0],
  ]);
  // IoU = TP / (row + column − TP): class 0 2/(4+4−2), class 1 3/(5+4−3), class 2 0/(0+1−0), class 3 0/0
  t.deepEqual(s.iou, [1 / 3, 1 / 2, 0, null]);
  t.true(close(s.meanIoU, (1 / 3 + 1 / 2 + 0) / 3));
  // per image then averaged (1/2), not pooled (5/9)
  t.true(close(s.pixelAccuracy, (4 / 6 + 1 / 3) / 2));
  t.is(s.images, 2);
  t.deepEqual(classIoU([0, 0, 0, 0], 2), [null, null]);
  t.true(Number.isNaN(meanIoU([null, null])));
});

test('argmax over the class axis (ties to the lower class) and class maps of one-hot layouts', (t) => {
  // n = 2 images, C = 3, HW = 2: scores [n, C, HW]
  const scores = Float32Array.from([1, 0, 5, 0, 2, 9, /* image 2 */ 3, 3, 3, 1, 0, 3]);
  t.deepEqual([...argmaxClasses(scores, 2, 3, 2)], [1, 2, 0, 0]);
  const onehot = Float32Array.from([0, 0, 1, 0, 0, 0, /* image 2 */ 1, 0, 0, 0, 0, 1]);
  t.deepEqual([...classesOfOneHot(onehot, 2, 3, 2)], [1, -1, 0, 2]);
});

test('the training loss: softmax cross-entropy averaged over pixels, with its gradient', async (t) => {
  // [2 images, 3 classes, 2 pixels]; the last pixel of image 2 has no class and adds 0
  const target = Float32Array.from([1, 0, 0, 1, 0, 0, /* image 2 */ 0, 0, 0, 0, 1, 0]);
  const g = new Graph();
  const scores = randomInput(g, 'scores', [2, 3, 1, 2], new Rng(3, 'ce'), -2, 2);
  const loss = crossEntropy(scores.tensor, g.constant(target, [2, 3, 1, 2]));
  const bytes = emitModel(g, { outputs: [['loss', loss]], params: 'inputs', inputs: [scores.tensor] });
  const uniform = (await runModel(bytes, { scores: floatTensor(new Float32Array(12), [2, 3, 1, 2]) })).loss[0];
  t.true(Math.abs(uniform - (3 / 4) * Math.log(3)) < 1e-6, `uniform scores: ${uniform}`);
  const r = await gradCheck(g, loss, [scores]);
  t.true(r.worst < 0.02, r.report.join('\n'));
});

/**
 * A segmenter with fixed weights: scores = a 1x1 convolution that reorders the RGB channels (class k reads
 * channel (k + 1) % 3), so an image whose pixel is the one-hot of channel j is labelled (j + 2) % 3.
 */
function handBuiltSegmenter(file: string, classes: ClassInfo[], h: number, w: number): void {
  const g = new Graph();
  const image = g.input('image', ['N', 3, h, w]);
  const perm = new Float32Array(9);
  for (let k = 0; k < 3; k++) perm[k * 3 + ((k + 1) % 3)] = 1;
  const scores = conv2d(image, g.constant(perm, [3, 3, 1, 1]));
  const metadata = { 'divsyn.model': 'segmenter', 'divsyn.classes': JSON.stringify(classes), 'divsyn.size': `${h}x${w}` };
  fs.writeFileSync(file, emitModel(g, { outputs: [['scores', scores]], params: 'initializers', inputs: [image], metadata }));
}

test('the segmenter runner gives the exact confusion matrix of a hand-built segmenter, in batches', async (t) => {
  const [n, h, w] = [5, 3, 4];
  const hw = h * w;
  const classes = genericPalette(3);
  const file = path.join(tempDir(), 'seg.onnx');
  handBuiltSegmenter(file, classes, h, w);
  // the segmenter will predict pred[i] and the truth is truth[i], both drawn by fixed formulas
  const pred = Array.from({ length: n * hw }, (_, p) => (p * 7 + Math.floor(p / 5)) % 3);
  const truth = Array.from({ length: n * hw }, (_, p) => (p % 4 === 0 ? 2 : (p * 5) % 3));
  const images = new Float32Array(n * 3 * hw);
  const layouts = new Float32Array(n * 3 * hw);
  const expected = [0, 1, 2].map(() => [0, 0, 0]);
  const right = new Array(n).fill(0);
  for (let p = 0; p < n * hw; p++) {
    const [i, q] = [Math.floor(p / hw), p % hw];
    images[(i * 3 + ((pred[p] + 1) % 3)) * hw + q] = 0.9; // the channel that class pred[p] reads
    layouts[(i * 3 + truth[p]) * hw + q] = 1;
    expected[truth[p]][pred[p]]++;
    if (truth[p] === pred[p]) right[i]++;
  }
  const seg = await openSegmenter(file, classes, { height: h, width: w }, { threads: 1, batch: 2 });
  t.deepEqual([...(await seg.predict(images, n))], pred);
  const r = await seg.segment(images, layouts, n);
  t.deepEqual([...r.confusion], expected.flat());
  t.deepEqual(
    r.accuracies,
    right.map((k) => k / hw),
  );
  // the accumulator pools images fed in pieces to the same result
  const acc = seg.accumulator();
  await acc.add(images.subarray(0, 2 * 3 * hw), layouts.subarray(0, 2 * 3 * hw), 2);
  await acc.add(images.subarray(2 * 3 * hw), layouts.subarray(2 * 3 * hw), 3);
  const s = acc.score();
  t.deepEqual(s.confusion, expected);
  t.true(close(s.pixelAccuracy, right.reduce((a, b) => a + b, 0) / (n * hw)));
  await seg.release();
});

test("a segmenter whose classes or size differ from the data's is a UserError naming the file and both", async (t) => {
  const file = path.join(tempDir(), 'three.onnx');
  handBuiltSegmenter(file, genericPalette(3), 32, 32);
  const e = await t.throwsAsync(openSegmenter(file, cmpFacades(), { height: 32, width: 32 }), { instanceOf: UserError });
  t.regex(e.message, /three\.onnx' has 3 classes \(class0, class1, class2\); the data has 12 \(background, facade, window/);
  const renamed = genericPalette(3).map((c, i) => (i === 1 ? { ...c, name: 'sky' } : c));
  await t.throwsAsync(openSegmenter(file, renamed, { height: 32, width: 32 }), { instanceOf: UserError, message: /class1.*sky/ });
  await t.throwsAsync(openSegmenter(file, genericPalette(3), { height: 64, width: 64 }), { instanceOf: UserError, message: /three\.onnx' takes images \[N, 3, 32, 32\]/ });
});

test('train-segmenter on the fixture beats the majority class clearly on the test split', async (t) => {
  const S = 32;
  const out = path.join(tempDir(), 'seg.onnx');
  const args = ['--data', 'fixture', '--size', String(S), '--width', '8', '--steps', '300', '--lr', '5e-3', '--threads', '1', '--out', out];
  await trainSegmenterCommand.run(parseOptions(args, trainSegmenterCommand.options));
  const f = readSegmenter(out);
  t.is(f.metadata['divsyn.model'], 'segmenter');
  t.is(f.metadata['divsyn.size'], `${S}x${S}`);
  t.deepEqual(
    f.classes.map((c) => c.name),
    cmpFacades().map((c) => c.name),
  );
  t.deepEqual(f.imageShape, ['N', 3, S, S]);
  t.deepEqual(f.scoresShape, ['N', 12, S, S]);

  const classes = cmpFacades();
  const items = await evalItems(openDataset({ data: 'fixture', classes, split: 'test' }), S);
  const seg = await openSegmenter(out, classes, { height: S, width: S }, { threads: 1 });
  const acc = seg.accumulator();
  for (const it of items) await acc.add(it.photo, it.layout, 1);
  const score = acc.score();
  await seg.release();
  // the baseline: every pixel labelled with the class most common in the split, accuracy per image
  const hw = S * S;
  const area = classes.map((_, k) => items.reduce((n, it) => n + it.layout.subarray(k * hw, (k + 1) * hw).reduce((a, b) => a + b, 0), 0));
  const major = area.indexOf(Math.max(...area));
  const baseline = items.reduce((n, it) => n + it.layout.subarray(major * hw, (major + 1) * hw).reduce((a, b) => a + b, 0) / hw, 0) / items.length;
  t.log(`pixel accuracy ${score.pixelAccuracy.toFixed(3)} (majority class '${classes[major].name}': ${baseline.toFixed(3)}), mean IoU ${score.meanIoU.toFixed(3)}`);
  t.true(score.pixelAccuracy > baseline + 0.12, `accuracy ${score.pixelAccuracy} against the baseline ${baseline}`);
});
