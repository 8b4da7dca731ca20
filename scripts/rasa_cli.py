"""`rasa` with readable logs: the same CLI, minus the DeprecationWarnings of its old dependencies.

Sanic adds `filterwarnings("once", DeprecationWarning)` when it is imported, which overrides
PYTHONWARNINGS; this puts the "ignore" back in front. Other warnings and all errors still show.
"""
import sys
import warnings

import sanic  # noqa: F401  (imported first so that its filter can be overridden)

for category in (DeprecationWarning, PendingDeprecationWarning):
    warnings.filterwarnings("ignore", category=category)

from rasa.__main__ import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
