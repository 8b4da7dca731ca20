"""`rasa` with readable logs: the same CLI, minus the DeprecationWarnings of its old dependencies.

Sanic adds `filterwarnings("once", DeprecationWarning)` when it is imported, which overrides
PYTHONWARNINGS; this puts the "ignore" back in front. Other warnings and all errors still show.
Every log record is masked (phone numbers, e-mail addresses, names: privacy/pii.py), in Rasa
and in the action server alike, since both are started through this file. Slow spots of
Rasa's message loop are replaced by equivalent fast ones (rasa_patches/; HSG_RASA_PATCHES=off:
stock Rasa).
"""
import sys
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the project's packages, whatever PYTHONPATH says

import sanic  # noqa: F401  (imported first so that its filter can be overridden)

for category in (DeprecationWarning, PendingDeprecationWarning):
    warnings.filterwarnings("ignore", category=category)

import rasa_patches  # noqa: E402
from privacy.pii import install_log_masking  # noqa: E402
from rasa.__main__ import main  # noqa: E402

install_log_masking()
if sys.argv[1:3] != ["run", "actions"]:  # the action server needs none of Rasa's core
    rasa_patches.install(serving=sys.argv[1:2] in (["run"], ["shell"]))

if __name__ == "__main__":
    sys.exit(main())
