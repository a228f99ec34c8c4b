"""The access log becomes a hash chain (sunshine.core.auditlog.chain): actor kept as written (username,
division), the time set by the application (so the hash covers the stored value), and seq/prev_hash/row_hash.
Existing rows are chained in the order they were written: by (at, id)."""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

BATCH = 1000


def chain_existing(apps, schema_editor):
    from sunshine.core.auditlog.chain import FIELDS, chain_rows

    AccessLog = apps.get_model("core", "AccessLog")
    User = apps.get_model("core", "User")
    db = schema_editor.connection.alias
    accounts = dict((pk, (username, division or "")) for pk, username, division
                    in User.objects.using(db).values_list("pk", "username", "division_id"))
    columns = ("id", *(name for name in FIELDS if name not in ("seq", "username", "division_code")))

    def rows():
        for values in (AccessLog.objects.using(db).order_by("at", "id").values_list(*columns)
                       .iterator(chunk_size=BATCH)):
            row = dict(zip(columns, values, strict=True))
            row["username"], row["division_code"] = accounts.get(row["user_id"], ("", ""))
            yield row

    batch = []
    for row in chain_rows(rows()):
        batch.append(AccessLog(id=row["id"], username=row["username"], division_code=row["division_code"],
                               seq=row["seq"], prev_hash=row["prev_hash"], row_hash=row["row_hash"]))
        if len(batch) >= BATCH:
            AccessLog.objects.using(db).bulk_update(
                batch, ["username", "division_code", "seq", "prev_hash", "row_hash"])
            batch = []
    if batch:
        AccessLog.objects.using(db).bulk_update(batch, ["username", "division_code", "seq", "prev_hash", "row_hash"])


class Migration(migrations.Migration):

    dependencies = [
        ("core", "0005_apitoken_expiry"),
    ]

    operations = [
        migrations.AlterField(
            model_name="accesslog",
            name="user",
            field=models.ForeignKey(db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING,
                                    to=settings.AUTH_USER_MODEL, verbose_name="用户"),
        ),
        migrations.AddField(
            model_name="accesslog",
            name="username",
            field=models.CharField(blank=True, default="", max_length=150, verbose_name="用户名"),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="accesslog",
            name="division_code",
            field=models.CharField(blank=True, db_index=True, default="", max_length=12, verbose_name="所属区划"),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="accesslog",
            name="seq",
            field=models.PositiveBigIntegerField(null=True, verbose_name="序号"),
        ),
        migrations.AddField(
            model_name="accesslog",
            name="prev_hash",
            field=models.CharField(default="", max_length=64, verbose_name="前一条哈希"),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="accesslog",
            name="row_hash",
            field=models.CharField(default="", max_length=64, verbose_name="本条哈希"),
            preserve_default=False,
        ),
        migrations.RunPython(chain_existing, migrations.RunPython.noop, elidable=False),
        migrations.AlterField(
            model_name="accesslog",
            name="seq",
            field=models.PositiveBigIntegerField(unique=True, verbose_name="序号"),
        ),
        migrations.AlterField(
            model_name="accesslog",
            name="at",
            field=models.DateTimeField(db_index=True, default=django.utils.timezone.now, verbose_name="时间"),
        ),
        migrations.AlterField(
            model_name="accesslog",
            name="action",
            field=models.CharField(choices=[("view_full", "查看完整记录"), ("export", "导出"),
                                            ("api_read", "接口读取完整记录"), ("import", "导入"), ("login", "登录"),
                                            ("login_failed", "登录失败"), ("logout", "退出登录")],
                                   max_length=20, verbose_name="操作"),
        ),
        migrations.AlterField(
            model_name="accesslog",
            name="object_type",
            field=models.CharField(max_length=40, verbose_name="对象类型"),
        ),
        migrations.AlterField(
            model_name="accesslog",
            name="object_ref",
            field=models.CharField(max_length=80, verbose_name="对象"),
        ),
        migrations.AlterField(
            model_name="accesslog",
            name="detail",
            field=models.CharField(blank=True, max_length=200, verbose_name="说明"),
        ),
        migrations.AlterField(
            model_name="accesslog",
            name="ip_address",
            field=models.GenericIPAddressField(blank=True, null=True, verbose_name="来源地址"),
        ),
        migrations.AlterModelOptions(
            name="accesslog",
            options={"ordering": ["-seq"], "verbose_name": "访问日志", "verbose_name_plural": "访问日志"},
        ),
    ]
