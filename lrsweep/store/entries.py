"""lrsweep's content-addressed store: ``results/<sweep>/store/<kind>/<key>/``.

Every entry (the prepared arrays of an experiment, the files of one fit, a set of figures) is
a folder named by its key (:mod:`lrsweep.store.keys`), holding its files and ``MANIFEST.json``: the
SHA-256 and size of each file. Entries are

- written whole: into a temporary folder, then renamed into place, so a killed job never
  leaves half an entry, and two processes making the same entry at once both end with one
  whole copy;
- never modified: a key names one content, so an entry that exists is not written again;
- checked when read: :meth:`Entry.path` verifies a file against the manifest before anyone
  uses it. A missing or damaged entry is reported in one warning line naming the experiment
  and the file, removed, and recomputed by the caller; it is never used.

Any number of configs share a sweep's store, one after another or at the same time.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import os
import shutil
import sys
from pathlib import Path

import numpy as np

from lrsweep.errors import LrsweepError
from lrsweep.store.files import atomic_write_text, remove_stale_temps, sha256_file, temp_name

# The store's own layout: ``<kind>/<key>/`` folders, each with its manifest.
#: The SHA-256 and size of each file of an entry (and the entry's ``info``).
MANIFEST = "MANIFEST.json"
#: The kinds of entry, each a folder of the store.
KINDS = ("prepared", "fits", "scores", "fitfigs", "figures")

# The files of a prepared entry (``prepared/<key>/``, :func:`lrsweep.prepare.design.save_prepared`);
# a fit entry's files are named in :mod:`lrsweep.fit.record`, a scores entry's in
# :mod:`lrsweep.score.record`, a version folder's in :mod:`lrsweep.store.versions`.
#: The prepared data's classes, feature names and the rest of its meta data.
PREPARED_META = "meta.json"
#: The fitted preprocessing (imputation, encoding, scaling), through ``modelfile``.
PREPROCESSOR = "preprocessor.skops"
#: The training rows' cluster groups (``cov_type: cluster``).
GROUPS_TRAIN = "groups_train.npy"
#: The training rows before preprocessing: an array, or a table (parquet) with categories.
RAW_TRAIN_NPY, RAW_TRAIN_PARQUET = "raw_train.npy", "raw_train.parquet"


def npy_name(array: str) -> str:
    """The file of a stored array (``X_train`` -> ``X_train.npy``)."""
    return f"{array}.npy"


log = logging.getLogger("lrsweep")


class DamagedEntry(LrsweepError):
    """A stored file is missing or does not match its recorded checksum."""


def warn(message: str) -> None:
    """One warning line, to the job's log and to the terminal."""
    log.warning("%s", message)
    print(f"lrsweep: warning: {message}", file=sys.stderr, flush=True)


class Entry:
    """A stored entry whose files are verified on first use."""

    def __init__(self, folder: Path, manifest: dict, label: str):
        self.folder = folder
        self.manifest = manifest
        self.label = label
        self._verified: set[str] = set()

    @property
    def key(self) -> str:
        return self.folder.name

    @property
    def info(self) -> dict:
        return self.manifest.get("info", {})

    def names(self) -> list[str]:
        return sorted(self.manifest["files"])

    def path(self, name: str) -> Path:
        """The path of one of the entry's files, after checking its size and checksum."""
        if name not in self._verified:
            expected = self.manifest["files"].get(name)
            path = self.folder / name
            if expected is None:
                raise DamagedEntry(f"{self.label}: {path} is not part of the stored entry")
            if not path.is_file():
                raise DamagedEntry(f"{self.label}: {path} is missing")
            if path.stat().st_size != expected["size"] or sha256_file(path) != expected["sha256"]:
                raise DamagedEntry(f"{self.label}: {path} does not match its recorded checksum")
            self._verified.add(name)
        return self.folder / name

    def read_bytes(self, name: str) -> bytes:
        return self.path(name).read_bytes()

    def read_text(self, name: str) -> str:
        return self.path(name).read_text(encoding="utf-8")

    def read_json(self, name: str):
        return json.loads(self.read_text(name))

    def load_npy(self, name: str, mmap: bool = False) -> np.ndarray:
        return np.load(self.path(name), mmap_mode="r" if mmap else None, allow_pickle=False)

    def verify_all(self) -> None:
        for name in self.manifest["files"]:
            self.path(name)


class Writer:
    """Collects an entry's files in a temporary folder; :meth:`Store.put` publishes it."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.checksums: dict[str, dict] = {}

    def write_bytes(self, name: str, data: bytes) -> None:
        (self.folder / name).write_bytes(data)
        self.checksums[name] = {"sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}

    def write_text(self, name: str, text: str) -> None:
        self.write_bytes(name, text.encode("utf-8"))

    def save_npy(self, name: str, array: np.ndarray) -> None:
        """``np.save``, and the file's checksum from the header and the array in memory: a
        large array is not read back from disk to be checksummed (0.3 s on 320 MB)."""
        array = np.ascontiguousarray(array)
        path = self.folder / name
        with open(path, "wb") as fh:
            np.save(fh, array, allow_pickle=False)
            size = fh.tell()
        with open(path, "rb") as fh:
            sha = hashlib.sha256(fh.read(size - array.nbytes))  # the .npy header
        sha.update(memoryview(array).cast("B") if array.size else b"")
        self.checksums[name] = {"sha256": sha.hexdigest(), "size": size}


def npy_bytes(array: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.save(buf, np.asarray(array), allow_pickle=False)
    return buf.getvalue()


README = """lrsweep's content-addressed store (README.md, "Reruns and versions").

Every folder under prepared/, fits/, fitfigs/ and figures/ is named by the key of what
produced it and holds MANIFEST.json, the checksum of each of its files. Nothing here is ever
modified: a damaged entry is removed and computed again by the next run. Do not edit files
here; delete the whole store to start afresh (the version folders beside it stay whole).
"""


class Store:
    def __init__(self, root: str | Path):
        self.root = Path(root)

    def mark(self) -> None:
        """Write the store's README (at parse time, on the machine that plans the run): jobs
        elsewhere check that they see it (:meth:`check_shared`)."""
        readme = self.root / "README"
        if not readme.is_file():
            atomic_write_text(readme, README)

    def check_shared(self) -> None:
        """Refuse to run where the store written by the planning machine is not visible."""
        if not (self.root / "README").is_file():
            raise LrsweepError(
                f"{self.root} is not visible on this machine ({os.uname().nodename}): lrsweep's "
                "jobs share their results through it, so results/ must be on a file system "
                'shared by every node (README, "Running on a cluster")'
            )

    def folder(self, kind: str, key: str) -> Path:
        return self.root / kind / key

    def has(self, kind: str, key: str) -> bool:
        """Whether an entry is there (not verified: cheap enough for parse time)."""
        return (self.root / kind / key / MANIFEST).is_file()

    def get(self, kind: str, key: str, label: str) -> Entry | None:
        """The entry, or None if there is none. A damaged manifest counts as none (the entry
        is removed with a warning); the files are checked as they are used."""
        folder = self.folder(kind, key)
        try:
            manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
            if manifest.get("key") != key or not isinstance(manifest.get("files"), dict):
                raise ValueError("manifest of another entry")
        except FileNotFoundError:
            if folder.is_dir():
                self.discard(kind, key, f"{label}: {folder} has no {MANIFEST}")
            return None
        except (OSError, ValueError):
            self.discard(kind, key, f"{label}: {folder / MANIFEST} is damaged")
            return None
        return Entry(folder, manifest, label)

    def discard(self, kind: str, key: str, reason: str) -> None:
        """Remove a damaged entry, with one warning line; the caller recomputes it."""
        warn(f"{reason}; recomputing it")
        folder = self.folder(kind, key)
        trash = temp_name(folder, "damaged")
        try:
            os.replace(folder, trash)
        except OSError:
            return
        shutil.rmtree(trash, ignore_errors=True)

    def put(self, kind: str, key: str, fill, info: dict | None = None, label: str = "") -> Entry:
        """Make the entry ``kind/key``: ``fill(writer)`` writes its files into a temporary
        folder, which is then checksummed and renamed into place. If another process made
        the same entry meanwhile, its copy is kept and this one dropped."""
        from lrsweep.store.keys import dumps

        folder = self.folder(kind, key)
        folder.parent.mkdir(parents=True, exist_ok=True)
        tmp = temp_name(folder)
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir()
        try:
            writer = Writer(tmp)
            fill(writer)
            files = {
                p.name: writer.checksums.get(p.name)
                or {"sha256": sha256_file(p), "size": p.stat().st_size}
                for p in sorted(tmp.iterdir())
            }
            manifest = {"kind": kind, "key": key, "files": files, "info": info or {}}
            (tmp / MANIFEST).write_text(dumps(manifest), encoding="utf-8")
            try:
                os.rename(tmp, folder)
            except OSError:
                if not folder.exists():
                    raise
                existing = self.get(kind, key, label)  # made by another process meanwhile
                if existing is None:  # ... or damaged, and now removed: ours takes its place
                    os.rename(tmp, folder)
                else:
                    shutil.rmtree(tmp, ignore_errors=True)
                    return existing
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        return Entry(folder, manifest, label)

    def put_files(
        self, kind: str, key: str, files: dict[str, bytes], info=None, label: str = ""
    ) -> Entry:
        """:meth:`put` of files already in memory (name -> bytes)."""

        def fill(writer):
            for name, data in files.items():
                writer.write_bytes(name, data)

        return self.put(kind, key, fill, info=info, label=label)

    def clean(self, kind: str) -> None:
        """Remove the temporary folders of killed jobs (never those of running ones)."""
        remove_stale_temps(self.root / kind)


def open_verified(store: Store, kind: str, key: str, label: str, names=None) -> Entry | None:
    """The entry with ``names`` (default: all its files) verified now, or None when missing or
    damaged (removed, with a warning). The entry's other files are checked as they are read."""
    entry = store.get(kind, key, label)
    if entry is None:
        return None
    try:
        for name in entry.names() if names is None else names:
            entry.path(name)
    except DamagedEntry as exc:
        store.discard(kind, key, str(exc))
        return None
    return entry
