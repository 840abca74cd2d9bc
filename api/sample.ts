// sample(): K images per layout, gradation sweeps and grids, with samples.jsonl recording the exact noise
// or code of every image (each depends only on seed, layout stem and k); resumable from its ledger.
import fs from 'node:fs';
import path from 'node:path';
import { ClassInfo, GeneratorSpec } from '../graph/spec.js';
import { variationInputs } from '../graph/families/index.js';
import { CODE_CHOICES, interpolationVariations, sweepVariations, variationScheme } from '../common/variation.js';
import { prepareOutputDir } from '../common/files.js';
import { dataError, stateError, usageError } from '../common/errors.js';
import { readGenerator } from '../runtime/model-file.js';
import { LayoutItem, SampleOptions as EngineOptions, SampleSummary, modelDigest, sampleLayouts } from '../runtime/sampler.js';
import { SessionPool } from '../runtime/pool.js';
import { JobRange, RunLayout, inRange, parseShard, rangeLayouts, shardRange, writeManifest } from '../runtime/shards.js';
import { sampleOnQueue } from './sample-queue.js';
import { reachQueue } from '../runtime/queue.js';
import { DIRECTIONS, Direction, openDataset, splitAligned, stemOf } from '../train/datasets.js';
import { evalItems } from '../train/loader.js';
import { resizeNearest } from '../train/resize.js';
import { readRgb } from '../common/image.js';
import { colorsToIndices, oneHot, readLabelMap } from '../train/labels.js';
import { classIndex } from '../common/palettes.js';
import { checkFamilyOption, epOption, forceOption, seedOption, threadsOption } from './common.js';
import { OptionsInput, ParsedOptions, choice, flag, flagName, int, need, parsedOptions, refuseGiven, str } from './options.js';
import { resumeOptions, typedOptions } from './resume.js';
import { checkOutputDir } from '../common/output-paths.js';
import { ledgerFile, sampleResumeRules, samplesFile, savedSampleOptions } from '../runtime/sample-ledger.js';
import { LAYOUT_IMAGE, listLayoutFiles } from '../common/layout-files.js';
import { conditionChannels, conditionInputName } from '../graph/condition.js';
import { CONDITION_FILES, conditionInputs, listConditionFiles, readConditionFile } from '../train/condition-data.js';
import { checkInputOptions } from '../train/condition-training.js';

const INTERP_STEPS = 8;

/** A grid shows at most this many samples of a layout (the files hold them all). */
const GRID_MAX = 256;

export const sampleOptions = {
  model: str({ help: 'generator file', meta: 'FILE.onnx' }),
  layouts: str({
    help: "a label map, a folder of them, a pix2pix AB folder (with --direction), or 'fixture'; a model with --input image: normal maps (.png), landmarks: point files (.pts or .txt, in the model's pixels), a folder of them or a dataset folder holding normals/ or landmarks/",
    meta: 'PATH',
  }),
  direction: choice(DIRECTIONS, { help: 'read PATH as pix2pix A|B pairs; the layout is A for AtoB, B for BtoA' }),
  out: str({ help: 'output directory', meta: 'DIR' }),
  count: int({ min: 0, max: 100000, default: 4, help: 'samples per layout', meta: 'K' }),
  ...seedOption('noise seed'),
  noise: str({ help: 'fix classes to values in [-1, 1]; the others are random', meta: 'CLASS=V,...' }),
  sweep: str({ help: 'move one class from -1 to 1 (others 0) into <stem>_sweep_<class>.png', meta: 'CLASS' }),
  sweepSteps: int({ min: 2, max: 1000, default: 9, help: 'steps of the sweep', meta: 'S' }),
  codeInterp: str({ help: `latent models: a strip of ${INTERP_STEPS} images between training codes A and B into <stem>_interp.png`, meta: 'A,B' }),
  codes: choice(CODE_CHOICES, { default: 'new', help: 'latent models: sample k uses a new random code, or training code k mod n' }),
  grid: flag({ help: `also write <stem>_grid.png: the first ${GRID_MAX} samples in numbered rows` }),
  gridColumns: int({ min: 1, max: 1024, default: 8, help: 'samples per row of the grid', meta: 'N' }),
  batch: int({ min: 1, max: 1024, default: 8, help: 'images per inference batch', meta: 'B' }),
  ...epOption,
  ...threadsOption,
  resume: flag({ help: 'continue the sampling in DIR from its ledger (samples.ledger.jsonl)' }),
  ...forceOption('write into a non-empty DIR'),
  shard: str({
    help: 'make only shard I of N (I from 0), whole batches of the run; auto/N takes I from JOB_COMPLETION_INDEX or SLURM_ARRAY_TASK_ID - SLURM_ARRAY_TASK_MIN; divsyn merge joins the shards',
    meta: 'I/N',
  }),
  redis: str({ help: 'run on a BullMQ queue on this Redis server: enqueue the jobs, follow them, write samples.jsonl; divsyn worker runs them', meta: 'URL' }),
  queue: str({ help: 'the queue name (with --redis)', meta: 'NAME' }),
  jobImages: int({
    min: 1,
    max: 1000000,
    help: 'images per queue job, rounded up to whole batches (default: 2048 at 64x64, as many pixels for larger images but at least 256, and at most 1/8 of the run)',
    meta: 'N',
  }),
};

/** sample()'s options: the `divsyn sample` flags in camelCase; model, layouts and out are required. */
export type SampleOptions = OptionsInput<typeof sampleOptions>;

export interface SampleHooks {
  /** Warnings about the layouts (resized, far from the palette) and resume notes. */
  onLog?(message: string): void;
  /** Images written so far, of all the run will write; with --redis, a note of the rate and the workers. */
  onProgress?(done: number, total: number, note?: string): void;
  /** With --redis: aborted, the run's unfinished jobs are removed from the queue and sample() rejects (an InterruptedRun). */
  signal?: AbortSignal;
}

export interface SampleResult {
  images: number;
  layouts: number;
  seconds: number;
  /** The execution provider used. */
  ep: string;
  /** The output folder, absolute; samples.jsonl is in it. */
  out: string;
}

/** --code-interp A,B: indices of two training codes of a latent model. */
function parseInterp(v: string, spec: GeneratorSpec): [number, number] {
  const n = spec.latent?.branches ?? 0;
  const m = /^(\d+),(\d+)$/.exec(v.trim());
  const pair = m ? [Number(m[1]), Number(m[2])] : [];
  if (!m || pair.some((i) => i >= n)) throw usageError(`option --code-interp: '${v}' is not A,B with training code indices below ${n}`);
  return pair as [number, number];
}

/** --noise CLASS=V,... with V in [-1, 1]. */
export function parseNoise(v: string | undefined, classes: ClassInfo[]): Map<number, number> {
  const fixed = new Map<number, number>();
  if (!v) return fixed;
  for (const part of v.split(',')) {
    const [name, value] = part.split('=');
    const x = Number(value);
    if (value === undefined || value.trim() === '' || !Number.isFinite(x) || x < -1 || x > 1) throw usageError(`option --noise: '${part}' is not CLASS=V with V in [-1, 1]`);
    fixed.set(classIndex(classes, name.trim()), x);
  }
  return fixed;
}

/**
 * Layout files (colour maps in the model's palette, index PNGs, or pix2pix AB pairs) as one-hot maps,
 * read relative to cwd. Layouts that `read` leaves out are not read: no job of this run uses them.
 */
export async function* readLayouts(
  files: string[],
  cwd: string,
  classes: ClassInfo[],
  h: number,
  w: number,
  direction: Direction | undefined,
  log: (m: string) => void,
  read: (layout: number) => boolean,
): AsyncGenerator<LayoutItem> {
  for (const [layout, file] of files.entries()) {
    if (!read(layout)) {
      yield { stem: stemOf(file, LAYOUT_IMAGE), source: file, onehot: new Float32Array(0) };
      continue;
    }
    const at = path.resolve(cwd, file);
    let map: { indices: Uint8Array; width: number; height: number; warning?: string };
    if (direction) {
      // pix2pix aligned pair: A on the left, B on the right; the layout is A for AtoB, B for BtoA
      const img = await readRgb(at);
      const halves = splitAligned(img.data, img.width, img.height, file);
      map = colorsToIndices(direction === 'AtoB' ? halves.a : halves.b, halves.width, img.height, classes, file);
    } else map = await readLabelMap(at, classes);
    if (map.warning) log(`warning: ${map.warning}`);
    let indices = map.indices;
    if (map.width !== w || map.height !== h) {
      log(`warning: layout '${file}' is ${map.width}x${map.height}; resized (nearest) to the model's ${w}x${h}`);
      indices = resizeNearest(indices, map.width, map.height, 1, w, h);
    }
    yield { stem: stemOf(file, LAYOUT_IMAGE), source: file, onehot: oneHot(indices, classes.length) };
  }
}

/** Condition files read at the model's size (train/condition-data.ts), relative to cwd; those `read` leaves out are not read. */
async function* readConditions(files: string[], cwd: string, spec: GeneratorSpec, log: (m: string) => void, read: (layout: number) => boolean): AsyncGenerator<LayoutItem> {
  const ext = CONDITION_FILES[spec.condition!.kind].ext;
  for (const [layout, file] of files.entries()) {
    const stem = stemOf(file, ext);
    const planes = read(layout) ? await readConditionFile(path.resolve(cwd, file), spec.condition!, spec.width, spec.height, (m) => log(`warning: ${m}`)) : new Float32Array(0);
    yield { stem, source: file, onehot: planes };
  }
}

/** The options of a resumed sampling: its own, from its ledger, with those given again checked. */
function resumed(parsed: ParsedOptions<typeof sampleOptions>, log: (m: string) => void): ParsedOptions<typeof sampleOptions> {
  if (!parsed.values.resume) return parsed;
  if (parsed.values.force) throw usageError('give --resume or --force, not both');
  const out = need(parsed.values, 'out');
  const saved = savedSampleOptions(out);
  if (!saved && fs.existsSync(samplesFile(out))) throw stateError(`the sampling in '${out}' is finished (its ${path.basename(samplesFile(out))} is written)`);
  if (!saved) throw stateError(`--resume: '${out}' holds no sampling to continue (no ${path.basename(ledgerFile(out))})`);
  const r = resumeOptions(saved, parsed, sampleOptions, sampleResumeRules);
  for (const note of r.notes) log(note);
  return r.parsed;
}

/** A sampling checked and ready to run: its model, layouts and variations. */
export interface Sampling {
  parsed: ParsedOptions<typeof sampleOptions>;
  spec: GeneratorSpec;
  /** The model file as the process reads it (resolved against cwd). */
  modelPath: string;
  layouts: RunLayout[];
  /** The layouts' one-hot maps in order; `read` false: a layout no job of this run uses (not read). */
  items(read: (layout: number) => boolean): AsyncIterable<LayoutItem> | LayoutItem[];
  engine: Omit<EngineOptions, 'out' | 'resume' | 'runOptions' | 'onProgress' | 'select'>;
}

/** Checks the options and lists the layouts (relative paths resolved against cwd, as samples.jsonl keeps them). */
export async function prepareSampling(parsed: ParsedOptions<typeof sampleOptions>, log: (m: string) => void, cwd = process.cwd()): Promise<Sampling> {
  const { values: o, given } = parsed;
  const modelFile = need(o, 'model');
  const layoutsArg = need(o, 'layouts');
  checkOutputDir(path.resolve(cwd, need(o, 'out')));
  const modelPath = path.resolve(cwd, modelFile);
  const { spec } = readGenerator(modelPath);
  // a model fed a normal map or landmarks has no classes: --noise, --sweep, --direction are refused, naming the option
  if (spec.condition) checkInputOptions({ model: spec.model, input: spec.condition.kind, command: 'sample', given });
  if (o.codeInterp !== undefined) checkFamilyOption('codeInterp', spec, `'${modelFile}'`);
  if (given.has('codes')) checkFamilyOption('codes', spec, `'${modelFile}'`);
  if (o.sweep === undefined) refuseGiven(given, ['sweepSteps'], 'needs --sweep');
  if (!o.grid) refuseGiven(given, ['gridColumns'], 'needs --grid');
  if (layoutsArg === 'fixture') refuseGiven(given, ['direction'], 'does not apply to --layouts fixture');
  const scheme = variationScheme(spec, { codes: o.codes });
  if ((o.noise !== undefined || o.sweep !== undefined) && !scheme.noise) throw usageError(`options --noise and --sweep need per-class noise; '${modelFile}' (${spec.model}) takes none`);
  if (o.sweep !== undefined && o.codeInterp !== undefined) throw usageError('give --sweep or --code-interp, not both');
  const interp = o.codeInterp === undefined ? undefined : parseInterp(o.codeInterp, spec);
  const fixed = parseNoise(o.noise, spec.classes);
  const sweep = o.sweep === undefined ? undefined : classIndex(spec.classes, o.sweep);
  let layouts: RunLayout[];
  let items: Sampling['items'];
  if (spec.condition && layoutsArg === 'fixture') {
    // the bundled test split of the model's input kind (heads or faces)
    const fixture = await conditionInputs('fixture', spec.condition, spec.width, spec.height);
    layouts = fixture.map((it) => ({ relative: it.stem, source: it.source }));
    items = () => fixture.map((it) => ({ stem: it.stem, source: it.source, onehot: it.condition }));
  } else if (spec.condition) {
    const files = listConditionFiles(layoutsArg, spec.condition.kind, { cwd });
    const folder = files.length > 1 || files[0] !== layoutsArg;
    layouts = files.map((f) => ({ relative: folder ? path.relative(layoutsArg, f) : path.basename(f), source: f }));
    items = (read) => readConditions(files, cwd, spec, log, read);
  } else if (layoutsArg === 'fixture') {
    if (spec.classes.length !== 12) throw dataError(`the fixture has the 12 CMP Facades classes; '${modelFile}' has ${spec.classes.length}`);
    if (spec.height !== spec.width) throw dataError(`the fixture is square; '${modelFile}' is ${spec.height}x${spec.width}`);
    const test = await evalItems(openDataset({ data: 'fixture', classes: spec.classes, split: 'test' }), spec.width, spec.height);
    const fixture = test.map((it) => ({ stem: it.stem, source: `fixture:${it.stem}`, onehot: it.layout }));
    layouts = fixture.map((it) => ({ relative: it.stem, source: it.source }));
    items = () => fixture;
  } else {
    const files = listLayoutFiles(layoutsArg, { cwd });
    const folder = files.length > 1 || files[0] !== layoutsArg;
    layouts = files.map((f) => ({ relative: folder ? path.relative(layoutsArg, f) : path.basename(f), source: f }));
    items = (read) => readLayouts(files, cwd, spec.classes, spec.height, spec.width, o.direction, log, read);
  }
  let strip: EngineOptions['strip'];
  if (sweep !== undefined) strip = { suffix: `sweep_${spec.classes[sweep].name.replace(/[^\w.-]+/g, '_')}`, variations: sweepVariations(scheme, sweep, o.sweepSteps) };
  else if (interp) strip = { suffix: 'interp', variations: interpolationVariations(scheme, interp[0], interp[1], INTERP_STEPS) };
  const engine: Sampling['engine'] = {
    model: modelPath,
    classes: spec.classes.map((c) => c.name),
    ...(spec.condition ? { input: { name: conditionInputName(spec), channels: conditionChannels(spec) } } : {}),
    height: spec.height,
    width: spec.width,
    count: o.count,
    seed: o.seed,
    scheme,
    inputs: variationInputs(spec),
    fixed,
    strip,
    grid: o.grid ? { columns: o.gridColumns, max: GRID_MAX } : undefined,
    batch: o.batch,
    ep: o.ep,
    threads: o.threads,
  };
  return { parsed, spec, modelPath, layouts, items, engine };
}

/** What a caller keeps from one sampling of a model to the next (a queue worker): its session and its digest. */
export interface KeptModel {
  pool: SessionPool;
  modelDigest: string;
}

/**
 * Runs a prepared sampling into out (a folder prepared for it, or one to resume); `range`: only those
 * sample jobs; `kept`: the model's session and digest the caller keeps (else a session is opened and closed).
 */
export async function runSampling(s: Sampling, out: string, range: JobRange | undefined, onProgress?: (done: number, total: number) => void, kept?: KeptModel): Promise<SampleSummary> {
  const { values: o, given } = s.parsed;
  const count = s.engine.count;
  const used = range && rangeLayouts(range, count);
  return await sampleLayouts(
    s.items((layout) => !used || (layout >= used.first && layout <= used.last)),
    s.layouts.length,
    {
      ...s.engine,
      out,
      resume: o.resume,
      runOptions: typedOptions({ values: o, given, positional: [] }),
      select: range && inRange(range, count),
      onProgress,
      ...kept,
    },
  );
}

/** What the images of a run depend on, for shards to agree on (the model by its bytes). */
export function runIdentity(s: Sampling): Record<string, unknown> {
  const o = s.parsed.values;
  return {
    model: modelDigest(s.modelPath),
    count: o.count,
    seed: o.seed,
    noise: o.noise ?? null,
    codes: o.codes,
    direction: o.direction ?? null,
    batch: o.batch,
    threads: o.threads ?? null,
    ep: o.ep,
  };
}

/** Samples a generator file over layouts into a folder, as `divsyn sample` does. */
export async function sample(options: SampleOptions | ParsedOptions<typeof sampleOptions>, hooks: SampleHooks = {}): Promise<SampleResult> {
  const log = (m: string) => hooks.onLog?.(m);
  const parsed = resumed(parsedOptions(sampleOptions, options), log);
  const { values: o, given } = parsed;
  const spread = (['shard', 'redis', 'queue'] as const).filter((k) => given.has(k));
  if (spread.length) {
    // a grid or a strip is one image of many samples of a layout, which jobs on several machines would split
    const whole = (['grid', 'sweep', 'codeInterp'] as const).filter((k) => given.has(k));
    if (whole.length)
      throw usageError(
        `${whole.length > 1 ? 'options' : 'option'} ${whole.map((k) => `--${flagName(k)}`).join(' and ')} ${whole.length > 1 ? 'make' : 'makes'} one image of several samples of a layout: not with --${flagName(spread[0])} (run ${whole.length > 1 ? 'them' : 'it'} on one machine)`,
      );
    if (given.has('shard') && (given.has('redis') || given.has('queue'))) throw usageError('give --shard or --redis, not both');
  }
  if (given.has('redis') !== given.has('queue')) throw usageError(given.has('redis') ? 'option --redis needs --queue NAME' : 'option --queue needs --redis URL');
  if (!given.has('redis')) refuseGiven(given, ['jobImages'], 'needs --redis');
  if (given.has('redis') && o.resume) throw usageError('option --resume does not apply to --redis: the queue keeps the run, and a restarted worker takes up its jobs');
  // a bad address is found before any work (reading the model and layouts, making the output folder)
  if (o.redis !== undefined) await reachQueue({ redis: o.redis, queue: need(o, 'queue') });
  const s = await prepareSampling(parsed, log);
  const out = need(o, 'out');
  const jobs = s.layouts.length * o.count;
  if (!o.resume) prepareOutputDir(out, o.force);
  if (o.redis !== undefined) {
    // the workers' options: the run's, the model by its absolute path (layouts stay as given: samples.jsonl keeps them)
    const options = { ...typedOptions(parsed, ['out', 'resume', 'force', 'shard', 'redis', 'queue', 'jobImages']), model: s.modelPath };
    const r = await sampleOnQueue({
      place: { redis: o.redis, queue: need(o, 'queue') },
      layouts: s.layouts,
      count: o.count,
      batch: o.batch,
      height: s.spec.height,
      width: s.spec.width,
      jobImages: o.jobImages,
      out,
      options,
      onLog: log,
      signal: hooks.signal,
      onProgress: (p) => hooks.onProgress?.(p.done, p.total, `${p.imagesPerSecond.toFixed(1)} img/s, ${p.workers} workers (${p.workersSeen} seen)`),
    });
    return { images: r.images, layouts: s.layouts.length, seconds: r.seconds, ep: o.ep, out: path.resolve(out) };
  }
  let range: JobRange | undefined;
  if (o.shard !== undefined) {
    const shard = parseShard(o.shard);
    range = shardRange(jobs, o.batch, shard);
    log(`shard ${shard.index}/${shard.count} (index from ${shard.from}): samples ${range.from} to ${range.to - 1} of ${jobs}, in whole batches of ${o.batch}`);
    // written first: a shard killed before its samples.jsonl is named as unfinished by merge
    writeManifest(out, { shard: { index: shard.index, count: shard.count }, run: runIdentity(s), count: o.count, layouts: s.layouts, range });
  }
  const r = await runSampling(s, out, range, (done, total) => hooks.onProgress?.(done, total));
  return { images: r.images, layouts: s.layouts.length, seconds: r.seconds, ep: r.ep, out: path.resolve(out) };
}
