"""Versioned policy standards (政策标准): the numbers of docs/rules.md as data."""
