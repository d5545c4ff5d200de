"""An instant jupyter-ai model provider: jupyter-ai's ``BaseProvider`` on LangChain's
``FakeListLLM``, registered through the ``jupyter_ai.model_providers`` entry point as
``instant``, so ``%%ai instant:model`` runs jupyter-ai's whole magic with no model latency.

The time spent inside the model call itself (``FakeListLLM._call``) is added to
:data:`MODEL_SECONDS`, so the benchmark can subtract it, as it does for our scripted backend.
"""

from __future__ import annotations

import time
from typing import Any, ClassVar

from jupyter_ai_magics import BaseProvider
from langchain_core.language_models.fake import FakeListLLM

#: The reply, the same code block our scripted backend returns: a right answer to the rows'
#: "Print the sum of the numbers from 1 to 10." (our intent check sends a reply that prints no
#: number back for repair, which would time a repair, not one cell).
REPLY = "```python\nprint(sum(range(1, 11)))\n```"
#: Seconds spent inside the model call, one entry per call (read and cleared by the benchmark).
MODEL_SECONDS: list[float] = []


class InstantProvider(BaseProvider, FakeListLLM):
    id: ClassVar[str] = "instant"
    name: ClassVar[str] = "Instant fake model (benchmarks)"
    models: ClassVar[list[str]] = ["model"]
    model_id_key: ClassVar[str] = "model"
    auth_strategy: ClassVar[Any] = None

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("responses", [REPLY])
        super().__init__(**kwargs)

    def _call(self, *args: Any, **kwargs: Any) -> str:
        started = time.perf_counter()
        try:
            return super()._call(*args, **kwargs)
        finally:
            MODEL_SECONDS.append(time.perf_counter() - started)
