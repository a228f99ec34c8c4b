"""Forms of the user administration pages and of the password page.

The division of an account is picked, never typed: an administrator first picks the area (the province, a
city or a county), then the division inside it (the area itself, or a township or village of a county); a
county manager picks inside their county only."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import password_validation
from django.utils.translation import gettext_lazy as _

from sunshine.core.choices import DivisionLevel, Role
from sunshine.core.fields import DivisionFilterField, bind_division_fields
from sunshine.core.models import Division, User
from sunshine.core.users.services import assignable_roles

ACTIVE_CHOICES = [("", _("全部")), ("1", _("启用")), ("0", _("已停用"))]
UPPER_LEVELS = (DivisionLevel.PROVINCE, DivisionLevel.CITY, DivisionLevel.COUNTY)


class UserFilterForm(forms.Form):
    division = DivisionFilterField()
    role = forms.ChoiceField(label=_("角色"), required=False, choices=[("", _("全部")), *Role.choices])
    active = forms.ChoiceField(label=_("状态"), required=False, choices=ACTIVE_CHOICES)
    q = forms.CharField(label=_("搜索"), required=False, max_length=60)

    def __init__(self, *args: Any, reader: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        bind_division_fields(self, reader)

    def filters(self) -> dict[str, str]:
        if not self.is_bound:
            return {}
        self.is_valid()  # a bad value drops that filter only (cleaned_data keeps the valid ones)
        return {name: (self.cleaned_data.get(name) or "").strip() for name in ("division", "role", "active", "q")}


def area_choices(actor: User) -> list[tuple[str, str]]:
    """The areas an actor picks first: province, cities and counties (indented) for an administrator."""
    if not actor.has_role(Role.ADMIN):
        return [(actor.division_id, actor.division.name)] if actor.division_id else []
    rows = Division.objects.filter(level__in=UPPER_LEVELS).order_by("code").values_list("code", "name", "level")
    indent = {DivisionLevel.PROVINCE: "", DivisionLevel.CITY: "  ", DivisionLevel.COUNTY: "    "}
    return [(code, f"{indent[DivisionLevel(level)]}{name}") for code, name, level in rows]


def division_choices(area: Division | None) -> list[tuple[str, Any]]:
    """The area itself, then (for a county) its townships, each with its villages."""
    if area is None:
        return [("", _("请先选择上级区划"))]
    choices: list[tuple[str, Any]] = [(area.code, f"{area.name}({DivisionLevel(area.level).label})")]
    if area.level != DivisionLevel.COUNTY:
        return choices
    inside = (Division.objects.filter(code__startswith=area.prefix, level__in=[DivisionLevel.TOWNSHIP,
                                                                               DivisionLevel.VILLAGE])
              .order_by("code").values_list("code", "name", "level", "parent_id"))
    townships: dict[str, tuple[str, list[tuple[str, str]]]] = {}
    for code, name, level, parent in inside:
        if level == DivisionLevel.TOWNSHIP:
            townships[code] = (name, [])
        elif parent in townships:
            townships[parent][1].append((code, f"{townships[parent][0]} · {name}"))
    for code, (name, villages) in townships.items():
        choices.append((name, [(code, _("%(name)s(乡镇)") % {"name": name}), *villages]))
    return choices


class UserForm(forms.Form):
    """Create (with a user name) or edit an account's name, roles and division."""

    username = forms.CharField(label=_("用户名"), max_length=150,
                               help_text=_("登录用的名称:字母、数字和 @ . + - _,创建后不能修改"))
    full_name = forms.CharField(label=_("姓名"), max_length=40, required=False)
    roles = forms.MultipleChoiceField(label=_("角色"), widget=forms.CheckboxSelectMultiple)
    area = forms.ChoiceField(label=_("上级区划"), help_text=_("先选省、市或县,再在下面选所属区划"))
    division = forms.ChoiceField(label=_("所属区划"))

    def __init__(self, *args: Any, actor: User, user: User | None = None, refresh_url: str = "",
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.actor = actor
        if user is not None:
            del self.fields["username"]
        self.fields["roles"].choices = [(r.value, r.label) for r in assignable_roles(actor)]
        self.fields["area"].choices = area_choices(actor)
        # Picking an area reloads the division list (htmx); without JavaScript the form's 刷新 button does.
        self.fields["area"].widget.attrs.update({
            "hx-get": refresh_url, "hx-trigger": "change", "hx-target": "#division-field",
            "hx-select": "#division-field", "hx-swap": "outerHTML"})
        if not actor.has_role(Role.ADMIN):
            self.fields["area"].widget = forms.HiddenInput()
        area_code = self.data.get(self.add_prefix("area")) if self.is_bound else self.initial.get("area")
        area = Division.objects.filter(code=area_code, level__in=UPPER_LEVELS).first() if area_code else None
        if not actor.has_role(Role.ADMIN):
            area = actor.division  # a county manager's area is their county, whatever is posted
            self.fields["area"].initial = actor.division_id
            if self.is_bound:
                self.data = self.data.copy()
                self.data[self.add_prefix("area")] = actor.division_id
        self.fields["division"].choices = division_choices(area)

    def clean_division(self) -> Division:
        return Division.objects.get(code=self.cleaned_data["division"])

    def clean_roles(self) -> list[Role]:
        return [Role(r) for r in self.cleaned_data["roles"]]

    @staticmethod
    def initial_for(user: User) -> dict[str, Any]:
        division = user.division
        area = None
        if division is not None:
            area = division.code if division.level in UPPER_LEVELS else division.code[:6] + "000000"
        return {"full_name": user.full_name, "roles": list(user.roles), "area": area,
                "division": user.division_id}


class BulkForm(forms.Form):
    file = forms.FileField(label=_("账号表(.xlsx)"),
                           help_text=_("每行一个账号,列:用户名、姓名、角色、区划代码。角色可写代码或中文名称。"))


class OwnPasswordForm(forms.Form):
    old_password = forms.CharField(label=_("当前密码"), strip=False,
                                   widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}))
    new_password1 = forms.CharField(label=_("新密码"), strip=False,
                                    widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))
    new_password2 = forms.CharField(label=_("再次输入新密码"), strip=False,
                                    widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["new_password1"].help_text = password_validation.password_validators_help_text_html()

    def clean_old_password(self) -> str:
        value = self.cleaned_data["old_password"]
        if not self.user.check_password(value):
            raise forms.ValidationError(_("当前密码不正确"))
        return value

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        new1, new2 = data.get("new_password1"), data.get("new_password2")
        if new1 and new2 and new1 != new2:
            self.add_error("new_password2", _("两次输入的新密码不一致"))
        elif new1:
            if new1 == data.get("old_password"):
                self.add_error("new_password1", _("新密码不能与当前密码相同"))
            else:
                try:
                    password_validation.validate_password(new1, self.user)
                except forms.ValidationError as exc:
                    self.add_error("new_password1", exc)
        return data
