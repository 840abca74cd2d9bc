// Exact discrete Fourier transforms of any length, in float64, with MATLAB's fft2/ifft2 conventions.
// FSIM's reference code filters in the frequency domain with fft2 on the image's own size, so a
// padded (approximate) transform would not reproduce it. Powers of two use an iterative radix-2
// transform; lengths whose prime factors are all small (300 = 2·2·3·5·5) a mixed-radix Cooley-Tukey
// recursion; anything else Bluestein's algorithm, which computes the exact DFT of length n through a
// power-of-two circular convolution.

const MAX_RADIX = 13; // beyond this a radix-p step (O(p²) per group) loses to Bluestein

function primeFactors(n: number): number[] {
  const f: number[] = [];
  for (let p = 2; p * p <= n; p++) {
    while (n % p === 0) {
      f.push(p);
      n /= p;
    }
  }
  if (n > 1) f.push(n);
  return f;
}

/** A plan for complex DFTs of one length n (any n ≥ 1). */
export class Fft {
  private readonly cos: Float64Array; // cos(2πk/m), k < m, for the core transform of length m
  private readonly sin: Float64Array;
  private readonly m: number;
  private readonly factors?: number[]; // mixed radix: the prime factors of n (core length m = n)
  private readonly rev?: Uint32Array; // radix-2: bit reversal permutation
  private readonly outRe?: Float64Array; // mixed radix output buffers
  private readonly outIm?: Float64Array;
  private readonly tRe = new Float64Array(MAX_RADIX); // one radix-p group (levels run one at a time)
  private readonly tIm = new Float64Array(MAX_RADIX);
  // Bluestein: chirp w_k = exp(-iπk²/n), the FFT of the conjugate chirp, and scratch buffers
  private readonly chirpRe?: Float64Array;
  private readonly chirpIm?: Float64Array;
  private readonly kernRe?: Float64Array;
  private readonly kernIm?: Float64Array;
  private readonly bufRe?: Float64Array;
  private readonly bufIm?: Float64Array;

  constructor(readonly n: number) {
    if (!Number.isInteger(n) || n < 1) throw new RangeError(`FFT length ${n}`);
    const pow2 = (n & (n - 1)) === 0;
    const factors = primeFactors(n);
    const smooth = factors.every((p) => p <= MAX_RADIX);
    let m = 1;
    if (pow2 || smooth) m = n;
    else while (m < 2 * n - 1) m <<= 1;
    this.m = m;
    this.cos = new Float64Array(m);
    this.sin = new Float64Array(m);
    for (let k = 0; k < m; k++) {
      this.cos[k] = Math.cos((2 * Math.PI * k) / m);
      this.sin[k] = Math.sin((2 * Math.PI * k) / m);
    }
    if (!pow2 && smooth) {
      this.factors = factors;
      this.outRe = new Float64Array(n);
      this.outIm = new Float64Array(n);
      return;
    }
    this.rev = new Uint32Array(m);
    for (let i = 1, bits = Math.log2(m); i < m; i++) this.rev[i] = (this.rev[i >> 1] >> 1) | ((i & 1) << (bits - 1));
    if (pow2) return;
    this.chirpRe = new Float64Array(n);
    this.chirpIm = new Float64Array(n);
    for (let k = 0; k < n; k++) {
      // k² mod 2n keeps the angle small, so the chirp stays accurate for long transforms
      const a = (Math.PI * ((k * k) % (2 * n))) / n;
      this.chirpRe[k] = Math.cos(a);
      this.chirpIm[k] = -Math.sin(a);
    }
    this.kernRe = new Float64Array(m);
    this.kernIm = new Float64Array(m);
    for (let k = 0; k < n; k++) {
      this.kernRe[k] = this.chirpRe[k];
      this.kernIm[k] = -this.chirpIm[k];
      if (k > 0) {
        this.kernRe[m - k] = this.chirpRe[k];
        this.kernIm[m - k] = -this.chirpIm[k];
      }
    }
    this.radix2(this.kernRe, this.kernIm, false);
    this.bufRe = new Float64Array(m);
    this.bufIm = new Float64Array(m);
  }

  /** In place: forward X_k = Σ x_j e^(-2πijk/n); inverse uses e^(+…) and does NOT divide by n. */
  transform(re: Float64Array, im: Float64Array, inverse = false): void {
    if (re.length !== this.n || im.length !== this.n) throw new RangeError(`FFT of length ${this.n} given ${re.length}`);
    if (this.factors) {
      this.mixed(this.n, re, im, 0, 1, 0, 0, inverse ? 1 : -1);
      re.set(this.outRe!);
      im.set(this.outIm!);
      return;
    }
    if (!this.chirpRe) return this.radix2(re, im, inverse);
    // the inverse DFT is the conjugate of the forward DFT of the conjugate
    if (inverse) for (let i = 0; i < this.n; i++) im[i] = -im[i];
    const n = this.n,
      m = this.m;
    const cr = this.chirpRe,
      ci = this.chirpIm!,
      br = this.bufRe!,
      bi = this.bufIm!,
      kr = this.kernRe!,
      ki = this.kernIm!;
    for (let k = 0; k < n; k++) {
      br[k] = re[k] * cr[k] - im[k] * ci[k];
      bi[k] = re[k] * ci[k] + im[k] * cr[k];
    }
    br.fill(0, n);
    bi.fill(0, n);
    this.radix2(br, bi, false);
    for (let k = 0; k < m; k++) {
      const r = br[k] * kr[k] - bi[k] * ki[k];
      bi[k] = br[k] * ki[k] + bi[k] * kr[k];
      br[k] = r;
    }
    this.radix2(br, bi, true);
    for (let k = 0; k < n; k++) {
      const r = br[k] / m,
        i = bi[k] / m;
      re[k] = r * cr[k] - i * ci[k];
      im[k] = r * ci[k] + i * cr[k];
    }
    if (inverse) for (let i = 0; i < n; i++) im[i] = -im[i];
  }

  /**
   * Mixed-radix decimation in time: the DFT of the len values x[off + stride·j] goes to out[dst…].
   * With p = factors[level] and len = p·q, the p sub-DFTs of x[r + p·j] (length q) land at
   * dst + r·q; then each group k < q combines them: X[k + q·s] = Σ_r W_len^(rk) W_p^(rs) Y_r[k].
   */
  private mixed(len: number, re: Float64Array, im: Float64Array, off: number, stride: number, dst: number, level: number, sign: number): void {
    const outRe = this.outRe!,
      outIm = this.outIm!,
      cos = this.cos,
      sin = this.sin,
      n = this.n;
    const p = this.factors![level],
      q = len / p;
    if (q === 1) {
      for (let r = 0; r < p; r++) {
        outRe[dst + r] = re[off + r * stride];
        outIm[dst + r] = im[off + r * stride];
      }
    } else for (let r = 0; r < p; r++) this.mixed(q, re, im, off + r * stride, stride * p, dst + r * q, level + 1, sign);
    const tRe = this.tRe,
      tIm = this.tIm;
    const unit = n / len,
      rootStep = n / p; // W_len^e = W_n^(e·unit), W_p^j = W_n^(j·n/p): one table serves all
    for (let k = 0; k < q; k++) {
      for (let r = 0, e = 0; r < p; r++, e += k * unit) {
        const wr = cos[e],
          wi = sign * sin[e];
        const yr = outRe[dst + r * q + k],
          yi = outIm[dst + r * q + k];
        tRe[r] = yr * wr - yi * wi;
        tIm[r] = yr * wi + yi * wr;
      }
      if (p === 2) {
        outRe[dst + k] = tRe[0] + tRe[1];
        outIm[dst + k] = tIm[0] + tIm[1];
        outRe[dst + k + q] = tRe[0] - tRe[1];
        outIm[dst + k + q] = tIm[0] - tIm[1];
        continue;
      }
      for (let s = 0; s < p; s++) {
        let accRe = 0,
          accIm = 0;
        for (let r = 0, j = 0; r < p; r++, j = j + s >= p ? j + s - p : j + s) {
          const wr = cos[j * rootStep],
            wi = sign * sin[j * rootStep];
          accRe += tRe[r] * wr - tIm[r] * wi;
          accIm += tRe[r] * wi + tIm[r] * wr;
        }
        outRe[dst + k + q * s] = accRe;
        outIm[dst + k + q * s] = accIm;
      }
    }
  }

  /** Iterative in-place radix-2 transform of length m (decimation in time). */
  private radix2(re: Float64Array, im: Float64Array, inverse: boolean): void {
    const m = this.m,
      rev = this.rev!,
      cos = this.cos,
      sin = this.sin;
    for (let i = 0; i < m; i++) {
      const j = rev[i];
      if (j > i) {
        let t = re[i];
        re[i] = re[j];
        re[j] = t;
        t = im[i];
        im[i] = im[j];
        im[j] = t;
      }
    }
    const sign = inverse ? 1 : -1;
    for (let size = 2; size <= m; size <<= 1) {
      const half = size >> 1,
        step = m / size;
      for (let start = 0; start < m; start += size) {
        for (let j = 0, k = 0; j < half; j++, k += step) {
          const wr = cos[k],
            wi = sign * sin[k];
          const a = start + j,
            b = a + half;
          const tr = re[b] * wr - im[b] * wi;
          const ti = re[b] * wi + im[b] * wr;
          re[b] = re[a] - tr;
          im[b] = im[a] - ti;
          re[a] += tr;
          im[a] += ti;
        }
      }
    }
  }
}

const plans = new Map<number, Fft>();

/** A cached plan per length (plans hold scratch buffers: single-threaded use only, as in Node). */
export function fftPlan(n: number): Fft {
  let p = plans.get(n);
  if (!p) {
    if (plans.size > 32) plans.clear();
    plans.set(n, (p = new Fft(n)));
  }
  return p;
}

/**
 * In-place 2-D DFT of a rows×cols row-major complex array, as MATLAB's fft2 (forward, unscaled) or
 * ifft2 (inverse, divided by rows·cols).
 */
export function fft2(re: Float64Array, im: Float64Array, rows: number, cols: number, inverse = false): void {
  if (re.length !== rows * cols || im.length !== rows * cols) throw new RangeError(`fft2: ${re.length} values for ${rows}x${cols}`);
  const rowPlan = fftPlan(cols);
  const colPlan = fftPlan(rows);
  let sr = new Float64Array(cols),
    si = new Float64Array(cols);
  for (let y = 0; y < rows; y++) {
    const o = y * cols;
    sr.set(re.subarray(o, o + cols));
    si.set(im.subarray(o, o + cols));
    rowPlan.transform(sr, si, inverse);
    re.set(sr, o);
    im.set(si, o);
  }
  sr = new Float64Array(rows);
  si = new Float64Array(rows);
  const scale = inverse ? 1 / (rows * cols) : 1;
  for (let x = 0; x < cols; x++) {
    for (let y = 0, o = x; y < rows; y++, o += cols) {
      sr[y] = re[o];
      si[y] = im[o];
    }
    colPlan.transform(sr, si, inverse);
    for (let y = 0, o = x; y < rows; y++, o += cols) {
      re[o] = sr[y] * scale;
      im[o] = si[y] * scale;
    }
  }
}
