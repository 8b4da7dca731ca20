"""`rasa` with readable logs: the same CLI, minus the DeprecationWarnings of its old dependencies.

Sanic adds `filterwarnings("once", DeprecationWarning)` when it is imported, which overrides
PYTHONWARNINGS; this puts the "ignore" back in front. Other warnings and all errors still show.
Every log record is masked (phone numbers, e-mail addresses, names: components/pii.py), in Rasa
and in the action server alike, since both are started through this file. Slow spots of
Rasa's message loop are replaced by equivalent fast ones (components/speedups.py).
"""
import sys
import warnings

import sanic  # noqa: F401  (imported first so that its filter can be overridden)

for category in (DeprecationWarning, PendingDeprecationWarning):
    warnings.filterwarnings("ignore", category=category)

from components import speedups  # noqa: E402
from components.pii import install_log_masking  # noqa: E402
from rasa.__main__ import main  # noqa: E402

install_log_masking()
if sys.argv[1:3] != ["run", "actions"]:  # the action server needs none of Rasa's core
    speedups.install(serving=sys.argv[1:2] in (["run"], ["shell"]))

if __name__ == "__main__":
    sys.exit(main())
