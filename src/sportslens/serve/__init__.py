"""The HTTP API and web playground: ``create_app(predictor, settings)``.

Needs the ``serve`` extra: ``pip install "sportslens[serve]"``.
"""

from sportslens.serve.app import PredictorSource, create_app
from sportslens.serve.connections import server_options
from sportslens.serve.settings import ServeSettings

__all__ = ["PredictorSource", "ServeSettings", "create_app", "server_options"]
