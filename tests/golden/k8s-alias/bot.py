import requests

URL = "http://llm-server/v1/chat/completions"


def reply(history):
    payload = {"model": "assistant", "messages": history, "temperature": 0.7}
    r = requests.post(URL, json=payload, timeout=30)  # expect: VL001
    r.raise_for_status()
    return r.json()["choices"][0]["message"]["content"]
