"""mlcourse.data.manifest and mlcourse.data._io: verification, safe loading and safe writing of data
files, and ``make data`` (``prepare_all``) on a missing manifest or a read-only checkout.

Faults are injected in temporary copies (``tmp_path``, with ``config.data_dir`` pointed at them),
never in the real ``data/``.
"""

import functools
import os
import shutil
from pathlib import Path

import numpy as np
import pytest

from mlcourse import config
from mlcourse import data as datasets
from mlcourse.data import _io, calcium, sine_waves
from faults import deny_read, forbid_writes, snapshot
from mlcourse.data.manifest import (DataError, check_array, check_manifest, load_npy, load_npz, manifest_sha256,
                                    read_manifest, sha256_file, verify)

FIX = "run `make data`"
VENDORED = ("lasso.npz", "lasso_truth.npz", "mnist_49.npz")


@pytest.fixture
def data_copy(tmp_path, monkeypatch):
    """A copy of data/'s committed files (MANIFEST, lasso, mnist) that config.data_dir() points at."""
    folder = tmp_path / "data"
    folder.mkdir()
    for name in ("MANIFEST", *VENDORED):
        shutil.copy(config.data_dir() / name, folder / name)
    monkeypatch.setattr(config, "data_dir", lambda: folder)
    return folder


@pytest.fixture
def small_prepare(data_copy, monkeypatch):
    """Make prepare_all quick: 20 + 6 + 9 sine rows, 2 calcium frames per file."""
    monkeypatch.setattr(sine_waves, "SIZES", {"train": 20, "test": 6, "extended_test": 9})
    monkeypatch.setattr(calcium, "prepare", functools.partial(calcium.prepare, frames=2))
    return data_copy


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


def test_committed_manifest_lists_exactly_the_vendored_files_and_they_match():
    manifest = read_manifest()
    assert sorted(manifest) == sorted(VENDORED)
    for rel, digest in manifest.items():
        assert sha256_file(config.data_dir() / rel) == digest, f"data/{rel} does not match data/MANIFEST"


def test_modules_declare_the_vendored_files_prepare_all_checks():
    import importlib

    declared = [name for module in datasets.dataset_modules()
                for name in getattr(importlib.import_module(f"mlcourse.data.{module}"), "VENDORED_FILES", ())]
    assert sorted(declared) == sorted(VENDORED)


def test_dataset_modules_leave_out_helpers():
    assert datasets.dataset_modules() == ["calcium", "digit_sums", "digits", "jets", "lasso", "mnist",
                                          "sine_waves", "xor"]


# --- the manifest itself ------------------------------------------------------------------------

def test_read_manifest_missing_is_an_error_naming_git_checkout(tmp_path):
    with pytest.raises(DataError, match=r"MANIFEST is missing.*`git checkout data/MANIFEST`"):
        read_manifest(tmp_path / "MANIFEST")


@pytest.mark.parametrize("text", ["", "\n\n", "# only a comment\n"])
def test_read_manifest_without_entries_is_an_error(tmp_path, text):
    path = tmp_path / "MANIFEST"
    path.write_text(text)
    with pytest.raises(DataError, match=r"lists no files.*`git checkout data/MANIFEST`"):
        read_manifest(path)


def test_read_manifest_directory_is_an_error(tmp_path):
    (tmp_path / "MANIFEST").mkdir()
    with pytest.raises(DataError, match=r"MANIFEST is not a file.*git checkout data/MANIFEST"):
        read_manifest(tmp_path / "MANIFEST")


def test_read_manifest_unreadable_is_an_error(tmp_path, monkeypatch):
    path = tmp_path / "MANIFEST"
    path.write_text("a" * 64 + "  x.npz\n")
    deny_read(monkeypatch, path)
    with pytest.raises(DataError, match=r"MANIFEST cannot be read \(Permission denied\).*chmod u\+r"):
        read_manifest(path)


def test_read_manifest_binary_garbage_is_an_error(tmp_path):
    path = tmp_path / "MANIFEST"
    path.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(DataError, match=r"not a text file.*git checkout data/MANIFEST"):
        read_manifest(path)


def test_manifest_sha256_returns_the_line_or_names_the_missing_one(tmp_path):
    path = tmp_path / "MANIFEST"
    path.write_text("b" * 64 + "  a.npz\n")
    assert manifest_sha256("a.npz", path) == "b" * 64
    with pytest.raises(DataError, match=r"no line for c\.npz.*git checkout data/MANIFEST.*sha256sum c\.npz"):
        manifest_sha256("c.npz", path)


def test_check_manifest_names_the_first_file_without_a_line(tmp_path):
    path = tmp_path / "MANIFEST"
    path.write_text("b" * 64 + "  a.npz\n")
    assert check_manifest(["a.npz"], path) == {"a.npz": "b" * 64}
    with pytest.raises(DataError, match=r"no line for z\.npz"):
        check_manifest(["a.npz", "z.npz"], path)


# --- verify and the loaders: missing manifest, directory, unreadable, NaN -----------------------

def test_verify_by_manifest_name_fails_without_a_manifest(data_copy):
    (data_copy / "MANIFEST").unlink()
    with pytest.raises(DataError, match=r"MANIFEST is missing.*git checkout data/MANIFEST"):
        verify(data_copy / "lasso.npz", fix=FIX, manifest_name="lasso.npz")


def test_verify_by_manifest_name_checks_the_hash(data_copy):
    assert verify(data_copy / "lasso.npz", fix=FIX, manifest_name="lasso.npz") == data_copy / "lasso.npz"
    with pytest.raises(DataError, match=r"does not match its sha256.*make data"):
        verify(data_copy / "mnist_49.npz", fix=FIX, manifest_name="lasso.npz")


def test_verify_directory_in_place_of_file_says_remove_it(tmp_path):
    (tmp_path / "d.npz").mkdir()
    with pytest.raises(DataError, match=r"d\.npz is not a file \(a directory\?\); remove it .*make data"):
        verify(tmp_path / "d.npz", fix=FIX)


@pytest.mark.parametrize("with_hash", [False, True])
def test_verify_unreadable_file_is_a_data_error(tmp_path, monkeypatch, with_hash):
    path = tmp_path / "u.bin"
    path.write_bytes(b"abc")
    digest = sha256_file(path)
    deny_read(monkeypatch, path)
    with pytest.raises(DataError, match=r"u\.bin cannot be read \(Permission denied\).*chmod u\+r.*make data"):
        verify(path, fix=FIX, expected_sha256=digest if with_hash else None)


def test_load_npy_unreadable_file_is_not_called_corrupt(tmp_path, monkeypatch):
    path = tmp_path / "u.npy"
    np.save(path, np.zeros(3))
    real_load = np.load

    def refusing_load(file, *args, **kwargs):
        if Path(file) == path:
            raise PermissionError(13, "Permission denied", str(file))
        return real_load(file, *args, **kwargs)

    monkeypatch.setattr(np, "load", refusing_load)
    with pytest.raises(DataError, match=r"u\.npy cannot be read \(Permission denied\).*make data") as err:
        load_npy(path, fix=FIX)
    assert "corrupt" not in str(err.value)


def test_check_array_finite_counts_and_locates_bad_values():
    message = r"'x' in f\.npy holds 2 non-finite values \(NaN or inf\), first at index \(0, 1\)"
    with pytest.raises(DataError, match=message):
        check_array("x", np.array([[0.0, np.inf], [np.nan, 1.0]]), where="f.npy", finite=True)
    ints = np.array([1, 2, 3])
    assert check_array("i", ints, finite=True) is ints
    assert check_array("x", np.array([np.nan])).shape == (1,)  # finite=False by default


def test_load_npz_finite_names_array_file_and_fix(tmp_path):
    path = tmp_path / "f.npz"
    np.savez(path, a=np.arange(3.0), b=np.array([1.0, -np.inf]), flags=np.array([True, False]))
    assert sorted(load_npz(path, fix=FIX)) == ["a", "b", "flags"]
    with pytest.raises(DataError, match=r"array 'b' in .*f\.npz holds 1 non-finite value .*; run `make data`$"):
        load_npz(path, fix=FIX, finite=True)


def test_load_npy_shape_error_ends_with_the_fix(tmp_path):
    path = tmp_path / "s.npy"
    np.save(path, np.zeros((2, 3)))
    with pytest.raises(DataError, match=r"shape \(2, 3\), expected \(2, 4\); run `make data`$"):
        load_npy(path, fix=FIX, shape=(2, 4))


# --- _io: atomic writes ------------------------------------------------------------------------

def test_atomic_write_writes_whole_file_with_normal_permissions(tmp_path):
    path = _io.atomic_write(tmp_path / "sub" / "a.bin", lambda f: f.write(b"abc"), fix=FIX)
    assert path.read_bytes() == b"abc"
    umask = os.umask(0)
    os.umask(umask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~umask
    assert os.listdir(path.parent) == ["a.bin"]


def test_atomic_write_failing_writer_keeps_old_file_and_leaves_no_tmp(tmp_path):
    path = tmp_path / "a.bin"
    path.write_bytes(b"old")

    def half_then_fail(handle):
        handle.write(b"ne")
        raise RuntimeError("generator broke")

    with pytest.raises(RuntimeError, match="generator broke"):
        _io.atomic_write(path, half_then_fail, fix=FIX)
    assert path.read_bytes() == b"old"
    assert os.listdir(tmp_path) == ["a.bin"]


def test_atomic_write_on_a_directory_is_a_data_error_and_leaves_no_tmp(tmp_path):
    (tmp_path / "a.npz").mkdir()
    with pytest.raises(DataError, match=r"a\.npz is a directory where a data file belongs; remove it.*make data"):
        _io.atomic_write(tmp_path / "a.npz", lambda f: f.write(b"x"), fix=FIX)
    assert os.listdir(tmp_path) == ["a.npz"]


def test_atomic_write_in_read_only_folder_is_a_data_error(tmp_path, monkeypatch):
    with monkeypatch.context() as mp:
        forbid_writes(mp, tmp_path)
        message = r"cannot write data file .*a\.bin \(read-only checkout.*writable folder.*make data"
        with pytest.raises(DataError, match=message):
            _io.atomic_write(tmp_path / "a.bin", lambda f: f.write(b"x"), fix=FIX)
    assert os.listdir(tmp_path) == []


def test_atomic_write_failed_rename_removes_tmp(tmp_path, monkeypatch):
    def no_rename(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", no_rename)
    with pytest.raises(DataError, match=r"cannot write data file .*a\.bin \(No space left on device\)"):
        _io.atomic_write(tmp_path / "a.bin", lambda f: f.write(b"x"), fix=FIX)
    assert os.listdir(tmp_path) == []


def test_write_text_if_changed_leaves_an_identical_file_alone(tmp_path, monkeypatch):
    path = tmp_path / "m.json"
    assert _io.write_text_if_changed(path, "{}\n", fix=FIX) is True
    before = snapshot(tmp_path)
    with monkeypatch.context() as mp:
        forbid_writes(mp, tmp_path)
        assert _io.write_text_if_changed(path, "{}\n", fix=FIX) is False
    assert snapshot(tmp_path) == before
    assert _io.write_text_if_changed(path, "{ }\n", fix=FIX) is True
    assert path.read_text() == "{ }\n"


# --- make data (prepare_all) --------------------------------------------------------------------

@pytest.mark.parametrize("damage", ["delete", "empty", "comments only"])
def test_prepare_all_without_a_usable_manifest_stops_before_writing(small_prepare, damage):
    manifest = small_prepare / "MANIFEST"
    if damage == "delete":
        manifest.unlink()
    else:
        manifest.write_text("" if damage == "empty" else "# sha256 lines go here\n")
    before = snapshot(small_prepare)
    with pytest.raises(DataError, match=r"MANIFEST (is missing|lists no files).*`git checkout data/MANIFEST`"):
        datasets.prepare_all(verbose=False)
    assert snapshot(small_prepare) == before  # no calcium or sine files generated first


def test_prepare_all_with_a_vendored_file_missing_its_line_fails(small_prepare):
    manifest = small_prepare / "MANIFEST"
    manifest.write_text("".join(line + "\n" for line in manifest.read_text().splitlines()
                                if not line.endswith("lasso_truth.npz")))
    with pytest.raises(DataError, match=r"no line for lasso_truth\.npz.*git checkout data/MANIFEST"):
        datasets.prepare_all(verbose=False)


def test_prepare_all_writes_nothing_when_nothing_changed(small_prepare, monkeypatch, capsys):
    assert datasets.prepare_all(verbose=False) == ["calcium", "lasso", "mnist", "sine_waves"]
    assert (small_prepare / "calcium" / "STANDIN.json").is_file()
    assert len(list((small_prepare / "sine").glob("*.npy"))) == 6
    before = snapshot(small_prepare)
    with monkeypatch.context() as mp:
        forbid_writes(mp, small_prepare)  # a read-only checkout, even for root
        assert datasets.prepare_all(verbose=True) == ["calcium", "lasso", "mnist", "sine_waves"]
    assert snapshot(small_prepare) == before
    out = capsys.readouterr().out
    assert "0 of 20 files generated" in out and "sine waves: checked 6 files" in out


def test_prepare_all_regenerates_a_missing_lasso_file_byte_for_byte(small_prepare):
    (small_prepare / "lasso_truth.npz").unlink()
    datasets.prepare_all(verbose=False)
    assert sha256_file(small_prepare / "lasso_truth.npz") == read_manifest()["lasso_truth.npz"]
    assert not [p for p in small_prepare.iterdir() if p.name.endswith(".tmp")]
