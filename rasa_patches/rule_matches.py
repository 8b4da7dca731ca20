"""`RulePolicy._get_possible_keys` remembered per (rule table, states), for a server only.

Matching the states against every rule is a pure function of the rules and the states; a FAQ
conversation goes through the same few state sequences again and again: the last 1,024 are
remembered (keys written by ujson instead of json). Training removes rules from the table while
it checks them, so `rasa train` keeps Rasa's.
"""
from typing import Any, Dict, List, Text, Tuple

from collections import OrderedDict

from rasa_patches.common import json_text


def remembered_rule_matches(rasa_possible_keys: Any) -> Any:
    """`RulePolicy._get_possible_keys` remembered per (rule table, states). For a server only:
    training removes rules from the table while it checks them."""
    matches: "OrderedDict[Tuple[int, Text], Any]" = OrderedDict()

    def get_possible_keys(self: Any, lookup: Dict[Text, Text], states: List[Dict]) -> Any:
        key = (id(lookup), json_text(states, sort_keys=True, default=repr))
        found = matches.get(key)
        if found is None or found[0] is not lookup:
            found = matches[key] = (lookup, rasa_possible_keys(self, lookup, states))
        matches.move_to_end(key)
        while len(matches) > 1024:
            matches.popitem(last=False)
        return set(found[1])

    return get_possible_keys


def apply(serving: bool) -> None:
    if serving:
        from rasa.core.policies.rule_policy import RulePolicy

        RulePolicy._get_possible_keys = remembered_rule_matches(RulePolicy._get_possible_keys)
