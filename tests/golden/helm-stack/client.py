from openai import OpenAI

client = OpenAI(base_url="http://vllm-router-service/v1", api_key="none")
completion = client.chat.completions.create(  # expect: VL001
    model="meta-llama/Meta-Llama-3-8B",
    messages=[{"role": "user", "content": "What is a router?"}],
)
