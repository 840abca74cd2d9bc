// Parity with PyTorch: the same small pix2pix (U-Net + PatchGAN, instance norm, 32x32) with the same
// weights and batch gives the same losses and gradients. test/python/torch_parity.py builds the model
// from the reference (../shared/reference/pytorch_pix2pix.py) and computes, in float64, the generator's
// objective with D fixed (as forward_loss / gradients.onnx) and the discriminator's objective (as the
// D update of train_step), with their gradients; here the torch parameters are mapped onto ours by
// creation order (shapes asserted), our programs run in onnxruntime, and every gradient tensor and
// every loss must agree within 1e-4 relative.
import test from 'ava';
import { referenceDir } from './helpers/reference.js';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Program, discriminatorGradientsProgram, emitProgram, trainingPrograms } from '../graph/programs/index.js';
import { DiversityMode } from '../graph/losses.js';
import { GeneratorSpec } from '../graph/spec.js';
import { defaultTrainingOptions } from '../graph/families/index.js';
import { createSession, floatTensor, ort } from '../runtime/session.js';
import { repoRoot, tempDir } from './helpers/cli.js';

const TOLERANCE = 1e-4;
const C = 4;
const SIZE = 32; // no dropout blocks at 32: no masks to share with torch
const NGF = 4;
const NDF = 4;
const LAMBDA = 0.3;

interface CaseConfig {
  name: string;
  diversity: Extract<DiversityMode, 'bounded' | 'none'>;
  batch: number;
  beta: number;
  l1: number;
  seed: number;
  /** Classes missing from the layout (their noise must not count in the bounded loss). */
  absent?: number[];
}

const CASES: CaseConfig[] = [
  // pix2pix's defaults with the diversity loss; one class absent from the layout
  { name: 'bounded', diversity: 'bounded', batch: 1, beta: 0.1, l1: 100, seed: 1, absent: [3] },
  // the vanilla objective: GAN + 100 L1, one pass with the random noise
  { name: 'vanilla', diversity: 'none', batch: 1, beta: 0.1, l1: 100, seed: 2 },
  // the diversity term and the GAN term dominating (at β 0.1 next to 100·L1 a wrong diversity gradient
  // would hide under 1e-4), and a batch of two
  { name: 'bounded-heavy-batch2', diversity: 'bounded', batch: 2, beta: 10, l1: 0, seed: 3 },
];

interface Entry {
  shape: number[];
  offset: number;
  name?: string;
}

interface TorchCase {
  loss_g: number;
  loss_d: number;
  loss_div?: number;
  inputs: Record<'layout' | 'image' | 'noise', Entry>;
  G: Entry[];
  D: Entry[];
  gradG: Entry[];
  gradD: Entry[];
}

interface TorchResults {
  torch: string;
  cases: Record<string, TorchCase>;
}

/** Runs the PyTorch side once; throws (the tests fail) if the reference or python is missing or fails. */
function runTorch(): { index: TorchResults; data: Float32Array } {
  const refDir = referenceDir(repoRoot);
  const refFile = path.join(refDir, 'pytorch_pix2pix.py');
  if (!fs.existsSync(refFile)) throw new Error(`the PyTorch reference model is missing: ${refFile}`);
  const out = tempDir('divsyn-parity-');
  const config = { classes: C, size: SIZE, ngf: NGF, ndf: NDF, lambda: LAMBDA, cases: CASES };
  const script = path.join(repoRoot, 'test', 'python', 'torch_parity.py');
  const r = spawnSync('/usr/bin/python3', [script, refDir, out, JSON.stringify(config)], { encoding: 'utf8', timeout: 240_000 });
  if (r.error) throw new Error(`could not run /usr/bin/python3 ${script}: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`${script} exited with ${r.status ?? r.signal}:\n${r.stderr}`);
  const index = JSON.parse(fs.readFileSync(path.join(out, 'parity.json'), 'utf8')) as TorchResults;
  const bytes = fs.readFileSync(path.join(out, 'parity.bin'));
  const data = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  fs.rmSync(out, { recursive: true, force: true });
  return { index, data };
}

let torchResults: ReturnType<typeof runTorch> | undefined;
const torchSide = () => (torchResults ??= runTorch());

const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);
const norm = (a: ArrayLike<number>) => Math.sqrt(Array.from(a).reduce((s, v) => s + v * v, 0));
const relDiff = (ours: ArrayLike<number>, ref: ArrayLike<number>) => {
  let d = 0;
  for (let i = 0; i < ref.length; i++) d += (ours[i] - ref[i]) ** 2;
  return Math.sqrt(d) / norm(ref);
};

function spec(): GeneratorSpec {
  const classes = Array.from({ length: C }, (_, i) => ({ name: `c${i}`, color: [i * 60, 0, 0] as [number, number, number] }));
  return { model: 'pix2pix', classes, height: SIZE, width: SIZE, channels: NGF, norm: 'instance' };
}

interface Comparison {
  loss: { ours: number; torch: number; rel: number };
  grads: { name: string; torchName: string; rel: number; torchNorm: number; oursNorm: number }[];
}

/**
 * Feeds the torch parameters (mapped by order onto the program's param/dparam inputs, shapes asserted)
 * and the batch, runs the program and compares its loss and grad.* outputs with torch's.
 */
async function compare(p: Program, tc: TorchCase, data: Float32Array, lossName: string, torchLoss: number, side: 'G' | 'D', withGrads = true): Promise<Comparison> {
  const view = (e: Entry) => data.subarray(e.offset, e.offset + size(e.shape));
  const feeds: Record<string, ort.Tensor> = {};
  const gInputs = p.inputs.filter((x) => x.spec.role === 'param');
  const dInputs = p.inputs.filter((x) => x.spec.role === 'dparam');
  for (const [ours, theirs, what] of [
    [gInputs, tc.G, 'G'],
    [dInputs, tc.D, 'D'],
  ] as const) {
    if (ours.length !== theirs.length) throw new Error(`${what}: ${ours.length} parameters here, ${theirs.length} in torch`);
    ours.forEach((x, i) => {
      const shape = x.spec.shape as number[];
      if (shape.join('x') !== theirs[i].shape.join('x')) throw new Error(`${what} parameter ${i}: ${x.spec.name} is [${shape}], torch's ${theirs[i].name} is [${theirs[i].shape}]`);
      feeds[x.spec.name] = floatTensor(Float32Array.from(view(theirs[i])), shape);
    });
  }
  for (const name of ['layout', 'image', 'noise'] as const) {
    const e = tc.inputs[name];
    const spec = p.inputs.find((x) => x.spec.name === name)!.spec;
    if ((spec.shape as number[]).join('x') !== e.shape.join('x')) throw new Error(`input ${name}: [${spec.shape}] here, [${e.shape}] in torch`);
    feeds[name] = floatTensor(Float32Array.from(view(e)), e.shape);
  }
  const extra = p.inputs.filter((x) => !(x.spec.name in feeds)).map((x) => x.spec.name);
  if (extra.length) throw new Error(`inputs not fed: ${extra.join(', ')}`);

  const { session } = await createSession(emitProgram(p), { ep: 'cpu', threads: 2 });
  const out = await session.run(feeds);
  await session.release();

  const ours = (out[lossName].data as Float32Array)[0];
  const result: Comparison = { loss: { ours, torch: torchLoss, rel: Math.abs(ours - torchLoss) / Math.abs(torchLoss) }, grads: [] };
  const params = side === 'G' ? gInputs : dInputs;
  const torchParams = side === 'G' ? tc.G : tc.D;
  const torchGrads = side === 'G' ? tc.gradG : tc.gradD;
  const gradOutputs = p.outputs.filter((x) => x.spec.role === 'grad');
  if (gradOutputs.length !== (withGrads ? params.length : 0)) throw new Error(`${gradOutputs.length} gradients for ${params.length} parameters`);
  if (!withGrads) return result;
  params.forEach((x, i) => {
    // input param.<name> / dparam.<name> has the output grad.<name>
    const gradName = `grad.${x.spec.name.slice(x.spec.name.indexOf('.') + 1)}`;
    if (!(gradName in out)) throw new Error(`no output ${gradName} for ${x.spec.name}`);
    const ref = view(torchGrads[i]);
    const mine = out[gradName].data as Float32Array;
    if (mine.length !== ref.length) throw new Error(`${gradName}: ${mine.length} values, torch has ${ref.length}`);
    result.grads.push({ name: gradName, torchName: torchParams[i].name!, rel: relDiff(mine, ref), torchNorm: norm(ref), oursNorm: norm(mine) });
  });
  return result;
}

/**
 * Conv biases followed by InstanceNorm have no effect (the norm subtracts them again): their gradient is
 * zero in exact arithmetic (torch's float64 value is ~1e-16), so a relative error means nothing there.
 * For those, ours must be zero up to float32 rounding: small next to the whole gradient.
 */
const DEAD = { G: /^grad\.block[1-4]\.up\.bias$|^grad\.block[1-3]\.down\.bias$/, D: /^grad\.D\.conv[1-3]\.bias$/ };

function check(t: import('ava').ExecutionContext, what: string, side: 'G' | 'D', r: Comparison) {
  const total = Math.sqrt(r.grads.reduce((s, g) => s + g.torchNorm ** 2, 0));
  const table = r.grads
    .map((g) => `  ${g.name.padEnd(28)} (torch ${g.torchName.padEnd(46)}) |torch| ${g.torchNorm.toExponential(3)} |ours| ${g.oursNorm.toExponential(3)} rel ${g.rel.toExponential(2)}`)
    .join('\n');
  const live = r.grads.filter((g) => !DEAD[side].test(g.name));
  const dead = r.grads.filter((g) => DEAD[side].test(g.name));
  const worst = live.reduce((a, b) => (b.rel > a.rel ? b : a));
  const worstDead = Math.max(...dead.map((g) => g.oursNorm / total));
  t.log(
    `${what}: loss ours ${r.loss.ours} torch ${r.loss.torch} rel ${r.loss.rel.toExponential(2)}; worst gradient rel ${worst.rel.toExponential(2)} (${worst.name});` +
      ` ${dead.length} dead biases: |ours| / |whole gradient| <= ${worstDead.toExponential(2)}`,
  );
  t.true(r.loss.rel < TOLERANCE, `${what}: loss ${r.loss.ours} vs torch ${r.loss.torch}, rel ${r.loss.rel}`);
  t.is(dead.length, side === 'G' ? 7 : 3, 'the conv biases followed by a norm');
  for (const g of live) t.true(g.rel < TOLERANCE, `${what}: ${g.name} (torch ${g.torchName}) differs by ${g.rel} relative\n${table}`);
  for (const g of dead) {
    t.true(g.torchNorm < 1e-9 * total, `${what}: ${g.name} should have no effect, but torch's gradient is ${g.torchNorm}\n${table}`);
    t.true(g.oursNorm < TOLERANCE * total, `${what}: ${g.name} should have no effect, but our gradient is ${g.oursNorm} (whole gradient ${total})\n${table}`);
  }
}

for (const c of CASES) {
  const options = () => defaultTrainingOptions(spec(), { diversity: c.diversity, beta: c.beta, lambda: Array(C).fill(LAMBDA), l1Weight: c.l1, batch: c.batch, dChannels: NDF });

  test(`parity with PyTorch, ${c.name}: generator objective (D fixed) and its gradients`, async (t) => {
    const { index, data } = torchSide();
    const tc = index.cases[c.name];
    t.truthy(tc, `torch wrote no case '${c.name}'`);
    const programs = trainingPrograms(spec(), options());
    t.deepEqual(programs.masks, [], 'no dropout at 32x32');
    const r = await compare(programs.gradients, tc, data, 'loss', tc.loss_g, 'G');
    check(t, `${c.name} G (torch ${index.torch})`, 'G', r);
    // forward_loss computes the same loss
    const fl = await compare(programs.forwardLoss, tc, data, 'loss', tc.loss_g, 'G', false);
    t.log(`${c.name} forward_loss: ours ${fl.loss.ours} rel ${fl.loss.rel.toExponential(2)}`);
    t.true(fl.loss.rel < TOLERANCE, `forward_loss: ${fl.loss.ours} vs torch ${fl.loss.torch}`);
  });

  test(`parity with PyTorch, ${c.name}: discriminator objective and its gradients`, async (t) => {
    const { data, index } = torchSide();
    const tc = index.cases[c.name];
    t.truthy(tc, `torch wrote no case '${c.name}'`);
    const r = await compare(discriminatorGradientsProgram(spec(), options()), tc, data, 'loss.D', tc.loss_d, 'D');
    check(t, `${c.name} D`, 'D', r);
  });
}
