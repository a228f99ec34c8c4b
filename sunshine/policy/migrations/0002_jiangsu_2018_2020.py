"""The Jiangsu 2018–2020 standard of docs/rules.md, for the province.

The parameters are written out here, not taken from StandardParameters' defaults: a migration must load
the same data whenever it runs, even after the defaults of the code change."""

from django.db import migrations

VERSION = "js-2018-2020-v1"
PARAMETERS = {
    "income_line": 6000,
    "village_income_line": 180000,
    "county_household_share": 0.97,
    "county_village_share": 1,
    "school_age_min": 6,
    "school_age_max": 15,
    "age_cutoff_month": 9,
    "age_cutoff_day": 1,
    "pension_age_min": 16,
    "business_capital_min": 100000,
    "medical_cost_signal": 10000,
    "monitoring_multiplier": 1.5,
    "income_drop_share": 0.3,
    "verification_days": 15,
    "funds_delay_days": 90,
    "loan_max": 50000,
    "loan_max_years": 3,
    "loan_overdue_risk_days": 0,
    "loan_overdue_warning_days": 90,
}


def load(apps, schema_editor):
    PolicyStandard = apps.get_model("policy", "PolicyStandard")
    PolicyStandard.objects.update_or_create(
        version=VERSION,
        defaults={
            "name": "江苏省2018–2020年脱贫标准",
            "year_from": 2018,
            "year_to": 2020,
            "region_id": "320000000000",
            "parameters": PARAMETERS,
            "notes": "省定标准:人均年收入6000元,两不愁三保障;经济薄弱村集体经济收入18万元;"
                     "重点帮扶县达标户占比97%、经济薄弱村全部达标(policy-rules.md §1–§6)。",
        },
    )


def unload(apps, schema_editor):
    apps.get_model("policy", "PolicyStandard").objects.filter(version=VERSION).delete()


class Migration(migrations.Migration):
    dependencies = [("policy", "0001_initial"), ("core", "0002_reference_divisions")]
    operations = [migrations.RunPython(load, unload)]
