"""File helpers every stage uses: atomic writes, checksums, links.

Nothing here knows what lrsweep stores; it moves bytes safely. A reader never sees half a
file: everything is written under a temporary name in the same folder and renamed into place.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import socket
from pathlib import Path

CHUNK = 1 << 20


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: str | Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(CHUNK), b""):
            h.update(chunk)
    return h.hexdigest()


def _host() -> str:
    return socket.gethostname().replace(".", "_")


def temp_name(path: str | Path, tag: str = "tmp") -> Path:
    """A name beside ``path`` that no other process (on any host) uses at the same time."""
    path = Path(path)
    return path.with_name(f".{path.name}.{_host()}.{os.getpid()}.{tag}")


def atomic_write_bytes(path: str | Path, data: bytes) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = temp_name(path)
    try:
        with open(tmp, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException as exc:  # a full disk, a kill: leave no half-written temporary file
        tmp.unlink(missing_ok=True)
        if isinstance(exc, OSError) and exc.filename in (None, str(tmp)):  # the file meant
            raise OSError(exc.errno, exc.strerror, str(path)) from None
        raise


def atomic_write_text(path: str | Path, text: str) -> None:
    """Write via a temporary file and rename, so no reader ever sees half a file."""
    atomic_write_bytes(path, text.encode("utf-8"))


def link_or_copy(source: str | Path, target: str | Path) -> None:
    """Hard-link ``source`` to ``target`` (same bytes, no space), or copy across devices."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(source, target)
    except OSError:
        shutil.copyfile(source, target)


def process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def stale_temp(path: Path) -> bool:
    """Whether ``path`` is a leftover of :func:`temp_name` from a process of this host that is
    gone (a killed job); a live process's temporary is never stale."""
    parts = path.name.split(".")
    if len(parts) < 4 or not path.name.startswith("."):
        return False
    host, pid = parts[-3], parts[-2]
    if host != _host() or not pid.isdigit():
        return False
    return not process_alive(int(pid))


def remove_stale_temps(folder: Path) -> None:
    """Delete the temporaries of killed processes in ``folder`` (not those of live ones)."""
    if not folder.is_dir():
        return
    for path in folder.iterdir():
        if path.name.startswith(".") and stale_temp(path):
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)
