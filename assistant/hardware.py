"""What this machine's CPU can do, read once: its flags and physical cores. Models pick
their dtypes and thread counts from here (measured in eval/bench.py): emulated bf16 is
about 3-5x slower than fp32, while ONNX Runtime's int8 kernels (VNNI, or AVX2 alone)
make a quantised question encoder the fastest on every CPU measured."""
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


def document_dtype(setting: str = "auto", flags=None) -> str:
    """For embedding documents (quality first): bf16 where the CPU computes it natively,
    else fp32."""
    if setting != "auto":
        return setting
    return "bfloat16" if native_bf16(flags) else "float32"


def query_dtype(setting: str = "auto", flags=None, onnx: bool = False) -> str:
    """For embedding questions (latency first): int8 in ONNX Runtime where the model has an
    ONNX export (`onnx`) and the CPU has VNNI or at least AVX2 (ONNX Runtime's int8 kernels
    use either: 21 ms against 89 ms in torch's int8 on a VNNI Xeon; 48 ms against 208 ms
    in fp32 on an AVX2-only EPYC; eval/qa.jsonl's retrieval unchanged on both; see README);
    torch's dynamic int8 where the CPU has VNNI but the model no export; else the
    documents' dtype."""
    if setting != "auto":
        return setting
    f = cpu_flags() if flags is None else flags
    if onnx and (int8_dot(f) or "avx2" in f):
        return "onnx-int8"
    return "int8" if int8_dot(f) else document_dtype("auto", f)


def threads(setting: int = 0) -> int:
    return setting if setting > 0 else physical_cores()
