"""Synthetic demo regions: townships, villages, households and members that look like a county's
poverty registry (建档立卡) for 2018–2020, generated reproducibly from a seed.

Entry points: :func:`sunshine.demo.generator.generate_region` and
:func:`sunshine.demo.users.create_demo_users`. Nothing here is real personal data: names come from
Faker's zh_CN word lists, ID numbers are built with valid checksums but random birth dates and sequences.
"""
