"""LangGraph agent: graph, LLM backends, memory, chat/Telegram/scheduler interfaces (issue 6)."""
