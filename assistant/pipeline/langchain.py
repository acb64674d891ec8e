"""The assistant as a LangChain component: `MinutesRetriever` is a `BaseRetriever`, so
any LangChain chain, agent or evaluator can use the assistant's retrieval (hybrid
search, filters, multilingual) and get `Document`s with citation-ready metadata.

    retriever = Assistant(load_settings()).as_retriever(k=5)
    docs = retriever.invoke("Hvornår skal udredningen være færdig?", k=3)
"""

from __future__ import annotations

from typing import Any

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict

from assistant.index.filters import Filters
from assistant.index.store import SearchIndex
from assistant.retrieval.hybrid import Hit


def to_document(hit: Hit, index: SearchIndex) -> Document:
    c = hit.chunk
    doc = index.documents.get(c.source)
    return Document(
        page_content=c.text,
        id=c.chunk_id,
        metadata={
            "source": c.source,
            "title": c.title,
            "date": c.date,
            "language": c.language,
            "heading": doc.heading_at(c.start) if doc else " > ".join(c.headings),
            "start": c.start,
            "end": c.end,
            "score": round(hit.score, 6),
            "chunk_id": c.chunk_id,
        },
    )


class MinutesRetriever(BaseRetriever):
    """Retrieves passages from the minutes. `k` can be set here or per call
    (`invoke(query, k=3)`); `filters` restricts documents, languages and years."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    assistant: Any
    k: int = 5
    filters: Filters | None = None

    def _get_relevant_documents(
        self,
        query: str,
        *,
        run_manager: CallbackManagerForRetrieverRun,
        k: int | None = None,
        filters: Filters | None = None,
        **kwargs: Any,
    ) -> list[Document]:
        retrieval = self.assistant.retrieve(query, k or self.k, filters or self.filters)
        index = self.assistant.index
        return [to_document(h, index) for h in retrieval.hits]
