// The inference graph's equal forms side by side (bench/alternate.ts): as the training graph's forward
// pass is built (ConvTranspose), each rewrite alone, and the default; with the largest
// difference from the first form's images.
//
//   node dist/bench/graph-forms.js [--model pix2pix] [--size 256] [--width 64] [--batch 8] [--threads 2] [--rounds 6]
import { Rng, initParams } from '../graph/index.js';
import { emitProgram, inferenceProgram } from '../graph/programs/index.js';
import { InferenceForm, TRAINING_FORM } from '../graph/models/layers.js';
import { createSession } from '../runtime/session.js';
import { alternate, maxDifference } from './alternate.js';
import { benchArgs, benchSpec, randomFeeds } from './feeds.js';

const FORMS: [string, InferenceForm][] = [
  ['ConvTranspose, concats joined', TRAINING_FORM],
  ['all four phase Convs, joined', { transposedConv: 'subpixel', splitConcats: false }],
  ['all merged, joined', { transposedConv: 'merged', splitConcats: false }],
  ['fastest phases, joined', { splitConcats: false }],
  ['ConvTranspose, concats split', { transposedConv: 'convTranspose' }],
  ['default (fastest, split)', {}],
];

const a = benchArgs({ rounds: '6' });
const spec = benchSpec(a.model, a.size, a.width);
const values = initParams(inferenceProgram(spec).graph.params, 0);
const sessions = [];
for (const [name, form] of FORMS) sessions.push({ name, ...(await createSession(emitProgram(inferenceProgram(spec, form), { paramValues: values }), { threads: a.threads, spinning: false })) });
const rng = new Rng(1);
const batch = a.batch;
const timed = await alternate(sessions, () => randomFeeds(spec, batch, rng), batch, Number(a.rounds));
console.log(
  `${a.model} ${a.size} width ${a.width} batch ${batch}, ${a.threads} threads without spinning, ${a.rounds} rounds: best / median img/s; CPU s per image; speed-up in CPU time over the first form`,
);
for (const t of timed)
  console.log(
    `  ${t.name.padEnd(32)} ${t.best.toFixed(2).padStart(7)} / ${t.median.toFixed(2).padStart(7)}  ${t.cpuPerImage.toFixed(3)} s  ${(timed[0].cpuPerImage / t.cpuPerImage).toFixed(3)}x  max |diff| ${maxDifference(t.output, timed[0].output).toExponential(1)}`,
  );
for (const s of sessions) await s.session.release();
