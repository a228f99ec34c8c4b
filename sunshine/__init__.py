"""Sunshine (阳光扶贫): precise poverty alleviation and its supervision."""

__version__ = "0.1.0"
