"""The action server: rasa_sdk on its own, with masked logs (privacy/pii.py).

`rasa run actions` starts the same server through Rasa's CLI, which imports Rasa itself
(TensorFlow included): about 120 MB more resident memory for a process that only reads the
knowledge base and answers HTTP. Usage: python scripts/actions_cli.py --actions actions --port 5055
"""
import os
import sys
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the project's packages, whatever PYTHONPATH says

import sanic  # noqa: F401  (imported first so that its warning filter can be overridden)

for category in (DeprecationWarning, PendingDeprecationWarning):
    warnings.filterwarnings("ignore", category=category)

import rasa_sdk.endpoint  # noqa: E402
from privacy.pii import install_log_masking  # noqa: E402
from rasa_sdk.__main__ import main  # noqa: E402

install_log_masking()
if "--cors" not in sys.argv:
    # Only Rasa calls the action server, never a browser: without --cors, no CORS middleware
    # (rasa_sdk installs it with no origin allowed; it cost a fifth of the server's time).
    rasa_sdk.endpoint.configure_cors = lambda app, cors_origins=None: None
# Sanic's access log: a record per request, which the log level drops anyway.
os.environ.setdefault("SANIC_ACCESS_LOG", "False")
rasa_sdk_app = rasa_sdk.endpoint.create_app


def create_app(*args, **kwargs):
    """rasa_sdk's app, whose catch-all error handler answers 500 to an unknown path or method:
    those get their own 4xx."""
    from sanic import response
    from sanic.exceptions import SanicException

    app = rasa_sdk_app(*args, **kwargs)

    @app.exception(SanicException)
    async def client_error(request, exception):
        status = getattr(exception, "status_code", 500) or 500
        return response.json({"error": str(exception)}, status=status)

    return app


rasa_sdk.endpoint.create_app = create_app

if __name__ == "__main__":
    sys.exit(main())
