// Resampling of 8-bit interleaved images: separable bilinear for photos (antialiased when shrinking),
// nearest for layouts and index maps.

/** Nearest-neighbour resize (pixel centres: source = floor((x + 0.5)·w/W)); any channel count. */
export function resizeNearest<T extends Uint8Array | Uint16Array>(src: T, w: number, h: number, channels: number, W: number, H: number): T {
  const out = new (src.constructor as { new (n: number): T })(W * H * channels);
  if (W === w && H === h) {
    out.set(src);
    return out;
  }
  const xs = new Int32Array(W);
  for (let x = 0; x < W; x++) xs[x] = Math.min(w - 1, Math.floor(((x + 0.5) * w) / W)) * channels;
  for (let y = 0; y < H; y++) {
    const row = Math.min(h - 1, Math.floor(((y + 0.5) * h) / H)) * w * channels;
    let o = y * W * channels;
    if (channels === 1) for (let x = 0; x < W; x++) out[o++] = src[row + xs[x]];
    else for (let x = 0; x < W; x++) for (let c = 0; c < channels; c++) out[o++] = src[row + xs[x] + c];
  }
  return out;
}

interface Taps {
  start: Int32Array;
  count: Int32Array;
  weights: Float32Array; // count[i] weights per output i, at i*maxCount
  max: number;
}

/** Triangle-filter taps (half-pixel centres); the support widens when shrinking (antialiased, as PIL's BILINEAR). */
function bilinearTaps(inSize: number, outSize: number): Taps {
  const scale = inSize / outSize;
  const support = Math.max(1, scale);
  const max = Math.ceil(support) * 2 + 1;
  const start = new Int32Array(outSize);
  const count = new Int32Array(outSize);
  const weights = new Float32Array(outSize * max);
  for (let i = 0; i < outSize; i++) {
    const centre = (i + 0.5) * scale;
    let lo = Math.max(0, Math.floor(centre - support));
    const hi = Math.min(inSize, Math.ceil(centre + support));
    let total = 0;
    const ws: number[] = [];
    for (let j = lo; j < hi; j++) {
      const wgt = Math.max(0, 1 - Math.abs((j + 0.5 - centre) / support));
      ws.push(wgt);
      total += wgt;
    }
    // trim zero weights at both ends
    let a = 0;
    let b = ws.length;
    while (a < b && ws[a] === 0) a++;
    while (b > a && ws[b - 1] === 0) b--;
    if (a === b) {
      // cannot happen for support ≥ 1, but keep a valid tap
      a = 0;
      b = 1;
      ws[0] = 1;
      total = 1;
    }
    lo += a;
    start[i] = lo;
    count[i] = b - a;
    for (let k = a; k < b; k++) weights[i * max + k - a] = ws[k] / total;
  }
  return { start, count, weights, max };
}

/** Bilinear resize of 8-bit interleaved images (antialiased when shrinking), separable, rounded. */
export function resizeBilinear(src: Uint8Array, w: number, h: number, channels: number, W: number, H: number): Uint8Array {
  if (W === w && H === h) return src.slice();
  const tx = bilinearTaps(w, W);
  const ty = bilinearTaps(h, H);
  // horizontal pass: h rows × W columns (float)
  const mid = new Float32Array(h * W * channels);
  if (W === w) mid.set(src);
  else if (channels === 3)
    for (let y = 0; y < h; y++) {
      const srow = y * w * 3;
      let m = y * W * 3;
      for (let x = 0; x < W; x++, m += 3) {
        let p = srow + tx.start[x] * 3;
        const n = tx.count[x];
        const wo = x * tx.max;
        let a0 = 0;
        let a1 = 0;
        let a2 = 0;
        for (let k = 0; k < n; k++, p += 3) {
          const wgt = tx.weights[wo + k];
          a0 += wgt * src[p];
          a1 += wgt * src[p + 1];
          a2 += wgt * src[p + 2];
        }
        mid[m] = a0;
        mid[m + 1] = a1;
        mid[m + 2] = a2;
      }
    }
  else
    for (let y = 0; y < h; y++) {
      const srow = y * w * channels;
      const mrow = y * W * channels;
      for (let x = 0; x < W; x++) {
        const s = tx.start[x];
        const n = tx.count[x];
        const wo = x * tx.max;
        for (let c = 0; c < channels; c++) {
          let acc = 0;
          for (let k = 0; k < n; k++) acc += tx.weights[wo + k] * src[srow + (s + k) * channels + c];
          mid[mrow + x * channels + c] = acc;
        }
      }
    }
  const out = new Uint8Array(H * W * channels);
  const rowLen = W * channels;
  const acc = new Float32Array(rowLen);
  for (let y = 0; y < H; y++) {
    const s = ty.start[y];
    const n = ty.count[y];
    const wo = y * ty.max;
    acc.fill(0);
    for (let k = 0; k < n; k++) {
      const wgt = ty.weights[wo + k];
      const m = (s + k) * rowLen;
      for (let i = 0; i < rowLen; i++) acc[i] += wgt * mid[m + i];
    }
    const o = y * rowLen;
    for (let i = 0; i < rowLen; i++) {
      const v = Math.round(acc[i]);
      out[o + i] = v < 0 ? 0 : v > 255 ? 255 : v;
    }
  }
  return out;
}
