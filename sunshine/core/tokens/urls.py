from django.urls import path

from sunshine.core.tokens import views

urlpatterns = [
    path("account/tokens/", views.token_list, name="token_list"),
    path("account/tokens/<int:id>/revoke/", views.token_revoke, name="token_revoke"),
]
