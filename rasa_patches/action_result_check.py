"""`RemoteAction._validate_action_result` with its JSON-schema validator built once.

Measured (py-spy on a running server, issue 5 note): Rasa calls `jsonschema.validate(result,
spec)`, which first checks the *schema itself* against the JSON-Schema meta-schema and builds a
new validator, on every custom-action reply: 28% of the server's time. Here the validator is
built once (the spec is a constant) and each reply is still validated against the same schema,
with the same error. Its `oneOf` over twenty event types still cost 7% of a turn; a reply already
found valid (the same answer to the same topic in the same language comes back often) is not
checked again: the last 512 valid replies are remembered by their JSON text.
"""
from typing import Any, Dict, Optional, Text

from collections import OrderedDict

from rasa_patches.common import json_text


def action_result_check(rasa_validate: Any) -> Any:
    """`RemoteAction._validate_action_result` with a validator built once, and a memory of the
    last 512 replies found valid (`rasa_validate`: Rasa's, which raises the error)."""
    from jsonschema.exceptions import best_match
    from jsonschema.validators import validator_for
    from rasa.core.actions.action import RemoteAction

    spec = RemoteAction.action_response_format_spec()
    validator = validator_for(spec)(spec)
    valid: "OrderedDict[Text, bool]" = OrderedDict()  # replies found valid, as JSON text

    def validate_action_result(self: RemoteAction, result: Dict[Text, Any]) -> bool:
        try:
            key: Optional[Text] = json_text(result, sort_keys=True)
        except (OverflowError, TypeError, ValueError):
            key = None
        if key is not None and key in valid:
            valid.move_to_end(key)
            return True
        if best_match(validator.iter_errors(result)) is not None:
            return rasa_validate(self, result)  # invalid (rare): Rasa's own check raises its error
        if key is not None:
            valid[key] = True
            if len(valid) > 512:
                valid.popitem(last=False)
        return True

    return validate_action_result


def apply(serving: bool) -> None:
    from rasa.core.actions.action import RemoteAction

    RemoteAction._validate_action_result = action_result_check(RemoteAction._validate_action_result)
