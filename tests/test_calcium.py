"""Tests of mlcourse.data.calcium: file checks, the stand-in generator and the readers."""

import gzip
import os
from pathlib import Path

import numpy as np
import pytest
from faults import deny_read

from mlcourse.data import calcium
from mlcourse.data.manifest import DataError


def _write(path, frames):
    with gzip.open(path, "wb", compresslevel=0) as handle:
        handle.write(np.asarray(frames, dtype="<f4").tobytes())


@pytest.fixture
def standin(tmp_path):
    calcium.write_standin(tmp_path, frames=10, segments=[0, 7], verbose=False)
    return tmp_path


def test_synth_frames_have_shape_dtype_and_constant_corners():
    frames = calcium.synth_frames(3, "fake", 2, seed=1)
    assert frames.shape == (3, 128, 128) and frames.dtype == np.float32
    assert np.all(frames[:, :4, :4] == frames[0, 0, 0])


def test_synth_frames_are_deterministic_and_prefix_stable():
    a = calcium.synth_frames(4, "real", 5, seed=3)
    b = calcium.synth_frames(2, "real", 5, seed=3, start=2)
    np.testing.assert_array_equal(a[2:], b)
    assert not np.array_equal(a, calcium.synth_frames(4, "real", 5, seed=4))


def test_sessions_drift_from_first_to_last_segment():
    def mean(key, segments):
        return np.mean([calcium.session_params(s)[key] for s in segments])

    for key, shift in (("gain", 0.05), ("offset", 0.01), ("cy", 1.5), ("cx", 1.0), ("noise", 0.02)):
        assert mean(key, [7, 8, 9]) > mean(key, [0, 1, 2]) + shift, key


def test_standin_roundtrip_labels_and_split(standin):
    X, y, source = calcium.load_calcium([0], part="train", folder=standin)
    assert X.shape == (16, 128, 128, 1) and y.tolist() == [0] * 8 + [1] * 8
    assert "STAND-IN" in source
    Xv, _, _ = calcium.load_calcium([0], part="val", folder=standin)
    np.testing.assert_array_equal(Xv[0, ..., 0], calcium.synth_frames(1, "real", 0, start=8)[0])


def test_dataset_streams_all_frames_interleaved(standin):
    ds = calcium.calcium_dataset([0, 7], batch_size=4, folder=standin)
    labels = np.concatenate([yb.numpy() for _, yb in ds])
    assert len(labels) == 40 and labels[:4].tolist() == [0, 1, 0, 1]


def test_truncated_gz_is_reported_with_file_name(standin):
    path = standin / "fake_7.gz"
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(DataError, match=r"fake_7\.gz is truncated"):
        calcium.check_segments([7], folder=standin)


def test_size_not_multiple_of_a_frame_is_reported(tmp_path):
    _write(tmp_path / "real_0.gz", np.zeros(128 * 128 * 2 + 10))
    with pytest.raises(DataError, match=r"real_0\.gz .*not a whole number of frames"):
        calcium.check_file(tmp_path / "real_0.gz")


def test_wrong_frame_count_is_reported(tmp_path):
    _write(tmp_path / "real_0.gz", np.zeros((3, 128, 128)))
    with pytest.raises(DataError, match=r"real_0\.gz holds 3 frames, expected 2,048"):
        calcium.check_file(tmp_path / "real_0.gz", 2048)


def test_missing_segment_of_real_data_is_reported(tmp_path):
    _write(tmp_path / "real_3.gz", np.zeros((2048, 128, 128)))
    with pytest.raises(DataError, match=r"fake_3\.gz is missing"):
        calcium.load_calcium([3], folder=tmp_path)


def test_bad_segment_and_part_are_rejected(standin):
    with pytest.raises(ValueError, match="segments must be integers in 0..9"):
        calcium.load_calcium([10], folder=standin)
    with pytest.raises(ValueError, match="part must be"):
        calcium.load_calcium([0], part="test", folder=standin)


def test_standin_is_not_written_over_real_files(tmp_path):
    _write(tmp_path / "real_0.gz", np.zeros((1, 128, 128)))
    with pytest.raises(DataError, match="holds real calcium files"):
        calcium.write_standin(tmp_path, frames=2, verbose=False)


def _state(folder):
    return {p.name: (p.stat().st_ino, p.stat().st_mtime_ns) for p in sorted(Path(folder).iterdir())}


def test_complete_standin_is_not_rewritten(standin):
    for path in standin.iterdir():
        os.utime(path, ns=(0, 0))
    before = _state(standin)
    assert calcium.write_standin(standin, frames=10, segments=[0, 7], verbose=False) == []
    assert _state(standin) == before  # STANDIN.json included: same inode, same mtime


def test_prepare_writes_nothing_when_the_standin_is_complete(tmp_path, monkeypatch):
    monkeypatch.setattr(calcium, "calcium_dir", lambda: tmp_path)
    calcium.prepare(verbose=False, frames=2)
    before = _state(tmp_path)

    def no_writes(*args, **kwargs):
        raise AssertionError("prepare() wrote a file although the stand-in was complete")

    monkeypatch.setattr(calcium, "atomic_write", no_writes)
    monkeypatch.setattr(calcium, "write_text_if_changed",
                        lambda path, text, fix: no_writes() if Path(path).read_text() != text else False)
    assert "STAND-IN" in calcium.prepare(verbose=False, frames=2)
    assert _state(tmp_path) == before and len(before) == 21


def test_standin_marker_changes_when_the_settings_do(standin):
    calcium.write_standin(standin, frames=3, segments=[0], verbose=False)
    assert '"frames_per_file": 3' in (standin / calcium.MARKER).read_text()
    assert calcium.check_file(standin / "real_0.gz") == 3
    assert not (standin / "real_7.gz").exists()  # files of the old settings are removed


def test_directory_in_place_of_a_segment_file_is_reported(standin):
    (standin / "fake_0.gz").unlink()
    (standin / "fake_0.gz").mkdir()
    with pytest.raises(DataError, match=r"fake_0\.gz is not a file \(a directory\?\); remove it"):
        calcium.check_segments([0], folder=standin)
    with pytest.raises(DataError, match=r"fake_0\.gz is a directory where a data file belongs; remove it"):
        calcium.write_standin(standin, frames=10, segments=[0, 7], verbose=False)
    assert not [p.name for p in standin.iterdir() if p.name.startswith(".") or p.suffix in (".tmp", ".part")]


def test_unreadable_segment_file_is_reported(standin, monkeypatch):
    target = standin / "real_7.gz"
    deny_read(monkeypatch, target)
    with pytest.raises(DataError, match=r"real_7\.gz cannot be read \(Permission denied\).*chmod u\+r"):
        calcium.load_calcium([7], folder=standin)


def test_failed_standin_write_leaves_no_partial_file(tmp_path, monkeypatch):
    def broken(n, kind, segment, seed=0, start=0):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(calcium, "synth_frames", broken)
    with pytest.raises(DataError, match=r"cannot write data file .*real_0\.gz \(No space left on device\)"):
        calcium.write_standin(tmp_path, frames=2, segments=[0], verbose=False)
    assert sorted(p.name for p in tmp_path.iterdir()) == [calcium.MARKER]
