"""The one NinjaAPI: every app's router is mounted here."""

from ninja import NinjaAPI

from sunshine.core.api import api_auth, install_error_handlers
from sunshine.core.api import router as core_router
from sunshine.registry.api import router as registry_router

api = NinjaAPI(
    title="Sunshine 阳光扶贫 API",
    version="1",
    auth=api_auth,
    docs_url="/docs",
    urls_namespace="api",
)
install_error_handlers(api)
api.add_router("/divisions", core_router)
api.add_router("/", registry_router)
