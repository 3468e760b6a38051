"""Model files: the one way lrsweep writes and reads a fitted pipeline (``*.skops``).

A ``.skops`` file is a zip of ``schema.json`` (a tree of nodes, each naming the type it
builds) and ``.npy`` arrays. skops builds only the types it is told to trust, but a type it
trusts is called with arguments from the file, so trusting by prefix is not safe:
``numpy.testing._private.utils.runstring`` is a ``numpy.`` name and is ``exec``. So
:func:`load` reads a file only when

- the file and every member are within :data:`LIMITS`, checked from the zip's directory
  before anything is decompressed (a zip bomb is refused, not inflated);
- every node of its schema is of a loader in :data:`ALLOWED_LOADERS` and builds a type in
  :data:`ALLOWED_TYPES`, an exact list of fully-qualified names: the types lrsweep's own
  pipelines contain (``tests/integration/test_modelfile.py`` saves every pipeline lrsweep can make,
  for
  every solver, wrapper, imputer, encoder and scaler, and checks that together they hold
  exactly these types);

and then asks skops to load it trusting these types only. A tampered file can at worst give
wrong predictions; it cannot run code. Every model file is also checked against its
recorded checksum before it is read (``SHA256SUMS`` of a version, a store entry's manifest).
"""

from __future__ import annotations

import io
import json
import zipfile

from lrsweep.errors import LrsweepError

#: Every type a pipeline saved by lrsweep holds, fully qualified (module.name).
ALLOWED_TYPES = frozenset(
    {
        "builtins.dict",
        "builtins.float",
        "builtins.list",
        "builtins.slice",
        "builtins.str",
        "builtins.tuple",
        "numpy.dtype",
        "numpy.float64",
        "numpy.ndarray",
        "sklearn.compose._column_transformer.ColumnTransformer",
        "sklearn.frozen._frozen.FrozenEstimator",
        "sklearn.model_selection._classification_threshold.FixedThresholdClassifier",
        "sklearn.impute._base.SimpleImputer",
        "sklearn.linear_model._logistic.LogisticRegression",
        "sklearn.multiclass.OneVsRestClassifier",
        "sklearn.pipeline.Pipeline",
        "sklearn.preprocessing._data.StandardScaler",
        "sklearn.preprocessing._encoders.OneHotEncoder",
        "sklearn.preprocessing._label.LabelBinarizer",
    }
)

#: The kinds of schema node those types are stored as (skops' loaders).
ALLOWED_LOADERS = frozenset(
    {
        "DictNode",
        "DTypeNode",
        "JsonNode",
        "ListNode",
        "NdArrayNode",
        "ObjectNode",
        "SliceNode",
        "TupleNode",
        "TypeNode",
    }
)

MiB = 1 << 20
#: Bounds checked before anything is decompressed. The largest model lrsweep saves holds a
#: coefficient per feature and class and the preprocessing's statistics: far below these.
LIMITS = {
    "file_bytes": 256 * MiB,  # the .skops file itself
    "members": 10_000,  # files in the zip
    "member_bytes": 256 * MiB,  # one member, uncompressed
    "total_bytes": 512 * MiB,  # all members, uncompressed
    "schema_bytes": 16 * MiB,  # schema.json, uncompressed
    "ratio": 200,  # uncompressed / compressed, for a member over 1 MiB
}


def dumps(obj) -> bytes:
    """A fitted pipeline (or preprocessor) as ``.skops`` bytes."""
    import skops.io as sio

    return sio.dumps(obj, compression=zipfile.ZIP_DEFLATED)


def check_sizes(data: bytes, what: str, limits: dict = LIMITS) -> zipfile.ZipFile:
    """The open zip, once its size and its members' (declared) sizes are within ``limits``.
    Python's zipfile never inflates a member beyond its declared size, so these bounds hold
    while reading too."""
    if len(data) > limits["file_bytes"]:
        raise LrsweepError(f"{what}: {len(data)} bytes, over the {limits['file_bytes']} allowed")
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise LrsweepError(f"{what} is not a model file ({exc}); not loaded") from None
    if len(members) > limits["members"]:
        raise LrsweepError(f"{what}: {len(members)} members, over the {limits['members']} allowed")
    total = 0
    for member in members:
        size = member.file_size
        total += size
        ratio = size / max(member.compress_size, 1)
        if (
            size > limits["member_bytes"]
            or (member.filename == "schema.json" and size > limits["schema_bytes"])
            or (size > MiB and ratio > limits["ratio"])
        ):
            raise LrsweepError(
                f"{what}: member {member.filename[:40]!r} inflates to {size} bytes "
                f"({ratio:.0f} x its stored size), over the limits for a model file; not loaded"
            )
    if total > limits["total_bytes"]:
        raise LrsweepError(
            f"{what}: inflates to {total} bytes, over the {limits['total_bytes']} allowed"
        )
    return archive


def schema_types(schema) -> tuple[set[str], set[str]]:
    """Every type (``module.name``) a schema's nodes build, and every loader they use."""
    types, loaders = set(), set()
    stack = [schema]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            if any(k in node for k in ("__module__", "__class__", "__loader__")):
                types.add(f"{node.get('__module__')}.{node.get('__class__')}")
                loaders.add(str(node.get("__loader__")))
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return types, loaders


def audit(data: bytes, what: str) -> set[str]:
    """The types of a model file, once it passes :func:`check_sizes` and holds nothing
    outside :data:`ALLOWED_TYPES` and :data:`ALLOWED_LOADERS`."""
    archive = check_sizes(data, what)
    try:
        schema = json.loads(archive.read("schema.json"))
    except (KeyError, ValueError, RecursionError, zipfile.BadZipFile) as exc:
        raise LrsweepError(
            f"{what} has no readable schema ({type(exc).__name__}); not loaded"
        ) from None
    types, loaders = schema_types(schema)
    unexpected = sorted(types - ALLOWED_TYPES) + sorted(loaders - ALLOWED_LOADERS)
    if unexpected:
        shown = ", ".join(repr(t[:80]) for t in unexpected[:5])
        raise LrsweepError(
            f"{what} holds types that lrsweep never saves ({shown}); not loaded: "
            "it was not written by lrsweep, or it was changed"
        )
    return types


def load(data: bytes, what: str):
    """The object in a model file, built only from :data:`ALLOWED_TYPES` (see the module
    docstring); :class:`LrsweepError` with one line otherwise."""
    import skops.io as sio

    types = audit(data, what)
    try:
        return sio.loads(data, trusted=sorted(types))
    except Exception as exc:  # a schema skops cannot build from these types
        message = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
        raise LrsweepError(f"{what} cannot be loaded: {message}") from None
