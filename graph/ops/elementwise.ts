// Elementwise ops with broadcasting: arithmetic, activations, comparisons, Where.
import { DType, GradArgs, AnyOpDef, OpDef, Tensor, apply1, ShapeError } from '../tensor.js';
import { broadcastShapes } from '../shapes.js';
import { sumToShape } from './broadcast.js';

export type Operand = Tensor | number;

/** A number becomes a float scalar constant of x's graph. */
export function lift(x: Operand, like: Tensor): Tensor {
  return typeof x === 'number' ? like.graph.scalar(x) : x;
}

function pickGraphTensor(a: Operand, b: Operand, op: string): Tensor {
  if (typeof a !== 'number') return a;
  if (typeof b !== 'number') return b;
  throw new Error(`${op}: at least one operand must be a tensor`);
}

function binaryDef(name: string, grad: (a: Tensor, b: Tensor, y: Tensor, dy: Tensor) => [Tensor | undefined, Tensor | undefined], outDtype?: DType): OpDef<{}> {
  return {
    name,
    infer([a, b]) {
      if (a.dtype !== b.dtype) throw new ShapeError(name, `dtype ${a.dtype} vs ${b.dtype}`);
      return [{ dtype: outDtype ?? a.dtype, shape: broadcastShapes(name, a.shape, b.shape) }];
    },
    emit(e, i, o) {
      e.node(name, i, o);
    },
    grad: outDtype
      ? undefined
      : ({ inputs: [a, b], outputs: [y], dOutputs: [dy] }: GradArgs<{}>) => {
          const [da, db] = grad(a, b, y, dy!);
          return [da && sumToShape(da, a.shape), db && sumToShape(db, b.shape)];
        },
  };
}

const AddOp = binaryDef('Add', (_a, _b, _y, dy) => [dy, dy]);
const SubOp = binaryDef('Sub', (_a, _b, _y, dy) => [dy, neg(dy)]);
const MulOp = binaryDef('Mul', (a, b, _y, dy) => [mul(dy, b), mul(dy, a)]);
const DivOp = binaryDef('Div', (_a, b, y, dy) => {
  const da = div(dy, b);
  return [da, neg(mul(da, y))];
});
/**
 * The gradient of Max and Min: all of dy to the operand that wins, and where a and b are equal half to
 * each (PyTorch's maximum/minimum and tinygrad split ties so; giving all to both would double-count).
 */
function winnerGrad(aWins: Tensor, bWins: Tensor, tie: Tensor, dy: Tensor): [Tensor, Tensor] {
  const share = where(tie, mul(dy, 0.5), dy);
  return [where(aWins, share, 0), where(bWins, share, 0)];
}
const MaxOp = binaryDef('Max', (a, b, _y, dy) => winnerGrad(greaterOrEqual(a, b), lessOrEqual(a, b), equal(a, b), dy));
const MinOp = binaryDef('Min', (a, b, _y, dy) => winnerGrad(lessOrEqual(a, b), greaterOrEqual(a, b), equal(a, b), dy));
const GreaterOp = binaryDef('Greater', () => [undefined, undefined], 'bool');
const LessOp = binaryDef('Less', () => [undefined, undefined], 'bool');
const GreaterOrEqualOp = binaryDef('GreaterOrEqual', () => [undefined, undefined], 'bool');
const LessOrEqualOp = binaryDef('LessOrEqual', () => [undefined, undefined], 'bool');
const EqualOp = binaryDef('Equal', () => [undefined, undefined], 'bool');

function binary(op: OpDef<{}>, a: Operand, b: Operand): Tensor {
  const t = pickGraphTensor(a, b, op.name);
  return apply1(op, [lift(a, t), lift(b, t)], {});
}

export const add = (a: Operand, b: Operand) => binary(AddOp, a, b);
export const sub = (a: Operand, b: Operand) => binary(SubOp, a, b);
export const mul = (a: Operand, b: Operand) => binary(MulOp, a, b);
export const div = (a: Operand, b: Operand) => binary(DivOp, a, b);
export const max = (a: Operand, b: Operand) => binary(MaxOp, a, b);
export const min = (a: Operand, b: Operand) => binary(MinOp, a, b);
export const greater = (a: Operand, b: Operand) => binary(GreaterOp, a, b);
export const less = (a: Operand, b: Operand) => binary(LessOp, a, b);
export const greaterOrEqual = (a: Operand, b: Operand) => binary(GreaterOrEqualOp, a, b);
export const lessOrEqual = (a: Operand, b: Operand) => binary(LessOrEqualOp, a, b);
export const equal = (a: Operand, b: Operand) => binary(EqualOp, a, b);

const WhereOp: OpDef<{}> = {
  name: 'Where',
  infer([c, a, b]) {
    if (c.dtype !== 'bool') throw new ShapeError('Where', `condition must be bool, got ${c.dtype}`);
    return [{ dtype: a.dtype, shape: broadcastShapes('Where', c.shape, broadcastShapes('Where', a.shape, b.shape)) }];
  },
  emit(e, i, o) {
    e.node('Where', i, o);
  },
  grad({ inputs: [c, a, b], dOutputs: [dy] }) {
    return [undefined, sumToShape(where(c, dy!, 0), a.shape), sumToShape(where(c, 0, dy!), b.shape)];
  },
};

export function where(cond: Tensor, a: Operand, b: Operand): Tensor {
  return apply1(WhereOp, [cond, lift(a, cond), lift(b, cond)], {});
}

// ---- unary ops -------------------------------------------------------------------------------

interface UnaryAttrs {
  alpha?: number;
  exponent?: number;
  min?: number;
  max?: number;
}

function unaryDef(name: string, emit: OpDef<UnaryAttrs>['emit'], grad: ((x: Tensor, y: Tensor, dy: Tensor, attrs: UnaryAttrs) => Tensor) | undefined, outDtype?: DType): OpDef<UnaryAttrs> {
  return {
    name,
    infer([x]) {
      return [{ dtype: outDtype ?? x.dtype, shape: x.shape }];
    },
    emit,
    grad: grad && (({ inputs: [x], outputs: [y], dOutputs: [dy], attrs }) => [grad(x, y, dy!, attrs)]),
  };
}

const plain =
  (type: string): OpDef<UnaryAttrs>['emit'] =>
  (e, i, o) =>
    e.node(type, i, o);

const NegOp = unaryDef('Neg', plain('Neg'), (_x, _y, dy) => neg(dy));
// ReLU's gradient is dy times its one-byte mask, cast to 0 or 1 where the gradient is taken: onnxruntime's
// CPU Where is slower over a large tensor (twice a Cast and a Mul's time alone, far more inside a step), at
// the price of a float32 factor at crn-multi's peak (its feature network's ReLUs over 32 images);
// docs/design.md#memory has both figures.
const ReluOp = unaryDef('Relu', plain('Relu'), (_x, y, dy) => mul(dy, castFloat(greater(y, 0))));
const LeakyReluOp = unaryDef(
  'LeakyRelu',
  (e, i, o, a) => e.node('LeakyRelu', i, o, { alpha: { float: a.alpha! } }),
  // With a slope in (0, 1) the output has the input's sign, and max(sign(y), slope) is 1 where y > 0 and
  // the slope elsewhere: the same values as the Where of dy and slope·dy, without onnxruntime's CPU Where
  // (about ten times a Mul's time over a tensor, and a second output-sized buffer: docs/design.md#memory).
  // The gradient then reads the output, which the next layer keeps anyway, so the input (a norm's affine
  // output in CRN and pix2pix) need not be kept.
  (x, y, dy, a) => (a.alpha! > 0 && a.alpha! < 1 ? mul(max(sign(y), a.alpha!), dy) : where(greater(x, 0), dy, mul(dy, a.alpha!))),
);
const TanhOp = unaryDef('Tanh', plain('Tanh'), (_x, y, dy) => mul(dy, sub(1, mul(y, y))));
const SigmoidOp = unaryDef('Sigmoid', plain('Sigmoid'), (_x, y, dy) => mul(dy, mul(y, sub(1, y))));
const ExpOp = unaryDef('Exp', plain('Exp'), (_x, y, dy) => mul(dy, y));
const LogOp = unaryDef('Log', plain('Log'), (x, _y, dy) => div(dy, x));
const AbsOp = unaryDef('Abs', plain('Abs'), (x, _y, dy) => mul(dy, sign(x)));
const SignOp = unaryDef('Sign', plain('Sign'), undefined);
const SqrtOp = unaryDef('Sqrt', plain('Sqrt'), (_x, y, dy) => div(mul(dy, 0.5), y));
const SoftplusOp = unaryDef('Softplus', plain('Softplus'), (x, _y, dy) => mul(dy, sigmoid(x)));
const PowOp = unaryDef(
  'Pow',
  (e, [x], o, a) => e.node('Pow', [x, e.float([a.exponent!])], o),
  (x, _y, dy, a) => {
    const p = a.exponent!;
    if (p === 1) return dy;
    if (p === 2) return mul(dy, mul(x, 2));
    return mul(dy, mul(pow(x, p - 1), p));
  },
);
const ClipOp = unaryDef(
  'Clip',
  (e, [x], o, a) => e.node('Clip', [x, e.float([a.min ?? -3.4e38]), e.float([a.max ?? 3.4e38])], o),
  // Inside the range the output equals the input; at a clipped pixel it does not.
  (x, y, dy) => where(equal(x, y), dy, 0),
);
const IdentityOp = unaryDef('Identity', plain('Identity'), (_x, _y, dy) => dy);
/** Identity whose gradient is zero: PyTorch's detach(). */
const StopGradientOp = unaryDef('StopGradient', plain('Identity'), undefined);
const CastFloatOp = unaryDef('CastFloat', (e, i, o) => e.node('Cast', i, o, { to: 1 }), undefined, 'float32');

export const neg = (x: Tensor) => apply1(NegOp, [x], {});
export const relu = (x: Tensor) => apply1(ReluOp, [x], {});
export const leakyRelu = (x: Tensor, alpha = 0.2) => apply1(LeakyReluOp, [x], { alpha });
export const tanh = (x: Tensor) => apply1(TanhOp, [x], {});
export const sigmoid = (x: Tensor) => apply1(SigmoidOp, [x], {});
export const exp = (x: Tensor) => apply1(ExpOp, [x], {});
export const log = (x: Tensor) => apply1(LogOp, [x], {});
export const abs = (x: Tensor) => apply1(AbsOp, [x], {});
export const sign = (x: Tensor) => apply1(SignOp, [x], {});
export const sqrt = (x: Tensor) => apply1(SqrtOp, [x], {});
export const softplus = (x: Tensor) => apply1(SoftplusOp, [x], {});
export const pow = (x: Tensor, exponent: number) => apply1(PowOp, [x], { exponent });
export const clip = (x: Tensor, min?: number, max?: number) => apply1(ClipOp, [x], { min, max });
export const identity = (x: Tensor) => apply1(IdentityOp, [x], {});
export const stopGradient = (x: Tensor) => apply1(StopGradientOp, [x], {});
export const castFloat = (x: Tensor) => apply1(CastFloatOp, [x], {});

export const elementwiseOps: readonly AnyOpDef[] = [
  ...[AddOp, SubOp, MulOp, DivOp, MaxOp, MinOp, GreaterOp, LessOp, GreaterOrEqualOp, LessOrEqualOp, EqualOp, WhereOp],
  ...[NegOp, ReluOp, LeakyReluOp, TanhOp, SigmoidOp, ExpOp, LogOp, AbsOp, SignOp, SqrtOp, SoftplusOp, PowOp, ClipOp],
  ...[IdentityOp, StopGradientOp, CastFloatOp],
];
