"""Rasa-side graph components of the HSG assistant.

These run inside the Rasa server (not the action server), so the language of a reply, the urgent
safety net and the "action server is down" fallback keep working when the action server does not.
"""
