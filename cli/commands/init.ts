// divsyn init: an untrained generator, in the same file format as a trained one.
import fs from 'node:fs';
import path from 'node:path';
import { initParams } from '../../graph/index.js';
import { generatorParams } from '../../graph/programs/index.js';
import { outputError } from '../../common/errors.js';
import { writeGenerator } from '../../runtime/model-file.js';
import { defineCommand } from '../command.js';
import { archOptions, classOptions, forceOption, generatorSpec, modelOption, plural, seedOption } from '../../api/common.js';
import { need, str } from '../../api/options.js';
import { checkOutputFile } from '../../common/output-paths.js';

export const initCommand = defineCommand({
  name: 'init',
  summary: 'Write an untrained generator as an inference graph (weights as initializers).',
  options: { ...modelOption, ...classOptions, ...archOptions, ...seedOption(), out: str({ help: 'output file', meta: 'FILE.onnx' }), ...forceOption('overwrite an existing file') },
  required: ['model', 'size', 'out'],
  async run({ values: o }) {
    const out = need(o, 'out');
    checkOutputFile(out);
    const spec = generatorSpec(o);
    if (fs.existsSync(out) && !o.force) throw outputError(`'${out}' exists (use --force to overwrite it)`);
    const values = initParams(generatorParams(spec), o.seed);
    writeGenerator(out, spec, values, { seed: o.seed, trained: false });
    const count = [...values.values()].reduce((n, v) => n + v.length, 0);
    console.log(`wrote ${path.resolve(out)}: ${spec.model} ${spec.height}x${spec.width}, ${plural(spec.classes.length, 'class')}, ${plural(count, 'parameter')}`);
  },
});
