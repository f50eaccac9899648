"""The harness's three layers, read from its source: no import cycle, nothing imported
from a layer above, argparse only on the command line.

  command line   CLI: parses arguments, builds the RunConfig; the only code that sees argparse
  engine         ENGINE: plans, measures, judges, reports; takes a RunConfig
  leaves         every other module: imports only other leaves

Every import counts, the ones inside functions too (an import tucked into a function to
dodge a cycle is still a cycle). A new module is a leaf until it is listed here, so one
that reaches up fails until its layer is decided.
"""
import ast
import os
import unittest

from harness import paths

HARNESS = os.path.join(paths.ROOT, "harness")
CLI = {"__main__", "cli", "commands", "options", "trace_cli"}
ENGINE = {"run", "runner", "plan", "measure", "compare", "report", "export", "trace", "programs", "preload",
          "testing", "full"}
RANK = {"cli": 3, "engine": 2, "leaf": 1}


def layer(module):
    return "cli" if module in CLI else "engine" if module in ENGINE else "leaf"


def imports_of(source, known):
    """{module: line} of the harness modules `source` imports, wherever the import stands."""
    found = {}
    for node in ast.walk(ast.parse(source)):
        names = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # from . import x, from .x import y
                base = node.module or ""
                names = [base] if base else [alias.name for alias in node.names]
            elif node.module == "harness":  # from harness import a, b
                names = [alias.name for alias in node.names]
            else:
                names = [node.module or ""]
        for name in names:
            name = name.removeprefix("harness.").split(".")[0]
            if name in known or name == "argparse":
                found.setdefault(name, node.lineno)
    return found


def read_graph(folder=HARNESS):
    """{module: {imported module: line}} over the harness's own modules (tests left out)."""
    sources = {}
    for fname in sorted(os.listdir(folder)):
        if fname.endswith(".py") and fname != "__init__.py":
            with open(os.path.join(folder, fname)) as f:
                sources[fname[:-3]] = f.read()
    return {m: imports_of(text, sources) for m, text in sources.items()}


def cycles(graph):
    """Every strongly connected set of more than one module, or one that imports itself
    (Tarjan's algorithm), each as a sorted list."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, {}):
            if w not in graph:
                continue
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1 or v in graph[v]:
                found.append(sorted(group))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def upward(graph):
    """["a.py:12 imports b (engine above leaf)"] for every import of a higher layer."""
    out = []
    for module, targets in sorted(graph.items()):
        for target, line in sorted(targets.items()):
            if target in graph and RANK[layer(target)] > RANK[layer(module)]:
                out.append(f"{module}.py:{line} imports {target} ({layer(target)} above {layer(module)})")
    return out


def argparse_outside_cli(graph):
    return [f"{m}.py:{targets['argparse']}" for m, targets in sorted(graph.items())
            if "argparse" in targets and layer(m) != "cli"]


class LayersTest(unittest.TestCase):
    def test_no_import_cycle(self):
        self.assertEqual(cycles(read_graph()), [])

    def test_no_module_imports_a_layer_above_its_own(self):
        self.assertEqual(upward(read_graph()), [])

    def test_only_the_command_line_imports_argparse(self):
        self.assertEqual(argparse_outside_cli(read_graph()), [])

    def test_the_layer_lists_name_real_modules(self):
        modules = set(read_graph())
        self.assertEqual((CLI | ENGINE) - modules, set(), "a module listed here is gone: take it off")

    def test_the_checks_catch_what_they_look_for(self):
        sources = {"a": "from harness import b\n", "b": "import os\ndef f():\n    from harness.c import x\n",
                   "c": "def g():\n    import harness.a\n", "d": "from harness import d\n", "e": "import os\n"}
        graph = {m: imports_of(text, sources) for m, text in sources.items()}
        self.assertEqual(graph["b"], {"c": 3})  # an import inside a function counts
        self.assertEqual(cycles(graph), [["a", "b", "c"], ["d"]])
        self.assertEqual(cycles({"e": {}, "a": {"e": 1}}), [])
        leafy = {"table": {"run": 4}, "run": {"table": 1}, "cli": {"argparse": 2}, "stats": {"argparse": 1}}
        self.assertEqual(upward(leafy), ["table.py:4 imports run (engine above leaf)"])
        self.assertEqual(argparse_outside_cli(leafy), ["stats.py:1"])


if __name__ == "__main__":
    unittest.main()
