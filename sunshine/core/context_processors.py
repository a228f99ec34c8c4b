from __future__ import annotations

import time
from dataclasses import dataclass

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from sunshine.core.choices import ROLES_THAT_EDIT_REGISTRY, Role

EVERYONE = frozenset(Role)


@dataclass(frozen=True)
class NavEntry:
    label: str
    url_name: str
    roles: frozenset[Role]
    # Paths that belong to the entry (the current page is marked when the path starts with one of them).
    prefixes: tuple[str, ...]


# The menu: each role sees only what it uses.
NAVIGATION = (
    NavEntry(_("我的待办"), "home", EVERYONE, ()),
    NavEntry(_("统计驾驶舱"), "dashboard_home", EVERYONE, ("/dashboard/", "/divisions/")),
    NavEntry(_("农户"), "household_list", EVERYONE, ("/households/",)),
    NavEntry(_("导入导出"), "transfer", frozenset(ROLES_THAT_EDIT_REGISTRY), ("/transfer/",)),
    NavEntry(_("脱贫认定"), "assessment_runs", EVERYONE, ("/assessment/",)),
    NavEntry(_("数据比对"), "comparison_runs", EVERYONE, ("/comparison/runs/", "/comparison/findings/")),
    NavEntry(_("部门数据"), "comparison_datasets",
             frozenset({Role.COUNTY_MANAGER, Role.PROVINCIAL_ANALYST, Role.SUPERVISOR, Role.ADMIN}),
             ("/comparison/datasets/",)),
    NavEntry(_("监测预警"), "monitoring_warnings", EVERYONE, ("/monitoring/",)),
    NavEntry(_("资金"), "fund_list",
             frozenset({Role.COUNTY_MANAGER, Role.PROVINCIAL_ANALYST, Role.SUPERVISOR, Role.ADMIN}),
             ("/funds/", "/payments/", "/loans/", "/assets/", "/dividends/")),
    NavEntry(_("识别退出"), "workflow_inbox", EVERYONE, ("/cases/",)),
    NavEntry(_("项目库"), "project_list", EVERYONE, ("/projects/",)),
    NavEntry(_("12317举报"), "grievance_list", EVERYONE, ("/grievances/",)),
    NavEntry(_("帮扶责任"), "assistance_cadres", EVERYONE,
             ("/assistance/cadres/", "/assistance/coverage/", "/assistance/teams/")),
    NavEntry(_("我的帮扶户"), "visit_home", frozenset({Role.CADRE}), ("/assistance/visits/",)),
    NavEntry(_("政策文件库"), "library_list", EVERYONE, ("/library/",)),
    NavEntry(_("政策标准"), "policy_standards",
             frozenset({Role.COUNTY_MANAGER, Role.PROVINCIAL_ANALYST, Role.ADMIN}), ("/policy/",)),
    NavEntry(_("用户管理"), "user_list", frozenset({Role.COUNTY_MANAGER, Role.ADMIN}), ("/users/",)),
    NavEntry(_("访问日志"), "audit_log", frozenset({Role.SUPERVISOR, Role.ADMIN}), ("/audit/",)),
    NavEntry(_("接口"), "api:openapi-view", frozenset({Role.ADMIN}), ("/api/",)),
)

_synthetic: tuple[float, bool] = (0.0, False)


def synthetic_data() -> bool:
    """Whether this instance holds the generated demo region (then every page says its data are synthetic).
    Checked at most once a minute: the answer only changes when a demo is generated or removed."""
    global _synthetic
    checked, value = _synthetic
    if time.monotonic() - checked > 60:
        from sunshine.core.models import Division

        value = Division.objects.filter(synthetic=True).exists()
        _synthetic = (time.monotonic(), value)
    return value


def navigation(request: HttpRequest, user) -> list[dict[str, object]]:  # noqa: ANN001 — the request's user
    roles = user.role_set
    path = request.path
    entries = []
    for entry in NAVIGATION:
        if not roles & entry.roles:
            continue
        url = reverse(entry.url_name)
        current = path == url if entry.url_name == "home" else False
        current = current or path.startswith(entry.prefixes) or (url != "/" and path.startswith(url))
        entries.append({"label": entry.label, "url": url, "current": current})
    return entries


def current_user(request: HttpRequest) -> dict[str, object]:
    context: dict[str, object] = {"synthetic_data": synthetic_data()}
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return context
    context.update(user_roles=user.role_labels(), user_division=user.division,
                   navigation=navigation(request, user))
    return context
