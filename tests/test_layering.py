"""mlplab's layers: front ends on the recipe, the recipe on the engine; nothing points up or sideways."""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "src" / "mlplab"
FRONT_ENDS = ("cli", "tune", "playground", "lab", "bench", "sklearn", "nielsen")


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path) -> set[str]:
    """Every ``mlplab`` module ``path`` imports when it runs, at the top or inside a function (not for type checks)."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING":
            node.body = []
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            candidates = [target] + [f"{target}.{alias.name}" for alias in node.names]
        elif isinstance(node, ast.Import):
            candidates = [alias.name for alias in node.names]
        else:
            continue
        found.update(c for c in candidates if c.startswith("mlplab"))
    return found


GRAPH = {module_name(p): imports(p) for p in PACKAGE.rglob("*.py")}


def part(module: str) -> str:
    """The top-level part of mlplab a module belongs to: a front end, "recipe", or "engine"."""
    if module == "mlplab.__main__":  # python -m mlplab: the command line
        return "cli"
    pieces = module.split(".")
    return pieces[1] if len(pieces) > 1 and pieces[1] in (*FRONT_ENDS, "recipe") else "engine"


@pytest.mark.parametrize("front_end", FRONT_ENDS)
def test_a_front_end_imports_no_other_front_end_except_the_command_line(front_end):
    if front_end == "cli":
        return
    crossing = sorted(
        f"{m} -> {t}"
        for m, targets in GRAPH.items()
        if part(m) == front_end
        for t in targets
        if part(t) in FRONT_ENDS and part(t) != front_end
    )
    assert not crossing


def test_nothing_outside_the_command_line_imports_it():
    assert not sorted(f"{m} -> {t}" for m, ts in GRAPH.items() if part(m) != "cli" for t in ts if part(t) == "cli")


def test_the_recipe_and_the_engine_import_no_front_end():
    assert not sorted(
        f"{m} -> {t}" for m, ts in GRAPH.items() if part(m) in ("recipe", "engine") for t in ts if part(t) in FRONT_ENDS
    )
    assert not sorted(
        f"{m} -> {t}" for m, ts in GRAPH.items() if part(m) == "engine" for t in ts if part(t) == "recipe"
    )


def test_there_is_no_import_cycle_between_modules():
    modules = set(GRAPH)

    def resolve(target: str) -> str | None:  # "mlplab.layers.Dense" is the module mlplab.layers
        while target and target not in modules:
            target = target.rpartition(".")[0]
        return target or None

    edges = {
        m: {r for t in ts if (r := resolve(t)) and r != m and not m.startswith(r + ".")} for m, ts in GRAPH.items()
    }
    state: dict[str, int] = {}

    def visit(node: str, path: list[str]) -> list[str] | None:
        state[node] = 1
        for nxt in sorted(edges[node]):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt] if nxt in path else [node, nxt]
            if nxt not in state and (cycle := visit(nxt, [*path, nxt])):
                return cycle
        state[node] = 2
        return None

    for start in sorted(modules):
        if start not in state:
            assert visit(start, [start]) is None
