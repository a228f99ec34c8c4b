"""The audit trail (issue 12, "Audit"): the access log is a hash chain that `sunshine audit verify` checks
(edited, deleted, inserted, reordered or cut-off rows are found), written by one writer at a time, and the
audit page where supervisors and administrators read, filter and export the log of their own division."""

from __future__ import annotations

import csv
import datetime as dt
import io
import threading

import openpyxl
import pytest
from django.core.management import call_command
from django.db import connection, connections
from django.test import Client, RequestFactory
from django.utils import timezone

from sunshine.core.audit import log_access
from sunshine.core.auditlog import checkpoint
from sunshine.core.auditlog.chain import GENESIS, row_digest, verify
from sunshine.core.choices import AccessAction, DivisionLevel, Role
from sunshine.core.models import AccessLog, Division, User
from sunshine.testing import factories as f

MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"
OTHER_COUNTY = "320322000000"
SQLITE = connection.vendor == "sqlite"


@pytest.fixture(autouse=True)
def _own_checkpoint(settings, tmp_path):
    """Each test has its own data directory: the checkpoint of one test's chain must not anchor another's."""
    settings.DATA_DIR = tmp_path


def as_user(user: User) -> Client:
    client = Client()
    client.force_login(user, backend=MODEL_BACKEND)
    return client


def write(user: User | None, n: int = 1, **extra: str) -> list[AccessLog]:
    return [log_access(user=user, action=extra.get("action", AccessAction.VIEW_FULL),
                       object_type=extra.get("object_type", "household"),
                       object_ref=extra.get("object_ref", f"H{i}"), detail=extra.get("detail", ""))
            for i in range(n)]


def run_verify() -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("audit", "verify", stdout=out, stderr=err)
    except SystemExit as exc:
        return int(exc.code or 0), err.getvalue()
    return 0, out.getvalue()


def raw(sql: str, params: list[object]) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


# ---- the chain ---------------------------------------------------------------------------------------------

def test_rows_form_one_chain_with_the_actor_kept(users) -> None:
    rows = write(users["county"], 3) + write(None)
    stored = list(AccessLog.objects.order_by("seq"))
    assert [r.seq for r in stored] == [1, 2, 3, 4]
    assert stored[0].prev_hash == GENESIS
    assert all(b.prev_hash == a.row_hash for a, b in zip(stored, stored[1:], strict=False))
    assert stored[0].username == "county" and stored[0].division_code == f.COUNTY
    assert stored[3].username == "" and rows[3].user_id is None
    assert verify().ok
    code, message = run_verify()
    assert code == 0
    assert "访问日志完整:共 4 条" in message


def test_a_deleted_account_does_not_break_the_chain(users, region) -> None:
    temp = f.make_user("temp_auditor", Role.SUPERVISOR, f.COUNTY)
    write(temp, 2)
    temp.delete()
    assert verify().ok
    assert AccessLog.objects.filter(username="temp_auditor").count() == 2


def test_rows_are_append_only(users) -> None:
    row = write(users["county"])[0]
    row.detail = "changed"
    with pytest.raises(ValueError, match="只能追加"):
        row.save()


def test_the_address_is_the_clients_behind_a_trusted_proxy(users, settings) -> None:
    settings.SUNSHINE_TRUSTED_PROXY_COUNT = 1
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.7")
    row = log_access(user=users["county"], action=AccessAction.VIEW_FULL, object_type="household", object_ref="1",
                     request=request)
    assert AccessLog.objects.get(pk=row.pk).ip_address == "203.0.113.7"
    # A forged header that is no address is stored as none (PostgreSQL's inet column would refuse it).
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="<script>")
    row = log_access(user=users["county"], action=AccessAction.VIEW_FULL, object_type="household", object_ref="1",
                     request=request)
    assert AccessLog.objects.get(pk=row.pk).ip_address is None
    assert verify().ok


def test_verify_finds_an_edited_row(users) -> None:
    write(users["county"], 5)
    AccessLog.objects.filter(seq=3).update(object_ref="H9")  # bypasses save(), as a database user could
    code, message = run_verify()
    assert code == 1
    assert "第 3 条记录的内容与其哈希不符:记录被修改" in message
    assert "第 1 至 2 条完好" in message


def test_verify_finds_a_deleted_row(users) -> None:
    write(users["county"], 5)
    AccessLog.objects.filter(seq=2).delete()
    code, message = run_verify()
    assert code == 1
    assert "第 2 条记录不见了" in message


def test_verify_finds_a_row_inserted_by_sql_without_hash(users) -> None:
    write(users["county"], 2)
    raw("INSERT INTO core_accesslog (at, action, object_type, object_ref, detail, username, division_code, seq,"
        " prev_hash, row_hash) VALUES (%s, 'export', 'household', 'X', '', 'intruder', '', 3, '', '')",
        [timezone.now()])
    code, message = run_verify()
    assert code == 1
    assert "第 3 条记录没有哈希" in message


def test_verify_finds_a_row_inserted_with_a_forged_hash_and_renumbered_rows(users) -> None:
    """Inserting in the middle means renumbering the rows after it: the hashes cover seq, so it shows."""
    write(users["county"], 3)
    AccessLog.objects.filter(seq=3).update(seq=4)
    AccessLog.objects.filter(seq=2).update(seq=3)
    first = AccessLog.objects.get(seq=1)
    values = {"seq": 2, "user_id": None, "username": "x", "division_code": "", "at": timezone.now(),
              "action": "export", "object_type": "household", "object_ref": "X", "detail": "", "ip_address": None}
    raw("INSERT INTO core_accesslog (at, action, object_type, object_ref, detail, username, division_code, seq,"
        " prev_hash, row_hash) VALUES (%s, 'export', 'household', 'X', '', 'x', '', 2, %s, %s)",
        [values["at"], first.row_hash, row_digest(first.row_hash, values)])
    code, message = run_verify()
    assert code == 1
    assert "第 3 条记录与前一条接不上" in message


def test_verify_finds_reordered_rows(users) -> None:
    write(users["county"], 3)
    AccessLog.objects.filter(seq=2).update(seq=99)
    AccessLog.objects.filter(seq=3).update(seq=2)
    AccessLog.objects.filter(seq=99).update(seq=3)
    code, message = run_verify()
    assert code == 1
    assert "第 2 条记录与前一条接不上" in message


def test_verify_finds_rows_cut_off_the_end_after_a_verification(users) -> None:
    write(users["county"], 4)
    assert run_verify()[0] == 0
    AccessLog.objects.filter(seq__gte=3).delete()  # the chain alone still looks whole
    assert verify().ok
    code, message = run_verify()
    assert code == 1
    assert "日志只到第 2 条,而上次校验时已有 4 条" in message
    # The anchor stays at the last good verification…
    assert checkpoint.load().anchor_seq == 4
    # …until an operator who replaced the database on purpose says so.
    call_command("audit", "verify", "--forget-checkpoint", stdout=io.StringIO())
    assert checkpoint.load().anchor_seq == 2
    assert run_verify()[0] == 0


def test_verify_finds_a_recomputed_chain_after_a_verification(users) -> None:
    write(users["county"], 3)
    assert run_verify()[0] == 0
    # Someone rewrites row 2 and recomputes every hash from there on: the chain is whole again…
    AccessLog.objects.filter(seq=2).update(object_ref="forged")
    prev = AccessLog.objects.get(seq=1).row_hash
    for row in AccessLog.objects.order_by("seq").filter(seq__gte=2).values():
        digest = row_digest(prev, row)
        AccessLog.objects.filter(pk=row["id"]).update(prev_hash=prev, row_hash=digest)
        prev = digest
    assert verify().ok
    # …but the last verified row no longer matches the checkpoint kept outside the database.
    code, message = run_verify()
    assert code == 1
    assert "第 3 条记录与上次校验时不同" in message


def test_verify_streams_in_chunks(users) -> None:
    write(users["county"], 7)
    assert verify(chunk_size=2).ok


@pytest.mark.django_db(transaction=True)
def test_existing_rows_are_chained_by_the_migration(region, users) -> None:
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    executor.migrate([("core", "0005_apitoken_expiry")])
    try:
        rows = [("2026-03-02 08:00:00", "export", "b", None), ("2026-03-01 08:00:00", "view_full", "a",
                                                                users["county"].pk)]
        for at, action, ref, user_id in rows:
            raw("INSERT INTO core_accesslog (at, action, object_type, object_ref, detail, ip_address, user_id)"
                " VALUES (%s, %s, 'household', %s, '', '::1', %s)",
                [dt.datetime.fromisoformat(at).replace(tzinfo=dt.UTC), action, ref, user_id])
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())
    stored = list(AccessLog.objects.order_by("seq").values_list("seq", "object_ref", "username", "division_code"))
    assert stored == [(1, "a", "county", f.COUNTY), (2, "b", "", "")]
    assert verify().ok
    write(users["county"])
    assert verify().ok


@pytest.mark.skipif(SQLITE, reason="threads on their own PostgreSQL connections")
@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_keep_one_chain(users) -> None:
    county = users["county"]
    errors: list[BaseException] = []

    def writer() -> None:
        try:
            for _ in range(15):
                log_access(user=county, action=AccessAction.VIEW_FULL, object_type="household", object_ref="1")
        except BaseException as exc:  # noqa: BLE001 — reported by the test thread
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=writer) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert list(AccessLog.objects.order_by("seq").values_list("seq", flat=True)) == list(range(1, 91))
    assert verify().ok


# ---- sign-ins ----------------------------------------------------------------------------------------------

def test_sign_in_failure_and_sign_out_are_logged(users) -> None:
    client = Client()
    client.post("/login/", {"username": "county", "password": "wrong-password-1"})
    client.post("/login/", {"username": "nobody", "password": "wrong-password-1"})
    client.post("/login/", {"username": "county", "password": f.PASSWORD})
    client.post("/logout/")
    rows = list(AccessLog.objects.order_by("seq").values_list("action", "username", "division_code", "object_ref"))
    assert rows == [
        ("login_failed", "county", f.COUNTY, "county"),
        ("login_failed", "nobody", "", "nobody"),
        ("login", "county", f.COUNTY, "county"),
        ("logout", "county", f.COUNTY, "county"),
    ]
    assert verify().ok


def test_test_client_logins_are_not_sign_ins(users) -> None:
    as_user(users["county"]).logout()
    assert not AccessLog.objects.exists()


# ---- the audit page ----------------------------------------------------------------------------------------

@pytest.fixture
def far_user(users):
    """A county manager of another county: outside the county supervisor's scope."""
    Division.objects.get(code=OTHER_COUNTY)
    return f.make_user("county_far", Role.COUNTY_MANAGER, OTHER_COUNTY)


def listed(response) -> str:  # noqa: ANN001
    assert response.status_code == 200
    return response.content.decode()


def test_only_supervisors_and_administrators_see_the_page(users) -> None:
    for who in ("clerk", "township", "county", "analyst"):
        assert as_user(users[who]).get("/audit/").status_code == 403
        assert as_user(users[who]).get("/audit/export/").status_code == 403
        assert as_user(users[who]).post("/audit/verify/").status_code == 403
    assert "/audit/" not in listed(as_user(users["county"]).get("/"))
    assert 'href="/audit/"' in listed(as_user(users["supervisor"]).get("/"))
    assert as_user(users["admin"]).get("/audit/").status_code == 200


def test_a_county_supervisor_sees_the_log_of_their_county_only(users, far_user) -> None:
    write(users["county"], object_ref="NEAR-1")
    write(users["clerk"], object_ref="NEAR-2", action=AccessAction.EXPORT)
    write(far_user, object_ref="FAR-1")
    write(None, object_ref="CLI-1")
    page = listed(as_user(users["supervisor"]).get("/audit/"))
    assert "NEAR-1" in page and "NEAR-2" in page
    assert "FAR-1" not in page and "CLI-1" not in page
    assert "共 2 条" in page
    page = listed(as_user(users["admin"]).get("/audit/"))  # the province: everything, and command-line rows
    assert all(ref in page for ref in ("NEAR-1", "NEAR-2", "FAR-1", "CLI-1"))


def test_filters_by_action_user_date_and_region(users) -> None:
    write(users["county"], object_ref="READ-1")
    write(users["clerk"], object_ref="EXPORT-1", action=AccessAction.EXPORT)
    old = write(users["county"], object_ref="OLD-1")[0]
    AccessLog.objects.filter(pk=old.pk).update(at=timezone.now() - dt.timedelta(days=40))
    client = as_user(users["supervisor"])
    page = listed(client.get("/audit/", {"action": "export"}))
    assert "EXPORT-1" in page and "READ-1" not in page
    page = listed(client.get("/audit/", {"user": "clerk_"}))
    assert "EXPORT-1" in page and "READ-1" not in page
    page = listed(client.get("/audit/", {"division": f.VILLAGE_A}))
    assert "EXPORT-1" in page and "READ-1" not in page
    today = timezone.localdate()
    page = listed(client.get("/audit/", {"date_from": (today - dt.timedelta(days=1)).isoformat(),
                                         "date_to": today.isoformat()}))
    assert "READ-1" in page and "OLD-1" not in page
    page = listed(client.get("/audit/", {"date_to": (today - dt.timedelta(days=30)).isoformat()}))
    assert "OLD-1" in page and "READ-1" not in page
    # A division outside the supervisor's scope is not a choice: the filter is dropped, with the form's error.
    page = listed(client.get("/audit/", {"division": OTHER_COUNTY}))
    assert "READ-1" in page


def test_object_refs_with_id_numbers_are_masked_for_masked_roles(users) -> None:
    from sunshine.core.auditlog.export import table_row

    number = f.new_id()
    row = write(users["county"], object_ref=number)[0]
    assert table_row(users["analyst"], row)[8] != number  # a masked role would see it masked
    assert number[:6] in table_row(users["analyst"], row)[8]
    assert table_row(users["supervisor"], row)[8] == number
    assert number in listed(as_user(users["supervisor"]).get("/audit/"))


def test_export_is_formula_safe_in_scope_and_logged(users, far_user) -> None:
    write(users["clerk"], object_ref="=HYPERLINK(\"http://x\")", action=AccessAction.EXPORT)
    write(far_user, object_ref="FAR-1")
    client = as_user(users["supervisor"])
    response = client.get("/audit/export/", {"format": "csv", "action": "export"})
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    table = list(csv.reader(io.StringIO(text)))
    assert table[0][0] == "序号"
    assert [r[8] for r in table[1:]] == ["'=HYPERLINK(\"http://x\")"]
    logged = AccessLog.objects.get(user=users["supervisor"], action=AccessAction.EXPORT)
    assert logged.object_type == "access_log" and logged.object_ref == "csv" and "1 行" in logged.detail

    response = client.get("/audit/export/", {"format": "xlsx"})
    book = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    values = [row[8] for row in book.active.iter_rows(min_row=2, values_only=True)]
    assert "'=HYPERLINK(\"http://x\")" in values and "FAR-1" not in values
    assert AccessLog.objects.filter(user=users["supervisor"], object_type="access_log").count() == 2
    assert verify().ok


def test_the_verify_button_records_the_chain_status(users) -> None:
    write(users["county"], 3)
    client = as_user(users["supervisor"])
    assert "尚未校验过" in listed(client.get("/audit/"))
    assert client.get("/audit/verify/").status_code == 405
    page = listed(client.post("/audit/verify/", follow=True))
    assert "访问日志完整:共 3 条" in page
    assert "已校验至第 3 条,完好" in page
    AccessLog.objects.filter(seq=2).update(detail="edited")
    page = listed(client.post("/audit/verify/", follow=True))
    assert "第 2 条记录的内容与其哈希不符" in page


def test_export_from_the_command_line_is_logged(users, tmp_path) -> None:
    write(users["county"], 2, object_ref="@SUM(A1)")
    out = tmp_path / "log.csv"
    call_command("audit", "export", "--out", str(out), "--from", timezone.localdate().isoformat(),
                 "--user", "admin", stdout=io.StringIO())
    table = list(csv.reader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
    assert [r[8] for r in table[1:]].count("'@SUM(A1)") == 2
    assert AccessLog.objects.filter(user=users["admin"], object_type="access_log").exists()
    assert verify().ok


def test_division_level_of_the_reader_matters_for_rows_without_division(users, region) -> None:
    write(None, object_ref="CLI-1")
    supervisor = f.make_user("prov_supervisor", Role.SUPERVISOR, "320000000000")
    assert Division.objects.get(code="320000000000").level == DivisionLevel.PROVINCE
    assert "CLI-1" in listed(as_user(supervisor).get("/audit/"))
    assert "CLI-1" not in listed(as_user(users["supervisor"]).get("/audit/"))
