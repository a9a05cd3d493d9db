"""mlcourse.data.manifest: verification and safe loading of data files."""


import numpy as np
import pytest

from mlcourse.data.manifest import DataError, check_array, load_npy, load_npz, read_manifest, sha256_file, verify

FIX = "run `make data`"


def test_verify_missing_file_names_file_and_fix(tmp_path):
    with pytest.raises(DataError, match=r"missing.*make data"):
        verify(tmp_path / "nope.npz", fix=FIX)


def test_verify_hash_mismatch_is_reported(tmp_path):
    path = tmp_path / "a.bin"
    path.write_bytes(b"abc")
    verify(path, fix=FIX, expected_sha256=sha256_file(path))
    with pytest.raises(DataError, match=r"does not match its sha256.*make data"):
        verify(path, fix=FIX, expected_sha256="0" * 64)


def test_load_npz_truncated_file_is_a_clear_error(tmp_path):
    path = tmp_path / "d.npz"
    np.savez_compressed(path, x=np.arange(1000))
    path.write_bytes(path.read_bytes()[:100])
    with pytest.raises(DataError, match=r"cannot be read as \.npz"):
        load_npz(path, fix=FIX)


def test_load_npz_wrong_shape_names_array_and_expected_shape(tmp_path):
    path = tmp_path / "d.npz"
    np.savez(path, x=np.zeros((3, 4)))
    with pytest.raises(DataError, match=r"'x'.*\(3, 4\), expected \(any, 5\)"):
        load_npz(path, fix=FIX, arrays={"x": ((None, 5), None)})


def test_load_npz_missing_array_lists_contents(tmp_path):
    path = tmp_path / "d.npz"
    np.savez(path, x=np.zeros(3))
    with pytest.raises(DataError, match=r"no array 'y'"):
        load_npz(path, fix=FIX, arrays={"y": (None, None)})


def test_load_npy_refuses_pickled_objects(tmp_path):
    path = tmp_path / "o.npy"
    np.save(path, np.array([{"a": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(DataError, match="cannot be read"):
        load_npy(path, fix=FIX)


def test_load_npy_truncated_file(tmp_path):
    path = tmp_path / "t.npy"
    np.save(path, np.zeros((100, 10)))
    path.write_bytes(path.read_bytes()[:500])
    with pytest.raises(DataError, match="truncated"):
        load_npy(path, fix=FIX, shape=(100, 10))


def test_check_array_dtype_mismatch():
    with pytest.raises(DataError, match="dtype float64, expected uint8"):
        check_array("x", np.zeros(3), dtype="uint8")


def test_read_manifest_parses_sha256sum_format_and_rejects_garbage(tmp_path):
    good = tmp_path / "MANIFEST"
    good.write_text("# comment\n" + "a" * 64 + "  sub/file.npz\n")
    assert read_manifest(good) == {"sub/file.npz": "a" * 64}
    good.write_text("not a line\n")
    with pytest.raises(DataError, match="expected '<sha256>  <path>'"):
        read_manifest(good)


def test_committed_manifest_matches_committed_files():
    from mlcourse import config

    for rel, digest in read_manifest().items():
        path = config.data_dir() / rel
        if path.exists():
            assert sha256_file(path) == digest, f"data/{rel} does not match data/MANIFEST"
