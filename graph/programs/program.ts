// A program: a recorded graph with its named, role-tagged inputs and outputs, the unit runtime/ runs and
// files carry; its emission to ONNX bytes and its manifest entry.
import { Graph, Shape, Tensor, paramGroup, paramName } from '../tensor.js';
import { emitModel } from '../emit.js';

export type Role = 'param' | 'dparam' | 'state' | 'data' | 'mask' | 'lr' | 'step' | 'loss' | 'grad' | 'output';

export interface IoSpec {
  name: string;
  shape: Shape;
  role: Role;
  /** For outputs: the input of the next step that this output replaces. */
  feeds?: string;
}

export interface ProgramIo {
  tensor: Tensor;
  spec: IoSpec;
}

/** A graph ready for emission: its outputs and declared inputs, with roles. */
export interface Program {
  graph: Graph;
  inputs: ProgramIo[];
  outputs: ProgramIo[];
}

const ROLE_OF_GROUP: Record<string, 'param' | 'dparam' | 'state'> = { G: 'param', D: 'dparam', buffer: 'state' };
const PREFIX_OF_GROUP: Record<string, string> = { G: 'param', D: 'dparam', buffer: 'buffer' };

/**
 * ONNX input name of a parameter: param.<name> for the generator, dparam.<name> for the discriminator,
 * buffer.<name> for running statistics.
 */
export function paramInputName(name: string, group: string): string {
  return `${PREFIX_OF_GROUP[group] ?? group}.${name}`;
}

export function paramIo(p: Tensor): ProgramIo {
  return ioOf(p, paramInputName(paramName(p), paramGroup(p)), ROLE_OF_GROUP[paramGroup(p)] ?? 'param');
}

export const ioOf = (t: Tensor, name: string, role: Role, feeds?: string): ProgramIo => ({
  tensor: t,
  spec: { name, shape: t.shape, role, ...(feeds ? { feeds } : {}) },
});

export interface ProgramEmitOptions {
  /** Bake parameters in as initializers with these values (inference graphs); else they are inputs. */
  paramValues?: ReadonlyMap<string, Float32Array>;
  metadata?: Record<string, string>;
}

export function emitProgram(p: Program, o: ProgramEmitOptions = {}): Uint8Array {
  return emitModel(p.graph, {
    outputs: p.outputs.map((x) => [x.spec.name, x.tensor]),
    params: o.paramValues ? 'initializers' : 'inputs',
    paramName: paramInputName,
    paramValues: o.paramValues,
    inputs: o.paramValues ? p.inputs.filter((x) => x.tensor.source.kind === 'input').map((x) => x.tensor) : p.inputs.map((x) => x.tensor),
    metadata: o.metadata,
  });
}

export function manifestEntry(p: Program) {
  return { inputs: p.inputs.map((x) => x.spec), outputs: p.outputs.map((x) => x.spec) };
}
