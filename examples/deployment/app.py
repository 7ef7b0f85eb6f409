"""A client that only knows the served alias; vlint follows it to the Deployment."""

import os

from openai import OpenAI

client = OpenAI(base_url=os.environ.get("LLM_URL", "http://qwen:8000/v1"), api_key="EMPTY")

reply = client.chat.completions.create(
    model="qwen-prod",
    messages=[{"role": "user", "content": "Write a haiku about queues."}],
)
