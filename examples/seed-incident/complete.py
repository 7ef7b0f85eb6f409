"""Also fine: the base model through the completions API, with a prompt written for continuation."""

from openai import OpenAI

client = OpenAI(base_url="http://localhost:8000/v1", api_key="EMPTY")
story = client.completions.create(
    model="Qwen/Qwen2.5-14B",
    prompt="The lighthouse keeper opened the door and",
    temperature=0.8,
    max_tokens=64,
)
