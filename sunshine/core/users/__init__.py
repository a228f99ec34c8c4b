"""User administration: roles and their divisions, password rules, the commands and the pages."""
