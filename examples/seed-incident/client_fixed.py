"""The fix: the instruct sibling of the same model."""

from openai import OpenAI

client = OpenAI(base_url="http://localhost:8000/v1", api_key="EMPTY")


def summarise(ticket: str) -> str:
    response = client.chat.completions.create(
        model="Qwen/Qwen2.5-14B-Instruct",
        messages=[{"role": "user", "content": f"Summarise this support ticket:\n{ticket}"}],
        temperature=0.1,
    )
    return response.choices[0].message.content
