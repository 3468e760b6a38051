"""The content-addressed store: whole entries, checked when read, never half-written."""

import json
import os
import subprocess
import sys

import pytest

from lrsweep.store.entries import MANIFEST, DamagedEntry, Store, open_verified


def fill(files):
    return lambda w: [w.write_bytes(n, b) for n, b in files.items()]


def test_an_entry_is_written_whole_and_read_back_checked(tmp_path):
    store = Store(tmp_path)
    entry = store.put("fits", "a" * 20, fill({"x.txt": b"hello", "y.bin": b"\0\1"}), {"v": 1})
    manifest = json.loads((tmp_path / "fits" / ("a" * 20) / MANIFEST).read_text())
    assert manifest["key"] == "a" * 20 and set(manifest["files"]) == {"x.txt", "y.bin"}
    assert manifest["files"]["x.txt"]["size"] == 5 and manifest["info"] == {"v": 1}
    again = store.get("fits", "a" * 20, "label")
    assert again.read_bytes("x.txt") == b"hello" and again.names() == entry.names()
    assert store.get("fits", "b" * 20, "label") is None


@pytest.mark.parametrize("damage", ["edit", "truncate", "delete"])
def test_a_damaged_file_is_never_used(tmp_path, damage, capsys):
    store = Store(tmp_path)
    store.put("fits", "a" * 20, fill({"x.txt": b"hello world"}))
    path = tmp_path / "fits" / ("a" * 20) / "x.txt"
    if damage == "edit":
        path.write_bytes(b"hello WORLD")  # same size
    elif damage == "truncate":
        path.write_bytes(b"")
    else:
        path.unlink()
    entry = store.get("fits", "a" * 20, "experiment 'e' (m)")
    with pytest.raises(DamagedEntry, match=r"experiment 'e' \(m\): .*x.txt"):
        entry.read_bytes("x.txt")
    assert open_verified(store, "fits", "a" * 20, "experiment 'e' (m)", ["x.txt"]) is None
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "lrsweep: warning: experiment 'e' (m): " in err
    assert err.rstrip().endswith("; recomputing it")
    assert not (tmp_path / "fits" / ("a" * 20)).exists()  # removed: the caller recomputes


def test_a_damaged_manifest_counts_as_no_entry(tmp_path, capsys):
    store = Store(tmp_path)
    store.put("fits", "a" * 20, fill({"x.txt": b"x"}))
    (tmp_path / "fits" / ("a" * 20) / MANIFEST).write_text("{not json")
    assert store.get("fits", "a" * 20, "e") is None
    assert "MANIFEST.json is damaged; recomputing it" in capsys.readouterr().err


def test_making_an_entry_that_exists_keeps_the_first(tmp_path):
    store = Store(tmp_path)
    store.put("fits", "a" * 20, fill({"x.txt": b"first"}))
    entry = store.put("fits", "a" * 20, fill({"x.txt": b"second"}))
    assert entry.read_bytes("x.txt") == b"first"
    assert [p.name for p in (tmp_path / "fits").iterdir()] == ["a" * 20]  # no temporaries


def test_a_killed_writer_leaves_nothing_that_looks_whole(tmp_path):
    """A process killed while writing an entry leaves only a temporary folder, which the next
    job removes (a live process's temporary is left alone)."""
    script = (
        "import os, sys\n"
        "from lrsweep.store.entries import Store\n"
        "def fill(w):\n"
        "    w.write_bytes('x.txt', b'x')\n"
        "    os._exit(9)\n"
        f"Store({str(tmp_path)!r}).put('fits', 'a' * 20, fill)\n"
    )
    proc = subprocess.run([sys.executable, "-c", script])
    assert proc.returncode == 9
    store = Store(tmp_path)
    assert not store.has("fits", "a" * 20)
    leftovers = list((tmp_path / "fits").iterdir())
    assert len(leftovers) == 1 and leftovers[0].name.startswith(".")
    mine = (
        store.root
        / "fits"
        / f".{'b' * 20}.{os.uname().nodename.replace('.', '_')}.{os.getpid()}.tmp"
    )
    mine.mkdir()
    store.clean("fits")
    assert [p.name for p in (tmp_path / "fits").iterdir()] == [mine.name]
