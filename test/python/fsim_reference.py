"""FSIM and FSIMc (Zhang, Zhang, Mou, Zhang: "FSIM: A Feature Similarity Index for Image Quality
Assessment", IEEE TIP 2011), written from the paper and its reference MATLAB code (FeatureSIM.m, with
Kovesi's phasecong2) in plain numpy/scipy, as an independent check of metrics/similarity.ts.

stdin: JSON list of {"a": FILE, "b": FILE, "width": W, "height": H}, each FILE holding H*W*3 bytes
of interleaved RGB. stdout: JSON list of {"fsim": x, "fsimc": y}.
"""
import json
import sys

import numpy as np
from scipy.signal import convolve2d


def centred_frequencies(n):
    """Kovesi's normalised frequency axis (odd and even lengths differ), before ifftshift."""
    if n % 2:
        return np.arange(-(n - 1) / 2, (n - 1) / 2 + 1) / (n - 1)
    return np.arange(-n // 2, n // 2) / n


def phase_congruency(im, nscale=4, norient=4, min_wavelength=6, mult=2.0, sigma_onf=0.55,
                     dtheta_on_sigma=1.2, k=2.0, eps=1e-4):
    rows, cols = im.shape
    x, y = np.meshgrid(centred_frequencies(cols), centred_frequencies(rows))
    radius = np.sqrt(x ** 2 + y ** 2)
    lowpass = np.fft.ifftshift(1.0 / (1.0 + (radius / 0.45) ** 30))
    radius = np.fft.ifftshift(radius)
    theta = np.fft.ifftshift(np.arctan2(-y, x))
    radius[0, 0] = 1.0

    wavelengths = min_wavelength * mult ** np.arange(nscale)
    # log-Gabor radial part, one per scale: exp(-log(r/f0)^2 / (2 log(sigma_onf)^2)), f0 = 1/wavelength
    radial = np.exp(-np.log(radius[None] * wavelengths[:, None, None]) ** 2 / (2 * np.log(sigma_onf) ** 2))
    radial *= lowpass
    radial[:, 0, 0] = 0.0

    # angular part, one per orientation: Gaussian in the wrapped angular distance
    angles = np.arange(norient) * np.pi / norient
    dtheta = np.abs(np.angle(np.exp(1j * (theta[None] - angles[:, None, None]))))
    theta_sigma = np.pi / norient / dtheta_on_sigma
    angular = np.exp(-dtheta ** 2 / (2 * theta_sigma ** 2))

    filters = angular[:, None] * radial[None]  # [orientation, scale, rows, cols]
    eo = np.fft.ifft2(np.fft.fft2(im) * filters)
    even, odd, amp = eo.real, eo.imag, np.abs(eo)

    sum_even, sum_odd = even.sum(axis=1), odd.sum(axis=1)
    norm = np.sqrt(sum_even ** 2 + sum_odd ** 2) + eps
    mean_even, mean_odd = (sum_even / norm)[:, None], (sum_odd / norm)[:, None]
    energy = (even * mean_even + odd * mean_odd - np.abs(even * mean_odd - odd * mean_even)).sum(axis=1)

    # noise threshold from the smallest scale (Rayleigh model), per orientation
    mean_e2n = -np.median(amp[:, 0].reshape(norient, -1) ** 2, axis=1) / np.log(0.5)
    noise_power = mean_e2n / (filters[:, 0] ** 2).sum(axis=(1, 2))
    spatial = np.fft.ifft2(filters).real * np.sqrt(rows * cols)
    sum_sq = (spatial ** 2).sum(axis=(1, 2, 3))
    sum_cross = ((spatial.sum(axis=1) ** 2).sum(axis=(1, 2)) - sum_sq) / 2  # sum over pairs i < j
    tau = np.sqrt((2 * noise_power * sum_sq + 4 * noise_power * sum_cross) / 2)
    threshold = (tau * np.sqrt(np.pi / 2) + k * np.sqrt((2 - np.pi / 2) * tau ** 2)) / 1.7

    energy = np.maximum(energy - threshold[:, None, None], 0)
    return energy.sum(axis=0) / amp.sum(axis=(0, 1))


def downsample(plane, f):
    """MATLAB's conv2(plane, ones(f)/f^2, 'same') then every f-th pixel: 'same' is the full
    convolution cut at floor(f/2), which differs from numpy's centring for even f."""
    if f == 1:
        return plane
    rows, cols = plane.shape
    full = convolve2d(plane, np.ones((f, f)) / (f * f), mode="full")
    same = full[f // 2:f // 2 + rows, f // 2:f // 2 + cols]
    return same[::f, ::f]


def gradient(plane):
    dx = np.array([[3, 0, -3], [10, 0, -10], [3, 0, -3]]) / 16
    gx = convolve2d(plane, dx, mode="same")
    gy = convolve2d(plane, dx.T, mode="same")
    return np.sqrt(gx ** 2 + gy ** 2)


def fsim(rgb_ref, rgb_dis):
    def yiq(rgb):
        r, g, b = (rgb[..., c].astype(np.float64) for c in range(3))
        return (0.299 * r + 0.587 * g + 0.114 * b,
                0.596 * r - 0.274 * g - 0.322 * b,
                0.211 * r - 0.523 * g + 0.312 * b)

    rows, cols = rgb_ref.shape[:2]
    f = max(1, int(np.floor(min(rows, cols) / 256 + 0.5)))  # MATLAB round, not Python's
    y1, i1, q1 = (downsample(p, f) for p in yiq(rgb_ref))
    y2, i2, q2 = (downsample(p, f) for p in yiq(rgb_dis))

    pc1, pc2 = phase_congruency(y1), phase_congruency(y2)
    g1, g2 = gradient(y1), gradient(y2)

    def sim(u, v, t):
        return (2 * u * v + t) / (u ** 2 + v ** 2 + t)

    pcm = np.maximum(pc1, pc2)
    s_l = sim(pc1, pc2, 0.85) * sim(g1, g2, 160)
    chroma = np.real(np.power((sim(i1, i2, 200) * sim(q1, q2, 200)).astype(complex), 0.03))
    return (s_l * pcm).sum() / pcm.sum(), (s_l * chroma * pcm).sum() / pcm.sum()


def main():
    out = []
    for c in json.load(sys.stdin):
        shape = (c["height"], c["width"], 3)
        a = np.fromfile(c["a"], dtype=np.uint8).reshape(shape)
        b = np.fromfile(c["b"], dtype=np.uint8).reshape(shape)
        f, fc = fsim(a, b)
        out.append({"fsim": float(f), "fsimc": float(fc)})
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
