"""Reading a zip of images: both layouts, skipped and corrupt files, and every unsafe zip refused unwritten."""

import io
import stat
import zipfile

import numpy as np
import pytest
from PIL import Image

from backend.data import ArchiveLimits, ImageArchiveError, UnsafeArchiveError, archives, read_image_zip


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
    # zipfile stops reading at the declared size and finds the checksum wrong before the byte count could.
    with pytest.raises(ImageArchiveError, match="The zip is damaged at 'a/2.png': Bad CRC-32"):
        read_image_zip(bytes(data), tmp_path / "out", limits=ArchiveLimits(max_file_bytes=1_000))
    assert _files_under(tmp_path) == []


class _Overflowing(io.RawIOBase):
    """A member stream that yields far more bytes than any header declared."""

    def __init__(self, size: int):
        self.left = size

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        n = min(len(buffer), self.left)
        buffer[:n] = b"\0" * n
        self.left -= n
        return n


class _LyingArchive:
    """Stands in for a zipfile whose member decompresses to ``size`` bytes whatever its header says."""

    def __init__(self, size: int):
        self.size = size

    def open(self, info):
        return io.BufferedReader(_Overflowing(self.size))


@pytest.mark.parametrize(
    ("limits", "budget"),
    [(ArchiveLimits(max_file_bytes=100_000), 10**9), (ArchiveLimits(), 100_000)],
    ids=["per-file cap", "what is left of the total"],
)
def test_the_copy_stops_a_member_that_produces_more_bytes_than_allowed_and_removes_it(tmp_path, limits, budget):
    info = zipfile.ZipInfo("a/2.png")
    info.file_size = 10  # what the header claims
    destination = tmp_path / "2.png"
    with pytest.raises(UnsafeArchiveError, match="'a/2.png' decompresses to more than its declared size allows"):
        archives._copy_member(_LyingArchive(1_000_000), info, destination, limits, budget)
    assert not destination.exists()
    # Within the caps, the same stream is copied whole.
    assert archives._copy_member(_LyingArchive(100_000), info, destination, limits, budget) == 100_000
    assert destination.stat().st_size == 100_000


def test_an_extraction_refused_midway_keeps_none_of_the_files_it_wrote(tmp_path, monkeypatch):
    data = _zip({"a/1.png": _png(), "a/2.png": _png(1), "b/3.png": _png(2)})
    real_open = zipfile.ZipFile.open

    def overflowing_third(self, name, *args, **kwargs):
        if getattr(name, "filename", name) == "b/3.png":
            return io.BufferedReader(_Overflowing(10_000_000))
        return real_open(self, name, *args, **kwargs)

    monkeypatch.setattr(zipfile.ZipFile, "open", overflowing_third)
    with pytest.raises(UnsafeArchiveError, match="'b/3.png' decompresses to more than its declared size allows"):
        read_image_zip(data, tmp_path / "out", limits=ArchiveLimits(max_file_bytes=1_000_000))
    assert _files_under(tmp_path) == []


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
