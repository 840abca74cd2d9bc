// Full-reference image similarity as He et al. report it (Tables 1-2): RMSE, SSIM (Wang et al. 2004),
// FSIM and FSIMc (Zhang et al. 2011). Images are RGB planes on the 0..255 scale in float64; SSIM and
// FSIM work on luma Y = 0.299R + 0.587G + 0.114B without rounding. FSIM follows the authors' reference
// MATLAB code (FeatureSIM.m with Kovesi's phasecong2) step for step, since its numbers are the ones
// papers quote: the same downsampling, frequency grids, noise threshold and borders.
import { fft2 } from './fft.js';

/** An RGB image as three row-major planes, values on the 0..255 scale. */
export interface RgbPlanes {
  width: number;
  height: number;
  r: Float64Array;
  g: Float64Array;
  b: Float64Array;
}

export interface Similarity {
  rmse: number;
  ssim: number;
  fsim: number;
  fsimc: number;
}

/** Planes from interleaved RGB (HWC, e.g. decoded 8-bit pixels); `scale` maps values to 0..255. */
export function planesFromInterleaved(rgb: ArrayLike<number>, width: number, height: number, scale = 1): RgbPlanes {
  const n = width * height;
  if (rgb.length !== 3 * n) throw new RangeError(`${rgb.length} values for ${width}x${height} RGB`);
  const p = { width, height, r: new Float64Array(n), g: new Float64Array(n), b: new Float64Array(n) };
  for (let i = 0, j = 0; i < n; i++, j += 3) {
    p.r[i] = rgb[j] * scale;
    p.g[i] = rgb[j + 1] * scale;
    p.b[i] = rgb[j + 2] * scale;
  }
  return p;
}

/** Planes from planar CHW values (a generator's [3, H, W] output in [0, 1] by default). */
export function planesFromPlanar(chw: ArrayLike<number>, width: number, height: number, scale = 255): RgbPlanes {
  const n = width * height;
  if (chw.length !== 3 * n) throw new RangeError(`${chw.length} values for 3x${height}x${width}`);
  const p = { width, height, r: new Float64Array(n), g: new Float64Array(n), b: new Float64Array(n) };
  for (let i = 0; i < n; i++) {
    p.r[i] = chw[i] * scale;
    p.g[i] = chw[n + i] * scale;
    p.b[i] = chw[2 * n + i] * scale;
  }
  return p;
}

/** Luma Y = 0.299R + 0.587G + 0.114B (the weights of FeatureSIM.m; docs/formats.md#evaluation-report). */
export function luma(p: RgbPlanes): Float64Array {
  const y = new Float64Array(p.r.length);
  for (let i = 0; i < y.length; i++) y[i] = 0.299 * p.r[i] + 0.587 * p.g[i] + 0.114 * p.b[i];
  return y;
}

function sameSize(a: RgbPlanes, b: RgbPlanes): void {
  if (a.width !== b.width || a.height !== b.height) throw new RangeError(`images differ in size: ${a.width}x${a.height} and ${b.width}x${b.height}`);
}

/** Root mean square difference over all values of two equally long arrays (on their own scale). */
export function rmse(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new RangeError(`rmse: ${a.length} and ${b.length} values`);
  let s = 0;
  for (let i = 0; i < a.length; i++) {
    const d = a[i] - b[i];
    s += d * d;
  }
  return Math.sqrt(s / a.length);
}

/** RMSE over all three channels of two RGB images (0..255 scale). */
export function rmseRgb(a: RgbPlanes, b: RgbPlanes): number {
  sameSize(a, b);
  let s = 0;
  for (const c of ['r', 'g', 'b'] as const) {
    const r = rmse(a[c], b[c]);
    s += r * r;
  }
  return Math.sqrt(s / 3);
}

// ---------------------------------------------------------------------------------------------------
// SSIM (Wang et al. 2004): 11x11 Gaussian window (sigma 1.5), K1 0.01, K2 0.03, L 255, population
// (co)variances, averaged over the windows that lie inside the image ('valid'), as their ssim_index.m
// and scikit-image (which filters everything, then crops the 5-pixel border) both do.

export const SSIM_WINDOW = 11;

function gaussianTaps(sigma: number, radius: number): Float64Array {
  const w = new Float64Array(2 * radius + 1);
  let sum = 0;
  for (let i = -radius; i <= radius; i++) sum += w[i + radius] = Math.exp((-0.5 * i * i) / (sigma * sigma));
  return w.map((v) => v / sum);
}

/** Separable 'valid' filtering of a rows×cols plane with symmetric taps: (rows-k+1)×(cols-k+1). */
function filterValid(x: Float64Array, rows: number, cols: number, taps: Float64Array): Float64Array {
  const k = taps.length,
    oc = cols - k + 1,
    or = rows - k + 1;
  const horiz = new Float64Array(rows * oc);
  for (let y = 0; y < rows; y++)
    for (let j = 0; j < oc; j++) {
      let s = 0;
      for (let t = 0, o = y * cols + j; t < k; t++) s += taps[t] * x[o + t];
      horiz[y * oc + j] = s;
    }
  const out = new Float64Array(or * oc);
  for (let i = 0; i < or; i++)
    for (let t = 0; t < k; t++) {
      const w = taps[t],
        src = (i + t) * oc,
        dst = i * oc;
      for (let j = 0; j < oc; j++) out[dst + j] += w * horiz[src + j];
    }
  return out;
}

/** Mean SSIM of two luma planes (0..255) of width×height; both sides must be at least 11. */
export function ssim(a: ArrayLike<number>, b: ArrayLike<number>, width: number, height: number): number {
  const n = width * height;
  if (a.length !== n || b.length !== n) throw new RangeError(`ssim: ${a.length} and ${b.length} values for ${width}x${height}`);
  if (width < SSIM_WINDOW || height < SSIM_WINDOW) throw new RangeError(`ssim needs images of at least ${SSIM_WINDOW}x${SSIM_WINDOW} pixels, got ${width}x${height}`);
  const taps = gaussianTaps(1.5, (SSIM_WINDOW - 1) / 2);
  const x = Float64Array.from(a),
    y = Float64Array.from(b);
  const xx = x.map((v) => v * v),
    yy = y.map((v) => v * v),
    xy = x.map((v, i) => v * y[i]);
  const [mx, my, mxx, myy, mxy] = [x, y, xx, yy, xy].map((p) => filterValid(p, height, width, taps));
  const C1 = (0.01 * 255) ** 2,
    C2 = (0.03 * 255) ** 2;
  let sum = 0;
  for (let i = 0; i < mx.length; i++) {
    const ux = mx[i],
      uy = my[i];
    const vx = mxx[i] - ux * ux,
      vy = myy[i] - uy * uy,
      vxy = mxy[i] - ux * uy;
    sum += ((2 * ux * uy + C1) * (2 * vxy + C2)) / ((ux * ux + uy * uy + C1) * (vx + vy + C2));
  }
  return sum / mx.length;
}

// ---------------------------------------------------------------------------------------------------
// FSIM (Zhang et al. 2011) as FeatureSIM.m computes it.

const NSCALE = 4,
  NORIENT = 4,
  MIN_WAVELENGTH = 6,
  MULT = 2,
  SIGMA_ONF = 0.55,
  D_THETA_ON_SIGMA = 1.2;
const NOISE_K = 2.0,
  EPSILON = 0.0001;
const T1 = 0.85,
  T2 = 160,
  T3 = 200,
  T4 = 200,
  LAMBDA = 0.03;

/**
 * A plane of `size` values as an ifftshift'd frequency grid (Kovesi's convention): x runs over
 * [-n/2, n/2)/n for even n and [-(n-1)/2, (n-1)/2]/(n-1) for odd n, then zero moves to index 0.
 */
function shiftedRange(n: number): Float64Array {
  const r = new Float64Array(n);
  const half = Math.floor(n / 2);
  for (let i = 0; i < n; i++) {
    const centred = n % 2 ? (i - (n - 1) / 2) / (n - 1) : (i - n / 2) / n;
    r[(i - half + n) % n] = centred; // ifftshift: element floor(n/2) goes to 0
  }
  return r;
}

interface PcPlan {
  rows: number;
  cols: number;
  /** Log-Gabor filters by orientation then scale: filters[o * NSCALE + s]. */
  filters: Float64Array[];
  /** Per orientation: noise threshold T = thresholdPerRootPower·sqrt(medianE2n) (see phaseCongruency). */
  thresholdPerRootPower: number[];
}

const pcPlans = new Map<string, PcPlan>();

/** The filters and the image-independent part of the noise model, cached per image size. */
function pcPlan(rows: number, cols: number): PcPlan {
  const key = `${rows}x${cols}`;
  const cached = pcPlans.get(key);
  if (cached) return cached;
  const n = rows * cols;
  const xr = shiftedRange(cols),
    yr = shiftedRange(rows);
  const radius = new Float64Array(n),
    sinT = new Float64Array(n),
    cosT = new Float64Array(n),
    lowpass = new Float64Array(n);
  for (let i = 0; i < rows; i++)
    for (let j = 0; j < cols; j++) {
      const x = xr[j],
        y = yr[i],
        p = i * cols + j;
      radius[p] = Math.sqrt(x * x + y * y);
      // Butterworth low-pass (cutoff .45, order 15) so the filters vanish at the FFT's corners
      lowpass[p] = 1 / (1 + (radius[p] / 0.45) ** 30);
      const theta = Math.atan2(-y, x); // -y: angles anticlockwise, as the reference
      sinT[p] = Math.sin(theta);
      cosT[p] = Math.cos(theta);
    }
  radius[0] = 1; // avoid log(0) at DC; that filter value is zeroed below
  const logGabor: Float64Array[] = [];
  for (let s = 0; s < NSCALE; s++) {
    const fo = 1 / (MIN_WAVELENGTH * MULT ** s);
    const denom = 2 * Math.log(SIGMA_ONF) ** 2;
    const g = new Float64Array(n);
    for (let p = 0; p < n; p++) g[p] = Math.exp(-(Math.log(radius[p] / fo) ** 2) / denom) * lowpass[p];
    g[0] = 0;
    logGabor.push(g);
  }
  const thetaSigma = Math.PI / NORIENT / D_THETA_ON_SIGMA;
  const filters: Float64Array[] = [];
  const thresholdPerRootPower: number[] = [];
  const ifftRe = new Float64Array(n),
    ifftIm = new Float64Array(n);
  for (let o = 0; o < NORIENT; o++) {
    const angle = (o * Math.PI) / NORIENT;
    const ca = Math.cos(angle),
      sa = Math.sin(angle);
    const spread = new Float64Array(n);
    for (let p = 0; p < n; p++) {
      const ds = sinT[p] * ca - cosT[p] * sa,
        dc = cosT[p] * ca + sinT[p] * sa;
      const dtheta = Math.abs(Math.atan2(ds, dc));
      spread[p] = Math.exp(-(dtheta * dtheta) / (2 * thetaSigma * thetaSigma));
    }
    // The noise model needs the filters' spatial forms: sums of squares and of cross products of
    // real(ifft2(filter))·sqrt(rows·cols) over the scales, and the smallest scale's squared sum EM_n.
    const spatial: Float64Array[] = [];
    let emN = 0;
    for (let s = 0; s < NSCALE; s++) {
      const f = logGabor[s].map((v, p) => v * spread[p]);
      filters.push(f);
      if (s === 0) for (let p = 0; p < n; p++) emN += f[p] * f[p];
      ifftRe.set(f);
      ifftIm.fill(0);
      fft2(ifftRe, ifftIm, rows, cols, true);
      const root = Math.sqrt(n);
      spatial.push(ifftRe.map((v) => v * root));
    }
    let sumAn2 = 0,
      sumAiAj = 0;
    for (let p = 0; p < n; p++) {
      for (let s = 0; s < NSCALE; s++) sumAn2 += spatial[s][p] * spatial[s][p];
      for (let si = 0; si < NSCALE - 1; si++) for (let sj = si + 1; sj < NSCALE; sj++) sumAiAj += spatial[si][p] * spatial[sj][p];
    }
    // noisePower = medianE2n / -log(0.5) / EM_n; EstNoiseEnergy² = 2·power·ΣAn² + 4·power·ΣAiAj;
    // tau = sqrt(that/2); T = (tau·sqrt(π/2) + k·sqrt(2 - π/2)·tau) / 1.7. All linear in sqrt(medianE2n).
    const tauPerRoot = Math.sqrt((2 * sumAn2 + 4 * sumAiAj) / (-Math.log(0.5) * emN) / 2);
    thresholdPerRootPower.push((tauPerRoot * Math.sqrt(Math.PI / 2) + NOISE_K * Math.sqrt(2 - Math.PI / 2) * tauPerRoot) / 1.7);
  }
  const plan = { rows, cols, filters, thresholdPerRootPower };
  if (pcPlans.size >= 8) pcPlans.clear();
  pcPlans.set(key, plan);
  return plan;
}

function median(values: Float64Array): number {
  const s = values.slice().sort();
  const h = s.length >> 1;
  return s.length % 2 ? s[h] : (s[h - 1] + s[h]) / 2;
}

/** Phase congruency of a rows×cols plane (Kovesi's phasecong2 with FSIM's parameters). */
export function phaseCongruency(im: Float64Array, rows: number, cols: number): Float64Array {
  const plan = pcPlan(rows, cols);
  const n = rows * cols;
  const imRe = Float64Array.from(im),
    imIm = new Float64Array(n);
  fft2(imRe, imIm, rows, cols);
  const eoRe = Array.from({ length: NSCALE }, () => new Float64Array(n));
  const eoIm = Array.from({ length: NSCALE }, () => new Float64Array(n));
  const sumE = new Float64Array(n),
    sumO = new Float64Array(n),
    sumAn = new Float64Array(n),
    energy = new Float64Array(n);
  const energyAll = new Float64Array(n),
    anAll = new Float64Array(n),
    e2 = new Float64Array(n);
  for (let o = 0; o < NORIENT; o++) {
    sumE.fill(0);
    sumO.fill(0);
    sumAn.fill(0);
    for (let s = 0; s < NSCALE; s++) {
      const f = plan.filters[o * NSCALE + s],
        re = eoRe[s],
        imag = eoIm[s];
      for (let p = 0; p < n; p++) {
        re[p] = imRe[p] * f[p];
        imag[p] = imIm[p] * f[p];
      }
      fft2(re, imag, rows, cols, true); // EO: even (real) and odd (imaginary) responses
      for (let p = 0; p < n; p++) {
        sumAn[p] += Math.sqrt(re[p] * re[p] + imag[p] * imag[p]);
        sumE[p] += re[p];
        sumO[p] += imag[p];
      }
    }
    // energy = Σ_s A_s(cos Δφ - |sin Δφ|) against the amplitude-weighted mean phase
    for (let p = 0; p < n; p++) {
      const xe = Math.sqrt(sumE[p] * sumE[p] + sumO[p] * sumO[p]) + EPSILON;
      const meanE = sumE[p] / xe,
        meanO = sumO[p] / xe;
      let en = 0;
      for (let s = 0; s < NSCALE; s++) {
        const e = eoRe[s][p],
          od = eoIm[s][p];
        en += e * meanE + od * meanO - Math.abs(e * meanO - od * meanE);
      }
      energy[p] = en;
    }
    // noise: Rayleigh model fitted to the median squared response at the smallest scale
    for (let p = 0; p < n; p++) e2[p] = eoRe[0][p] * eoRe[0][p] + eoIm[0][p] * eoIm[0][p];
    const T = plan.thresholdPerRootPower[o] * Math.sqrt(median(e2));
    for (let p = 0; p < n; p++) {
      energyAll[p] += Math.max(energy[p] - T, 0);
      anAll[p] += sumAn[p];
    }
  }
  // where no filter responds at all (a flat image) the reference divides 0 by 0; no response, no feature
  return energyAll.map((v, p) => (anAll[p] > 0 ? v / anAll[p] : 0));
}

/** conv2(x, ones(F)/F², 'same') sampled at every F-th row and column, as FeatureSIM.m downsamples. */
function averageDownsample(x: Float64Array, rows: number, cols: number, F: number): { data: Float64Array; rows: number; cols: number } {
  if (F === 1) return { data: x, rows, cols };
  const or = Math.ceil(rows / F),
    oc = Math.ceil(cols / F),
    h = Math.floor(F / 2);
  const out = new Float64Array(or * oc);
  // MATLAB's 'same' window for an even kernel reaches one further forwards than backwards; zeros outside
  for (let i = 0; i < or; i++)
    for (let j = 0; j < oc; j++) {
      let s = 0;
      for (let y = Math.max(0, i * F + h - F + 1); y <= Math.min(rows - 1, i * F + h); y++)
        for (let x0 = Math.max(0, j * F + h - F + 1); x0 <= Math.min(cols - 1, j * F + h); x0++) s += x[y * cols + x0];
      out[i * oc + j] = s / (F * F);
    }
  return { data: out, rows: or, cols: oc };
}

/** Scharr gradient magnitude, conv2 'same' with zero borders (dx = [3 0 -3; 10 0 -10; 3 0 -3]/16). */
function gradientMagnitude(y: Float64Array, rows: number, cols: number): Float64Array {
  const at = (i: number, j: number) => (i < 0 || j < 0 || i >= rows || j >= cols ? 0 : y[i * cols + j]);
  const g = new Float64Array(rows * cols);
  for (let i = 0; i < rows; i++)
    for (let j = 0; j < cols; j++) {
      // convolution flips the kernel: Ix = (right - left) smoothed over [3 10 3]/16 down the column
      const gx = (3 * (at(i - 1, j + 1) - at(i - 1, j - 1)) + 10 * (at(i, j + 1) - at(i, j - 1)) + 3 * (at(i + 1, j + 1) - at(i + 1, j - 1))) / 16;
      const gy = (3 * (at(i + 1, j - 1) - at(i - 1, j - 1)) + 10 * (at(i + 1, j) - at(i - 1, j)) + 3 * (at(i + 1, j + 1) - at(i - 1, j + 1))) / 16;
      g[i * cols + j] = Math.sqrt(gx * gx + gy * gy);
    }
  return g;
}

/** What FSIM compares of one image: on the downsampled grid, PC, gradient magnitude and YIQ chroma. */
export interface FsimFeatures {
  rows: number;
  cols: number;
  pc: Float64Array;
  gradient: Float64Array;
  i: Float64Array;
  q: Float64Array;
}

/** Downsampling factor of FeatureSIM.m: max(1, round(min(rows, cols) / 256)). */
export function fsimScale(width: number, height: number): number {
  return Math.max(1, Math.round(Math.min(width, height) / 256));
}

/** FSIM's features of an image; compute a reference's once to compare many samples against it. */
export function fsimFeatures(p: RgbPlanes): FsimFeatures {
  const F = fsimScale(p.width, p.height);
  const n = p.r.length;
  const I = new Float64Array(n),
    Q = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    I[k] = 0.596 * p.r[k] - 0.274 * p.g[k] - 0.322 * p.b[k];
    Q[k] = 0.211 * p.r[k] - 0.523 * p.g[k] + 0.312 * p.b[k];
  }
  const y = averageDownsample(luma(p), p.height, p.width, F);
  return {
    rows: y.rows,
    cols: y.cols,
    pc: phaseCongruency(y.data, y.rows, y.cols),
    gradient: gradientMagnitude(y.data, y.rows, y.cols),
    i: averageDownsample(I, p.height, p.width, F).data,
    q: averageDownsample(Q, p.height, p.width, F).data,
  };
}

/** FSIM and FSIMc from two images' features (the first is the reference; the measure is symmetric). */
export function fsimFromFeatures(a: FsimFeatures, b: FsimFeatures): { fsim: number; fsimc: number } {
  if (a.rows !== b.rows || a.cols !== b.cols) throw new RangeError(`fsim: feature grids ${a.rows}x${a.cols} and ${b.rows}x${b.cols}`);
  let num = 0,
    numC = 0,
    den = 0;
  // (ISim·QSim)^λ of a negative product is complex in MATLAB; the reference keeps its real part
  const negativeBranch = Math.cos(LAMBDA * Math.PI);
  for (let p = 0; p < a.pc.length; p++) {
    const pc1 = a.pc[p],
      pc2 = b.pc[p],
      g1 = a.gradient[p],
      g2 = b.gradient[p];
    const pcSim = (2 * pc1 * pc2 + T1) / (pc1 * pc1 + pc2 * pc2 + T1);
    const gSim = (2 * g1 * g2 + T2) / (g1 * g1 + g2 * g2 + T2);
    const pcm = Math.max(pc1, pc2);
    const iSim = (2 * a.i[p] * b.i[p] + T3) / (a.i[p] * a.i[p] + b.i[p] * b.i[p] + T3);
    const qSim = (2 * a.q[p] * b.q[p] + T4) / (a.q[p] * a.q[p] + b.q[p] * b.q[p] + T4);
    const iq = iSim * qSim;
    const chroma = iq >= 0 ? iq ** LAMBDA : (-iq) ** LAMBDA * negativeBranch;
    const s = gSim * pcSim * pcm;
    num += s;
    numC += s * chroma;
    den += pcm;
  }
  // both images featureless (flat): the reference gives NaN; weigh all pixels alike instead
  if (den === 0) return fsimFromFeatures({ ...a, pc: a.pc.map(() => 1) }, { ...b, pc: b.pc.map(() => 1) });
  return { fsim: num / den, fsimc: numC / den };
}

/** FSIM and FSIMc of two RGB images of one size. */
export function fsimBoth(a: RgbPlanes, b: RgbPlanes): { fsim: number; fsimc: number } {
  sameSize(a, b);
  return fsimFromFeatures(fsimFeatures(a), fsimFeatures(b));
}

export function fsim(a: RgbPlanes, b: RgbPlanes): number {
  return fsimBoth(a, b).fsim;
}

export function fsimc(a: RgbPlanes, b: RgbPlanes): number {
  return fsimBoth(a, b).fsimc;
}

// ---------------------------------------------------------------------------------------------------

/** All four measures of a sample against a reference (features of the reference may be passed in). */
export function similarity(reference: RgbPlanes, sample: RgbPlanes, referenceFeatures = fsimFeatures(reference)): Similarity {
  sameSize(reference, sample);
  const f = fsimFromFeatures(referenceFeatures, fsimFeatures(sample));
  return { rmse: rmseRgb(reference, sample), ssim: ssim(luma(reference), luma(sample), reference.width, reference.height), ...f };
}

export const HIGHER_IS_BETTER: Readonly<Record<keyof Similarity, boolean>> = { rmse: false, ssim: true, fsim: true, fsimc: true };

/** Best-of-n (max, or min when lower is better) and mean-of-n of one measure over n samples. */
export function bestAndMean(values: number[], higherIsBetter: boolean): { best: number; mean: number } {
  if (!values.length) throw new RangeError('bestAndMean of no values');
  let best = values[0],
    sum = 0;
  for (const v of values) {
    best = higherIsBetter ? Math.max(best, v) : Math.min(best, v);
    sum += v;
  }
  return { best, mean: sum / values.length };
}

/** Every measure as best-of-n and mean-of-n over samples of one reference (He et al.'s tables). */
export function similarityOfSamples(reference: RgbPlanes, samples: RgbPlanes[]): Record<keyof Similarity, { best: number; mean: number }> {
  const features = fsimFeatures(reference);
  const scores = samples.map((s) => similarity(reference, s, features));
  const keys = Object.keys(HIGHER_IS_BETTER) as (keyof Similarity)[];
  return Object.fromEntries(
    keys.map((k) => [
      k,
      bestAndMean(
        scores.map((s) => s[k]),
        HIGHER_IS_BETTER[k],
      ),
    ]),
  ) as Record<keyof Similarity, { best: number; mean: number }>;
}
