"""Version names as people type them: ``v-<hex>`` (a unique prefix), ``latest`` and
``latest~N`` (N steps back in the history of ``latest``, :mod:`lrsweep.store.history`)."""

from __future__ import annotations

from pathlib import Path

from lrsweep.errors import LrsweepError
from lrsweep.store.history import chain
from lrsweep.store.versions import LATEST, list_versions, read_latest

#: What a version name may be, said by every error about one.
NAME_FORMS = (
    "v-<hex digits> (a unique prefix is enough), latest, or latest~N with N = 0, 1, 2, ... "
    "(N steps back in the history of latest)"
)


def quoted(text: str, limit: int = 40) -> str:
    """Text from a command line or a file, quoted briefly and safely for one error line."""
    text = str(text)
    return repr(text if len(text) <= limit else text[:limit] + "...")


def steps_back(name: str) -> int | None:
    """``latest`` -> 0, ``latest~N`` -> N, a ``v-...`` name -> None; a LrsweepError naming
    the accepted forms for anything else."""
    if name == LATEST:
        return 0
    if name.startswith("latest~"):
        n = name[len("latest~") :]
        if n.isascii() and n.isdigit():
            return int(n)
    elif name.startswith("v-") and len(name) > 2 and all(c in "0123456789abcdef" for c in name[2:]):
        return None
    raise LrsweepError(f"{quoted(name)} is not a version name: use {NAME_FORMS}")


def resolve(sweep_dir: str | Path, name: str) -> Path:
    """A version folder by name: ``v-...`` (a unique prefix is enough), ``latest``, or
    ``latest~N``: N steps back in the history of ``latest`` (:mod:`lrsweep.store.history`; a
    version pointed at twice in a row counts once)."""
    sweep_dir = Path(sweep_dir)
    back = steps_back(name)
    names = [r["version"] for r in list_versions(sweep_dir)]
    if back is not None:
        current = read_latest(sweep_dir)
        if current is None or current not in names:
            raise LrsweepError(f"{sweep_dir} has no latest version yet (run snakemake first)")
        pointed = chain(sweep_dir)
        if back >= len(pointed):
            raise LrsweepError(
                f"{name}: {sweep_dir} has only {len(pointed) - 1} version(s) before the latest"
            )
        found = pointed[-1 - back]
        if found not in names:
            raise LrsweepError(f"{name} is {found}, which is no longer in {sweep_dir}")
        return (sweep_dir / found).resolve()
    matches = [n for n in names if n.startswith(name)]
    if len(matches) != 1:
        shown = ", ".join(names) or "none"
        raise LrsweepError(f"no single version {name!r} in {sweep_dir} (known: {shown})")
    return (sweep_dir / matches[0]).resolve()
