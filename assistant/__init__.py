"""Wenshu 问数: a metric catalog turned into answers, offline by default."""

__version__ = "0.1.0"
