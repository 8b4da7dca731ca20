"""Messaging-app connectors that Rasa 3.6 does not ship (Zalo Official Account)."""
