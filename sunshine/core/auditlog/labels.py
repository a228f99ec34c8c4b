"""Chinese names of the kinds of object the access log records (the object_type written by each app)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

OBJECT_TYPES = {
    "household": _("农户"),
    "household_list": _("农户列表"),
    "member": _("家庭成员"),
    "member_list": _("家庭成员列表"),
    "registry_year": _("年度建档立卡数据"),
    "case": _("识别退出事项"),
    "case_list": _("识别退出事项列表"),
    "case_attachment": _("事项附件"),
    "finding": _("比对疑点"),
    "finding_list": _("比对疑点列表"),
    "finding_attachment": _("疑点附件"),
    "comparison_run": _("比对批次"),
    "dataset_load": _("部门数据导入"),
    "id_hash_key": _("身份证号哈希密钥"),
    "warning": _("监测预警"),
    "warning_list": _("监测预警列表"),
    "monitored": _("监测对象"),
    "monitored_list": _("监测对象列表"),
    "monitoring_run": _("监测批次"),
    "sample_draw": _("抽样核查"),
    "assessment_run": _("脱贫评估"),
    "access_log": _("访问日志"),
    "login": _("登录"),
}


def object_type_label(code: str) -> str:
    """The Chinese name, or the code itself for a kind not named here yet."""
    label = OBJECT_TYPES.get(code)
    return str(label) if label is not None else code
