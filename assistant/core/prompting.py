"""Prompt templates are files in the project's `prompts/` folder, shipped inside the
package as `assistant.prompts` and read with importlib.resources (so a regular wheel
install has them), rendered with `string.Template` syntax ($name). A missing variable
raises PromptError."""

from __future__ import annotations

import string
from functools import lru_cache
from importlib import resources

from assistant.core.errors import PromptError


@lru_cache(maxsize=128)
def load_prompt(name: str) -> string.Template:
    path = resources.files("assistant.prompts").joinpath(f"{name}.txt")
    if not path.is_file():
        raise PromptError(
            f"Prompt {name!r} not found in the package's prompts. Restore prompts/{name}.txt "
            "from the repository (and reinstall)."
        )
    return string.Template(path.read_text(encoding="utf-8").rstrip("\n"))


def render(name: str, **values: object) -> str:
    tmpl = load_prompt(name)
    try:
        return tmpl.substitute(**values)
    except KeyError as e:
        raise PromptError(f"Prompt {name!r} needs the variable {e.args[0]!r}, which was not given.") from e
    except ValueError as e:
        raise PromptError(f"Prompt {name!r} is malformed: {e}") from e
