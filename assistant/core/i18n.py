"""Every text the assistant shows, in Swedish, Danish, Norwegian (bokmål) and English.

One message catalogue per language (`messages/<lang>.toml`, package data): the page, the
answer frames, the notes and the errors. `t(lang, key, **values)` formats one text; a
value the text needs and is not given raises `MessageError`. Names of languages, months
and dates come from CLDR through Babel. `ui_language()` picks the page's language from a
stored choice or the browser's languages."""

from __future__ import annotations

import datetime
import string
import tomllib
from functools import lru_cache
from importlib import resources

from babel import Locale
from babel.dates import format_date

from assistant.core.errors import AssistantError

LANGS = ("sv", "da", "no", "en")
LOCALES = {"sv": "sv", "da": "da", "no": "nb", "en": "en_GB"}  # the CLDR locale of each language
STORAGE_KEY = "minutes-assistant-lang"  # localStorage key for the member's choice


class MessageError(AssistantError):
    """A catalogue lacks a text, or a text lacks a value."""


@lru_cache(maxsize=len(LANGS))
def catalogue(lang: str) -> dict:
    """The texts of one language (`messages/<lang>.toml`)."""
    if lang not in LANGS:
        raise MessageError(f"No message catalogue for {lang!r}; the languages are {', '.join(LANGS)}.")
    data = resources.files("assistant.core").joinpath("messages", f"{lang}.toml").read_text(encoding="utf-8")
    return tomllib.loads(data)


def t(lang: str, key: str, **values: object) -> str:
    """The text `key` in `lang` (English for an unknown language), with `values` filled in."""
    texts = catalogue(lang if lang in LANGS else "en")
    if key not in texts:
        raise MessageError(
            f"The {lang} message catalogue has no text {key!r}. Add it to assistant/core/messages/{lang}.toml."
        )
    text = texts[key]
    needed = {name for _, name, _, _ in string.Formatter().parse(text) if name}
    missing = needed - values.keys()
    if missing:
        raise MessageError(f"The text {key!r} needs {', '.join(sorted(missing))}, which was not given.")
    return text.format(**values) if needed else text


def t_count(lang: str, key: str, n: int, **values: object) -> str:
    """`key` for a count `n`: the text `<key>_1` when n is 1 and the catalogue has one
    ("Funnet i 1 dokument", not "1 dokumenter"), else `key`; n is given as {n}."""
    one = f"{key}_1"
    return t(lang, one if n == 1 and one in catalogue(lang if lang in LANGS else "en") else key, n=n, **values)


def examples(lang: str) -> list[str]:
    """Example questions for the start screen."""
    return list(catalogue(lang if lang in LANGS else "en").get("examples", []))


def language_name(code: str, lang: str) -> str:
    """The name of language `code` in language `lang` ("danska" in Swedish)."""
    return Locale.parse(LOCALES[lang]).languages.get("no" if code == "no" else code, code)


def own_name(code: str) -> str:
    """A language's name in itself, capitalised ("Svenska", "Dansk", "Norsk", "English")."""
    name = language_name(code, code)
    return name[:1].upper() + name[1:]


def month_names(lang: str) -> list[str]:
    """The twelve month names, January first."""
    wide = Locale.parse(LOCALES[lang]).months["format"]["wide"]
    return [wide[m] for m in range(1, 13)]


def human_date(iso: str | None, lang: str) -> str:
    """'2023-03-17' -> '17 mars 2023' (sv), '17. marts 2023' (da), '17 March 2023' (en);
    text that is not an ISO date is returned as it is."""
    if not iso:
        return ""
    try:
        day = datetime.date.fromisoformat(iso[:10])
    except ValueError:
        return iso
    return format_date(day, "long", locale=LOCALES.get(lang, "en_GB"))


def ui_language(preferred: str | None) -> str:
    """sv/da/no/en from a stored choice ("da") or a browser language list / Accept-Language
    header ("nb-NO,nb;q=0.9,en;q=0.5"); nb/nn count as no; English when none fits."""
    for part in (preferred or "").split(","):
        code = part.split(";")[0].strip().lower()[:2]
        code = {"nb": "no", "nn": "no"}.get(code, code)
        if code in LANGS:
            return code
    return "en"
