"""Answer questions over retrieved passages."""
import os

from openai import AsyncOpenAI

SYSTEM = "You answer strictly from the provided context."
MODEL = os.getenv("LLM_MODEL", "Qwen/Qwen2.5-32B")

client = AsyncOpenAI(base_url=os.getenv("LLM_BASE_URL", "http://vllm:8000/v1"), api_key="EMPTY")


async def answer(question: str, passages: list[str], temperature: float = 0.0) -> str:
    context = "\n\n".join(passages)
    response = await client.chat.completions.create(  # expect: VL001 VL002
        model=MODEL,
        messages=[
            {"role": "system", "content": SYSTEM},
            {"role": "user", "content": f"Context:\n{context}\n\nQuestion: {question}"},
        ],
        temperature=temperature,
        max_tokens=512,
    )
    return response.choices[0].message.content or ""


async def embed(texts: list[str]):
    return await client.embeddings.create(model="BAAI/bge-m3", input=texts)
