"""The one NinjaAPI: every app's router is mounted here."""

from ninja import NinjaAPI, Swagger
from ninja.renderers import JSONRenderer

from sunshine.assessment.api import router as assessment_router
from sunshine.comparison.api import router as comparison_router
from sunshine.core.api import api_auth, install_error_handlers
from sunshine.core.api import router as core_router
from sunshine.dashboard.api import router as dashboard_router
from sunshine.funds.api_funds import router as funds_router
from sunshine.funds.api_projects import router as projects_router
from sunshine.grievance.api import router as grievance_router
from sunshine.monitoring.api import router as monitoring_router
from sunshine.registry.api import router as registry_router
from sunshine.workflow.api import router as workflow_router


class ReadableJSONRenderer(JSONRenderer):
    """UTF-8 bodies with Chinese as written, not as \\uXXXX escapes."""

    json_dumps_params = {"ensure_ascii": False}


api = NinjaAPI(
    renderer=ReadableJSONRenderer(),
    title="Sunshine 阳光扶贫 API",
    version="1",
    auth=api_auth,
    docs_url="/docs",
    # Swagger UI from ninja's static files (works offline, no inline script); no call to the online validator.
    docs=Swagger(settings={"validatorUrl": None}),
    urls_namespace="api",
)
install_error_handlers(api)
api.add_router("/divisions", core_router)
api.add_router("/", registry_router)
api.add_router("/assessment", assessment_router)
api.add_router("/comparison", comparison_router)
api.add_router("/monitoring", monitoring_router)
api.add_router("/cases", workflow_router)
api.add_router("/funds", funds_router)
api.add_router("/projects", projects_router)
api.add_router("/grievances", grievance_router)
api.add_router("/indicators", dashboard_router)
