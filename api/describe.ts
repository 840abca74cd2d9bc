// describeGenerator(): what a generator file is, how to feed it and how it was trained (`divsyn info --json`).
import { GeneratorInfo, generatorInfo } from '../common/generator-info.js';
import { readGenerator } from '../runtime/model-file.js';

/** The file's description, after checking it is a working generator (kind, interface, parameters). */
export function describeGenerator(file: string): GeneratorInfo {
  const { model, metadata } = readGenerator(file);
  return generatorInfo({ model, metadata }, file);
}
