"""Translate between OpenAI's chat/completions shape and the Messages shape the simulator
answers, so an OpenAI-compatible client gets the very same answers, tokens and faults."""

from typing import Any

from strata.llm_sim.engine import invalid

_FINISH = {"max_tokens": "length", "end_turn": "stop"}


def as_messages_body(chat: dict[str, Any]) -> dict[str, Any]:
    messages = chat.get("messages")
    if not isinstance(messages, list):
        raise invalid("messages: Field required")
    system = [m.get("content", "") for m in messages if m.get("role") == "system"]
    rest = [m for m in messages if m.get("role") in ("user", "assistant")]
    return {
        "model": chat.get("model"),
        "max_tokens": chat.get("max_tokens") or chat.get("max_completion_tokens") or 4096,
        "system": "\n\n".join(str(s) for s in system),
        "messages": [{"role": m["role"], "content": m.get("content", "")} for m in rest],
    }


def as_chat_completion(message: dict[str, Any]) -> dict[str, Any]:
    usage = message["usage"]
    cached = usage["cache_read_input_tokens"]
    prompt = usage["input_tokens"] + cached + usage["cache_creation_input_tokens"]
    return {
        "id": message["id"].replace("msg_", "chatcmpl_"),
        "object": "chat.completion",
        "model": message["model"],
        "choices": [{
            "index": 0,
            "message": {"role": "assistant", "content": message["content"][0]["text"]},
            "finish_reason": _FINISH.get(message["stop_reason"], message["stop_reason"]),
        }],
        "usage": {
            "prompt_tokens": prompt,
            "completion_tokens": usage["output_tokens"],
            "total_tokens": prompt + usage["output_tokens"],
            "prompt_tokens_details": {"cached_tokens": cached},
        },
    }  # fmt: skip
