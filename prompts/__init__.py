"""The prompts, shipped as package data (``alephtx.prompts``): see README.md here and
``alephtx.agent.prompts``."""
