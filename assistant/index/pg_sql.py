"""SQL of the pgvector store's read side (`pg_index.py`): one generation's view, chunk
rows by id, dense search (HNSW, or an exact scan), and BM25 keyword search computed in
SQL over the full-text index: `TERMS` stems the question in all four languages and reads
each lexeme's document frequency; `BM25` scores the chunks that contain the rarest terms
(`candidate_terms`) with every term, tf from the chunk's tsvector, k1 and b as bm25s."""
from __future__ import annotations

from typing import Sequence

from assistant.index.pg_schema import CHUNKS, DOCS, FOLD_FROM, FOLD_TO, LEXEMES, META, SENTS

K1, B = 1.5, 0.75             # BM25, as bm25s in the local store
LEX_BUDGET = 2000             # keyword candidates: chunks with the rarest query terms, up to ~this many

VIEW = (f"SELECT m.generation, m.manifest, m.schema_version, "
        f"(SELECT coalesce(jsonb_object_agg(d.source, d.id), '{{}}') FROM {DOCS} d "
        f" WHERE d.gen_from <= m.generation AND (d.gen_to IS NULL OR d.gen_to > m.generation)), "
        f"(SELECT coalesce(array_agg(d.id), '{{}}') FROM {DOCS} d WHERE d.gen_to <= m.generation), m.incarnation "
        f"FROM {META} m")
ROWS = (f"SELECT c.id, c.chunk_id, c.source, c.title, c.language, c.date, c.headings, c.span_start, c.span_end, "
        f"c.text, c.context, c.embedding, s.starts, s.ends, s.vecs, s.search_vecs FROM {CHUNKS} c LEFT JOIN LATERAL ("
        f" SELECT array_agg(span_start ORDER BY position) starts, array_agg(span_end ORDER BY position) ends, "
        f" array_agg(embedding ORDER BY position) vecs, array_agg(search_embedding ORDER BY position) search_vecs "
        f" FROM {SENTS} WHERE chunk = c.id) s ON true WHERE c.id = ANY(%s)")
DENSE_HNSW = (f"WITH r AS MATERIALIZED (SELECT c.id, c.embedding <#> %(q)b AS d FROM {CHUNKS} c WHERE {{where}} "
              "ORDER BY d LIMIT %(k)s) SELECT id, d FROM r ORDER BY d, id")
DENSE_EXACT = (f"SELECT id, d FROM (SELECT c.id, c.embedding <#> %(q)b AS d FROM {CHUNKS} c WHERE {{where}} OFFSET 0) r "
               "ORDER BY d, id LIMIT %(k)s")
TERMS = (f"WITH tok AS (SELECT d.ord, d.lexemes FROM unnest(%(langs)s::text[]) AS c(lang) CROSS JOIN LATERAL "
         " ts_debug(assistant_tsconfig(c.lang), %(q)s) WITH ORDINALITY AS d(alias, description, token, dictionaries, dictionary, lexemes, ord)"
         " WHERE d.lexemes IS NOT NULL), "
         "kept AS (SELECT ord FROM tok GROUP BY ord HAVING bool_and(cardinality(lexemes) > 0)), "
         f"terms AS (SELECT DISTINCT translate(l, '{FOLD_FROM}', '{FOLD_TO}') AS lexeme "
         " FROM tok JOIN kept USING (ord) CROSS JOIN LATERAL unnest(tok.lexemes) AS l) "
         f"SELECT t.lexeme, s.df, m.lex_chunks, m.lex_words FROM terms t JOIN {LEXEMES} s USING (lexeme), {META} m")
BM25 = (f"WITH q AS (SELECT * FROM unnest(%(lex)s::text[], %(idf)s::float8[]) AS q(lexeme, idf)), "
        "cand AS (SELECT c.id, c.n_words, ts_filter(setweight(c.tsv, 'A', %(lex)s), '{{a}}') AS tsv "
        f" FROM {CHUNKS} c WHERE c.tsv @@ %(tsq)s::tsquery AND {{where}}) "
        f"SELECT c.id, sum(q.idf * u.tf * {K1 + 1} / (u.tf + {K1} * (1 - {B} + {B} * c.n_words / %(avgdl)s))) AS score "
        "FROM cand c CROSS JOIN LATERAL (SELECT lexeme, cardinality(positions)::float8 AS tf FROM unnest(c.tsv)) u "
        "JOIN q ON q.lexeme = u.lexeme GROUP BY c.id ORDER BY score DESC, c.id LIMIT %(k)s")


def candidate_terms(terms: list[tuple]) -> list[str]:
    """The query terms whose chunks are scored: rarest first while their document
    frequencies add up to at most LEX_BUDGET (always at least one). All terms score
    these candidates; chunks that contain only the commonest query words are not scored
    (a bound on the work per question). On small corpora every term is used (exact BM25)."""
    out: list[str] = []
    total = 0
    for lexeme, df, _, _ in sorted(terms, key=lambda t: t[1]):
        if out and total + df > LEX_BUDGET:
            break
        out.append(lexeme)
        total += df
    return out


def tsquery(lexemes: Sequence[str]) -> str:
    return " | ".join("'" + t.replace("\\", "\\\\").replace("'", "''") + "'" for t in lexemes)
