"""Messaging-app connectors: Zalo (Rasa has none), and Rasa's Messenger and Telegram hardened."""
from typing import Any, Dict, Iterable, Optional, Text


def required(credentials: Optional[Dict[Text, Any]], names: Iterable[Text], channel: Text) -> Dict[Text, Any]:
    """The channel's credentials, refusing to start when one of `names` is missing."""
    credentials = credentials or {}
    missing = [name for name in names if not credentials.get(name)]
    if missing:
        raise ValueError(f"{channel} channel: missing credentials {missing}")
    return credentials
