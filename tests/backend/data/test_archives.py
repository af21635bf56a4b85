"""Reading a zip of images: both layouts, skipped and corrupt files, and every unsafe zip refused unwritten."""

import io
import stat
import zipfile

import numpy as np
import pytest
from PIL import Image

from backend.data import ArchiveLimits, ImageArchiveError, UnsafeArchiveError, read_image_zip


def _png(value: int = 0) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(np.full((6, 6), value, dtype=np.uint8)).save(buffer, format="PNG")
    return buffer.getvalue()


def _zip(members: dict[str, bytes], links: dict[str, str] | None = None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
        for name, pointee in (links or {}).items():
            info = zipfile.ZipInfo(name)
            info.create_system = 3
            info.external_attr = (stat.S_IFLNK | 0o777) << 16
            archive.writestr(info, pointee)
    return buffer.getvalue()


def _files_under(folder):
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())


def test_one_folder_per_class_gives_paths_and_labels(tmp_path):
    data = _zip({"set/cat/1.png": _png(10), "set/cat/2.PNG": _png(20), "set/dog/3.png": _png(30)})
    images = read_image_zip(data, tmp_path / "out")
    assert images.layout == "folders"
    assert images.frame["label"].tolist() == ["cat", "cat", "dog"]
    assert images.class_counts() == {"cat": 2, "dog": 1}
    for path in images.frame["image"]:
        assert Image.open(path).size == (6, 6)
    assert _files_under(tmp_path / "out") == ["set/cat/1.png", "set/cat/2.PNG", "set/dog/3.png"]


def test_a_csv_of_paths_and_labels_inside_the_zip(tmp_path):
    csv = b"file,class\nimgs/a.png,yes\nimgs/b.png,no\nimgs/missing.png,no\n"
    data = _zip({"data/labels.csv": csv, "data/imgs/a.png": _png(1), "data/imgs/b.png": _png(2)})
    images = read_image_zip(data, tmp_path / "out")
    assert images.layout == "csv"
    assert images.frame["label"].tolist() == ["yes", "no"]
    assert images.frame["image"].str.endswith(("a.png", "b.png")).all()
    assert "imgs/missing.png" in images.corrupt


def test_non_image_files_are_skipped_counted_and_not_written(tmp_path):
    data = _zip(
        {
            "a/1.png": _png(),
            "b/2.png": _png(),
            "a/notes.txt": b"hello",
            "__MACOSX/a/._1.png": b"junk",
            "b/.DS_Store": b"junk",
            "loose.png": _png(),
        }
    )
    images = read_image_zip(data, tmp_path / "out")
    assert len(images.frame) == 2
    assert images.n_skipped == 4
    assert "a/notes.txt" in images.skipped and "loose.png" in images.skipped
    assert _files_under(tmp_path / "out") == ["a/1.png", "b/2.png"]


def test_each_corrupt_image_is_named_and_left_out(tmp_path):
    good = _png()
    data = _zip({"a/ok.png": good, "a/cut.png": good[: len(good) // 2], "b/text.jpg": b"not an image", "b/ok.png": good})
    images = read_image_zip(data, tmp_path / "out")
    assert set(images.corrupt) == {"a/cut.png", "b/text.jpg"}
    assert images.frame["image"].str.endswith("ok.png").all() and len(images.frame) == 2


def test_unlabelled_reading_takes_every_image_for_prediction(tmp_path):
    images = read_image_zip(_zip({"x.png": _png(), "sub/y.png": _png()}), tmp_path / "out", labels=False)
    assert images.layout == "unlabelled"
    assert list(images.frame.columns) == ["image"] and len(images.frame) == 2


@pytest.mark.parametrize(
    ("members", "links", "words"),
    [
        ({"cats/1.png": _png(), "../evil.png": _png()}, None, "'..'"),
        ({"cats/1.png": _png(), "cats/../../evil.png": _png()}, None, "'..'"),
        ({"cats/1.png": _png(), "/tmp/evil.png": _png()}, None, "absolute path"),
        ({"cats/1.png": _png(), "C:/evil.png": _png()}, None, "absolute path"),
        ({"cats/1.png": _png()}, {"cats/link.png": "/etc/passwd"}, "a link"),
    ],
    ids=["parent", "nested-parent", "absolute", "drive", "symlink"],
)
def test_an_unsafe_zip_is_refused_and_nothing_is_written(tmp_path, members, links, words):
    target = tmp_path / "deep" / "out"
    with pytest.raises(UnsafeArchiveError, match=words):
        read_image_zip(_zip(members, links), target)
    assert not target.exists() or _files_under(target) == []
    assert _files_under(tmp_path) == []


def test_a_zip_bomb_is_refused_by_its_decompressed_size(tmp_path):
    data = _zip({"a/1.png": _png(), "a/big.png": b"\0" * 3_000_000})
    assert len(data) < 50_000
    with pytest.raises(UnsafeArchiveError, match="decompress to 2.9 MiB"):
        read_image_zip(data, tmp_path / "out", limits=ArchiveLimits(max_total_bytes=1_000_000))
    with pytest.raises(UnsafeArchiveError, match="per file"):
        read_image_zip(data, tmp_path / "out", limits=ArchiveLimits(max_file_bytes=1_000_000))
    assert _files_under(tmp_path) == []


def test_too_many_files_are_refused(tmp_path):
    data = _zip({f"a/{i}.png": _png() for i in range(6)})
    with pytest.raises(UnsafeArchiveError, match="6 files, more than the 5 allowed"):
        read_image_zip(data, tmp_path / "out", limits=ArchiveLimits(max_files=5))


def test_a_member_whose_header_understates_its_size_is_refused_and_removed(tmp_path):
    data = bytearray(_zip({"a/1.png": _png(), "a/2.png": b"\0" * 100_000}))
    # Declare 10 bytes for a/2.png in its central directory entry (the sizes zipfile trusts).
    central = data.index(b"PK\x01\x02", data.index(b"PK\x01\x02") + 1)
    assert data[central + 46 : central + 53] == b"a/2.png"
    data[central + 24 : central + 28] = (10).to_bytes(4, "little")
    with pytest.raises((UnsafeArchiveError, ImageArchiveError)):
        read_image_zip(bytes(data), tmp_path / "out", limits=ArchiveLimits(max_file_bytes=1_000))
    assert not (tmp_path / "out" / "a" / "2.png").exists()


def test_a_link_already_in_the_target_folder_cannot_redirect_a_write(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    target = tmp_path / "out"
    target.mkdir()
    (target / "cats").symlink_to(outside, target_is_directory=True)
    with pytest.raises(UnsafeArchiveError, match="outside the target folder"):
        read_image_zip(_zip({"cats/1.png": _png()}), target)
    assert list(outside.iterdir()) == []


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"this is not a zip", "not a zip"),
        (None, "no image files"),
        ("not-in-folders", "not in class folders"),
        ("two-csvs", "2 CSV files"),
    ],
)
def test_zips_that_are_not_image_sets_say_why(tmp_path, data, words):
    if data is None:
        data = _zip({"readme.txt": b"hi"})
    elif data == "not-in-folders":
        data = _zip({"1.png": _png(), "2.png": _png()})
    elif data == "two-csvs":
        data = _zip({"a.csv": b"path,label\n", "b.csv": b"path,label\n", "x/1.png": _png()})
    with pytest.raises(ImageArchiveError, match=words):
        read_image_zip(data, tmp_path / "out")
