"""Tests of mlcourse.data.calcium: file checks, the stand-in generator and the readers."""

import gzip

import numpy as np
import pytest

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
