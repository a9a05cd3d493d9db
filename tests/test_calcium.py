"""Tests of mlcourse.data.calcium: the stand-in generator, real-format files and their checks, the readers.

Faults (flipped bytes, NaN pixels, truncation) are injected into small real-format
files in tmp_path, never into data/.
"""

import gzip
import json
import os
from pathlib import Path

import numpy as np
import pytest
from faults import deny_read, forbid_writes, snapshot

from mlcourse.data import calcium
from mlcourse.data.manifest import DataError

FRAMES = 6  # frames per file of the small real-format files


@pytest.fixture(autouse=True)
def _fresh_verification(monkeypatch):
    monkeypatch.setattr(calcium, "_VERIFIED", {})


@pytest.fixture
def real_folder(tmp_path, monkeypatch):
    """Small files in the real data's format (no stand-in marker): segments 0 and 7, FRAMES frames each."""
    monkeypatch.setattr(calcium, "REAL_FRAMES_PER_FILE", FRAMES)
    for segment in (0, 7):
        for kind in calcium.KINDS:
            calcium.write_frames(calcium.segment_path(kind, segment, tmp_path),
                                 calcium.synth_frames(FRAMES, kind, segment, seed=5))
    return tmp_path


def _flip_byte(path, offset_from_end):
    data = bytearray(path.read_bytes())
    data[len(data) - offset_from_end] ^= 0x01
    path.write_bytes(bytes(data))


def _rewrite(path, frames):
    with gzip.open(path, "wb", compresslevel=0) as handle:
        handle.write(np.asarray(frames, dtype="<f4").tobytes())


# ----------------------------------------------------------------------------- the stand-in generator

def test_synth_frames_have_shape_dtype_and_constant_corners():
    frames = calcium.synth_frames(3, "fake", 2, seed=1)
    assert frames.shape == (3, 128, 128) and frames.dtype == np.float32
    assert np.all(frames[:, :4, :4] == frames[0, 0, 0])
    assert np.isfinite(frames).all()


def test_synth_frames_are_deterministic_and_prefix_stable():
    a = calcium.synth_frames(4, "real", 5, seed=3)
    b = calcium.synth_frames(2, "real", 5, seed=3, start=2)
    np.testing.assert_array_equal(a[2:], b)
    assert not np.array_equal(a, calcium.synth_frames(4, "real", 5, seed=4))


def test_sessions_draw_their_own_settings_without_a_trend():
    params = [calcium.session_params(k) for k in calcium.SEGMENTS]
    assert params[3] == calcium.session_params(3)  # deterministic
    for key in ("cx", "cy", "radius", "tilt_y", "tilt_x", "focus", "noise_corr", "angle"):
        values = np.array([p[key] for p in params])
        assert values.std() > 0, key
        # exchangeable sessions: the test segments are not pushed to one side of the training ones
        assert values[7:].min() < values[:7].max() and values[7:].max() > values[:7].min(), key


def _fine_grain(frames):
    """Mean squared Laplacian inside the window, relative to the frame's variance there."""
    c = frames[:, 30:98, 30:98].astype(np.float64)
    lap = 4 * c[:, 1:-1, 1:-1] - c[:, :-2, 1:-1] - c[:, 2:, 1:-1] - c[:, 1:-1, :-2] - c[:, 1:-1, 2:]
    return (lap ** 2).mean(axis=(1, 2))


def test_fakes_have_a_weaker_fine_grain_on_average_but_overlap_real_frames():
    real = _fine_grain(calcium.synth_frames(60, "real", 4))
    fake = _fine_grain(calcium.synth_frames(60, "fake", 4))
    assert fake.mean() < 0.95 * real.mean()
    assert fake.max() > real.min()  # the weakest fakes look like real frames: no perfect classifier


def test_flaws_vanish_at_strength_zero(monkeypatch):
    """A fake of flaw strength 0 is drawn exactly like a real frame of its session (the noise aside)."""
    monkeypatch.setitem(calcium.FLAWS, "grain", 0.0)
    for key in ("mirror_px", "mirror_amp", "wider", "edge_px"):
        monkeypatch.setitem(calcium.FLAWS, key, 0.0)
    real, fake = calcium.synth_frames(200, "real", 1), calcium.synth_frames(200, "fake", 1)
    assert abs(real.mean() - fake.mean()) < 0.01 and abs(real.std() - fake.std()) < 0.01


def test_fakes_keep_the_total_light_so_mean_brightness_tells_nothing():
    """Generator 4: wider spots keep their total light and mirrored spots are as bright on average.

    Version 3 made fakes brighter on average (by 0.017 in session 1, about eight standard errors of the mean
    of 300 frames), a cue that the session's brightness shifts then confounded.
    """
    for segment in (1, 4):
        real = calcium.synth_frames(300, "real", segment).mean(axis=(1, 2))
        fake = calcium.synth_frames(300, "fake", segment).mean(axis=(1, 2))
        assert abs(fake.mean() - real.mean()) < 0.006, segment


def test_synth_frames_rejects_bad_arguments():
    with pytest.raises(ValueError, match="kind must be"):
        calcium.synth_frames(1, "gan", 0)
    with pytest.raises(ValueError, match="segment must be an integer in 0..9"):
        calcium.synth_frames(1, "real", 10)
    with pytest.raises(ValueError, match="need n >= 1"):
        calcium.synth_frames(0, "real", 0)


# ----------------------------------------------------------------------------- reading the stand-in

def test_standin_is_generated_without_files(tmp_path):
    X, y, source = calcium.load_calcium([0], part="train", max_frames=10, folder=tmp_path)
    assert X.shape == (16, 128, 128, 1) and y.tolist() == [0] * 8 + [1] * 8
    assert "STAND-IN" in source and calcium.data_kind(tmp_path) == "standin"
    Xv, _, _ = calcium.load_calcium([0], part="val", max_frames=10, folder=tmp_path)
    np.testing.assert_array_equal(Xv[0, ..., 0], calcium.synth_frames(1, "real", 0, start=8)[0])
    assert list(tmp_path.iterdir()) == []


def test_dataset_streams_all_frames_interleaved(tmp_path):
    ds = calcium.calcium_dataset([0, 7], max_frames=5, batch_size=4, folder=tmp_path)
    labels = np.concatenate([yb.numpy() for _, yb in ds])
    assert len(labels) == 20 and labels[:4].tolist() == [0, 1, 0, 1]


def test_bad_segment_part_and_sizes_are_rejected(tmp_path):
    with pytest.raises(ValueError, match="segments must be integers in 0..9"):
        calcium.load_calcium([10], folder=tmp_path)
    with pytest.raises(ValueError, match="part must be"):
        calcium.load_calcium([0], part="test", folder=tmp_path)
    with pytest.raises(ValueError, match="max_frames must be a positive integer"):
        calcium.load_calcium([0], max_frames=0, folder=tmp_path)
    with pytest.raises(ValueError, match="is empty"):
        calcium.load_calcium([0], part="val", max_frames=1, folder=tmp_path)


# ----------------------------------------------------------------------------- real-format files

def test_real_format_files_are_read_back_exactly(real_folder):
    X, y, source = calcium.load_calcium([7], folder=real_folder)
    assert source.startswith("REAL data") and y.tolist() == [0] * FRAMES + [1] * FRAMES
    np.testing.assert_array_equal(X[FRAMES:, ..., 0], calcium.synth_frames(FRAMES, "fake", 7, seed=5))
    ds = calcium.calcium_dataset([0, 7], part="val", batch_size=3, folder=real_folder)
    assert sum(len(yb) for _, yb in ds) == 4 * 1  # round(0.2 * 6) = 1 frame per file


def test_flipped_byte_fails_the_crc_with_file_name_and_fix(real_folder):
    path = real_folder / "fake_7.gz"
    _flip_byte(path, 100)  # inside the stored frames: the stream still decompresses
    with pytest.raises(DataError, match=r"fake_7\.gz is corrupt \(CRC check failed.*download it again"):
        calcium.load_calcium([7], part="train", folder=real_folder)


def test_flipped_crc_byte_in_the_trailer_is_reported(real_folder):
    _flip_byte(real_folder / "real_0.gz", 6)  # the CRC-32 field of the trailer
    with pytest.raises(DataError, match=r"real_0\.gz is corrupt.*CRC"):
        calcium.verify_file(real_folder / "real_0.gz", FRAMES)


def test_nan_pixels_are_reported_with_file_frame_and_fix(real_folder):
    path = real_folder / "real_7.gz"
    frames = calcium.synth_frames(FRAMES, "real", 7, seed=5)
    frames[4, 60, 60:63] = np.nan
    _rewrite(path, frames)
    with pytest.raises(DataError, match=r"real_7\.gz holds 3 non-finite pixel values.*frame 4.*download it again"):
        calcium.load_calcium([0, 7], max_frames=2, folder=real_folder)


def test_infinite_pixels_are_reported_while_streaming(real_folder):
    frames = calcium.synth_frames(FRAMES, "fake", 0, seed=5)
    frames[1, 0, 0] = np.inf
    _rewrite(real_folder / "fake_0.gz", frames)
    with pytest.raises(DataError, match=r"fake_0\.gz holds 1 non-finite pixel values .*frame 1"):
        list(calcium.iter_frames(real_folder / "fake_0.gz"))


def test_a_file_changed_after_verification_is_verified_again(real_folder):
    path = real_folder / "real_7.gz"
    calcium.verify_file(path, FRAMES)
    _flip_byte(path, 200)
    os.utime(path, ns=(1, 1))  # a new modification time
    with pytest.raises(DataError, match="CRC check failed"):
        calcium.verify_file(path, FRAMES)


def test_truncated_gz_is_reported_with_file_name(real_folder):
    path = real_folder / "fake_7.gz"
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(DataError, match=r"fake_7\.gz is truncated"):
        calcium.check_segments([7], folder=real_folder)


def test_size_not_multiple_of_a_frame_is_reported(tmp_path):
    _rewrite(tmp_path / "real_0.gz", np.zeros(128 * 128 * 2 + 10))
    with pytest.raises(DataError, match=r"real_0\.gz .*not a whole number of frames"):
        calcium.check_file(tmp_path / "real_0.gz")


def test_wrong_frame_count_is_reported(tmp_path):
    _rewrite(tmp_path / "real_0.gz", np.zeros((3, 128, 128)))
    with pytest.raises(DataError, match=r"real_0\.gz holds 3 frames, expected 2,048"):
        calcium.check_file(tmp_path / "real_0.gz", 2048)


def test_missing_segment_of_real_data_is_reported(real_folder):
    (real_folder / "fake_0.gz").unlink()
    with pytest.raises(DataError, match=r"fake_0\.gz is missing"):
        calcium.load_calcium([0], folder=real_folder)


def test_directory_in_place_of_a_segment_file_is_reported(real_folder):
    (real_folder / "fake_0.gz").unlink()
    (real_folder / "fake_0.gz").mkdir()
    with pytest.raises(DataError, match=r"fake_0\.gz is not a file \(a directory\?\); remove it"):
        calcium.check_segments([0], folder=real_folder)
    with pytest.raises(DataError, match=r"fake_0\.gz is a directory where a data file belongs; remove it"):
        calcium.write_frames(real_folder / "fake_0.gz", np.zeros((1, 128, 128)))


def test_unreadable_segment_file_is_reported(real_folder, monkeypatch):
    deny_read(monkeypatch, real_folder / "real_7.gz")
    with pytest.raises(DataError, match=r"real_7\.gz cannot be read \(Permission denied\).*chmod u\+r"):
        calcium.load_calcium([7], folder=real_folder)


def test_write_frames_rejects_a_wrong_shape(tmp_path):
    with pytest.raises(ValueError, match=r"shape \(n, 128, 128\)"):
        calcium.write_frames(tmp_path / "real_0.gz", np.zeros((2, 64, 64)))
    assert list(tmp_path.iterdir()) == []


# ----------------------------------------------------------------------------- prepare (make data)

@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    folder = tmp_path / "calcium"
    monkeypatch.setattr(calcium, "calcium_dir", lambda: folder)
    return folder


def test_prepare_sets_up_the_standin_with_a_marker_only(data_dir, capsys):
    source = calcium.prepare()
    assert "STAND-IN" in source and sorted(p.name for p in data_dir.iterdir()) == [calcium.MARKER]
    info = json.loads((data_dir / calcium.MARKER).read_text())
    assert info["version"] == calcium.GENERATOR_VERSION and info["frames_per_file"] == 2048
    assert "generated on the fly" in capsys.readouterr().out


def test_prepare_writes_nothing_when_the_standin_is_in_place(data_dir, monkeypatch):
    calcium.prepare(verbose=False)
    before = snapshot(data_dir)
    with monkeypatch.context() as mp:
        forbid_writes(mp, data_dir)  # a read-only checkout
        assert "STAND-IN" in calcium.prepare(verbose=False)
    assert snapshot(data_dir) == before


def test_prepare_removes_the_files_of_an_older_standin(data_dir, capsys):
    data_dir.mkdir()
    (data_dir / calcium.MARKER).write_text(json.dumps({"version": 2, "seed": 0, "frames_per_file": 3}))
    for kind in calcium.KINDS:
        _rewrite(data_dir / f"{kind}_4.gz", np.zeros((3, 128, 128)))
    calcium.prepare()
    assert sorted(p.name for p in data_dir.iterdir()) == [calcium.MARKER]
    assert "2 files of an older stand-in removed" in capsys.readouterr().out


def test_prepare_never_deletes_real_sized_files_beside_a_marker(data_dir, monkeypatch):
    monkeypatch.setattr(calcium, "REAL_FRAMES_PER_FILE", 3)
    data_dir.mkdir()
    (data_dir / calcium.MARKER).write_text(json.dumps({"version": 2, "seed": 0, "frames_per_file": 3}))
    _rewrite(data_dir / "real_4.gz", np.zeros((3, 128, 128)))
    with pytest.raises(DataError, match=r"not a file of the old stand-in.*delete .*STANDIN\.json"):
        calcium.prepare(verbose=False)
    assert (data_dir / "real_4.gz").is_file()


def test_prepare_verifies_every_real_file(data_dir, monkeypatch, capsys):
    monkeypatch.setattr(calcium, "REAL_FRAMES_PER_FILE", 2)
    for segment in calcium.SEGMENTS:
        for kind in calcium.KINDS:
            calcium.write_frames(calcium.segment_path(kind, segment, data_dir),
                                 calcium.synth_frames(2, kind, segment))
    assert calcium.prepare().startswith("REAL data")
    assert "20 real files" in capsys.readouterr().out
    _flip_byte(data_dir / "real_9.gz", 50)
    os.utime(data_dir / "real_9.gz", ns=(1, 1))
    with pytest.raises(DataError, match=r"real_9\.gz is corrupt \(CRC check failed"):
        calcium.prepare(verbose=False)


def test_failed_write_leaves_no_partial_file(tmp_path, monkeypatch):
    def broken(self, data):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(gzip.GzipFile, "write", broken)
    with pytest.raises(DataError, match=r"cannot write data file .*real_0\.gz \(No space left on device\)"):
        calcium.write_frames(tmp_path / "real_0.gz", np.zeros((1, 128, 128), np.float32))
    assert list(tmp_path.iterdir()) == []
