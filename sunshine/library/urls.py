"""Policy library pages: staff pages need a login; the public library is listed in PUBLIC_ROUTES (no login)."""

from django.http import HttpRequest, HttpResponse
from django.urls import path


def _placeholder(request: HttpRequest) -> HttpResponse:  # replaced by the library pages
    return HttpResponse("政策文件库(建设中)", content_type="text/plain; charset=utf-8")


urlpatterns = [
    path("public/policies/", _placeholder, name="public_policies"),
]

PUBLIC_ROUTES: tuple[str, ...] = ("public/policies/",)
