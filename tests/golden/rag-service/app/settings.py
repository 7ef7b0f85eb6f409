from pydantic_settings import BaseSettings


class Settings(BaseSettings):
    llm_base_url: str = "http://vllm:8000/v1"
    llm_model: str = "Qwen/Qwen2.5-32B"
    llm_temperature: float = 0.0
