"""SSIM by scikit-image, for test/similarity.test.ts.

stdin: JSON list of {"a": FILE, "b": FILE, "width": W, "height": H}, each FILE holding H*W float64
luma values (little-endian, row-major) on the 0..255 scale. stdout: JSON list of SSIM values.
The settings are those that reproduce Wang et al. 2004 (see skimage's structural_similarity notes).
"""
import json
import sys

import numpy as np
from skimage.metrics import structural_similarity


def load(path, width, height):
    return np.fromfile(path, dtype="<f8").reshape(height, width)


def main():
    cases = json.load(sys.stdin)
    out = []
    for c in cases:
        a = load(c["a"], c["width"], c["height"])
        b = load(c["b"], c["width"], c["height"])
        s = structural_similarity(a, b, gaussian_weights=True, sigma=1.5, use_sample_covariance=False, data_range=255)
        out.append(float(s))
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
