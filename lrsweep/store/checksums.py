"""Checksums of files, remembered so that a large file is hashed once (data files, version
folders' files, and the code digests of :mod:`lrsweep.store.keys`)."""

from __future__ import annotations

import json
import os
from pathlib import Path

from lrsweep.store.files import atomic_write_text, sha256_file


class FileChecksums:
    """SHA-256 of data files, remembered by (real path, size, mtime, ctime, inode) so that a
    large file is hashed once, not at every ``snakemake`` start (as git's index and DVC do).

    Any write to a file changes its ctime, so an edited file is always hashed again; a
    symlink is followed to its target, so pointing it elsewhere changes the checksum.
    """

    def __init__(self, cache_file: str | Path | None = None, digest=sha256_file):
        self.cache_file = Path(cache_file) if cache_file else None
        self.digest = digest
        self.entries: dict = {}
        self.used: set[str] = set()
        self.changed = False
        if self.cache_file and self.cache_file.is_file():
            try:
                self.entries = json.loads(self.cache_file.read_text())
            except ValueError:
                self.entries = {}

    def __call__(self, path: str | Path) -> str:
        real = os.path.realpath(path)
        st = os.stat(real)
        stamp = [st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino]
        known = self.entries.get(real)
        self.used.add(real)
        if known and known[:4] == stamp:
            return known[4]
        checksum = self.digest(real)
        self.entries[real] = [*stamp, checksum]
        self.changed = True
        return checksum

    def save(self, only_used: bool = False) -> None:
        """Write the cache if it changed; ``only_used``: keep only the files asked about in
        this process (a cache of files that come and go, such as version folders', would
        otherwise grow with every one)."""
        if only_used and set(self.entries) - self.used:
            self.entries = {k: v for k, v in self.entries.items() if k in self.used}
            self.changed = True
        if self.cache_file and self.changed:
            try:
                atomic_write_text(self.cache_file, json.dumps(self.entries))
            except OSError:  # a cache: never worth failing a run for
                pass
