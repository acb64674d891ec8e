"""Prompt templates live as files in `prompts/`, loaded by name and rendered with
`string.Template` syntax ($name). A missing variable raises PromptError."""
from __future__ import annotations

import string
from functools import lru_cache
from pathlib import Path

from .errors import PromptError

PROMPTS_DIR = Path(__file__).resolve().parent.parent / "prompts"


@lru_cache(maxsize=64)
def load_prompt(name: str, prompts_dir: Path = PROMPTS_DIR) -> string.Template:
    path = prompts_dir / f"{name}.txt"
    if not path.is_file():
        raise PromptError(f"Prompt {name!r} not found at {path}. Restore the file from the repository.")
    return string.Template(path.read_text(encoding="utf-8").rstrip("\n"))


def render(name: str, prompts_dir: Path = PROMPTS_DIR, **values: object) -> str:
    tmpl = load_prompt(name, prompts_dir)
    try:
        return tmpl.substitute(**values)
    except KeyError as e:
        raise PromptError(f"Prompt {name!r} needs the variable {e.args[0]!r}, which was not given.") from e
    except ValueError as e:
        raise PromptError(f"Prompt {name!r} is malformed: {e}") from e
