"""Custom actions of the HSG assistant (run by `rasa run actions`)."""
