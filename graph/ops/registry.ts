// Every op the graph can record, by name: the list the per-op reference tests are enumerated from, so an
// op added to a module's list without a reference case fails the suite.
import { AnyOpDef } from '../tensor.js';
import { broadcastOps } from './broadcast.js';
import { convOps } from './conv.js';
import { elementwiseOps } from './elementwise.js';
import { matMulOps } from './matmul.js';
import { normOps } from './norm.js';
import { poolOps } from './pool.js';
import { reduceOps } from './reduce.js';
import { resizeOps } from './resize.js';
import { shapeOps } from './shape.js';
import { softmaxOps } from './softmax.js';

const all = [...broadcastOps, ...elementwiseOps, ...reduceOps, ...shapeOps, ...matMulOps, ...convOps, ...poolOps, ...normOps, ...resizeOps, ...softmaxOps];

export const opRegistry: ReadonlyMap<string, AnyOpDef> = new Map(all.map((op) => [op.name, op] as const));
if (opRegistry.size !== all.length) throw new Error('two ops share a name in the op registry');
