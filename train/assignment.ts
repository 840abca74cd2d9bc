// Which branch learns which target (He et al.'s neighbours-enhanced loss, made total):
// target 0 (Y0, the input's own photo) goes first to its best branch; then in rounds every unassigned
// target proposes its best free branch and, per branch, the smallest proposing loss wins; targets left
// when the branches run out are dropped. Ties go to the lower index. The result becomes a 0/1 weight
// matrix fed to the training graph, so gradient flows only through matched (branch, target) pairs.

/** loss[i][j] = loss of branch i against target j: nested arrays, or row-major [branches * targets]. */
export type LossMatrix = ArrayLike<number> | ArrayLike<ArrayLike<number>>;

/** For each target, the branch it is assigned to, or -1 if dropped: Int32Array [targets]. */
export function assignTargets(loss: LossMatrix, branches: number, targets: number): Int32Array {
  const at = lossReader(loss, branches, targets);
  const assigned = new Int32Array(targets).fill(-1);
  if (targets === 0 || branches === 0) return assigned;
  const free = new Uint8Array(branches).fill(1);

  // Y0 first: the input's own target always gets its best branch, whatever the others want.
  const first = bestFreeBranch(at, free, 0);
  assigned[0] = first;
  free[first] = 0;
  let freeCount = branches - 1;

  while (freeCount > 0) {
    // winner[i]: the target branch i goes to this round (lowest loss, then lowest target index).
    const winner = new Int32Array(branches).fill(-1);
    for (let j = 1; j < targets; j++) {
      if (assigned[j] >= 0) continue;
      const i = bestFreeBranch(at, free, j);
      const w = winner[i];
      if (w < 0 || less(at(i, j), at(i, w))) winner[i] = j; // j > w, so an equal loss keeps w
    }
    let placed = 0;
    for (let i = 0; i < branches; i++) {
      if (winner[i] < 0) continue;
      assigned[winner[i]] = i;
      free[i] = 0;
      placed++;
    }
    if (placed === 0) break; // every target is assigned
    freeCount -= placed;
  }
  return assigned;
}

/**
 * The training graph's weight input: [branches * targets] row-major, 1 where branch i is matched to
 * target j, else 0. Dropped targets have an all-zero column.
 */
export function assignmentWeights(assigned: Int32Array, branches: number): Float32Array {
  const targets = assigned.length;
  const w = new Float32Array(branches * targets);
  assigned.forEach((i, j) => {
    if (i >= 0) w[i * targets + j] = 1;
  });
  return w;
}

/** Best-of-n (MCL), the case of Y0 alone: the branch with the smallest loss, the lower index on a tie. */
export function bestOfN(loss: ArrayLike<number>): number {
  if (loss.length === 0) throw new Error('bestOfN: no branches');
  return assignTargets(loss, loss.length, 1)[0];
}

/** Strictly smaller, with NaN (a diverged loss) larger than any number, so it never wins a branch. */
function less(a: number, b: number): boolean {
  return Number.isNaN(b) ? !Number.isNaN(a) : a < b;
}

function bestFreeBranch(at: (i: number, j: number) => number, free: Uint8Array, j: number): number {
  let best = -1;
  for (let i = 0; i < free.length; i++) if (free[i] && (best < 0 || less(at(i, j), at(best, j)))) best = i;
  return best;
}

function lossReader(loss: LossMatrix, branches: number, targets: number): (i: number, j: number) => number {
  const rows = loss as ArrayLike<unknown>;
  if (rows.length > 0 && typeof rows[0] !== 'number') {
    const nested = loss as ArrayLike<ArrayLike<number>>;
    if (nested.length !== branches) throw new Error(`assignTargets: ${nested.length} loss rows for ${branches} branches`);
    for (let i = 0; i < branches; i++) {
      if (nested[i].length !== targets) throw new Error(`assignTargets: loss row ${i} has ${nested[i].length} entries for ${targets} targets`);
    }
    return (i, j) => nested[i][j];
  }
  const flat = loss as ArrayLike<number>;
  if (flat.length !== branches * targets) {
    throw new Error(`assignTargets: ${flat.length} losses for ${branches} branches x ${targets} targets`);
  }
  return (i, j) => flat[i * targets + j];
}
