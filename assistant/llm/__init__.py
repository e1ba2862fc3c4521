"""The LLM path: an OpenAI-compatible model reads questions the rules engine can't.

    from assistant.llm import build_engine, load_config
    engine = build_engine("hybrid", catalog, database)           # or "llm" / "rules"
    understood = engine.understand("顾客平均每单花多少钱?", as_of=date(2026, 11, 16))
    understood.result      # QueryPlan | Clarify | Refuse | FreeSQL
    understood.engine      # "rules" | "llm"
    understood.notice      # why the answer is not what was asked for (LLM down, free SQL…)
    understood.usage       # prompt/completion tokens, latency

Modules: ``config`` (settings), ``client`` (calls, budget, failures),
``retrieval`` (the catalog entries a prompt may see), ``prompts`` (templates),
``planner`` (plan + checks + one repair), ``guard`` (the SQL gate),
``freesql`` (the free-SQL fallback), ``hybrid`` (the engines).
"""

from assistant.llm.client import LLMUnavailable, Usage
from assistant.llm.config import ENGINES, ConfigError, LLMConfig, config_path, load_config
from assistant.llm.freesql import FreeSQL, FreeSQLWriter, SQLReply, run_free_sql
from assistant.llm.guard import GuardedSQL, GuardRejection, guard_sql
from assistant.llm.hybrid import HybridEngine, LLMEngine, LLMUnderstood, RulesOnlyEngine, build_engine
from assistant.llm.planner import LLMPlanner, PlanReply, check_plan
from assistant.llm.retrieval import RetrievedContext, retrieve

__all__ = [
    "ENGINES",
    "ConfigError",
    "FreeSQL",
    "FreeSQLWriter",
    "GuardRejection",
    "GuardedSQL",
    "HybridEngine",
    "LLMConfig",
    "LLMEngine",
    "LLMPlanner",
    "LLMUnavailable",
    "LLMUnderstood",
    "PlanReply",
    "RetrievedContext",
    "RulesOnlyEngine",
    "SQLReply",
    "Usage",
    "build_engine",
    "check_plan",
    "config_path",
    "guard_sql",
    "load_config",
    "retrieve",
    "run_free_sql",
]
