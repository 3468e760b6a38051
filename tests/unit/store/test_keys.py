"""Content keys: code keyed by what can change results, data files by their bytes, and every
module a stage runs inside its key."""

import json

from lrsweep.store import keys
from lrsweep.store.checksums import FileChecksums
from lrsweep.store.keys import digest, normalized_python


def test_comments_docstrings_and_layout_do_not_change_a_code_key(tmp_path):
    a = tmp_path / "a.py"
    b = tmp_path / "b.py"
    a.write_text('"""Module."""\n\ndef f(x):\n    """Doc."""\n    return x + 1  # one\n')
    b.write_text("def f(x):\n\n    # a comment\n    return (x +\n            1)\n")
    assert normalized_python(a) == normalized_python(b)
    b.write_text("def f(x):\n    return x + 2\n")
    assert normalized_python(a) != normalized_python(b)


def test_digests_are_canonical():
    assert digest("k", {"a": 1, "b": [1.0, float("inf")]}) == digest(
        "k", {"b": [1.0, float("inf")], "a": 1}
    )
    assert digest("k", {"a": 1}) != digest("other", {"a": 1})
    assert len(digest("k", {})) == 20


def test_file_checksums_follow_the_bytes_and_the_link(tmp_path):
    data = tmp_path / "d.csv"
    data.write_text("a,y\n1,0\n")
    cache = tmp_path / "cache.json"
    first = FileChecksums(cache)(data)
    checksums = FileChecksums(cache)
    checksums.save()
    data.write_text("a,y\n1,1\n")  # same size, other bytes
    assert checksums(data) != first
    checksums.save()
    assert FileChecksums(cache)(data) == checksums(data)
    other = tmp_path / "e.csv"
    other.write_text("a,y\n2,0\n")
    link = tmp_path / "link.csv"
    link.symlink_to(data)
    before = FileChecksums(cache)(link)
    link.unlink()
    link.symlink_to(other)  # the link now points elsewhere
    assert FileChecksums(cache)(link) != before


def test_a_cache_of_passing_files_keeps_only_those_asked_about(tmp_path):
    cache = tmp_path / "cache.json"
    old, new = tmp_path / "old.png", tmp_path / "new.png"
    old.write_bytes(b"old")
    new.write_bytes(b"new")
    both = FileChecksums(cache)
    both(old), both(new)
    both.save()
    assert len(json.loads(cache.read_text())) == 2
    one = FileChecksums(cache)
    one(new)
    one.save(only_used=True)  # a version folder's files: the old version's are forgotten
    assert list(json.loads(cache.read_text())) == [str(new.resolve())]


def test_code_units_cover_every_module_in_every_folder():
    """A module that no stage's key and no tool unit holds would change results unseen; the
    modules of a subfolder count (a flat ``glob("*.py")`` would leave them out)."""
    modules = keys.all_modules()
    assert "fit.sklearn" in modules and "workflow.jobs" in modules
    units = (*keys.FIT_CODE, *keys.SCORE_CODE, *keys.FIGURE_CODE, *keys.NEUTRAL_CODE)
    version_code = {m for m in modules if not any(keys.in_unit(m, u) for u in keys.TOOL_CODE)}
    stage_code = set(keys.modules_of(units))
    # What neither a stage's key nor the tools hold is the code that runs the stages (the
    # plan, the job bodies, publishing a version, the report): it is in the version's key.
    assert stage_code <= version_code
    runner_code = version_code - stage_code
    assert {m.split(".")[0] for m in runner_code} <= {"workflow", "results"}, runner_code
