// divsyn reproduce end to end on the bundled data at tiny sizes: yang-facades' report (the paper's table
// beside ours, the trade with the baseline as a point, every stage in order with its time, the figures)
// with the diversity loss raising diversity over the baseline, and a run killed (SIGKILL) in its second
// stage that, run again, ends with the same report and generators as an uninterrupted run; he-latent's
// rows, whose best of K against the true photo improves as K grows and meets evaluate()'s best of all.
import test from 'ava';
import fs from 'node:fs';
import path from 'node:path';
import { divsynAsync, tempDir } from './helpers/cli.js';

const tiny = ['--data', 'fixture', '--size', '32', '--width', '4', '--segmenter-steps', '30', '--segmenter-width', '4', '--samples', '4', '--limit', '4', '--threads', '1'];
// a checkpoint halfway through each training, so a kill there leaves a run to continue
const yangArgs = (out: string) => ['reproduce', 'yang-facades', ...tiny, '--steps', '24', '--checkpoint-every', '12', '--sweep-beta', '3', '--sweep-lambda', 'none', '--out', out];
const heArgs = (out: string) => ['reproduce', 'he-latent', ...tiny, '--steps', '20', '--branches', '4', '--neighbours', '2', '--out', out];

const YANG_STAGES = ['segmenter', 'train-pix2pix', 'train-diversity', 'eval-pix2pix', 'eval-diversity', 'figures', 'train-beta-3', 'eval-beta-3'];
const HE_MODELS = ['crn', 'shared-best', 'shared-neighbours', 'separate-best', 'separate-neighbours', 'shared-neighbours-late'];

interface Row {
  model: string;
  [measure: string]: number | string | boolean | null;
}
interface Report {
  table: Row[];
  paper: Row[];
  trade: Row[];
  accuracy_k: { model: string; k: number[]; rmse_best: number[]; ssim_best: number[] }[];
  figures: Record<string, string>;
  settings: Record<string, unknown>;
  stages: { name: string; seconds: number }[];
  seconds: number;
  [section: string]: unknown;
}

const readReport = (dir: string): Report => JSON.parse(fs.readFileSync(path.join(dir, 'report.json'), 'utf8'));
/** The report without what depends on how long each stage took. */
const untimed = ({ stages, seconds, ...rest }: Report) => ({ ...rest, stages: stages.map((s) => s.name), seconds: typeof seconds });

async function run(args: string[], env: Record<string, string> = {}) {
  const r = await divsynAsync(args, env);
  if (r.status !== 0) throw new Error(`divsyn ${args.join(' ')}: ${r.signal ?? r.status}\n${r.stderr}`);
  return r;
}

let yang: Promise<string> | undefined;
/** One uninterrupted yang-facades reproduction, shared by the tests. */
const uninterruptedYang = () =>
  (yang ??= (async () => {
    const out = path.join(tempDir(), 'yang');
    await run(yangArgs(out));
    return out;
  })());

const isPng = (file: string) => fs.readFileSync(file).subarray(1, 4).toString() === 'PNG';

test('reproduce yang-facades: the paper table beside ours, the trade, every stage in order with its time', async (t) => {
  const out = await uninterruptedYang();
  const r = readReport(out);
  t.deepEqual(
    r.table.map((row) => row.model),
    ['Pix2pix', 'Pix2pix+Diversity'],
  );
  t.deepEqual(r.paper, [
    { model: 'Pix2pix', accuracy: 0.464, iou: 0.103 },
    { model: 'Pix2pix+Diversity', accuracy: 0.484, iou: 0.111 },
  ]);
  const [base, diverse] = r.table;
  for (const row of r.table) {
    for (const key of ['accuracy', 'iou', 'diversity', 'linking', 'l1_truth']) t.is(typeof row[key], 'number', `${row.model} ${key}`);
    t.true((row.accuracy as number) > 0.05 && (row.accuracy as number) < 1, `${row.model} accuracy ${row.accuracy}`);
    t.true((row.iou as number) > 0 && (row.iou as number) < (row.accuracy as number), `${row.model} iou ${row.iou}`);
  }
  // the same seed and options but the diversity loss: the loss alone makes the samples differ more
  t.true((diverse.diversity as number) > (base.diversity as number), `diversity ${diverse.diversity} vs the baseline's ${base.diversity}`);

  // the trade: the baseline, then the points by β, each the same numbers as its table row where it has one
  t.deepEqual(
    r.trade.map((p) => [p.beta, p.lambda]),
    [
      [0, null],
      [0.1, 0.3],
      [3, 0.3],
    ],
  );
  t.like(r.trade[0], { accuracy: base.accuracy, iou: base.iou, diversity: base.diversity, accuracy_change: 0, within_tolerance: true });
  t.like(r.trade[1], { accuracy: diverse.accuracy, diversity: diverse.diversity });
  for (const p of r.trade) {
    t.is(p.accuracy_change, +((p.accuracy as number) - (base.accuracy as number)).toFixed(6));
    t.is(p.within_tolerance, (p.accuracy_change as number) >= -0.02);
  }
  // three times the weight: more diversity still
  t.true((r.trade[2].diversity as number) > (diverse.diversity as number), `β 3: ${r.trade[2].diversity}, β 0.1: ${diverse.diversity}`);

  t.like(r.settings, { size: 32, width: 4, training: { steps: 24 }, samples: 4, limit: 4, beta: 0.1, lambda: 0.3, segmenter: { steps: 30, width: 4 } });
  t.deepEqual(r.settings.sweep, [{ name: 'beta-3', beta: 3, lambda: 0.3 }]);
  t.deepEqual(
    r.stages.map((s) => s.name),
    YANG_STAGES,
  );
  for (const s of r.stages) t.true(s.seconds >= 0 && s.seconds < 300, `${s.name}: ${s.seconds} s`);
  t.is(r.seconds, +r.stages.reduce((sum, s) => sum + s.seconds, 0).toFixed(1));

  for (const [name, file] of Object.entries(r.figures)) t.true(isPng(path.join(out, file)), `${name}: ${file}`);
  const html = fs.readFileSync(path.join(out, 'report.html'), 'utf8');
  for (const published of ['0.464', '0.484', '0.103', '0.111']) t.true(html.includes(`<td>${published}</td>`), `the paper's ${published}`);
  t.true(html.includes(`<b>${(base.accuracy as number).toFixed(3)}</b>`), "our baseline's accuracy");
  for (const file of Object.values(r.figures)) t.true(html.includes(`<img src="${file}"`) || file.startsWith('eval-'), `report.html shows ${file}`);
  for (const s of YANG_STAGES) t.true(html.includes(`<td class="name">${s}</td>`), `report.html times ${s}`);
  t.true(html.includes('&quot;beta&quot;: 0.1') || html.includes('"beta": 0.1'), 'report.html lists the settings');
});

test('reproduce yang-facades killed (SIGKILL) in its second stage continues, run again, to the report of an uninterrupted run', async (t) => {
  const out = path.join(tempDir(), 'yang');
  // the first checkpoint of train-pix2pix: the segmenter writes none
  const killed = await divsynAsync(yangArgs(out), { DIVSYN_KILL_AT: 'checkpoint.generator-written:1' });
  t.is(killed.signal, 'SIGKILL', killed.stderr);
  t.regex(killed.stderr, /\[2\/8\] train-pix2pix: starting/);
  const ledger = JSON.parse(fs.readFileSync(path.join(out, 'reproduce.json'), 'utf8'));
  t.deepEqual(Object.keys(ledger.stages), ['segmenter']);
  t.false(fs.existsSync(path.join(out, 'report.json')));

  const resumed = await run(yangArgs(out));
  t.regex(resumed.stderr, /\[1\/8\] segmenter: done earlier/);
  t.regex(resumed.stderr, /\[2\/8\] train-pix2pix: continuing/);
  const reference = await uninterruptedYang();
  t.deepEqual(untimed(readReport(out)), untimed(readReport(reference)));
  for (const stage of ['train-pix2pix', 'train-diversity', 'train-beta-3'])
    t.true(fs.readFileSync(path.join(out, stage, 'generator.onnx')).equals(fs.readFileSync(path.join(reference, stage, 'generator.onnx'))), `${stage}/generator.onnx`);
  t.deepEqual(
    fs.readdirSync(out).filter((f) => f.includes('.tmp')),
    [],
  );

  // finished: the same command again only rewrites the report, with other settings it refuses
  const again = await run(yangArgs(out));
  t.regex(again.stderr, /\[8\/8\] eval-beta-3: done earlier/);
  const other = await divsynAsync([...yangArgs(out), '--beta', '0.2']);
  t.is(other.status, 2, other.stderr);
  t.regex(other.stderr, /other settings: .*--beta/);

  // --force starts again: the finished run's training folders are not continued with their old settings
  const forced = await divsynAsync([...yangArgs(out).map((a) => (a === '24' ? '36' : a)), '--force'], { DIVSYN_KILL_AT: 'reproduce.stage-done:2' });
  t.is(forced.signal, 'SIGKILL', forced.stderr);
  const restarted = JSON.parse(fs.readFileSync(path.join(out, 'reproduce.json'), 'utf8'));
  t.deepEqual(Object.keys(restarted.stages), ['segmenter', 'train-pix2pix']);
  t.is(restarted.stages['train-pix2pix'].result.steps, 36);
});

test('reproduce he-latent: one row per model, best of K improving with K up to the evaluation of all K', async (t) => {
  const out = path.join(tempDir(), 'he');
  const cli = await run(heArgs(out));
  const r = readReport(out);
  t.deepEqual(JSON.parse(cli.stdout).table, r.table);
  t.deepEqual(
    r.table.map((row) => row.model),
    ['CRN', 'shared, best-of-n', 'shared, neighbours-enhanced', 'separate, best-of-n', 'separate, neighbours-enhanced', 'shared, neighbours-enhanced, late split'],
  );
  t.deepEqual(
    r.paper.map((row) => [row.model, row.feature_std]),
    [
      ['CRN', 0.389],
      ['shared, best-of-n', 0.523],
      ['shared, neighbours-enhanced', 0.67],
      ['separate, best-of-n', 0.61],
      ['separate, neighbours-enhanced', 0.733],
    ],
  );
  for (const row of r.table) {
    t.is(row.samples, 4, row.model);
    t.true((row.feature_std as number) > 0 && (row.diversity as number) > 0, `${row.model} is diverse`);
    t.true((row.rmse_best as number) <= (row.rmse_mean as number) && (row.ssim_best as number) >= (row.ssim_mean as number), `${row.model}: the best of K beats the mean`);
    t.true((row.accuracy as number) > 0 && (row.accuracy as number) < 1, row.model);
  }
  t.is(r.accuracy_k.length, HE_MODELS.length);
  for (const [i, c] of r.accuracy_k.entries()) {
    t.deepEqual(c.k, [1, 2, 4]);
    for (let j = 1; j < c.k.length; j++) {
      t.true(c.rmse_best[j] <= c.rmse_best[j - 1], `${c.model}: RMSE of the best of ${c.k[j]}`);
      t.true(c.ssim_best[j] >= c.ssim_best[j - 1], `${c.model}: SSIM of the best of ${c.k[j]}`);
    }
    // the curve's last point and evaluate()'s best of all K are the same samples, measured apart
    t.is(c.model, r.table[i].model);
    t.true(Math.abs(c.rmse_best[2] - (r.table[i].rmse_best as number)) < 1e-4, `${c.model}: ${c.rmse_best[2]} vs ${r.table[i].rmse_best}`);
    t.true(Math.abs(c.ssim_best[2] - (r.table[i].ssim_best as number)) < 1e-4, `${c.model}: ${c.ssim_best[2]} vs ${r.table[i].ssim_best}`);
  }
  t.deepEqual(
    r.stages.map((s) => s.name),
    ['segmenter', ...HE_MODELS.flatMap((m) => [`train-${m}`, `eval-${m}`]), 'accuracy-k', 'figures'],
  );
  t.like(r.settings, { size: 32, width: 4, training: { steps: 20 }, branches: 4, neighbours: 2, input: 'labels' });
  for (const file of Object.values(r.figures)) t.true(isPng(path.join(out, file)), file);
  const html = fs.readFileSync(path.join(out, 'report.html'), 'utf8');
  for (const published of ['0.389', '0.523', '0.670', '0.610', '0.733']) t.true(html.includes(`<td>${published}</td>`), `the paper's ${published}`);
});

test('reproduce refuses the other paper’s options and a bad size, naming them', async (t) => {
  const out = path.join(tempDir(), 'x');
  const r = await divsynAsync(['reproduce', 'he-latent', '--data', 'fixture', '--out', out, '--beta', '0.2']);
  t.is(r.status, 2);
  t.regex(r.stderr, /--beta.*applies to reproduce yang-facades/);
  const s = await divsynAsync(['reproduce', 'yang-facades', '--data', 'fixture', '--out', out, '--size', '48']);
  t.is(s.status, 2);
  t.regex(s.stderr, /--size: '48' is not a power of two/);
  t.false(fs.existsSync(out));
});
