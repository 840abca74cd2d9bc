// The neighbours-enhanced assignment on hand-built loss matrices: loss[i][j] = branch i against target j.
import test from 'ava';
import { Rng } from '../graph/random.js';
import { assignmentWeights, assignTargets, bestOfN } from '../train/assignment.js';

const assign = (loss: number[][]) => [...assignTargets(loss, loss.length, loss[0].length)];

test('Y0 first, even when another target has a smaller loss on its best branch', (t) => {
  // a global smallest-first would give target 1 branch 0 (0.1) and leave Y0 branch 1
  t.deepEqual(
    assign([
      [1, 0.1],
      [2, 5],
    ]),
    [0, 1],
  );
});

test('a conflict goes to the smaller loss; the loser takes its next free branch', (t) => {
  // targets 1 and 2 both want branch 1: target 1 wins (1 < 2), target 2 gets branch 2 next round
  t.deepEqual(
    assign([
      [0, 9, 9],
      [9, 1, 2],
      [9, 5, 3],
    ]),
    [0, 1, 2],
  );
  // the same with target 2 the smaller: not first-come-first-served
  t.deepEqual(
    assign([
      [0, 9, 9],
      [9, 2, 1],
      [9, 5, 3],
    ]),
    [0, 2, 1],
  );
});

test('more targets than branches: the losers are dropped when branches run out', (t) => {
  // round 1: t1 -> b1 (2), t2 -> b2 (1), t3 -> b1 (0.5), t4 -> b2 (7); b1 goes to t3, b2 to t2
  const loss = [
    [0, 1, 1, 1, 1],
    [9, 2, 3, 0.5, 8],
    [9, 4, 1, 6, 7],
  ];
  const got = assignTargets(loss, 3, 5);
  t.deepEqual([...got], [0, -1, 2, 1, -1]);
  // prettier-ignore
  t.deepEqual([...assignmentWeights(got, 3)], [
    1, 0, 0, 0, 0,
    0, 0, 0, 1, 0,
    0, 0, 1, 0, 0,
  ]);
});

test('fewer targets than branches: unmatched branches get no weight', (t) => {
  // Y0: b1 and b3 tie at 1, the lower index wins; target 1 then takes b0
  const loss = [
    [3, 0],
    [1, 2],
    [2, 1],
    [1, 5],
  ];
  const got = assignTargets(loss, 4, 2);
  t.deepEqual([...got], [1, 0]);
  t.deepEqual([...assignmentWeights(got, 4)], [0, 1, 1, 0, 0, 0, 0, 0]);
});

test('ties: the lower branch for a target, the lower target for a branch', (t) => {
  t.deepEqual(
    assign([
      [0, 9, 9],
      [9, 2, 2],
    ]),
    [0, 1, -1],
    'targets 1 and 2 tie on branch 1: target 1 wins, target 2 is dropped',
  );
  t.deepEqual(
    assign([
      [1, 1, 1],
      [1, 1, 1],
      [1, 1, 1],
    ]),
    [0, 1, 2],
  );
});

test('row-major input equals nested input; shapes are checked', (t) => {
  const nested = [
    [0, 9, 9],
    [9, 2, 1],
    [9, 5, 3],
  ];
  t.deepEqual(assignTargets(Float32Array.from(nested.flat()), 3, 3), assignTargets(nested, 3, 3));
  t.throws(() => assignTargets(new Float32Array(5), 2, 3));
  t.throws(() => assignTargets([[1, 2]], 2, 2));
  t.deepEqual([...assignTargets([], 0, 0)], []);
});

test('best-of-n: the smallest loss, the lower index on a tie, NaN never wins', (t) => {
  t.is(bestOfN([3, 1, 1, 2]), 1);
  t.is(bestOfN(Float32Array.of(5)), 0);
  t.is(bestOfN([NaN, 2]), 1);
});

test('random matrices: one target per branch, min(n, m) assigned, Y0 at its argmin', (t) => {
  const rng = new Rng(11, 'assignment');
  for (let trial = 0; trial < 200; trial++) {
    const n = 1 + rng.int(6);
    const m = 1 + rng.int(8);
    const loss = Array.from({ length: n }, () => Array.from({ length: m }, () => rng.int(5)));
    const got = assignTargets(loss, n, m);
    const used = [...got].filter((b) => b >= 0);
    t.is(used.length, Math.min(n, m));
    t.is(new Set(used).size, used.length);
    t.is(got[0], bestOfN(loss.map((row) => row[0])));
    const w = assignmentWeights(got, n);
    t.is(
      w.reduce((s, v) => s + v, 0),
      used.length,
    );
  }
});
