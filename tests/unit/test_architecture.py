"""The layer rules of docs/architecture.md, checked on ibbot's import graph (grimp, import-linter's engine).

The rules are data: add a layer or a third-party SDK with one line in the tables below. A rule whose package
does not exist (yet) is skipped, so the tables can name the framework's layers before they land. Imports under
`if TYPE_CHECKING:` count: a cycle through annotations is a cycle of the design all the same.
"""

from __future__ import annotations

import grimp
import pytest

FRAMEWORK = (
    "model", "broker", "data", "connection", "oms", "risk", "store", "strategy", "backtest", "engine", "ops",
    "notify", "web", "cli",
)  # fmt: skip
SIM_PARTS = ("instruments", "market", "marketdata", "history", "trading", "accounts")

# (importer, imported): nothing under `importer` imports anything under `imported`, directly or through others.
FORBIDDEN: tuple[tuple[str, str], ...] = (
    ("ibbot.protocol", "ibbot.sim"),
    ("ibbot.protocol", "ibbot.testing"),
    *(("ibbot.protocol", f"ibbot.{layer}") for layer in FRAMEWORK),
    # the simulator is a core the framework plugs in (broker.backtest drives its fill engine), never the reverse
    *(("ibbot.sim", f"ibbot.{layer}") for layer in FRAMEWORK if layer != "model"),
    # the simulator's parts are built by the composition root and never reach back for it, the shell or handlers
    *((f"ibbot.sim.{part}", f"ibbot.sim.{outer}") for part in SIM_PARTS for outer in ("simulator", "server", "api")),
    # a strategy sees only its Context: the same class in every mode
    *(
        ("ibbot.strategy", f"ibbot.{outer}")
        for outer in ("backtest", "engine", "broker", "store", "data", "web", "cli")
    ),
    # the backtester: pure cores and the simulator's fill engine, no sockets, journal or broker
    *(("ibbot.backtest", f"ibbot.{outer}") for outer in ("engine", "broker", "store", "web", "ops")),
    # the pure cores never reach for a shell
    *(
        (f"ibbot.{core}", f"ibbot.{shell}")
        for core in ("oms", "risk")
        for shell in ("engine", "broker", "store", "data")
    ),
    # entry points are outermost: nothing below them imports them
    *((f"ibbot.{inner}", f"ibbot.{outer}") for inner in ("engine", "ops", "notify") for outer in ("web", "cli")),
    # the fill engine the backtester drives: no simulator, sessions, store or wire types
    *(
        ("ibbot.sim.trading.fills", outer)
        for outer in ("ibbot.protocol", "ibbot.sim.simulator", "ibbot.sim.session", "ibbot.sim.store", "ibbot.sim.api")
    ),
)

# (imported, scope, allowed): within `scope`, only modules under `allowed` import `imported` (a top-level package).
ONLY: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("asyncio", "ibbot.protocol", ()),  # sans-IO
    ("socket", "ibbot.protocol", ()),
    ("asyncio", "ibbot.sim", ("ibbot.sim.server", "ibbot.sim.faults")),  # faults keep their timers as tasks
    ("socket", "ibbot.sim", ("ibbot.sim.server",)),
    ("selectors", "ibbot.sim", ("ibbot.sim.server",)),
    # broker.translate converts ib_async's objects (broker's helper, in progress): the lead decides whether it
    # folds into broker.ib; the rule of the design is ib_async in broker/ib.py only.
    ("ib_async", "ibbot", ("ibbot.broker.ib", "ibbot.broker.translate")),
    ("ibapi", "ibbot", ()),
    ("sqlalchemy", "ibbot", ("ibbot.store",)),
    ("alembic", "ibbot", ("ibbot.store",)),
    ("starlette", "ibbot", ("ibbot.web",)),
    ("uvicorn", "ibbot", ("ibbot.web",)),
    ("prometheus_client", "ibbot", ("ibbot.web.metrics",)),
    ("httpx", "ibbot", ("ibbot.notify.channels",)),
)

# The simulator's own layers, highest first: a module or package imports only from the layers below its own, and
# the members of one layer are independent of each other (nothing of one reaches another, even indirectly).
SIM_LAYERS: tuple[tuple[str, ...], ...] = (
    ("server",),  # the shell: sockets, the timer, fault injection
    ("simulator",),  # the composition root
    ("api",),  # request handlers: tables of request type -> function
    ("trading",),  # orders, matching, commissions, the order messages
    ("accounts", "marketdata", "history"),  # the services, each on its own
    ("config", "session", "permissions"),
    ("faults", "pacing"),
    ("market",),  # noise, paths, bars, ticks, the live book, options
    ("instruments",),  # the security master, calendars
    ("errors", "store", "link", "outbox", "throttle"),
)

# (package, may import): the only other ibbot modules `package` imports (directly).
ISOLATED: tuple[tuple[str, tuple[str, ...]], ...] = (("ibbot.model", ("ibbot.errors", "ibbot.clock")),)


@pytest.fixture(scope="module")
def graph() -> grimp.ImportGraph:
    return grimp.build_graph("ibbot", include_external_packages=True, cache_dir=None)


def _under(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def _ours(graph: grimp.ImportGraph) -> set[str]:
    return {m for m in graph.modules if _under(m, "ibbot")}


def test_the_packages_the_rules_are_about_exist(graph: grimp.ImportGraph) -> None:
    for package in ("ibbot.protocol", "ibbot.sim", "ibbot.sim.server", "ibbot.sim.trading.fills"):
        assert package in graph.modules


def test_no_import_cycle_among_ibbots_modules(graph: grimp.ImportGraph) -> None:
    ours = _ours(graph)
    edges = {m: {i for i in graph.find_modules_directly_imported_by(m) if i in ours} for m in ours}
    cycles = [sorted(c) for c in _strongly_connected(edges) if len(c) > 1]
    cycles += [[m] for m, targets in edges.items() if m in targets]
    assert cycles == []


@pytest.mark.parametrize(("importer", "imported"), FORBIDDEN)
def test_layers_point_inward(graph: grimp.ImportGraph, importer: str, imported: str) -> None:
    if importer not in graph.modules or imported not in graph.modules:
        pytest.skip(f"{importer if importer not in graph.modules else imported} does not exist yet")
    chain = graph.find_shortest_chains(importer=importer, imported=imported, as_packages=True)
    assert chain == set()


def _sim_layer_pairs() -> list[tuple[str, str]]:
    """(importer, imported) pairs the layers forbid: every lower layer importing a higher one, every pair of
    members of one layer."""
    pairs = []
    for high, layer in enumerate(SIM_LAYERS):
        for lower in SIM_LAYERS[high + 1 :]:
            pairs += [(f"ibbot.sim.{low}", f"ibbot.sim.{top}") for low in lower for top in layer]
        pairs += [(f"ibbot.sim.{a}", f"ibbot.sim.{b}") for a in layer for b in layer if a != b]
    return pairs


def test_every_module_of_the_simulator_is_in_a_layer(graph: grimp.ImportGraph) -> None:
    named = {name for layer in SIM_LAYERS for name in layer}
    tops = {m.split(".")[2] for m in graph.modules if m.startswith("ibbot.sim.")}
    assert sorted(tops - named) == []


@pytest.mark.parametrize(("importer", "imported"), _sim_layer_pairs())
def test_the_simulators_layers_point_down(graph: grimp.ImportGraph, importer: str, imported: str) -> None:
    if importer not in graph.modules or imported not in graph.modules:
        pytest.skip(f"{importer if importer not in graph.modules else imported} does not exist")
    assert graph.find_shortest_chains(importer=importer, imported=imported, as_packages=True) == set()


@pytest.mark.parametrize(("imported", "scope", "allowed"), ONLY)
def test_third_party_io_and_sdks_stay_in_their_modules(
    graph: grimp.ImportGraph, imported: str, scope: str, allowed: tuple[str, ...]
) -> None:
    if imported not in graph.modules:
        return  # nothing imports it anywhere
    importers = {m for m in graph.find_modules_that_directly_import(imported) if _under(m, scope)}
    assert sorted(m for m in importers if not any(_under(m, a) for a in allowed)) == []


@pytest.mark.parametrize(("package", "may_import"), ISOLATED)
def test_the_model_stands_on_the_foundations_only(
    graph: grimp.ImportGraph, package: str, may_import: tuple[str, ...]
) -> None:
    if package not in graph.modules:
        pytest.skip(f"{package} does not exist yet")
    ours = _ours(graph)
    members = {m for m in ours if _under(m, package)}
    reached = {i for m in members for i in graph.find_modules_directly_imported_by(m) if i in ours}
    assert sorted(i for i in reached - members if not any(_under(i, a) for a in may_import)) == []


def test_the_rules_catch_what_they_forbid() -> None:
    """The checks above on a small graph that breaks each kind of rule."""
    bad = grimp.ImportGraph()
    for module in ("ibbot", "ibbot.protocol", "ibbot.protocol.x", "ibbot.sim", "ibbot.sim.a", "ibbot.sim.b"):
        bad.add_module(module)
    bad.add_import(importer="ibbot.protocol.x", imported="ibbot.sim.a")
    bad.add_import(importer="ibbot.sim.a", imported="ibbot.sim.b")
    bad.add_import(importer="ibbot.sim.b", imported="ibbot.sim.a")
    assert bad.find_shortest_chains(importer="ibbot.protocol", imported="ibbot.sim", as_packages=True)
    edges = {m: set(bad.find_modules_directly_imported_by(m)) for m in bad.modules}
    assert [sorted(c) for c in _strongly_connected(edges) if len(c) > 1] == [["ibbot.sim.a", "ibbot.sim.b"]]


def _strongly_connected(edges: dict[str, set[str]]) -> list[set[str]]:
    """Tarjan's strongly connected components, iteratively (the graph is a few hundred modules)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    found: list[set[str]] = []
    for root in sorted(edges):
        if root in index:
            continue
        work = [(root, iter(sorted(edges[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, targets = work[-1]
            for target in targets:
                if target not in index:
                    index[target] = low[target] = len(index)
                    stack.append(target)
                    on_stack.add(target)
                    work.append((target, iter(sorted(edges.get(target, ())))))
                    break
                if target in on_stack:
                    low[node] = min(low[node], index[target])
            else:
                work.pop()
                if work:
                    parent = work[-1][0]
                    low[parent] = min(low[parent], low[node])
                if low[node] == index[node]:
                    component = set()
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.add(member)
                        if member == node:
                            break
                    found.append(component)
    return found
