"""Ticket search: embeddings and reranking."""

from sentence_transformers import CrossEncoder, SentenceTransformer


def load_search():
    embedder = SentenceTransformer("BAAI/bge-m3")
    reranker = CrossEncoder("praxis/relevance-3b")
    return embedder, reranker
