"""Case pages (views_cases.py), annual adjustments (views_adjustments.py) and the public notice site
(public.py). URL parameters are named id or code: tests/test_scope.py fills them with another village's
objects and expects 403/404; the public routes are listed there as public and checked separately."""

from django.urls import path

from sunshine.workflow import public, views_adjustments, views_cases

urlpatterns = [
    path("cases/", views_cases.inbox, name="workflow_inbox"),
    path("cases/new/", views_cases.case_new, name="workflow_case_new"),
    path("cases/<int:id>/", views_cases.case_detail, name="workflow_case"),
    path("cases/<int:id>/advance/", views_cases.case_advance, name="workflow_case_advance"),
    path("cases/objections/<int:id>/handle/", views_cases.objection_handle, name="workflow_objection_handle"),
    path("cases/attachments/<int:id>/", views_cases.case_attachment, name="workflow_attachment"),
    path("cases/adjustments/", views_adjustments.adjustment_list, name="workflow_adjustments"),
    path("cases/adjustments/<int:id>/", views_adjustments.adjustment_detail, name="workflow_adjustment"),
    path("public/notices/", public.notices, name="public_notices"),
    path("public/notices/<str:code>/", public.notice, name="public_notice"),
    path("public/notices/<str:code>/object/", public.notice_object, name="public_notice_object"),
    path("public/notices/<str:code>/cases/<int:id>/object/", public.objection, name="public_objection"),
]

# Open to anyone without login (tests/test_scope.py checks them separately).
PUBLIC_ROUTES = ("public/notices/", "public/notices/<str:code>/", "public/notices/<str:code>/object/",
                 "public/notices/<str:code>/cases/<int:id>/object/")
