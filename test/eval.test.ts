// divsyn eval end to end on the bundled data with small untrained models: the report's files and keys,
// its diversity figures against a model that ignores its noise, and clear errors on mismatched classes.
import test from 'ava';
import fs from 'node:fs';
import path from 'node:path';
import { divsyn, tempDir } from './helpers/cli.js';

const S = 32;

function init(dir: string, name: string, extra: string[] = []): string {
  const file = path.join(dir, name);
  const r = divsyn('init', '--model', 'pix2pix', '--size', String(S), '--width', '4', '--out', file, ...extra);
  if (r.status !== 0) throw new Error(r.stderr);
  return file;
}

test('eval writes report.json and report.html with realism, accuracy and diversity for each model', (t) => {
  const dir = tempDir();
  const a = init(dir, 'a.onnx', ['--palette', 'cmp-facades', '--seed', '1']);
  const b = init(dir, 'b.onnx', ['--palette', 'cmp-facades', '--seed', '2']);
  const seg = path.join(dir, 'seg.onnx');
  const s = divsyn('train-segmenter', '--data', 'fixture', '--size', String(S), '--width', '4', '--steps', '5', '--threads', '1', '--out', seg);
  t.is(s.status, 0, s.stderr);
  const out = path.join(dir, 'report');
  const r = divsyn('eval', '--model', a, '--model', b, '--data', 'fixture', '--limit', '6', '--count', '3', '--segmenter', seg, '--threads', '1', '--out', out);
  t.is(r.status, 0, r.stderr);
  const report = JSON.parse(fs.readFileSync(path.join(out, 'report.json'), 'utf8'));
  t.is(report.models.length, 2);
  t.is(report.layouts, 6);
  t.truthy(report.real, 'the segmenter on the true photos');
  for (const m of report.models) {
    for (const k of ['rmse', 'ssim', 'fsim', 'fsimc']) {
      t.true(Number.isFinite(m.accuracy[k].best) && Number.isFinite(m.accuracy[k].mean), k);
      if (k === 'rmse') t.true(m.accuracy[k].best <= m.accuracy[k].mean + 1e-9);
      else t.true(m.accuracy[k].best >= m.accuracy[k].mean - 1e-9);
    }
    t.true(m.realism.pixelAccuracy >= 0 && m.realism.pixelAccuracy <= 1);
    for (const k of ['diversity', 'linking', 'l1_truth']) t.true(Number.isFinite(m.diversity[k]), k);
    t.true(m.diversity.distance_to_mean.max >= m.diversity.distance_to_mean.mean);
  }
  const html = fs.readFileSync(path.join(out, 'report.html'), 'utf8');
  t.regex(html, /Table II/);
  for (const f of ['scatter.png', 'samples_0.png', 'samples_1.png']) t.true(fs.existsSync(path.join(out, f)), f);
  t.true(fs.readdirSync(out).some((f) => f.startsWith('sweep_0_')));
});

test("a model whose classes differ from the data's is one clear error", (t) => {
  const dir = tempDir();
  const g = init(dir, 'g.onnx', ['--classes', '3']);
  const r = divsyn('eval', '--model', g, '--data', 'fixture', '--out', path.join(dir, 'r'));
  t.is(r.status, 1);
  t.regex(r.stderr, /12 CMP|classes/);
  t.is(r.stderr.trim().split('\n').length, 1);
});

test('models are labelled by the shortest path tails that tell them apart', async (t) => {
  const { modelLabels } = await import('../metrics/report.js');
  t.deepEqual(modelLabels(['/r/a/generator.onnx', '/r/b/generator.onnx']), ['a/generator.onnx', 'b/generator.onnx']);
  t.deepEqual(modelLabels(['/x/g1.onnx', '/y/g2.onnx']), ['g1.onnx', 'g2.onnx']);
});
