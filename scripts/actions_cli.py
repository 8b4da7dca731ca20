"""The action server: rasa_sdk on its own, with masked logs (components/pii.py).

`rasa run actions` starts the same server through Rasa's CLI, which imports Rasa itself
(TensorFlow included): about 120 MB more resident memory for a process that only reads the
knowledge base and answers HTTP. Usage: python scripts/actions_cli.py --actions actions --port 5055
"""
import sys
import warnings

import sanic  # noqa: F401  (imported first so that its warning filter can be overridden)

for category in (DeprecationWarning, PendingDeprecationWarning):
    warnings.filterwarnings("ignore", category=category)

from components.pii import install_log_masking  # noqa: E402
from rasa_sdk.__main__ import main  # noqa: E402

install_log_masking()

if __name__ == "__main__":
    sys.exit(main())
