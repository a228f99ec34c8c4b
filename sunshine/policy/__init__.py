"""Versioned policy standards (政策标准): the numbers of ../shared/spec/policy-rules.md as data."""
