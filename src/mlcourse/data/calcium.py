"""Widefield calcium imaging frames, real or GAN-made: files, integrity checks, a generated stand-in.

The exercise's data are 20 gzip files in ``data/calcium/``: ``real_k.gz`` and
``fake_k.gz`` for segments (recording sessions) k = 0..9. Each one is a bare
gzip of float32 frames of 128 x 128 pixels, written back to back (no header),
2,048 frames per file. The real frames come from widefield calcium imaging of
mouse cortex (Lake et al., Nature Methods 2020); the fakes were made by a GAN
for the course. See ``data/README.md`` for where to get them.

Real files are checked in full before any frame is used (:func:`verify_file`):
the gzip CRC and length, a whole number of 128 x 128 frames, 2,048 of them, and
finite pixels. A bad file is a :class:`DataError` naming the file and the fix.

Without the real files the frames come from a synthetic **stand-in**,
generated on the fly (no files are written; frame ``i`` of a segment is the
same on every call and machine for a given seed). Its design, which decides
what a notebook's numbers mean:

* every frame: a circular cranial window with constant corners, a dark
  midline between the hemispheres, roughly mirror-symmetric hot spots of
  activity, vignetting and pixel noise;
* fakes carry four GAN-like flaws spread over the whole frame, each weak:
  finer noise replaced in part by a smoother, correlated grain; hot spots
  mirrored less faithfully between the hemispheres; hot spots wider, with a
  lower peak; a softer window edge. All four scale with one per-frame flaw
  strength drawn uniformly from [0, 1], so a fake with strength near 0 cannot
  be told from a real frame and no classifier reaches 100 %. None of them
  changes a frame's total light (a wider spot keeps its total brightness,
  and the mirrored spots are as bright on average), so the mean brightness
  of a frame tells nothing;
* each session draws its own imaging geometry and optics at random (window
  position and radius, illumination tilt, slope of the midline, focus blur,
  horizontal correlation of the camera noise): these change what the flaws
  look like from one session to the next (a blurrier session has softer edges
  and smoother spots, a more correlated camera noise a smoother grain).
  Brightness, gain, noise level and level of activity are the same in every
  session. (Generator version 3 also drew those per session; a brightness
  offset of a hundredth then moved all the real frames of a test session
  across the baseline's threshold at once, so that copies of the baseline
  failed on whole sessions: see ``data/README.md``.)

How big each effect is was calibrated so that the notebook's baseline CNN
tests near the coursework's 0.88 on segments 7-9 while better CNNs gain on it
without reaching 100 % (``data/README.md`` gives the figures). It is a design,
not a measurement of the real data.

:func:`load_calcium` reads (or generates) a few segments into NumPy arrays;
:func:`calcium_dataset` streams them through ``tf.data``. Labels: 0 = real, 1 = fake.
"""

from __future__ import annotations

import gzip
import json
import struct
import zlib
from pathlib import Path
from typing import Iterator, Sequence

import numpy as np

from .. import config
from ._io import atomic_write, write_text_if_changed
from .manifest import DataError

#: Frame height and width in pixels.
FRAME_SIDE = 128
#: Bytes in one float32 frame.
FRAME_BYTES = FRAME_SIDE * FRAME_SIDE * 4
#: Frames in each file of the real data.
REAL_FRAMES_PER_FILE = 2048
#: Frames per segment and kind of the stand-in (generated on demand, like the real files' 2,048).
STANDIN_FRAMES_PER_FILE = 2048
#: Segments (recording sessions) in the data set.
SEGMENTS = tuple(range(10))
#: Label of each kind of frame.
KINDS = {"real": 0, "fake": 1}
#: Version of the stand-in generator (recorded in STANDIN.json).
GENERATOR_VERSION = 4
#: Marker file of the stand-in in ``data/calcium/``; versions 1-2 wrote their frames to files beside it.
MARKER = "STANDIN.json"
#: Where the real files can be downloaded (the course's public bucket).
REAL_URL = "https://sds365.s3.amazonaws.com/calcium/{kind}_{segment}.gz"

SOURCE_REAL = ("REAL data: widefield calcium imaging of mouse cortex (Lake et al., Nature Methods 2020) "
               "and the course's GAN-made fakes, from data/calcium/")
SOURCE_STANDIN = ("SYNTHETIC STAND-IN, not the real imaging data: frames generated on the fly by "
                  "mlcourse.data.calcium (generator version {version}, seed {seed}; what it imitates "
                  "and how: data/README.md)")

_FIX_REAL = ("download it again from " + REAL_URL.replace("{kind}_{segment}", "<kind>_<k>")
             + " (see data/README.md), or move data/calcium/ away to use the synthetic stand-in")
_FIX_STANDIN = "delete data/calcium/STANDIN.json and run `make data` again"


def calcium_dir() -> Path:
    """The folder holding the calcium files: ``data/calcium/``."""
    return config.data_dir() / "calcium"


def _check_segment(segment) -> int:
    if isinstance(segment, bool) or not isinstance(segment, (int, np.integer)) or segment not in SEGMENTS:
        raise ValueError(f"segment must be an integer in 0..9, got {segment!r}")
    return int(segment)


def segment_path(kind: str, segment: int, folder: str | Path | None = None) -> Path:
    """Path of one file, e.g. ``data/calcium/fake_7.gz``.

    Raises
    ------
    ValueError
        If ``kind`` is not ``"real"``/``"fake"`` or ``segment`` is not in 0..9.
    """
    if kind not in KINDS:
        raise ValueError(f"kind must be 'real' or 'fake', got {kind!r}")
    return Path(folder or calcium_dir()) / f"{kind}_{_check_segment(segment)}.gz"


# ----------------------------------------------------------------------------- checks of real files

def _gzip_isize(path: Path, fix: str = _FIX_REAL) -> int:
    """Uncompressed size modulo 2**32, read from the gzip trailer (no decompression)."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(2)
            if head != b"\x1f\x8b":
                raise DataError(f"data file {path} is not a gzip file (it does not start with the gzip "
                                f"magic bytes); {fix}")
            handle.seek(0, 2)
            if handle.tell() < 18:
                raise DataError(f"data file {path} is truncated: {handle.tell()} bytes is too short for a "
                                f"gzip file; {fix}")
            handle.seek(-4, 2)
            return struct.unpack("<I", handle.read(4))[0]
    except OSError as err:
        raise DataError(f"data file {path} cannot be read ({err.strerror or err}); check its permissions "
                        f"(`chmod u+r {path}`), or {fix}") from err


def _decompressed_size(path: Path, fix: str) -> int:
    """Decompress ``path`` fully (slow path, only used to explain a bad file)."""
    total = 0
    try:
        with gzip.open(path, "rb") as handle:
            while block := handle.read(1 << 22):
                total += len(block)
    except EOFError:
        raise DataError(f"data file {path} is truncated: the gzip stream ends early, after "
                        f"{total:,} bytes ({total / FRAME_BYTES:.2f} frames); {fix}") from None
    except (gzip.BadGzipFile, zlib.error, OSError) as err:
        raise DataError(f"data file {path} is corrupt ({err}); {fix}") from None
    return total


def check_file(path: str | Path, frames: int | None = None, *, fix: str = _FIX_REAL) -> int:
    """Check one calcium file's size without decompressing it; return its number of frames.

    The gzip trailer stores the uncompressed size, so the check is instant. When
    that size is not a whole number of 128 x 128 float32 frames the file is
    decompressed once to tell a truncated download from a file of the wrong size.
    It does not read the CRC: :func:`verify_file` does.

    Parameters
    ----------
    path : path-like
        A ``real_k.gz`` or ``fake_k.gz`` file.
    frames : int, optional
        The number of frames the file must hold.
    fix : str
        How to repair the file (shown in every error).

    Returns
    -------
    int
        Frames in the file.

    Raises
    ------
    DataError
        If the file is missing, not gzip, truncated, not a whole number of
        frames, or holds a number of frames other than ``frames``.

    Example
    -------
    >>> check_file("data/calcium/real_0.gz", frames=2048)   # doctest: +SKIP
    2048
    """
    path = Path(path)
    if path.exists() and not path.is_file():
        raise DataError(f"data file {path} is not a file (a directory?); remove it (`rm -r {path}`), "
                        f"then {fix}")
    if not path.is_file():
        raise DataError(f"data file {path} is missing (segment {path.stem.split('_')[-1]} of the "
                        f"calcium data); {fix}")
    size = _gzip_isize(path, fix)
    if size % FRAME_BYTES != 0 or size == 0:
        size = _decompressed_size(path, fix)
        if size % FRAME_BYTES != 0 or size == 0:
            raise DataError(
                f"data file {path} holds {size:,} bytes, which is not a whole number of frames "
                f"(one 128x128 float32 frame is {FRAME_BYTES:,} bytes): it is not a calcium "
                f"frame file or was cut short; {fix}")
    count = size // FRAME_BYTES
    if frames is not None and count != frames:
        raise DataError(f"data file {path} holds {count:,} frames, expected {frames:,}; {fix}")
    return count


def _check_finite(path: Path, block: np.ndarray, first: int, fix: str) -> None:
    """Raise DataError when a block of frames (starting at frame ``first``) holds NaN or infinity."""
    finite = np.isfinite(block)
    if not finite.all():
        bad = np.flatnonzero(~finite.reshape(len(block), -1).all(axis=1))
        raise DataError(f"data file {path} holds {int((~finite).sum()):,} non-finite pixel values "
                        f"(NaN or infinity), first in frame {first + int(bad[0])}: the file is corrupt; {fix}")


def iter_frames(path: str | Path, start: int = 0, stop: int | None = None, chunk: int = 64,
                *, fix: str = _FIX_REAL) -> Iterator[np.ndarray]:
    """Yield frames ``start:stop`` of one file in chunks of shape ``(n, 128, 128)``.

    Only one chunk is in memory at a time. Every chunk is checked for NaN and
    infinite pixels; reading to the end of the file (``stop=None``) also checks
    the gzip CRC and length. Errors are :class:`DataError` naming the file.
    """
    path = Path(path)
    if start < 0 or (stop is not None and stop < start) or chunk < 1:
        raise ValueError(f"need 0 <= start <= stop and chunk >= 1, got start={start}, stop={stop}, chunk={chunk}")
    try:
        with gzip.open(path, "rb") as handle:
            if start:
                skipped = len(handle.read(start * FRAME_BYTES))
                if skipped != start * FRAME_BYTES:
                    raise DataError(f"data file {path} ends before frame {start}; {fix}")
            index = start
            while stop is None or index < stop:
                n = chunk if stop is None else min(chunk, stop - index)
                block = handle.read(n * FRAME_BYTES)
                if not block:
                    if stop is not None:
                        raise DataError(f"data file {path} ends at frame {index}, before frame {stop}; {fix}")
                    return
                if len(block) % FRAME_BYTES:
                    raise DataError(f"data file {path} ends in the middle of a frame: it is truncated "
                                    f"or not 128x128 float32 frames; {fix}")
                frames = np.frombuffer(block, dtype="<f4").reshape(-1, FRAME_SIDE, FRAME_SIDE)
                _check_finite(path, frames, index, fix)
                index += len(frames)
                yield frames
    except EOFError:
        raise DataError(f"data file {path} is truncated: the gzip stream ends early; {fix}") from None
    except (gzip.BadGzipFile, zlib.error) as err:
        raise DataError(f"data file {path} is corrupt ({err}): a damaged or incomplete download; {fix}") from None
    except OSError as err:
        raise DataError(f"data file {path} cannot be read ({err.strerror or err}); check its permissions "
                        f"(`chmod u+r {path}`), or {fix}") from err


#: Files :func:`verify_file` has checked in this process, with the (size, mtime) they had then.
_VERIFIED: dict[str, tuple[int, int]] = {}


def verify_file(path: str | Path, frames: int | None = None, *, fix: str = _FIX_REAL) -> int:
    """Check one calcium file in full; return its number of frames.

    Reads the whole file once: the size (:func:`check_file`), every frame for
    NaN or infinite pixels, and the gzip CRC-32 and length in its trailer, so
    that a flipped byte, a bad download or NaN pixels are found before any
    frame is used. A file verified once is not read again in the same process
    unless its size or modification time changes.

    Parameters
    ----------
    path : path-like
        A ``real_k.gz`` or ``fake_k.gz`` file.
    frames : int, optional
        The number of frames the file must hold.
    fix : str
        How to repair the file (shown in every error).

    Returns
    -------
    int
        Frames in the file.

    Raises
    ------
    DataError
        If the file is missing, unreadable, not gzip, truncated, fails its CRC,
        holds a wrong number of frames or non-finite pixels.

    Example
    -------
    >>> verify_file("data/calcium/fake_7.gz", frames=2048)   # doctest: +SKIP
    2048
    """
    path = Path(path)
    count = check_file(path, frames, fix=fix)
    stat = path.stat()
    key, stamp = str(path.resolve()), (stat.st_size, stat.st_mtime_ns)
    if _VERIFIED.get(key) == stamp:
        return count
    seen = sum(len(block) for block in iter_frames(path, chunk=256, fix=fix))
    if seen != count:  # the trailer's length field disagrees with the data (gzip checks it too)
        raise DataError(f"data file {path} holds {seen:,} frames but its gzip trailer says {count:,}: "
                        f"the file is corrupt; {fix}")
    _VERIFIED[key] = stamp
    return count


# ----------------------------------------------------------------------------- which data

def _read_marker(folder: Path) -> dict | None:
    marker = folder / MARKER
    if not marker.is_file():
        return None
    try:
        info = json.loads(marker.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise DataError(f"{marker} is not valid JSON; {_FIX_STANDIN}") from None
    except OSError as err:
        raise DataError(f"{marker} cannot be read ({err.strerror or err}); {_FIX_STANDIN}") from err
    if not isinstance(info, dict) or not {"version", "seed"} <= set(info):
        raise DataError(f"{marker} lacks version/seed; {_FIX_STANDIN}")
    return info


def _frame_files(folder: Path) -> list[Path]:
    return sorted(list(folder.glob("real_*.gz")) + list(folder.glob("fake_*.gz")))


def data_kind(folder: str | Path | None = None) -> str:
    """``"real"`` when the folder holds calcium files (and no stand-in marker), else ``"standin"``."""
    folder = Path(folder or calcium_dir())
    if _read_marker(folder) is None and _frame_files(folder):
        return "real"
    return "standin"


def standin_seed(folder: str | Path | None = None) -> int:
    """Seed of the stand-in: the one in ``STANDIN.json``, 0 without it."""
    info = _read_marker(Path(folder or calcium_dir()))
    return 0 if info is None else int(info["seed"])


def describe_source(folder: str | Path | None = None) -> str:
    """One line naming the data in use; the notebook prints it."""
    folder = Path(folder or calcium_dir())
    if data_kind(folder) == "real":
        return SOURCE_REAL
    return SOURCE_STANDIN.format(version=GENERATOR_VERSION, seed=standin_seed(folder))


def frames_per_file(folder: str | Path | None = None) -> int:
    """Frames per segment and kind: 2,048 for the real files, and for the stand-in."""
    folder = Path(folder or calcium_dir())
    if data_kind(folder) == "real":
        return REAL_FRAMES_PER_FILE
    info = _read_marker(folder)
    return int((info or {}).get("frames_per_file", STANDIN_FRAMES_PER_FILE))


def _check_segment_list(segments) -> list[int]:
    segments = list(segments)
    if not segments:
        raise ValueError("segments must name at least one segment in 0..9")
    for s in segments:
        if isinstance(s, bool) or not isinstance(s, (int, np.integer)) or s not in SEGMENTS:
            raise ValueError(f"segments must be integers in 0..9, got {s!r}")
    if len(set(segments)) != len(segments):
        raise ValueError(f"segments must not repeat, got {segments}")
    return [int(s) for s in segments]


def check_segments(segments: Sequence[int], folder: str | Path | None = None) -> int:
    """Verify both files of every segment (real data; :func:`verify_file`); return frames per file.

    For the stand-in there are no files to check and the generator's count is returned.

    Raises
    ------
    DataError
        Naming the first missing, truncated, corrupt or wrongly sized file.
    """
    folder = Path(folder or calcium_dir())
    segments = _check_segment_list(segments)
    if data_kind(folder) == "standin":
        return frames_per_file(folder)
    for segment in segments:
        for kind in KINDS:
            verify_file(segment_path(kind, segment, folder), REAL_FRAMES_PER_FILE)
    return REAL_FRAMES_PER_FILE


# ----------------------------------------------------------------------------- stand-in

#: How strongly each GAN-like flaw shows in a fake of flaw strength 1 (strength is uniform on [0, 1]).
FLAWS = {
    "grain": 0.9,        # share of the noise amplitude replaced by a smoother, correlated grain (x sqrt(strength))
    "mirror_px": 6.0,    # extra sd (px) of a lower-hemisphere hot spot's position about its mirror image
    "mirror_amp": 0.4,   # extra sd of the log amplitude ratio of mirrored hot spots
    "wider": 0.35,       # relative widening of hot spots (their peak drops so that their total light stays)
    "edge_px": 1.5,      # extra width (px) of the window's edge
}
#: Hot spots of activity in each frame: how many per hemisphere, their amplitude and width (px), drawn per frame.
SPOTS = {"count": (2, 6), "amplitude": (0.4, 1.2), "width_px": (3.0, 8.0)}
#: Noise sd relative to the cortex brightness, the same in every session.
NOISE = 0.25
#: Spread of the session settings drawn for each segment: where the window sits and how it is imaged.
SESSIONS = {
    "window_px": 4.0,        # largest shift of the window centre, per axis (uniform)
    "tilt": 0.15,            # sd of the illumination tilt across the window
    "focus_px": (0.4, 1.2),  # range of the focus blur (Gaussian sd, px)
    "noise_corr": (0.0, 0.05),  # range of the camera noise's horizontal correlation
}


def session_params(segment: int, seed: int = 0) -> dict[str, float]:
    """The recording-session settings of one stand-in segment, drawn at random for each segment.

    Sessions are exchangeable (no trend from segment 0 to 9): each draws its own
    window position and radius, illumination tilt, slope of the midline, focus
    blur and horizontal correlation of the camera noise from ``seed``. (The
    random draws of version 3's gain, offset, noise level and activity are
    still made and left unused, so the other settings keep their version-3
    values.)

    Returns
    -------
    dict
        ``cy``, ``cx`` (window centre, px), ``radius`` (px), ``tilt_y``, ``tilt_x``
        (relative illumination change across the window radius), ``focus`` (blur sd,
        px), ``noise_corr`` and ``angle`` (slope of the midline).

    Raises
    ------
    ValueError
        If ``segment`` is not an integer in 0..9.
    """
    segment = _check_segment(segment)
    rng = np.random.default_rng([seed, 7919, segment])
    g = rng.normal(size=9)
    shift = rng.uniform(size=2)
    direction = rng.uniform(0, 2 * np.pi)
    s = SESSIONS
    return {
        "cy": float(63.5 + s["window_px"] * (2 * shift[0] - 1)), "cx": float(63.5 + s["window_px"] * (2 * shift[1] - 1)),
        "radius": float(53.0 + 0.8 * g[2]),
        "tilt_y": float(s["tilt"] * abs(g[5]) * np.sin(direction)),
        "tilt_x": float(s["tilt"] * abs(g[5]) * np.cos(direction)),
        "focus": float(rng.uniform(*s["focus_px"])),
        "noise_corr": float(rng.uniform(*s["noise_corr"])),
        "angle": float(0.02 * g[8]),
    }


def _smooth_grain(white: np.ndarray) -> np.ndarray:
    """Correlated grain: white noise through a 3x3 binomial filter, rescaled to unit variance."""
    a = white[..., :, :-2] + 2 * white[..., :, 1:-1] + white[..., :, 2:]
    a = a[..., :-2, :] + 2 * a[..., 1:-1, :] + a[..., 2:, :]
    out = np.empty_like(white)
    out[..., 1:-1, 1:-1] = a / np.float32(16 * 0.375)
    out[..., 0, :], out[..., -1, :] = white[..., 0, :], white[..., -1, :]
    out[..., :, 0], out[..., :, -1] = white[..., :, 0], white[..., :, -1]
    return out


def synth_frames(n: int, kind: str, segment: int, seed: int = 0, start: int = 0) -> np.ndarray:
    """Generate ``n`` stand-in frames of one kind and segment.

    Frames ``start .. start + n - 1`` are the same whatever ``n``: frame ``i``
    is drawn from its own random generator (seed, kind, segment, i).

    Parameters
    ----------
    n : int
        Number of frames.
    kind : {"real", "fake"}
    segment : int
        Segment 0..9 (its session settings come from :func:`session_params`).
    seed : int
        Seed of the whole stand-in.
    start : int
        Index of the first frame.

    Returns
    -------
    ndarray of shape (n, 128, 128), float32

    Raises
    ------
    ValueError
        For a bad kind, segment, ``n`` or ``start``.

    Example
    -------
    >>> synth_frames(2, "fake", 7).shape
    (2, 128, 128)
    """
    if kind not in KINDS:
        raise ValueError(f"kind must be 'real' or 'fake', got {kind!r}")
    if (isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1
            or isinstance(start, bool) or not isinstance(start, (int, np.integer)) or start < 0):
        raise ValueError(f"need n >= 1 and start >= 0, got n={n!r}, start={start!r}")
    p = session_params(segment, seed)
    fake = kind == "fake"
    f32 = np.float32
    side = FRAME_SIDE
    yy, xx = np.mgrid[0:side, 0:side].astype(f32)
    r = np.hypot(yy - p["cy"], xx - p["cx"])
    vignette = (1.0 - 0.35 * (r / p["radius"]) ** 2).astype(f32)
    blur2 = p["focus"] ** 2
    midline_y = p["cy"] + p["angle"] * (xx - p["cx"])
    illumination = 1.0 + (p["tilt_y"] * (yy - p["cy"]) + p["tilt_x"] * (xx - p["cx"])) / p["radius"]
    shade = ((1.0 - 0.75 * np.exp(-0.5 * (yy - midline_y) ** 2 / (4.0 + blur2))) * illumination).astype(f32)
    axis = np.arange(side, dtype=f32)

    strength = np.zeros(n)
    spots = np.empty((n, side, side), f32)
    white = np.empty((n, side, side), f32)
    grain = np.empty((n, side, side), f32) if fake else None
    for i in range(n):
        rng = np.random.default_rng([seed, KINDS[kind], int(segment), int(start + i)])
        q = float(rng.uniform()) if fake else 0.0
        strength[i] = q
        m = int(rng.integers(SPOTS["count"][0], SPOTS["count"][1] + 1))   # hot spots per hemisphere
        widen = 1 + FLAWS["wider"] * q
        amp = rng.uniform(*SPOTS["amplitude"], m) / widen ** 2   # the peak drops: the same total light
        sig = rng.uniform(*SPOTS["width_px"], m) * widen
        dy = rng.uniform(6.0, 0.8 * p["radius"], m)       # distance from the midline
        x0 = p["cx"] + rng.uniform(-0.7, 0.7, m) * p["radius"]
        jitter = 1.0 + FLAWS["mirror_px"] * q
        y_low = p["cy"] + dy + rng.normal(0, jitter, m)
        x_low = x0 + rng.normal(0, jitter, m)
        spread = 0.08 + FLAWS["mirror_amp"] * q   # log-normal ratio with mean 1: no hemisphere brighter on average
        amp_low = amp * np.exp(rng.normal(0, spread, m) - 0.5 * spread ** 2)
        ys, xs = np.concatenate([p["cy"] - dy, y_low]), np.concatenate([x0, x_low])
        width = np.concatenate([sig, sig])
        blurred = np.sqrt(width ** 2 + blur2)             # a Gaussian spot seen through the focus blur
        amps = np.concatenate([amp, amp_low]) * (width / blurred) ** 2
        gy = np.exp(-0.5 * ((axis[None, :] - ys[:, None]) / blurred[:, None]) ** 2)
        gx = np.exp(-0.5 * ((axis[None, :] - xs[:, None]) / blurred[:, None]) ** 2)
        spots[i] = (gy * amps[:, None]).T @ gx            # sum of separable Gaussians
        white[i] = rng.standard_normal((side, side), dtype=f32)
        if fake:
            grain[i] = rng.standard_normal((side, side), dtype=f32)
    c = p["noise_corr"]
    noise = np.empty_like(white)
    noise[..., 1:] = white[..., 1:] + f32(c) * white[..., :-1]   # camera read-out: horizontal correlation
    noise[..., 0] = white[..., 0] * f32(np.sqrt(1 + c * c))
    noise /= f32(np.sqrt(1 + c * c))
    if fake:
        g = (FLAWS["grain"] * np.sqrt(strength)).astype(f32)[:, None, None]
        noise = np.sqrt(1 - g * g) * noise + g * _smooth_grain(grain)
    edge = (np.sqrt(0.36 + blur2) + FLAWS["edge_px"] * strength).astype(f32)[:, None, None]
    mask = f32(1.0) / (f32(1.0) + np.exp(np.clip((r[None] - f32(p["radius"])) / edge, -30, 30)))
    mask[mask < 1e-3] = 0.0                               # exactly constant corners
    frames = mask * ((vignette + spots) * shade + f32(NOISE) * noise)
    return frames.astype(f32, copy=False)


def write_frames(path: str | Path, frames: np.ndarray, *, compresslevel: int = 0) -> Path:
    """Write frames as a bare gzip of float32, the real files' format, atomically.

    Used by the tests (small real-format files) and to export stand-in frames.

    Raises
    ------
    ValueError
        If ``frames`` is not of shape (n, 128, 128).
    DataError
        If the file cannot be written.
    """
    frames = np.asarray(frames)
    if frames.ndim != 3 or frames.shape[1:] != (FRAME_SIDE, FRAME_SIDE):
        raise ValueError(f"frames must have shape (n, 128, 128), got {frames.shape}")

    def write(raw) -> None:
        with gzip.GzipFile(filename="", mode="wb", fileobj=raw, compresslevel=compresslevel, mtime=0) as handle:
            handle.write(np.ascontiguousarray(frames, dtype="<f4").tobytes())

    return atomic_write(path, write, fix="make sure the folder is writable and try again")


def prepare(verbose: bool = True, *, seed: int = 0, frames: int = STANDIN_FRAMES_PER_FILE) -> str:
    """Make sure calcium data are usable: verify the real files, or set up the stand-in.

    With real files in ``data/calcium/`` (no ``STANDIN.json``), all 20 are
    verified in full (:func:`verify_file`: CRC, length, frame count, finite
    pixels). Otherwise the stand-in needs no files: ``STANDIN.json`` records its
    generator version, seed and frames per segment and kind, and frame files
    left by an older stand-in (versions 1-2, up to 321 MB) are deleted. Nothing
    is written when everything is in place, so a read-only checkout works.
    Called by ``make data`` and by the notebook.

    Returns
    -------
    str
        The source line (:func:`describe_source`).

    Raises
    ------
    DataError
        A real file is missing, corrupt, truncated or has the wrong size; or an
        old stand-in file cannot be removed.
    """
    if isinstance(frames, bool) or not isinstance(frames, int) or frames < 1:
        raise ValueError(f"frames must be a positive integer, got {frames!r}")
    folder = calcium_dir()
    if data_kind(folder) == "real":
        check_segments(SEGMENTS, folder)
        if verbose:
            print(f"calcium: 20 real files in {folder} verified (CRC, length, 2,048 finite frames each)")
        return describe_source(folder)
    old = _frame_files(folder)
    marker = _read_marker(folder) or {}
    for path in old:   # files beside a stand-in marker: frames an older stand-in wrote
        try:
            count = _gzip_isize(path) // FRAME_BYTES
        except DataError:
            count = None
        if count == REAL_FRAMES_PER_FILE or count != marker.get("frames_per_file"):
            raise DataError(f"{folder} holds the stand-in's marker {MARKER} beside {path.name}, which is not "
                            f"a file of the old stand-in (it holds {count} frames); if you placed the real "
                            f"files there, delete {folder / MARKER} and run `make data` again")
        try:
            path.unlink()
        except OSError as err:
            raise DataError(f"cannot remove the outdated stand-in file {path} ({err.strerror or err}); "
                            f"make {folder} writable, then run `make data` again") from err
    wanted = {"version": GENERATOR_VERSION, "seed": seed, "frames_per_file": frames,
              "frames": "generated on the fly by mlcourse.data.calcium; no frame files"}
    write_text_if_changed(folder / MARKER, json.dumps(wanted, indent=2) + "\n", fix=_FIX_STANDIN)
    if verbose:
        print(f"calcium stand-in: frames are generated on the fly (generator version {GENERATOR_VERSION}, "
              f"seed {seed}), so 0 of 20 files generated"
              + (f"; {len(old)} files of an older stand-in removed" if old else ""))
    return describe_source(folder)


# ----------------------------------------------------------------------------- reading

def _plan(segments, part: str, val_fraction: float, max_frames: int | None,
          folder: Path) -> list[tuple[object, int, int, int]]:
    """(what, label, start, stop) of every file to read: ``what`` is a path or ("standin", kind, segment, seed)."""
    if part not in ("all", "train", "val"):
        raise ValueError(f"part must be 'all', 'train' or 'val', got {part!r}")
    if not 0.0 < val_fraction < 1.0:
        raise ValueError(f"val_fraction must be in (0, 1), got {val_fraction!r}")
    if max_frames is not None and (isinstance(max_frames, bool) or not isinstance(max_frames, (int, np.integer))
                                   or max_frames < 1):
        raise ValueError(f"max_frames must be a positive integer or None, got {max_frames!r}")
    segments = _check_segment_list(segments)
    total = check_segments(segments, folder)
    used = total if max_frames is None else min(total, int(max_frames))
    cut = used - int(round(val_fraction * used))
    start, stop = {"all": (0, used), "train": (0, cut), "val": (cut, used)}[part]
    if stop <= start:
        raise ValueError(f"part {part!r} of {used} frames per file with val_fraction={val_fraction} is empty")
    standin = data_kind(folder) == "standin"
    seed = standin_seed(folder) if standin else None
    return [(("standin", kind, s, seed) if standin else segment_path(kind, s, folder), label, start, stop)
            for s in segments for kind, label in KINDS.items()]


def _read(what, start: int, stop: int, chunk: int) -> Iterator[np.ndarray]:
    """Frames ``start:stop`` of one file (or of the stand-in's generator) in chunks."""
    if isinstance(what, tuple):
        _, kind, segment, seed = what
        for i in range(start, stop, chunk):
            yield synth_frames(min(chunk, stop - i), kind, segment, seed, start=i)
    else:
        yield from iter_frames(what, start, stop, chunk=chunk)


def load_calcium(segments: Sequence[int], *, part: str = "all", val_fraction: float = 0.2,
                 max_frames: int | None = None, folder: str | Path | None = None
                 ) -> tuple[np.ndarray, np.ndarray, str]:
    """Read (real data) or generate (stand-in) the frames of a few segments into memory.

    Parameters
    ----------
    segments : sequence of int
        Segments 0..9; both the real and the fake frames of each are read, real first.
    part : {"all", "train", "val"}
        ``"train"`` keeps the first ``1 - val_fraction`` of each file's frames,
        ``"val"`` the rest (a block at the end of every file, so neighbouring
        frames never straddle the split).
    val_fraction : float
        Share of each file held out as ``"val"``.
    max_frames : int, optional
        Use only the first ``max_frames`` frames of each file.
    folder : path-like, optional
        Defaults to ``data/calcium/``.

    Returns
    -------
    X : ndarray of shape (n, 128, 128, 1), float32
    y : ndarray of shape (n,), int64; 0 = real, 1 = fake
    source : str

    Raises
    ------
    DataError
        A real file is missing, corrupt, truncated or of the wrong size.
    ValueError
        Bad segments, part, fraction or max_frames.

    Example
    -------
    >>> X, y, source = load_calcium([0], part="val", max_frames=10)
    >>> X.shape, y.tolist()
    ((4, 128, 128, 1), [0, 0, 1, 1])
    """
    folder = Path(folder or calcium_dir())
    plan = _plan(segments, part, val_fraction, max_frames, folder)
    n = sum(stop - start for _, _, start, stop in plan)
    X = np.empty((n, FRAME_SIDE, FRAME_SIDE, 1), dtype=np.float32)
    y = np.empty(n, dtype=np.int64)
    at = 0
    for what, label, start, stop in plan:
        for block in _read(what, start, stop, chunk=64):
            X[at:at + len(block), ..., 0] = block
            y[at:at + len(block)] = label
            at += len(block)
    return X, y, describe_source(folder)


def calcium_dataset(segments: Sequence[int], *, part: str = "all", val_fraction: float = 0.2,
                    max_frames: int | None = None, batch_size: int = 32, shuffle_buffer: int = 0,
                    seed: int = 0, folder: str | Path | None = None):
    """Stream frames and labels of many segments as a batched ``tf.data.Dataset``.

    Files (or the stand-in's generator) are read chunk by chunk and interleaved
    (one frame from each file in turn), so memory stays bounded even with all
    20 real files (2.6 GB).

    Parameters
    ----------
    segments, part, val_fraction, max_frames, folder
        As in :func:`load_calcium`.
    batch_size : int
        Frames per batch.
    shuffle_buffer : int
        Size of the shuffle buffer in frames; 0 keeps the interleaved order.
    seed : int
        Seed of the shuffle (reshuffled each epoch, the same sequence every run).

    Returns
    -------
    tf.data.Dataset
        Batches of ``(frames (b, 128, 128, 1) float32, labels (b,) int64)``.

    Raises
    ------
    DataError, ValueError
        As :func:`load_calcium`, before any frame is read.
    """
    import tensorflow as tf

    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}")
    folder = Path(folder or calcium_dir())
    plan = _plan(segments, part, val_fraction, max_frames, folder)

    def frames():
        streams = [((frame for block in _read(what, a, b, chunk=16) for frame in block), label)
                   for what, label, a, b in plan]
        while streams:
            alive = []
            for stream, label in streams:
                frame = next(stream, None)
                if frame is not None:
                    yield frame[..., None], label
                    alive.append((stream, label))
            streams = alive

    ds = tf.data.Dataset.from_generator(frames, output_signature=(
        tf.TensorSpec((FRAME_SIDE, FRAME_SIDE, 1), tf.float32), tf.TensorSpec((), tf.int64)))
    n = sum(b - a for _, _, a, b in plan)
    ds = ds.apply(tf.data.experimental.assert_cardinality(n))
    if shuffle_buffer:
        ds = ds.shuffle(shuffle_buffer, seed=seed, reshuffle_each_iteration=True)
    return ds.batch(batch_size).prefetch(2)
