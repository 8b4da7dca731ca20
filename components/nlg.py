"""Rasa's responses (domain.yml) with the hospital's settings (data/hospital.yml) filled in.

The responses say `{hotline}`, `{emergency}`... like the knowledge base, so that the hotline,
the emergency number and the hospital's name live in one reviewed file. Rasa fills a response's
`{placeholders}` from slots and from values a caller passes; this generator, chosen in
endpoints.yml (`nlg: type: components.nlg.HospitalNLG`, Rasa's documented way to plug in a
generator), passes the hospital's values in the reply's language, worked out as the response
conditions do (the patient's choice, else the detected language, else Vietnamese). Rasa's own
generator would send "{hotline}" to the patient: tests/test_servers.py checks every reply.
"""
from typing import Any, Dict, Optional, Text

from rasa.core.nlg import TemplatedNaturalLanguageGenerator
from rasa.shared.core.domain import Domain
from rasa.utils.endpoints import EndpointConfig

from actions.hospital import hospital
from actions.replies import reply_language


class HospitalNLG(TemplatedNaturalLanguageGenerator):
    """Rasa's templated generator, with the hospital's settings as response variables."""

    def __init__(self, endpoint_config: Optional[EndpointConfig] = None,
                 domain: Optional[Domain] = None) -> None:
        super().__init__((domain or Domain.empty()).responses)
        self.hospital = hospital()  # checked here: a wrong setting stops Rasa at start

    def _response_variables(self, filled_slots: Dict[Text, Any],
                            kwargs: Dict[Text, Any]) -> Dict[Text, Any]:
        language = reply_language(None, filled_slots.get("language_preference"),
                                  filled_slots.get("language"), "vi")
        variables = dict(self.hospital.values(language))
        variables.update(super()._response_variables(filled_slots, kwargs))
        return variables
