"""The assistant's exception hierarchy. Every message says what to do next;
the CLI prints the message and exits with the class's exit code."""

from __future__ import annotations


class AssistantError(Exception):
    """Base class: a problem the user can fix. `exit_code` is used by the CLI."""

    exit_code = 1


class ConfigError(AssistantError):
    exit_code = 2


class ModelError(AssistantError):
    """The embedding model is missing, unverifiable or cannot be loaded."""

    exit_code = 3


class ModelVerificationError(ModelError):
    """A model file does not match the official hash list."""


class LoaderError(AssistantError):
    """A document could not be read (empty, corrupt, binary, unknown type)."""

    exit_code = 4

    def __init__(self, path, reason: str):
        self.path = str(path)
        self.reason = reason
        super().__init__(f"{self.path}: {reason}")


class IndexError_(AssistantError):
    """Base for index problems (named with a trailing underscore to avoid
    shadowing the builtin IndexError)."""

    exit_code = 5


class IndexMissingError(IndexError_):
    pass


class IndexMismatchError(IndexError_):
    pass


class IndexCorruptError(IndexError_):
    pass


class PromptError(AssistantError):
    pass


class LLMError(AssistantError):
    """The configured LLM backend failed (unreachable, bad answer)."""

    exit_code = 6


class EvalDataError(AssistantError):
    exit_code = 7
