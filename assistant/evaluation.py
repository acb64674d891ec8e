"""Evaluation commands (filled in by the evaluation issue)."""


def add_commands(sub) -> None:
    pass
