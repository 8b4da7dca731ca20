"""Patients' personal data: masking in logs and stored text (pii.py), and the tracker store that
keeps conversations private, deletes one on the patient's request and rides out a database
restart (tracker_store.py)."""
