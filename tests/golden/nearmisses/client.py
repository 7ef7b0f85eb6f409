"""Qwen/Qwen2.5-14B is a base model; we use the instruct one. client.chat.completions.create(model="Qwen/Qwen2.5-14B")"""
import os

from openai import OpenAI

# response = client.chat.completions.create(model="meta-llama/Llama-3.1-8B", temperature=0)
client = OpenAI(base_url="http://localhost:11434/v1", api_key="ollama")
thermostat = object()


def ask(prompt):
    client.chat.completions.create(model="llama3.1:8b", messages=[{"role": "user", "content": prompt}], temperature=0)
    client.chat.completions.create(model="Qwen/Qwen2.5-14B-Instruct", messages=[], temperature=0.1)
    client.chat.completions.create(model=os.environ["MODEL"], messages=[], temperature=0)
    client.completions.create(model="Qwen/Qwen2.5-14B", prompt="The weather today is", temperature=0.9)
    model_id = client.models.list().data[0].id
    client.chat.completions.create(model=model_id, messages=[], temperature=0)
    thermostat.set(temperature=0.1)
    return None
