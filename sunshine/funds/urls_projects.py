"""Project library pages (views_projects.py) and the public project announcements (public.py). URL parameters
are named id or code: tests/test_scope.py fills them with another village's objects and expects 403/404; the
public routes are listed in PUBLIC_ROUTES and checked there separately."""

from django.urls import path

from sunshine.funds import public, views_projects

urlpatterns = [
    path("projects/", views_projects.project_list, name="project_list"),
    path("projects/new/", views_projects.project_new, name="project_new"),
    path("projects/<int:id>/", views_projects.project_detail, name="project_detail"),
    path("projects/<int:id>/edit/", views_projects.project_edit, name="project_edit"),
    path("projects/<int:id>/transition/", views_projects.project_transition, name="project_transition"),
    path("projects/<int:id>/beneficiaries/", views_projects.project_beneficiaries, name="project_beneficiaries"),
    path("projects/<int:id>/announce/", views_projects.project_announce, name="project_announce"),
    path("projects/comments/<int:id>/handle/", views_projects.comment_handle, name="project_comment_handle"),
    path("projects/transitions/<int:id>/attachment/", views_projects.transition_attachment,
         name="project_attachment"),
    path("public/projects/", public.announcement_list, name="public_projects"),
    path("public/projects/announcements/<int:id>/", public.announcement, name="public_project_announcement"),
    path("public/projects/<str:code>/", public.division_list, name="public_projects_division"),
]

# Open to anyone without login (tests/test_scope.py checks them separately).
PUBLIC_ROUTES: tuple[str, ...] = ("public/projects/", "public/projects/announcements/<int:id>/",
                                  "public/projects/<str:code>/")
