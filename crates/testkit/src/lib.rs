//! Test utilities shared by todobot crates (mock OpenAI-compatible LLM server).
