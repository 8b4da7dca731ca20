"""The server's graph runs without dask.

Each message runs the model's graph three times (NLU, then a policy prediction after each
action) through `DaskGraphRunner`, which per run recomputes the sub-graph to run (a recursive
walk without memory), formats a debug line with the whole input (even when debug is off) and
hands a task graph to `dask.get`, dask's synchronous scheduler. `SequentialGraphRunner` runs the
same nodes in the same dependency order in the same thread, remembering the sub-graph per target
set. Only the server's predictions use it (rasa/core/processor.py); training keeps dask.
"""
from typing import Any, Dict, List, Optional, Text


def _sequential_runner() -> type:
    from rasa.engine.exceptions import GraphRunError
    from rasa.engine.runner.dask import DaskGraphRunner

    class SequentialGraphRunner(DaskGraphRunner):
        """`DaskGraphRunner` without dask: the nodes run depth-first, each once, in this thread."""

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._schemas: Dict[Any, Any] = {}  # targets -> the nodes they need

        def run(self, inputs: Optional[Dict[Text, Any]] = None,
                targets: Optional[List[Text]] = None) -> Dict[Text, Any]:
            run_targets = targets if targets else self._graph_schema.target_names
            key = tuple(run_targets)
            if key not in self._schemas:
                self._schemas[key] = self._graph_schema.minimal_graph_schema(run_targets).nodes
            nodes = self._schemas[key]
            results: Dict[Text, Any] = {}
            for name, value in (inputs or {}).items():
                if isinstance(value, str) and value in nodes:
                    raise GraphRunError(f"Input value '{value}' clashes with a node name.")
                results[name] = (name, value)

            def compute(name: Text) -> Any:
                if name not in results:
                    needs = nodes[name].needs.values()
                    results[name] = self._instantiated_nodes[name](*[compute(n) for n in needs])
                return results[name]

            try:
                return dict(compute(target) for target in run_targets)
            except RuntimeError as error:
                raise GraphRunError("Error running runner.") from error

    return SequentialGraphRunner


def apply(serving: bool) -> None:
    import rasa.core.processor

    rasa.core.processor.DaskGraphRunner = _sequential_runner()
