"""No module imports from a layer above its own (DESIGN.md: "Apps, in layers").

    sesconsole (settings, shared plain code, the API gateway)   0
    accounts                                                     1
    domains, templates_app (independent of each other)           2
    sending                                                      3
    stats                                                        4

Every import is read from the source (imports inside functions too), so a lazy
import cannot hide an upward dependency. Only the project's wiring may see every
app: its URL configuration and its settings.
"""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LAYERS = {
    "sesconsole": 0,
    "accounts": 1,
    "domains": 2,
    "templates_app": 2,
    "sending": 3,
    "stats": 4,
}
# Apps of one layer that must not import each other.
APART = {frozenset({"domains", "templates_app"})}
WIRING = {"sesconsole/urls.py", "sesconsole/settings.py"}


def imported_modules(path: Path) -> set[str]:
    """Absolute names of the modules `path` imports, relative imports resolved."""
    package = path.relative_to(ROOT).with_suffix("").parts[:-1]
    if path.name == "__init__.py":
        package = path.relative_to(ROOT).parts[:-1]
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                names.add(".".join([*base, *([node.module] if node.module else [])]))
            elif node.module:
                names.add(node.module)
    return names


def violations(paths) -> list[str]:
    found = []
    for path in paths:
        relative = path.relative_to(ROOT).as_posix()
        own = relative.split("/")[0]
        if relative in WIRING:
            continue
        for name in sorted(imported_modules(path)):
            other = name.split(".")[0]
            if other not in LAYERS or other == own:
                continue
            upward = LAYERS[other] > LAYERS[own]
            sideways = frozenset({own, other}) in APART
            if upward or sideways:
                found.append(f"{relative} imports {name} ({other} is not below {own})")
    return found


def app_modules():
    for app in LAYERS:
        yield from sorted((ROOT / app).rglob("*.py"))


def test_no_module_imports_from_a_layer_above():
    assert violations(app_modules()) == []


def test_every_app_is_in_a_layer():
    apps = {p.parent.name for p in ROOT.glob("*/apps.py")}
    assert apps == set(LAYERS)


def test_an_upward_or_sideways_import_is_found(tmp_path, monkeypatch):
    """The check itself can fail: modules that import upward, lazily or relatively."""
    monkeypatch.setattr(f"{__name__}.ROOT", tmp_path)
    (tmp_path / "accounts").mkdir()
    (tmp_path / "domains" / "sub").mkdir(parents=True)
    lazy = tmp_path / "accounts" / "views.py"
    lazy.write_text("def overview():\n    from sending.models import Message\n")
    sideways = tmp_path / "domains" / "sub" / "x.py"
    sideways.write_text("import templates_app.models\nfrom ..models import Domain\n")
    fine = tmp_path / "domains" / "ok.py"
    fine.write_text("from accounts.models import Account\nfrom sesconsole import crypto\n")
    assert violations([lazy, sideways, fine]) == [
        "accounts/views.py imports sending.models (sending is not below accounts)",
        "domains/sub/x.py imports templates_app.models (templates_app is not below domains)",
    ]
