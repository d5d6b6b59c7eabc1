#!/usr/bin/env python3
"""Convert scikit-learn's bundled 8x8 handwritten digits into tinycml's digits file.

Run once, from the repository root:

    python3 tools/digits/convert.py data/digits/digits.bin

Needs numpy and scikit-learn; nothing is downloaded (the images ship inside
scikit-learn). Neither building nor testing tinycml needs this script: the output is
committed. The format is described in data/digits/README.md and src/digits.rs:

    bytes 0..4   magic b"TCD8"
    bytes 4..6   format version, u16 little-endian (1)
    bytes 6..8   number of images, u16 little-endian
    then per image, in scikit-learn's order: 64 pixel bytes (0..=16, row-major,
    row 0 at the top, column 0 at the left), then one label byte (0..=9).
"""

import hashlib
import struct
import sys

import numpy as np
from sklearn.datasets import load_digits

MAGIC = b"TCD8"
VERSION = 1


def main() -> None:
    if len(sys.argv) != 2:
        sys.exit("usage: convert.py OUTPUT")
    digits = load_digits()
    images = np.asarray(digits.images)
    labels = np.asarray(digits.target)
    if images.shape[1:] != (8, 8) or len(images) != len(labels):
        sys.exit(f"unexpected shapes {images.shape} {labels.shape}")
    pixels = images.astype(np.int64)
    # The pixels are counts of set bits in 4x4 blocks: whole numbers from 0 to 16.
    if not np.array_equal(pixels, images) or pixels.min() < 0 or pixels.max() > 16:
        sys.exit("pixels are not whole numbers in 0..=16")
    if labels.min() < 0 or labels.max() > 9:
        sys.exit("labels are not digits")

    out = bytearray(MAGIC + struct.pack("<HH", VERSION, len(labels)))
    for image, label in zip(pixels, labels):
        out += bytes(image.reshape(64).tolist()) + bytes([int(label)])
    with open(sys.argv[1], "wb") as f:
        f.write(out)

    counts = np.bincount(labels, minlength=10)
    print(f"{len(labels)} images, {len(out)} bytes")
    print("sha256", hashlib.sha256(out).hexdigest())
    print("class counts", " ".join(f"{d}:{c}" for d, c in enumerate(counts)))


if __name__ == "__main__":
    main()
