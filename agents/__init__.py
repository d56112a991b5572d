"""Agent definitions, model providers, tools, knowledge and the demo business backend."""
