// divsyn info: what a generator file is, how to feed it, and how it was trained.
import { readGenerator } from '../../runtime/model-file.js';
import { defineCommand } from '../command.js';
import { flag } from '../options.js';

/** What train and init store in divsyn.options (docs/formats.md, "Generator file"). */
interface TrainingRecord {
  trained?: boolean;
  seed?: number;
  steps?: number;
  data?: string;
  batch?: number;
  diversity?: string;
  beta?: number;
  betaRampSteps?: number;
  lambda?: number[];
  lr?: number;
  lrPolicy?: string;
  perceptual?: string;
}

/** The training record in a file's divsyn.options metadata, as lines (empty where there is none). */
export function trainingRecord(metadata: Record<string, string>): string[] {
  let o: TrainingRecord;
  try {
    o = JSON.parse(metadata['divsyn.options'] ?? '{}') as TrainingRecord;
  } catch {
    return ['training: (unreadable divsyn.options)'];
  }
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

export const infoCommand = defineCommand({
  name: 'info',
  summary: "Print a generator's kind, size, classes (index, name, colour), inputs, outputs and training record.",
  options: { json: flag({ help: 'print one JSON object instead of text' }) },
  positional: { min: 1, max: 1, names: 'FILE.onnx' },
  async run({ values, positional }) {
    const f = readGenerator(positional[0]);
    const { spec } = f;
    if (values.json) {
      console.log(JSON.stringify({ model: spec.model, size: `${spec.height}x${spec.width}`, classes: spec.classes, inputs: f.inputs, outputs: f.outputs, metadata: f.metadata }));
      return;
    }
    const lines = [
      `model:   ${spec.model}`,
      `size:    ${spec.height}x${spec.width}`,
      `noise:   ${f.metadata['divsyn.noise'] ?? 'none'}`,
      `version: ${f.metadata['divsyn.version'] ?? '?'}`,
      `classes: ${spec.classes.length}`,
      ...spec.classes.map((c, i) => `  ${String(i).padStart(3)}  ${c.name.padEnd(16)} rgb(${c.color.join(', ')})`),
      'inputs:',
      ...f.inputs.map((v) => `  ${v.name.padEnd(8)} ${v.dtype} [${v.shape.join(', ')}]`),
      'outputs:',
      ...f.outputs.map((v) => `  ${v.name.padEnd(8)} ${v.dtype} [${v.shape.join(', ')}]`),
      ...trainingRecord(f.metadata),
    ];
    console.log(lines.join('\n'));
  },
});
