"""Benefits statements: the staff pages (scoped; parameters id — a household — and code — a village) and the
public self-query (PUBLIC_ROUTES)."""

from django.urls import path

from sunshine.disclosure import views_statements as v

urlpatterns = [
    path("statements/households/<int:id>/<int:year>/", v.household_statement, name="statement_household"),
    path("statements/households/<int:id>/<int:year>/pdf/", v.household_statement_pdf,
         name="statement_household_pdf"),
    path("statements/households/<int:id>/<int:year>/reissue/", v.reissue_code, name="statement_reissue"),
    path("statements/villages/<str:code>/<int:year>/pdf/", v.village_statements_pdf, name="statement_village_pdf"),
    path("public/statements/", v.self_query, name="public_statement_query"),
]

PUBLIC_ROUTES: tuple[str, ...] = ("public/statements/",)
