"""The registry (建档立卡): villages, households and members, each with a record per year."""

from __future__ import annotations

from decimal import ROUND_DOWN, Decimal

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from sunshine.core.encrypted_fields import EncryptedCharField, IdFactsField, KeyedHashField
from sunshine.core.models import Division, KeyArea, TimeStampedModel
from sunshine.registry import choices as c

MONEY = {"max_digits": 14, "decimal_places": 2, "null": True, "blank": True}
YES_NO = {"null": True, "blank": True}


def per_capita_income(total: Decimal | None, active_members: int) -> Decimal | None:
    """Per-capita disposable income, truncated to the fen as the assessment engine does, so that no page
    shows 6000.00 for a household that fails H-INC."""
    if total is None or not active_members:
        return None
    return (total / active_members).quantize(Decimal("0.01"), rounding=ROUND_DOWN)


def registry_history(*unindexed: str) -> HistoricalRecords:
    """The change history of a registry table. A province imports millions of rows a year, each with a history
    row, so the history tables carry only the indexes that the history pages read by (the original id, the
    household and household year) and no database constraint on the acting user: that constraint was a check per
    history row at commit (millions), and users are never deleted but deactivated (the ORM still sets NULL)."""
    return HistoricalRecords(user_db_constraint=False, no_db_index=list(unindexed))


class VillageYear(TimeStampedModel):
    """A village's figures for one year (villages.csv)."""

    village = models.ForeignKey(
        Division, on_delete=models.PROTECT, related_name="village_years", verbose_name=_("村")
    )
    year = models.PositiveSmallIntegerField(_("年度"))
    weak_village = models.BooleanField(_("省定经济薄弱村"), **YES_NO)
    key_area = models.ForeignKey(
        KeyArea, null=True, blank=True, on_delete=models.PROTECT, related_name="village_years",
        verbose_name=_("重点片区"),
    )
    collective_income = models.DecimalField(_("村集体经济收入"), **MONEY)
    two_lane_road = models.BooleanField(_("通双车道四级公路"), **YES_NO)
    clinic_ok = models.BooleanField(_("村卫生室达标"), **YES_NO)
    history = registry_history()

    class Meta:
        verbose_name = _("村年度信息")
        verbose_name_plural = _("村年度信息")
        constraints = [models.UniqueConstraint(fields=["village", "year"], name="village_year_unique")]


class Household(TimeStampedModel):
    """A household keeps its 户编号 across years; its yearly figures are in HouseholdYear."""

    household_no = models.CharField(_("户编号"), max_length=30, unique=True)
    village = models.ForeignKey(
        Division, on_delete=models.PROTECT, related_name="households", verbose_name=_("所在村")
    )
    history = registry_history("village", "household_no")

    class Meta:
        verbose_name = _("农户")
        verbose_name_plural = _("农户")
        ordering = ["household_no"]

    def __str__(self) -> str:
        return self.household_no

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("household_detail", args=[self.household_no])


class HouseholdYear(TimeStampedModel):
    """One row of households.csv: a household's status, income and indicators in one year."""

    # No index of its own: (household, year) is unique, which serves it.
    household = models.ForeignKey(Household, on_delete=models.CASCADE, related_name="years", db_index=False)
    # Its own index beside (year, household, status): a year's rows in table order, which the snapshot reads
    # faster (measured: ≈ 15% of the extraction at scale 0.1).
    year = models.PositiveSmallIntegerField(_("年度"), db_index=True)
    head_name = models.CharField(_("户主姓名"), max_length=40)
    # Encrypted at rest (sunshine.core.crypto); the keyed hash serves lookups and matching.
    head_id_number = EncryptedCharField(_("户主身份证号"), max_length=18, hash_field="head_id_number_hash")
    head_id_number_hash = KeyedHashField(source="head_id_number")   # indexed in Meta (no LIKE index: a hash)
    phone = EncryptedCharField(_("联系电话"), max_length=20, blank=True)
    household_type = models.CharField(_("户类型"), max_length=12, choices=c.HouseholdType.choices, blank=True)
    support_category = models.CharField(
        _("帮扶类别"), max_length=12, choices=c.SupportCategory.choices, blank=True
    )
    main_cause = models.CharField(_("主要致贫原因"), max_length=12, choices=c.MainCause.choices, blank=True)
    status = models.CharField(_("状态"), max_length=12, choices=c.HouseholdStatus.choices)
    identified_year = models.PositiveSmallIntegerField(_("识别年度"), null=True, blank=True)
    exit_year = models.PositiveSmallIntegerField(_("脱贫年度"), null=True, blank=True)
    wage_income = models.DecimalField(_("工资性收入"), **MONEY)
    business_income = models.DecimalField(_("生产经营性收入"), **MONEY)
    business_expense = models.DecimalField(_("生产经营性支出"), **MONEY)
    property_income = models.DecimalField(_("财产性收入"), **MONEY)
    transfer_income = models.DecimalField(_("转移性收入"), **MONEY)
    transfer_expense = models.DecimalField(_("转移性支出"), **MONEY)
    food_clothing_secure = models.BooleanField(_("吃穿不愁"), **YES_NO)
    housing_grade = models.CharField(_("住房安全等级"), max_length=1, choices=c.HousingGrade.choices, blank=True)
    renovation_status = models.CharField(
        _("危房改造状态"), max_length=12, choices=c.RenovationStatus.choices, blank=True
    )
    water_safe = models.BooleanField(_("饮水安全"), **YES_NO)
    has_electricity = models.BooleanField(_("通生活用电"), **YES_NO)
    history = registry_history("year", "status", "head_id_number_hash")

    INCOME_FIELDS = (
        "wage_income", "business_income", "business_expense",
        "property_income", "transfer_income", "transfer_expense",
    )

    class Meta:
        verbose_name = _("农户年度信息")
        verbose_name_plural = _("农户年度信息")
        ordering = ["household__household_no", "year"]
        # A year's records counted or grouped by status without reading the rows (lists, division pages).
        # Every index is written for each of a province's ~750,000 rows a year: no LIKE twins (Django adds one to a
        # text column's db_index on PostgreSQL) for a hash and a status nobody searches by pattern.
        indexes = [models.Index(fields=["year", "household", "status"], name="householdyear_year_status"),
                   models.Index(fields=["status"], name="householdyear_status"),
                   models.Index(fields=["head_id_number_hash"], name="householdyear_head_id_hash")]
        constraints = [
            models.UniqueConstraint(fields=["household", "year"], name="household_year_unique"),
            models.CheckConstraint(
                condition=~Q(status=c.HouseholdStatus.EXITED) | Q(exit_year__isnull=False),
                name="exited_household_has_exit_year",
            ),
        ]

    def disposable_income(self) -> Decimal | None:
        """Household disposable income; None when any item is unknown (policy-rules.md §1)."""
        values = [getattr(self, f) for f in self.INCOME_FIELDS]
        if any(v is None for v in values):
            return None
        wage, business, b_expense, prop, transfer, t_expense = values
        return wage + business - b_expense + prop + transfer - t_expense


class Person(TimeStampedModel):
    """A person, identified by the normalised 18-character ID number."""

    # Encrypted at rest; one person per ID is enforced on the keyed hash (sunshine.core.crypto).
    id_number = EncryptedCharField(_("身份证号"), max_length=18, hash_field="id_number_hash")
    id_number_hash = KeyedHashField(source="id_number", unique=True)
    id_facts = IdFactsField(source="id_number")   # what C-ID checks, so that no snapshot decrypts the IDs
    name = models.CharField(_("姓名"), max_length=40, db_index=True)
    gender = models.CharField(_("性别"), max_length=6, choices=c.Gender.choices, blank=True)
    birth_date = models.DateField(_("出生日期"), null=True, blank=True)
    history = registry_history("name")

    class Meta:
        verbose_name = _("人员")
        verbose_name_plural = _("人员")

    def __str__(self) -> str:
        return self.name


class MemberYear(TimeStampedModel):
    """One row of members.csv: a person's membership and circumstances in a household in one year."""

    household_year = models.ForeignKey(HouseholdYear, on_delete=models.CASCADE, related_name="members")
    # No index of its own: (person, year) is unique, which serves it (2.3 M rows a year in a province).
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="memberships", db_index=False)
    # Repeated from household_year so the database itself enforces one household per person per year. Indexed
    # alone too (see HouseholdYear.year).
    year = models.PositiveSmallIntegerField(_("年度"), db_index=True)
    relation = models.CharField(_("与户主关系"), max_length=14, choices=c.Relation.choices)
    education_level = models.CharField(
        _("文化程度"), max_length=12, choices=c.EducationLevel.choices, blank=True
    )
    school_status = models.CharField(_("在校生状况"), max_length=22, choices=c.SchoolStatus.choices, blank=True)
    health = models.CharField(_("健康状况"), max_length=16, choices=c.Health.choices, blank=True)
    disability_level = models.CharField(
        _("残疾等级"), max_length=8, choices=c.DisabilityLevel.choices, blank=True
    )
    disability_type = models.CharField(_("残疾类别"), max_length=14, choices=c.DisabilityType.choices, blank=True)
    labour_ability = models.CharField(_("劳动能力"), max_length=10, choices=c.LabourAbility.choices, blank=True)
    employment = models.CharField(_("务工状况"), max_length=16, choices=c.Employment.choices, blank=True)
    medical_insured = models.BooleanField(_("基本医疗保险"), **YES_NO)
    critical_illness_insured = models.BooleanField(_("大病保险"), **YES_NO)
    pension_insured = models.BooleanField(_("基本养老保险"), **YES_NO)
    receives_dibao = models.BooleanField(_("享受低保"), **YES_NO)
    member_status = models.CharField(
        _("成员状态"), max_length=10, choices=c.MemberStatus.choices, default=c.MemberStatus.ACTIVE
    )
    change_date = models.DateField(_("变动日期"), null=True, blank=True)
    history = registry_history("year", "person")

    class Meta:
        verbose_name = _("成员年度信息")
        verbose_name_plural = _("成员年度信息")
        ordering = ["household_year", "id"]
        # The indicator refresh's one pass over a year's members (active and insured members per household):
        # read from this index alone, already in household order, instead of the member rows and a sort.
        indexes = [models.Index(fields=["year", "member_status", "household_year", "medical_insured"],
                                name="memberyear_year_status_hy")]
        constraints = [
            models.UniqueConstraint(fields=["person", "year"], name="one_household_per_person_per_year"),
            models.UniqueConstraint(
                fields=["household_year"], condition=Q(relation=c.Relation.HEAD), name="one_head_per_household"
            ),
        ]



from sunshine.registry.models_transfer import ImportJob  # noqa: E402, F401  (registered with this app)
