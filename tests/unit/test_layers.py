"""The package's import layers, read from the code (every import statement, those inside
functions too): a stage imports only the stages below it, so data flows one way."""

import ast

import pytest

from tests.conftest import REPO

PACKAGE = REPO / "lrsweep"
#: From the bottom up; a module may import its own layer and those before it.
LAYERS = (
    "errors",
    "domain",
    "store",
    "config",
    "prepare",
    "fit",
    "score",
    "results",
    "workflow",
    "tools",
)


def layer_of(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[0] == "lrsweep" else None


def imported(tree: ast.AST) -> list[tuple[int, str]]:
    """Every lrsweep module an AST imports: ``import lrsweep.x.y``, ``from lrsweep.x import y``
    and ``from lrsweep import x``, at any depth (function-level imports too)."""
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module == "lrsweep":
                out += [(node.lineno, f"lrsweep.{a.name}") for a in node.names]
            else:
                out.append((node.lineno, node.module))
    return [(line, name) for line, name in out if name.startswith("lrsweep.")]


def modules():
    for path in sorted(PACKAGE.rglob("*.py")):
        name = ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        yield name.removesuffix(".__init__"), path


def upward_imports(source: str, module: str) -> list[str]:
    mine = layer_of(module)
    if mine not in LAYERS:
        return []
    return [
        f"{module} imports {name} (line {line})"
        for line, name in imported(ast.parse(source))
        if layer_of(name) in LAYERS and LAYERS.index(layer_of(name)) > LAYERS.index(mine)
    ]


def test_every_module_is_in_a_layer():
    stray = [m for m, _ in modules() if m != "lrsweep" and layer_of(m) not in (*LAYERS, "__main__")]
    assert not stray, stray


def test_no_module_imports_a_layer_above_its_own():
    found = [line for m, path in modules() for line in upward_imports(path.read_text(), m)]
    assert not found, "\n".join(found)


@pytest.mark.parametrize(
    "source",
    [
        "from lrsweep.results.selection import ranked\n",
        "def f():\n    from lrsweep.workflow import jobs\n",
        "import lrsweep.tools.cli\n",
        "from lrsweep import results\n",
    ],
)
def test_the_check_sees_an_upward_import_wherever_it_is(source):
    assert upward_imports(source, "lrsweep.store.history")
    assert not upward_imports("from lrsweep.errors import ConfigError\n", "lrsweep.store.history")


#: Lines a function may have before its docstring must say why it is longer.
LONGEST = 60


def long_functions(source: str, module: str) -> list[str]:
    """Functions over :data:`LONGEST` lines whose docstring gives no reason (``Long: ...``)."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            lines = node.end_lineno - node.lineno + 1
            if lines > LONGEST and "Long:" not in (ast.get_docstring(node) or ""):
                found.append(f"{module}.{node.name}: {lines} lines")
    return found


def test_no_function_is_long_without_a_reason():
    found = [f for m, path in modules() for f in long_functions(path.read_text(), m)]
    assert not found, "\n".join(found)


def test_the_length_check_counts_a_long_function():
    body = "".join(f"    x{i} = {i}\n" for i in range(LONGEST))
    assert long_functions(f"def f():\n{body}", "m") == [f"m.f: {LONGEST + 1} lines"]
    reason = '    """Long: one table of cases, read top to bottom."""\n'
    assert not long_functions(f"def f():\n{reason}{body}", "m")
