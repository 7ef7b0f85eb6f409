"""vlint: catch base LLMs served by vLLM and used through chat APIs or at very low temperature."""

from __future__ import annotations

__version__ = "0.1.0"
