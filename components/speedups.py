"""Hot spots of Rasa 3.6's message loop, fixed without changing what Rasa does.

Measured with py-spy on a running server (issue 5 note, `make bench`), per patient message:

- `RemoteAction._validate_action_result` calls `jsonschema.validate(result, spec)`, which first
  checks the *schema itself* against the JSON-Schema meta-schema and builds a new validator, on
  every custom-action reply: 28% of the server's time. Here the validator is built once (the spec
  is a constant) and each reply is still validated against the same schema, with the same error.
- `Event.resolve_by_type` walks every subclass of `Event` (`all_subclasses`, recursive) for each
  event read back from the tracker store: 6%. Here a found class is remembered by type name (the
  set of event classes does not change while the server runs); unknown names go the old way.
- Each message runs the model's graph three times (NLU, then a policy prediction after each
  action) through `DaskGraphRunner`, which per run recomputes the sub-graph to run (a recursive
  walk without memory), formats a debug line with the whole input (even when debug is off) and
  hands a task graph to `dask.get`, dask's synchronous scheduler. `SequentialGraphRunner` runs the
  same nodes in the same dependency order in the same thread, remembering the sub-graph per
  target set. Only the server's predictions use it (rasa/core/processor.py); training keeps dask.
- Every call to the action server opened a new aiohttp session and TCP connection
  (`EndpointConfig.session`). Here each endpoint keeps one session with keep-alive connections
  per event loop; idle connections are dropped after 4 s, before the action server (Sanic,
  5 s) would close them under a request.

`install()` is called by scripts/rasa_cli.py, so Rasa runs with them wherever it is started.
"""
from typing import Any, Dict, List, Optional, Text, Type

_installed = False


def install() -> None:
    """Patch the two functions (idempotent)."""
    global _installed
    if _installed:
        return
    _installed = True
    from jsonschema.exceptions import best_match
    from jsonschema.validators import validator_for
    from rasa.core.actions.action import RemoteAction
    from rasa.shared.core.events import Event

    spec = RemoteAction.action_response_format_spec()
    validator = validator_for(spec)(spec)
    rasa_validate = RemoteAction._validate_action_result

    def validate_action_result(self: RemoteAction, result: Dict[Text, Any]) -> bool:
        if best_match(validator.iter_errors(result)) is None:
            return True
        return rasa_validate(self, result)  # invalid (rare): Rasa's own check raises its error

    resolve = Event.resolve_by_type
    known: Dict[Text, Type[Event]] = {}

    def resolve_by_type(type_name: Text, default: Optional[Type[Event]] = None) -> Optional[Type[Event]]:
        found = known.get(type_name)
        if found is None:
            found = resolve(type_name, default)
            if found is not None and found is not default:
                known[type_name] = found
        return found

    import rasa.core.processor

    RemoteAction._validate_action_result = validate_action_result
    _keep_action_server_connections()
    Event.resolve_by_type = staticmethod(resolve_by_type)
    rasa.core.processor.DaskGraphRunner = _sequential_runner()


def _keep_action_server_connections() -> None:
    import asyncio

    import aiohttp
    from rasa.utils.endpoints import DEFAULT_REQUEST_TIMEOUT, EndpointConfig

    class KeptSession(aiohttp.ClientSession):
        """A session that `async with` does not close: the next request reuses it."""

        async def __aexit__(self, *exc_info: Any) -> None:
            return None

    original = EndpointConfig.session

    def session(self: EndpointConfig) -> aiohttp.ClientSession:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # called outside the server's loop: Rasa's own
            return original(self)
        kept = self.__dict__.get("_kept_session")
        if kept is None or kept.closed or kept._loop is not loop:
            auth = (aiohttp.BasicAuth(self.basic_auth["username"], self.basic_auth["password"])
                    if self.basic_auth else None)
            kept = KeptSession(headers=self.headers, auth=auth,
                               timeout=aiohttp.ClientTimeout(total=DEFAULT_REQUEST_TIMEOUT),
                               connector=aiohttp.TCPConnector(keepalive_timeout=4))
            self.__dict__["_kept_session"] = kept
        return kept

    EndpointConfig.session = session


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
