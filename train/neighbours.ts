// Neighbours of each training input for He et al.'s neighbours-enhanced loss: the training pairs whose
// layouts are close to an input's (dis < θ) lend their photos as extra targets for that input's branches.
// Computed once per dataset and cached. Plain arrays in, plain JSON out: no dataset class needed.
import fs from 'node:fs';
import { Rng } from '../graph/random.js';
import { writeFileAtomic } from '../common/files.js';

export interface NeighbourItem {
  /** Class index per pixel, row-major [height * width]. */
  layout: Uint8Array;
  width: number;
  height: number;
  /** RGB interleaved [height * width * 3]; needed only for colour clusters. */
  photo?: Uint8Array;
}

export interface NeighbourOptions {
  /** Keep neighbours with distance strictly below theta (the fraction of differing cells, 0..1). */
  theta: number;
  /** At most this many neighbours per input, the closest first. */
  k: number;
  /** Side of the common grid layouts are compared on (default 32). */
  size?: number;
  /** Cluster the photos into this many colour clusters and keep at most one neighbour per cluster (0: off). */
  clusters?: number;
  /** Seed of the k-means initialisation (default 0). */
  seed?: number;
  /** Histogram bins per RGB channel (default 4: 64 bins). */
  bins?: number;
}

export interface NeighbourTable {
  /** neighbours[i]: indices of input i's neighbours, closest first (ties: lower index). */
  neighbours: number[][];
  /** distances[i][m]: the distance of neighbours[i][m] to input i. */
  distances: number[][];
  /** The colour cluster of each item, or null without clustering. */
  clusters: number[] | null;
}

const DEFAULTS = { size: 32, clusters: 0, seed: 0, bins: 4 };

/**
 * Distance between layouts: the fraction of cells whose class differs, after resampling both to
 * size x size by nearest neighbour. Class indices, not colours or one-hot vectors, so every class counts
 * the same and the distance is a plain Hamming distance in [0, 1]; nearest keeps labels labels (no
 * blends) and a common grid compares layouts of different sizes. 32x32 keeps windows and doors of a
 * facade visible while N^2 comparisons stay cheap (400 items: 80k pairs x 1024 cells).
 */
export function neighbourTable(items: NeighbourItem[], opts: NeighbourOptions): NeighbourTable {
  const o = { ...DEFAULTS, ...opts };
  const n = items.length;
  const cells = o.size * o.size;
  const grids = items.map((it) => resampleNearest(it.layout, it.width, it.height, o.size));
  const dist = new Float64Array(n * n);
  for (let a = 0; a < n; a++) {
    for (let b = a + 1; b < n; b++) {
      dist[a * n + b] = dist[b * n + a] = hamming(grids[a], grids[b]) / cells;
    }
  }
  return selectNeighbours(dist, items, o);
}

/** Each input's neighbours from the distance matrix [n·n]: under θ, closest first, at most k, one per colour cluster where asked. */
function selectNeighbours(dist: Float64Array, items: { photo?: Uint8Array }[], o: Required<Pick<NeighbourOptions, 'theta' | 'k' | 'clusters' | 'seed' | 'bins'>>): NeighbourTable {
  const n = items.length;
  const clusters = o.clusters > 0 ? colourClusters(items, o.clusters, o.seed, o.bins) : null;

  const neighbours: number[][] = [];
  const distances: number[][] = [];
  for (let a = 0; a < n; a++) {
    const row = dist.subarray(a * n, (a + 1) * n);
    const close: number[] = [];
    for (let b = 0; b < n; b++) if (b !== a && row[b] < o.theta) close.push(b);
    close.sort((x, y) => row[x] - row[y] || x - y);
    const taken = new Set<number>();
    const keep: number[] = [];
    for (const b of close) {
      if (keep.length >= o.k) break;
      if (clusters) {
        if (taken.has(clusters[b])) continue; // one look per cluster: the targets should differ in colour
        taken.add(clusters[b]);
      }
      keep.push(b);
    }
    neighbours.push(keep);
    distances.push(keep.map((b) => row[b]));
  }
  return { neighbours, distances, clusters };
}

/** An input of a model conditioned on a normal map or landmarks (graph/condition.ts), at the model's size. */
export interface ConditionNeighbourItem {
  /** image: the normal map [3, H, W] in [-1, 1]. */
  planes?: Float32Array;
  /** landmarks: the points [x0, y0, …] in pixels. */
  points?: Float32Array;
  width: number;
  height: number;
  /** RGB interleaved; needed only for colour clusters. */
  photo?: Uint8Array;
}

/**
 * The relative squared L2 distance ||a − b||² / (||a||² + ||b||²) between two conditions (0 for two zeros):
 * 0 for equal conditions, 1 for heat maps that do not overlap, so that θ reads as the label maps' fraction
 * does. Normal maps are compared on a size x size grid of block means (their channels concatenated).
 * Heat maps in closed form from the points: two Gaussians of σ whose centres are δ apart have
 * ∫(g_a − g_b)² / (∫g_a² + ∫g_b²) = 1 − exp(−δ²/4σ²), so the distance is that mean over the K points (the
 * continuous maps; no grid, and K·N² operations instead of K·H·W·N²).
 */
export function conditionNeighbourTable(items: ConditionNeighbourItem[], opts: NeighbourOptions & { kind: 'image' | 'landmarks'; sigma?: number }): NeighbourTable {
  const o = { ...DEFAULTS, ...opts };
  const n = items.length;
  const dist = new Float64Array(n * n);
  if (o.kind === 'landmarks') {
    if (!(o.sigma! > 0)) throw new Error("landmark neighbours need the heat maps' sigma");
    const s = 1 / (4 * o.sigma! * o.sigma!);
    const pts = items.map((it, i) => {
      if (!it.points) throw new Error(`neighbours: landmark item ${i} has no points`);
      return it.points;
    });
    for (let a = 0; a < n; a++)
      for (let b = a + 1; b < n; b++) {
        const pa = pts[a];
        const pb = pts[b];
        let d = 0;
        for (let i = 0; i < pa.length; i += 2) d += 1 - Math.exp(-((pa[i] - pb[i]) ** 2 + (pa[i + 1] - pb[i + 1]) ** 2) * s);
        dist[a * n + b] = dist[b * n + a] = d / (pa.length / 2);
      }
  } else {
    const grids = items.map((it, i) => {
      if (!it.planes) throw new Error(`neighbours: normal-map item ${i} has no planes`);
      return blockMeans(it.planes, it.width, it.height, o.size);
    });
    const norms = grids.map((g) => g.reduce((t, v) => t + v * v, 0));
    for (let a = 0; a < n; a++)
      for (let b = a + 1; b < n; b++) {
        let d = 0;
        const [ga, gb] = [grids[a], grids[b]];
        for (let i = 0; i < ga.length; i++) d += (ga[i] - gb[i]) ** 2;
        const total = norms[a] + norms[b];
        dist[a * n + b] = dist[b * n + a] = total > 0 ? d / total : 0;
      }
  }
  return selectNeighbours(dist, items, o);
}

/** Planes [C, H, W] as the means of size x size blocks [C, size, size] (each pixel in the cell its centre falls in). */
export function blockMeans(planes: Float32Array, width: number, height: number, size: number): Float32Array {
  const hw = width * height;
  const c = planes.length / hw;
  const sums = new Float64Array(c * size * size);
  const counts = new Float64Array(size * size);
  for (let y = 0; y < height; y++) {
    const gy = Math.min(size - 1, Math.floor(((y + 0.5) * size) / height));
    for (let x = 0; x < width; x++) {
      const cell = gy * size + Math.min(size - 1, Math.floor(((x + 0.5) * size) / width));
      counts[cell]++;
      for (let k = 0; k < c; k++) sums[k * size * size + cell] += planes[k * hw + y * width + x];
    }
  }
  return Float32Array.from(sums, (v, i) => (counts[i % (size * size)] ? v / counts[i % (size * size)] : 0));
}

/** The cache key of a table: the dataset's description and the options with defaults filled in. */
export function neighbourKey(dataset: string, opts: NeighbourOptions): string {
  const o = { ...DEFAULTS, ...opts };
  return JSON.stringify({ dataset, theta: o.theta, k: o.k, size: o.size, clusters: o.clusters, seed: o.seed, bins: o.bins });
}

/**
 * The table cached in cacheFile under key: reused when the file holds the same key, otherwise computed
 * and written atomically (a crash never leaves a half-written cache). An unreadable file is recomputed.
 */
export function loadOrComputeNeighbours(cacheFile: string, key: string, compute: () => NeighbourTable): NeighbourTable {
  const cached = readCache(cacheFile);
  if (cached && cached.key === key) return cached.table;
  const table = compute();
  writeFileAtomic(cacheFile, JSON.stringify({ key, table }));
  return table;
}

function readCache(file: string): { key: string; table: NeighbourTable } | undefined {
  try {
    const data = JSON.parse(fs.readFileSync(file, 'utf8'));
    if (typeof data?.key === 'string' && Array.isArray(data.table?.neighbours) && Array.isArray(data.table?.distances)) return data;
  } catch {
    // missing or corrupt: recompute
  }
  return undefined;
}

/** Nearest-neighbour resampling to size x size, sampling each target cell at its centre. */
export function resampleNearest(layout: Uint8Array, width: number, height: number, size: number): Uint8Array {
  if (layout.length !== width * height) throw new Error(`layout of ${layout.length} pixels for ${width}x${height}`);
  const out = new Uint8Array(size * size);
  for (let y = 0; y < size; y++) {
    const sy = Math.min(height - 1, Math.floor(((y + 0.5) * height) / size));
    for (let x = 0; x < size; x++) {
      const sx = Math.min(width - 1, Math.floor(((x + 0.5) * width) / size));
      out[y * size + x] = layout[sy * width + sx];
    }
  }
  return out;
}

function hamming(a: Uint8Array, b: Uint8Array): number {
  let d = 0;
  for (let i = 0; i < a.length; i++) d += a[i] !== b[i] ? 1 : 0;
  return d;
}

/** Normalised RGB histogram of a photo: bins^3 bins summing to 1. */
export function colourHistogram(photo: Uint8Array, bins = 4): Float64Array {
  const h = new Float64Array(bins * bins * bins);
  const pixels = photo.length / 3;
  const q = (v: number) => Math.min(bins - 1, Math.floor((v * bins) / 256));
  for (let p = 0; p < pixels; p++) h[(q(photo[3 * p]) * bins + q(photo[3 * p + 1])) * bins + q(photo[3 * p + 2])]++;
  if (pixels > 0) for (let i = 0; i < h.length; i++) h[i] /= pixels;
  return h;
}

/**
 * k-means (squared Euclidean) on the photos' colour histograms: k-means++ initialisation from
 * Rng(seed, 'neighbours:kmeans'), then Lloyd steps until no item changes cluster. An emptied cluster
 * keeps its centre. Returns the cluster of each item.
 */
export function colourClusters(items: { photo?: Uint8Array }[], k: number, seed: number, bins = 4): number[] {
  const hists = items.map((it, i) => {
    if (!it.photo) throw new Error(`neighbours: colour clusters need photos, item ${i} has none`);
    return colourHistogram(it.photo, bins);
  });
  const n = hists.length;
  if (n === 0) return [];
  k = Math.min(k, n);
  const rng = new Rng(seed, 'neighbours:kmeans');
  const centres: Float64Array[] = [Float64Array.from(hists[rng.int(n)])];
  const nearest = hists.map((h) => sqDist(h, centres[0]));
  while (centres.length < k) {
    const total = nearest.reduce((s, v) => s + v, 0);
    let pick = 0;
    if (total > 0) {
      // k-means++: the next centre with probability proportional to its squared distance to the nearest centre
      let u = rng.uniform() * total;
      while (pick < n - 1 && (u -= nearest[pick]) >= 0) pick++;
      while (nearest[pick] === 0) pick--; // never an item already at a centre (float round-off at the end)
    } else {
      pick = rng.int(n); // all items are at centres already: any item will do
    }
    centres.push(Float64Array.from(hists[pick]));
    hists.forEach((h, i) => (nearest[i] = Math.min(nearest[i], sqDist(h, centres[centres.length - 1]))));
  }

  const label = new Array<number>(n).fill(-1);
  for (let iter = 0; iter < 100; iter++) {
    let changed = false;
    hists.forEach((h, i) => {
      let best = 0;
      let bestD = sqDist(h, centres[0]);
      for (let c = 1; c < k; c++) {
        const d = sqDist(h, centres[c]);
        if (d < bestD) [best, bestD] = [c, d];
      }
      if (best !== label[i]) {
        label[i] = best;
        changed = true;
      }
    });
    if (!changed) break;
    for (let c = 0; c < k; c++) {
      const members = hists.filter((_, i) => label[i] === c);
      if (members.length === 0) continue;
      centres[c].fill(0);
      for (const h of members) for (let b = 0; b < h.length; b++) centres[c][b] += h[b] / members.length;
    }
  }
  return label;
}

function sqDist(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] - b[i]) ** 2;
  return s;
}
