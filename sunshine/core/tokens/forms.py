"""The forms of the token page: a new token (purpose, validity) and, for administrators, whose tokens to list."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from sunshine.core.models import ApiToken, User

ALL_USERS = "*"


class TokenForm(forms.Form):
    name = forms.CharField(label=_("用途"), max_length=60, help_text=_("例如:县扶贫办统计脚本"))
    days = forms.IntegerField(label=_("有效期(天)"), min_value=1, max_value=ApiToken.MAX_DAYS,
                              help_text=_("最长 %(max)d 天,到期后令牌自动失效") % {"max": ApiToken.MAX_DAYS})

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"days": settings.SUNSHINE_TOKEN_DAYS})
        super().__init__(*args, **kwargs)


class OwnerFilterForm(forms.Form):
    """Administrators only: their own tokens (empty), everyone's (*), or one user's (user name)."""

    user = forms.ChoiceField(label=_("用户"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        owners = (User.objects.filter(api_tokens__isnull=False).distinct().order_by("username")
                  .values_list("username", "full_name"))
        self.fields["user"].choices = [("", _("我的令牌")), (ALL_USERS, _("全部用户")),
                                       *[(u, f"{u}({n})" if n else u) for u, n in owners]]

    def owner(self) -> str:
        """"" (own tokens), ALL_USERS or a user name; an unknown value counts as ""."""
        if not self.is_bound or not self.is_valid():
            return ""
        return self.cleaned_data.get("user") or ""
