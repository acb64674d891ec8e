"""What this machine's CPU can do, read once: its flags and physical cores. Models pick
their dtypes and thread counts from here (measured in eval/bench.py): emulated bf16 is
about 3-5x slower than fp32; ONNX Runtime runs fp32 1.3-1.8x faster than torch on an
AVX2 CPU, and its int8 kernels make a quantised question encoder the fastest with VNNI."""
from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path


@lru_cache(maxsize=1)
def cpu_flags() -> frozenset[str]:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            return next((frozenset(line.split(":", 1)[1].split()) for line in f if line.startswith("flags")), frozenset())
    except OSError:
        return frozenset()


@lru_cache(maxsize=1)
def cpu_name() -> str:
    """The CPU's model name ("AMD EPYC 9B14", "Intel(R) Xeon(R) Processor"): eval figures
    differ slightly between CPUs (bf16 and int8 kernels round differently), so reports name it."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            return next((line.split(":", 1)[1].strip() for line in f if line.startswith("model name")), "unknown CPU")
    except OSError:
        return "unknown CPU"


@lru_cache(maxsize=1)
def physical_cores() -> int:
    """Cores this process may run on, counting each physical core once (SMT siblings
    share one)."""
    try:
        cpus = os.sched_getaffinity(0)
        cores = {Path(f"/sys/devices/system/cpu/cpu{c}/topology/core_cpus_list").read_text().strip() for c in cpus}
        return max(1, len(cores))
    except (OSError, AttributeError):
        return max(1, os.cpu_count() or 1)


def native_bf16(flags: frozenset[str] | set[str] | None = None) -> bool:
    return bool((cpu_flags() if flags is None else flags) & {"avx512_bf16", "amx_bf16"})


def int8_dot(flags: frozenset[str] | set[str] | None = None) -> bool:
    return bool((cpu_flags() if flags is None else flags) & {"avx512_vnni", "avx_vnni", "amx_int8"})


def document_dtype(setting: str = "auto", flags=None, onnx: bool = False) -> str:
    """For embedding documents (quality first): bf16 where the CPU computes it natively,
    else fp32, in ONNX Runtime where the model has an ONNX export (`onnx`): the same
    vectors (cosine 0.99999); on an AVX2-only EPYC 3.5 against 1.9 passages/s, the shipped
    index in 67-97 s against 108-131 s in torch's fp32 (README)."""
    if setting != "auto":
        return setting
    if native_bf16(flags):
        return "bfloat16"
    return "onnx-float32" if onnx else "float32"


def query_dtype(setting: str = "auto", flags=None, onnx: bool = False) -> str:
    """For embedding questions (latency first, then the model's own vectors): where the
    model has an ONNX export (`onnx`), int8 in ONNX Runtime on CPUs with VNNI (21 ms against
    89 ms in torch's int8 on a VNNI Xeon, eval/qa.jsonl's retrieval unchanged), else fp32 in
    ONNX Runtime (59 ms on an AVX2-only EPYC against 39 ms in int8 and 218 ms in torch's
    fp32: exact vectors for 20 ms; see README); without an export, torch's dynamic int8
    where the CPU has VNNI, else the documents' dtype."""
    if setting != "auto":
        return setting
    f = cpu_flags() if flags is None else flags
    if onnx:
        return "onnx-int8" if int8_dot(f) else "onnx-float32"
    return "int8" if int8_dot(f) else document_dtype("auto", f)


def threads(setting: int = 0) -> int:
    return setting if setting > 0 else physical_cores()
