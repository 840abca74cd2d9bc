// Softmax and LogSoftmax along one axis.
import { AnyOpDef, OpDef, Tensor, apply1 } from '../tensor.js';
import { normAxis } from '../shapes.js';
import { exp, mul, sub } from './elementwise.js';
import { reduceSum } from './broadcast.js';

function softmaxDef(name: 'Softmax' | 'LogSoftmax'): OpDef<{ axis: number }> {
  return {
    name,
    infer([x]) {
      return [{ dtype: 'float32', shape: x.shape }];
    },
    emit(e, i, o, a) {
      e.node(name, i, o, { axis: a.axis });
    },
    grad({ outputs: [y], dOutputs: [dy], attrs: { axis } }) {
      if (name === 'Softmax') return [mul(y, sub(dy!, reduceSum(mul(dy!, y), [axis], true)))];
      return [sub(dy!, mul(exp(y), reduceSum(dy!, [axis], true)))];
    },
  };
}

const SoftmaxOp = softmaxDef('Softmax');
const LogSoftmaxOp = softmaxDef('LogSoftmax');

export const softmax = (x: Tensor, axis = -1) => apply1(SoftmaxOp, [x], { axis: normAxis('Softmax', axis, x.rank) });
export const logSoftmax = (x: Tensor, axis = -1) => apply1(LogSoftmaxOp, [x], { axis: normAxis('LogSoftmax', axis, x.rank) });

export const softmaxOps: readonly AnyOpDef[] = [SoftmaxOp, LogSoftmaxOp];
