"""The layout's promises, read from the source: no import cycle among the workers' modules, no
private Dramatiq name outside tests, media work that imports no client of an outside service,
and an agent that needs no part of the API."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PRODUCT = ("api", "cli", "workers", "pipelines", "models", "agent", "settings", "bench")


def _modules(package: str) -> dict[str, Path]:
    """Every module of a package folder by its dotted name."""
    found = {}
    for path in sorted((ROOT / package).rglob("*.py")):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def _imports(path: Path) -> Iterator[str]:
    """Every module a file imports, at its top or inside a function."""
    tree = ast.parse(path.read_text(), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module
            yield from (f"{node.module}.{alias.name}" for alias in node.names)


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle of the graph, or None."""
    done: set[str] = set()
    path: list[str] = []

    def visit(module: str) -> list[str] | None:
        if module in path:
            return [*path[path.index(module) :], module]
        if module in done:
            return None
        path.append(module)
        for target in sorted(graph[module]):
            found = visit(target)
            if found:
                return found
        path.pop()
        done.add(module)
        return None

    for module in sorted(graph):
        found = visit(module)
        if found:
            return found
    return None


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) is None


def test_no_import_cycle_among_the_workers_modules() -> None:
    modules = _modules("workers")
    graph = {
        name: {imported for imported in _imports(path) if imported in modules and imported != name}
        for name, path in modules.items()
    }
    graph = {name: targets - {"workers"} for name, targets in graph.items()}
    assert _cycle(graph) is None, " -> ".join(_cycle(graph) or [])


def _private_dramatiq_names(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    dramatiq_names: set[str] = set()
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "dramatiq":
                    if any(part.startswith("_") for part in alias.name.split(".")):
                        found.append(alias.name)
                    dramatiq_names.add((alias.asname or alias.name).split(".")[0])
        elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "dramatiq":
            parts = (node.module or "").split(".")
            for alias in node.names:
                if alias.name.startswith("_") or any(p.startswith("_") for p in parts):
                    found.append(f"{node.module}.{alias.name}")
                dramatiq_names.add(alias.asname or alias.name)
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr.startswith("_"):
            root = node.value
            while isinstance(root, ast.Attribute):
                root = root.value
            dunder = node.attr.startswith("__") and node.attr.endswith("__")
            if isinstance(root, ast.Name) and root.id in dramatiq_names and not dunder:
                found.append(ast.unparse(node))
    return found


def test_the_private_name_check_sees_a_private_name(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text(
        "import dramatiq\nfrom dramatiq.brokers.redis import _RedisConsumer\n"
        "dramatiq.broker._global_broker\n"
    )
    assert _private_dramatiq_names(sample) == [
        "dramatiq.brokers.redis._RedisConsumer",
        "dramatiq.broker._global_broker",
    ]


def test_no_module_outside_the_tests_names_a_private_dramatiq_attribute() -> None:
    named = {
        str(path.relative_to(ROOT)): names
        for package in PRODUCT
        for path in _modules(package).values()
        if (names := _private_dramatiq_names(path))
    }
    assert named == {}


def _reaches(package: str, forbidden: tuple[str, ...]) -> dict[str, list[str]]:
    reached = {}
    for path in _modules(package).values():
        bad = sorted(
            {m for m in _imports(path) if any(m == f or m.startswith(f"{f}.") for f in forbidden)}
        )
        if bad:
            reached[str(path.relative_to(ROOT))] = bad
    return reached


def test_media_work_imports_no_storage_live_transcription_database_or_queue() -> None:
    forbidden = (
        "pipelines.storage",
        "pipelines.live",
        "pipelines.transcription",
        "models",
        "workers",
        "api",
        "sqlalchemy",
        "redis",
        "dramatiq",
        "boto3",
        "livekit",
    )
    assert _reaches("pipelines/media", forbidden) == {}


def test_the_agent_and_the_workers_import_no_part_of_the_api() -> None:
    assert _reaches("agent", ("api", "cli")) == {}
    assert _reaches("workers", ("api", "cli")) == {}
    assert _reaches("pipelines", ("api", "cli", "workers", "models")) == {}
    assert _reaches("models", ("api", "cli", "workers", "pipelines", "agent")) == {}
