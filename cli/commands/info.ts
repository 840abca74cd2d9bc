// divsyn info: what a generator file is, how to feed it, and how it was trained (api/describe.ts), as
// text or one JSON object.
import { GeneratorInfo, TrainingRecord } from '../../common/generator-info.js';
import { TensorDescription } from '../../graph/interface.js';
import { describeGenerator } from '../../api/describe.js';
import { defineCommand } from '../command.js';
import { flag } from '../../api/options.js';

/** The training record (divsyn.options) as lines (empty where there is none). */
export function trainingLines(o: TrainingRecord | null): string[] {
  if (o === null) return [];
  if (o.trained === false) return [`training: none (divsyn init, seed ${o.seed})`];
  if (o.steps === undefined) return [];
  const lambda = Array.isArray(o.lambda) ? [...new Set(o.lambda)].join('/') : undefined;
  const ramp = o.betaRampSteps ? `, ramped in over ${o.betaRampSteps} steps` : '';
  const diversity = o.diversity === 'none' || o.diversity === undefined ? 'none' : `${o.diversity} (β ${o.beta}${ramp}${lambda !== undefined ? `, λ ${lambda}` : ''})`;
  return [
    `training: ${o.steps} steps on ${o.data}, seed ${o.seed}, batch ${o.batch}`,
    `  diversity loss: ${diversity}`,
    `  learning rate: ${o.lr} (${o.lrPolicy})`,
    ...(o.perceptual !== undefined && o.perceptual !== 'pixels only' ? [`  content loss on: ${o.perceptual}`] : []),
  ];
}

/** `  noise    float32 [N, 12]  (sample, class)  uniform in [-1, 1]` */
const tensorLine = (v: TensorDescription) => `  ${v.name.padEnd(8)} float32 [${v.shape.join(', ')}]  (${v.axes.join(', ')})  ${v.values}${v.range ? ` in [${v.range.join(', ')}]` : ''}`;

/** `landmarks (68 heat maps, σ 2 px)`, `image (normal map, x y z in [-1, 1])`; label maps are the classes' lines. */
function inputLine(info: GeneratorInfo): string[] {
  const c = info.architecture.condition;
  if (!c) return [];
  const what = c.kind === 'landmarks' ? `${c.channels} heat maps, σ ${c.sigma} px` : `normal map, x y z in [${c.range.join(', ')}]`;
  return [`input:   ${c.kind} (${what})`];
}

function infoLines(info: GeneratorInfo): string[] {
  return [
    `model:   ${info.kind}`,
    `size:    ${info.height}x${info.width}`,
    ...inputLine(info),
    `noise:   ${info.inputs.some((v) => v.kind === 'noise') ? 'per-class' : 'none'}`,
    `version: ${info.version ?? '?'} (file format ${info.format})`,
    `precision: ${info.precision}${info.precision === 'fp32' ? '' : ' (inputs and outputs float32)'}`,
    ...(info.architecture.condition ? [] : [`classes: ${info.classes.length}`]),
    ...info.classes.map((c, i) => `  ${String(i).padStart(3)}  ${c.name.padEnd(16)} rgb(${c.color.join(', ')})`),
    'inputs:',
    ...info.inputs.map(tensorLine),
    'outputs:',
    ...info.outputs.map(tensorLine),
    ...trainingLines(info.training),
  ];
}

export const infoCommand = defineCommand({
  name: 'info',
  summary: "Print a generator's kind, size, classes (index, name, colour), inputs and outputs (shape, values, range), file format and training record.",
  options: { json: flag({ help: 'print one JSON object instead of text' }) },
  positional: { min: 1, max: 1, names: 'FILE.onnx' },
  async run({ values, positional }) {
    const info = describeGenerator(positional[0]);
    console.log(values.json ? JSON.stringify(info) : infoLines(info).join('\n'));
  },
});
