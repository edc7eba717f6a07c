"""ASGI application factory of the reference platform."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from .ngsild.broker import Broker
from .ngsild.notifier import Notifier
from .ngsild.routes import all_methods, make_endpoint
from .ngsild.temporal import install_recorder
from .storage import Storage
from .tmf.api import routes as tmf_routes


async def _health(request: Request) -> Response:
    return JSONResponse(
        {
            "status": "ok",
            "apis": [
                "ngsi-ld/v1 (ETSI GS CIM 009 V1.8.1)",
                "tmf-api/productCatalogManagement/v4 (TMF620 v4)",
            ],
        }
    )


def create_app(db_path: str | None = None) -> Starlette:
    """Build the reference platform. `db_path` None means a fresh in-memory database."""
    storage = Storage(db_path)
    broker = Broker(storage=storage)
    notifier = Notifier(broker)
    install_recorder(broker)
    ngsi_endpoint = make_endpoint(broker)
    routes = [
        Route("/", _health, methods=["GET"]),
        Route("/ngsi-ld/v1/{rest:path}", ngsi_endpoint, methods=all_methods()),
        *tmf_routes(db_path),
    ]
    app = Starlette(routes=routes)
    app.state.storage = storage
    app.state.broker = broker
    app.state.notifier = notifier
    return app
