"""Prompt templates as files (`$name` placeholders). This folder ships inside the wheel as
the package `assistant.prompts` (see pyproject.toml) and is read by name through
importlib.resources in `assistant/prompting.py`."""
