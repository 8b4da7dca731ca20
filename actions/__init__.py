"""Custom actions of the HSG assistant (run by scripts/actions_cli.py, i.e. rasa_sdk)."""
