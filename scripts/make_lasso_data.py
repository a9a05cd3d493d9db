"""Generate data/lasso.npz and data/lasso_truth.npz (the lasso exercise, notebook 07).

Usage::

    python scripts/make_lasso_data.py            # write both files into data/
    python scripts/make_lasso_data.py --out DIR  # write them elsewhere (e.g. to compare)

The output is deterministic: the same seed gives byte-identical files, whose
sha256 lines (printed at the end, in ``sha256sum`` format) are committed in
``data/MANIFEST``. See :mod:`mlcourse.data.lasso` for how the data are drawn.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from mlcourse import config
from mlcourse.data.lasso import DATA_FILE, SEED, TRUTH_FILE, generate_lasso, write_npz
from mlcourse.data.manifest import sha256_file


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=config.data_dir(), help="output folder (default: data/)")
    parser.add_argument("--seed", type=int, default=SEED, help=f"random seed (default: {SEED})")
    args = parser.parse_args(argv)
    data, truth = generate_lasso(args.seed)
    for name, arrays in ((DATA_FILE, data), (TRUTH_FILE, truth)):
        path = write_npz(args.out / name, arrays)
        print(f"{sha256_file(path)}  {name}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
