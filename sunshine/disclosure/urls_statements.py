from django.http import HttpRequest, HttpResponse
from django.urls import path


def _placeholder(request: HttpRequest) -> HttpResponse:  # replaced by the statements pages
    return HttpResponse("明白册查询(建设中)", content_type="text/plain; charset=utf-8")


urlpatterns = [
    path("public/statements/", _placeholder, name="public_statement_query"),
]

PUBLIC_ROUTES: tuple[str, ...] = ("public/statements/",)
