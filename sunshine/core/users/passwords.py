"""Password rules (AUTH_PASSWORD_VALIDATORS) and one-time passwords.

GB/T 22239-2019 level 3 asks for passwords of sufficient complexity: besides Django's minimum length (10)
and common-password list, a password needs three of the four character classes and must not be, or contain,
the user name."""

from __future__ import annotations

import secrets
import string
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

# Letters and digits that cannot be misread when copied from a screen or paper (no 0/O, 1/l/I).
_ALPHABET = "".join(ch for ch in string.ascii_letters + string.digits if ch not in "0O1lI")


def character_classes(password: str) -> int:
    """How many of lower case, upper case, digits and other characters the password uses."""
    has_lower = any("a" <= ch <= "z" for ch in password)
    has_upper = any("A" <= ch <= "Z" for ch in password)
    has_digit = any(ch.isdigit() for ch in password)
    has_other = any(not (ch.isascii() and ch.isalnum()) for ch in password)
    return has_lower + has_upper + has_digit + has_other


class CharacterClassesValidator:
    """At least ``min_classes`` of: lower case letters, upper case letters, digits, symbols."""

    def __init__(self, min_classes: int = 3) -> None:
        self.min_classes = min_classes

    def validate(self, password: str, user: Any = None) -> None:
        if character_classes(password) < self.min_classes:
            raise ValidationError(
                _("密码应至少包含小写字母、大写字母、数字、符号中的 %(n)d 类。") % {"n": self.min_classes},
                code="password_too_simple")

    def get_help_text(self) -> str:
        return _("至少包含小写字母、大写字母、数字、符号中的 %(n)d 类。") % {"n": self.min_classes}


class NotUsernameValidator:
    """The password is not the user name and does not contain it (letter case ignored)."""

    def validate(self, password: str, user: Any = None) -> None:
        username = (getattr(user, "username", "") or "").strip().lower()
        if username and username in password.lower():
            raise ValidationError(_("密码不能是用户名,也不能包含用户名。"), code="password_has_username")

    def get_help_text(self) -> str:
        return _("不能是用户名,也不能包含用户名。")


def one_time_password(username: str = "") -> str:
    """A random password such as "Kp7m-x3Qa-9TwR" (14 characters, four classes), to be changed at first use;
    never one that contains ``username`` (a short name like "li" turns up by chance), so it passes the rules."""
    name = username.casefold()
    while True:
        password = "-".join("".join(secrets.choice(_ALPHABET) for _ in range(4)) for _ in range(3))
        if character_classes(password) == 4 and not (name and name in password.casefold()):
            return password
