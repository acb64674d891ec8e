"""Multilingual question answering over union meeting minutes, with citations."""

__version__ = "0.1.0"
