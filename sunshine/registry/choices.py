"""Registry enumerations of ../shared/spec/data-dictionary.md.

The value is the English slug code uses; the label is the Chinese word files and pages carry. Labels
are part of the interchange format, so they are literal and not translated."""

from __future__ import annotations

from django.db import models


class HouseholdType(models.TextChoices):
    GENERAL = "general", "一般户"
    DIBAO = "dibao", "低保户"
    TEKUN = "tekun", "特困供养户"


class SupportCategory(models.TextChoices):
    DEVELOPMENT = "development", "开发式帮扶"
    SAFETY_NET = "safety_net", "兜底保障"


class MainCause(models.TextChoices):
    ILLNESS = "illness", "因病"
    DISABILITY = "disability", "因残"
    EDUCATION = "education", "因学"
    DISASTER = "disaster", "因灾"
    LAND = "land", "缺土地"
    WATER = "water", "缺水"
    SKILLS = "skills", "缺技术"
    LABOUR = "labour", "缺劳力"
    CAPITAL = "capital", "缺资金"
    TRANSPORT = "transport", "交通条件落后"
    MOTIVATION = "motivation", "自身发展动力不足"
    OTHER = "other", "其他"


class HouseholdStatus(models.TextChoices):
    IN_POVERTY = "in_poverty", "未脱贫"
    EXITED = "exited", "已脱贫"
    RETURNED = "returned", "返贫"
    CLOSED = "closed", "已销户"


class HousingGrade(models.TextChoices):
    A = "A", "A"
    B = "B", "B"
    C = "C", "C"
    D = "D", "D"


DANGEROUS_HOUSING_GRADES = frozenset({HousingGrade.C, HousingGrade.D})


class RenovationStatus(models.TextChoices):
    NOT_NEEDED = "not_needed", "无需改造"
    PENDING = "pending", "未改造"
    IN_PROGRESS = "in_progress", "改造中"
    DONE = "done", "已改造"


class Gender(models.TextChoices):
    MALE = "male", "男"
    FEMALE = "female", "女"


class Relation(models.TextChoices):
    HEAD = "head", "户主"
    SPOUSE = "spouse", "配偶"
    CHILD = "child", "子女"
    CHILD_IN_LAW = "child_in_law", "儿媳女婿"
    GRANDCHILD = "grandchild", "孙辈"
    PARENT = "parent", "父母"
    GRANDPARENT = "grandparent", "祖父母"
    SIBLING = "sibling", "兄弟姐妹"
    OTHER = "other", "其他"


class EducationLevel(models.TextChoices):
    ILLITERATE = "illiterate", "文盲或半文盲"
    PRIMARY = "primary", "小学"
    JUNIOR = "junior", "初中"
    SENIOR = "senior", "高中"
    VOCATIONAL = "vocational", "中专"
    COLLEGE = "college", "大专及以上"


# "Has completed 初中" in policy-rules.md.
COMPLETED_JUNIOR = frozenset(
    {EducationLevel.JUNIOR, EducationLevel.SENIOR, EducationLevel.VOCATIONAL, EducationLevel.COLLEGE}
)


class SchoolStatus(models.TextChoices):
    NOT_IN_SCHOOL = "not_in_school", "非在校生"
    PRESCHOOL = "preschool", "学前教育"
    PRIMARY = "primary", "小学"
    JUNIOR = "junior", "初中"
    SENIOR = "senior", "高中"
    SECONDARY_VOCATIONAL = "secondary_vocational", "中职"
    HIGHER_VOCATIONAL = "higher_vocational", "高职"
    COLLEGE = "college", "大专及以上"
    DROPPED_OUT = "dropped_out", "辍学"
    SUSPENDED = "suspended", "休学"
    HOME_TAUGHT = "home_taught", "送教上门"


class Health(models.TextChoices):
    HEALTHY = "healthy", "健康"
    CHRONIC = "chronic", "长期慢性病"
    SERIOUS_ILLNESS = "serious_illness", "大病"
    DISABLED = "disabled", "残疾"


class DisabilityLevel(models.TextChoices):
    LEVEL1 = "level1", "一级"
    LEVEL2 = "level2", "二级"
    LEVEL3 = "level3", "三级"
    LEVEL4 = "level4", "四级"


class DisabilityType(models.TextChoices):
    VISUAL = "visual", "视力"
    HEARING = "hearing", "听力"
    SPEECH = "speech", "言语"
    PHYSICAL = "physical", "肢体"
    INTELLECTUAL = "intellectual", "智力"
    MENTAL = "mental", "精神"
    MULTIPLE = "multiple", "多重"


class LabourAbility(models.TextChoices):
    ORDINARY = "ordinary", "普通劳动力"
    SKILLED = "skilled", "技能劳动力"
    WEAK = "weak", "弱劳动力"
    LOST = "lost", "丧失劳动力"
    NONE = "none", "无劳动力"


class Employment(models.TextChoices):
    NOT_EMPLOYED = "not_employed", "未务工"
    IN_COUNTY = "in_county", "县内务工"
    IN_PROVINCE = "in_province", "省内县外务工"
    OUT_OF_PROVINCE = "out_of_province", "省外务工"


class MemberStatus(models.TextChoices):
    ACTIVE = "active", "在册"
    DECEASED = "deceased", "死亡"
    MOVED_OUT = "moved_out", "迁出"

