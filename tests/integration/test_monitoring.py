"""Monitoring that ships: the alert rules checked and unit-tested by promtool, fired by a real
Prometheus (Debian's package, unpacked by the Makefile) scraping a real node; the Grafana
dashboard checked against Grafana's schema-generated types (Grafana itself cannot be installed
here: docs/monitoring.md)."""

from __future__ import annotations

import importlib.util
import json
import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import yaml

from tests.integration.test_node import CONFIG, Env, node
from tests.support.servers import free_port

ROOT = Path(__file__).resolve().parents[2]
MON = ROOT / "monitoring"


def tool(name: str) -> str:
    """Prometheus's binaries: on the PATH, else where the Makefile unpacked Debian's package."""
    found = shutil.which(name) or str(ROOT / ".venv" / "prometheus" / "usr" / "bin" / name)
    assert Path(found).exists(), f"{name} is missing: `make test` unpacks it (scripts/system-deps.sh)"
    return found


def test_alert_rules_pass_promtool_and_their_unit_tests() -> None:
    for args in (
        ("check", "rules", "alerts.yml"),
        ("test", "rules", "alerts_test.yml"),
        ("check", "config", "prometheus.yml"),
    ):
        out = subprocess.run([tool("promtool"), *args], capture_output=True, text=True, timeout=60, cwd=MON)
        assert out.returncode == 0, (args, out.stdout, out.stderr)
    names = {r["alert"] for g in yaml.safe_load((MON / "alerts.yml").read_text())["groups"] for r in g["rules"]}
    assert {"AlephNodeDown", "AlephStreamSilent", "AlephVenueHalted", "AlephDrawdownNearKillSwitch",
            "AlephRejectionsSpike", "AlephJournalSlow", "AlephTradingHalted"} <= names  # fmt: skip


def test_the_dashboard_is_the_builders_and_grafanas_types_read_it_whole() -> None:
    from grafana_foundation_sdk.cog.encoder import JSONEncoder
    from grafana_foundation_sdk.models.dashboard import Dashboard

    spec = importlib.util.spec_from_file_location("grafana_build", MON / "grafana" / "build.py")
    assert spec is not None and spec.loader is not None
    build = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(build)
    committed = (MON / "grafana" / "dashboards" / "alephtx-node.json").read_text()
    assert build.text() == committed, "run `python monitoring/grafana/build.py` and commit the result"
    data = json.loads(committed)
    again = json.loads(json.dumps(Dashboard.from_json(data), cls=JSONEncoder, sort_keys=True))
    assert again == data  # every field is one the schema knows, with its type
    ids = [p["id"] for p in data["panels"]]
    assert len(ids) == len(set(ids)) and all(ids)
    exprs = [t["expr"] for p in data["panels"] for t in p.get("targets", [])]
    rules = (MON / "alerts.yml").read_text()
    metrics_text = (ROOT / "core" / "node" / "node_metrics.py").read_text() + (ROOT / "core" / "metrics.py").read_text()
    for name in ("aleph_trading_state", "aleph_venue_up", "aleph_stream_last_message_age_seconds",
                 "aleph_journal_commit_seconds", "aleph_agent_tool_calls", "aleph_llm_tokens"):  # fmt: skip
        assert name in metrics_text and (any(name in e for e in exprs) or name in rules), name
    for f in ("datasources/alephtx.yml", "dashboards/alephtx.yml"):
        assert yaml.safe_load((MON / "grafana" / "provisioning" / f).read_text())["apiVersion"] == 1


@contextmanager
def prometheus(tmp: Path, target: str) -> Iterator[str]:
    port = free_port()
    shutil.copy(MON / "alerts.yml", tmp / "alerts.yml")
    (tmp / "prometheus.yml").write_text(
        yaml.safe_dump(
            {
                "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
                "rule_files": ["alerts.yml"],
                "scrape_configs": [{"job_name": "alephtx", "static_configs": [{"targets": [target]}]}],
            }
        )
    )
    proc = subprocess.Popen(
        [tool("prometheus"), "--config.file", str(tmp / "prometheus.yml"), "--storage.tsdb.path", str(tmp / "tsdb"),
         "--web.listen-address", f"127.0.0.1:{port}"],
        stdout=subprocess.DEVNULL, stderr=(tmp / "prometheus.log").open("w"),
    )  # fmt: skip
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(30)


def until(what: str, fn: Any, timeout: float = 60.0) -> Any:
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        try:
            last = fn()
        except httpx.HTTPError as exc:
            last = exc
        if last and not isinstance(last, Exception):
            return last
        time.sleep(0.5)
    raise AssertionError(f"{what}: not within {timeout} s (last: {last})")


def test_a_real_prometheus_scrapes_the_node_and_fires_the_alerts(tmp_path: Path) -> None:
    env = Env(tmp_path)
    metrics_port = free_port()
    env.config.write_text(CONFIG + f"\n[serve]\nmetrics_port = {metrics_port}\n")
    with node(env) as (_proc, address), prometheus(tmp_path, f"127.0.0.1:{metrics_port}") as prom:

        def query(expr: str) -> list[dict[str, Any]]:
            r = httpx.get(f"{prom}/api/v1/query", params={"query": expr}, timeout=5).json()
            return list(r["data"]["result"])

        def alerts(name: str, state: str) -> list[dict[str, Any]]:
            got = httpx.get(f"{prom}/api/v1/alerts", timeout=5).json()["data"]["alerts"]
            return [a for a in got if a["labels"]["alertname"] == name and a["state"] == state]

        up = until("the node scraped", lambda: [r for r in query('up{job="alephtx"}') if r["value"][1] == "1"])
        assert len(up) == 1
        venues = {r["metric"]["venue"]: r["value"][1] for r in until("venue metrics", lambda: query("aleph_venue_up"))}
        assert venues == {"paper-a": "1"}
        assert query("aleph_trading_state")[0]["value"][1] == "0"
        assert until("limits", lambda: query("aleph_max_drawdown_usd"))[0]["value"][1] == "7500"
        assert not alerts("AlephTradingHalted", "firing")
        halted = env.run("halt", "monitoring says stop", "--node", address)
        assert halted.returncode == 0, halted.stderr
        fired = until("AlephTradingHalted firing", lambda: alerts("AlephTradingHalted", "firing"))
        assert fired[0]["annotations"]["summary"].startswith("Trading is halted on 127.0.0.1:")
        assert env.run("resume", "--yes", "--node", address).returncode == 0  # Env has the operator's token
        until("the halt cleared", lambda: query("aleph_trading_state == 0"))
        _proc.proc.kill()  # the node goes: its alert waits its minute, pending meanwhile
        pending = until("AlephNodeDown pending", lambda: alerts("AlephNodeDown", "pending"), 30)
        assert pending[0]["labels"]["job"] == "alephtx"


async def test_the_event_metrics_count_what_happens(tmp_path: Path) -> None:
    """Journal commits, venue rejections, the agent's tool calls and model requests reach the
    node's metrics through the hooks the node installs (cli/node.py)."""
    from langchain_core.messages import AIMessage
    from langchain_core.outputs import ChatGeneration, LLMResult

    from alephtx.agent.llm import LLM_LISTENERS, _timing_callback
    from alephtx.cli.node import _count_agent_work
    from alephtx.core.config.resources import sample_capture
    from alephtx.core.engine.session import StrategySpec, VenueFeed, run_session
    from alephtx.core.metrics import Metrics
    from alephtx.core.model import Instrument
    from alephtx.core.risk import RiskLimits
    from alephtx.tools.audit import CALL_LISTENERS, AuditLog

    metrics = Metrics(positions=False)
    inst = Instrument.from_strings("paper", "BTCUSDT", "perp", "0.10", "0.001", "5")
    limits = RiskLimits.model_validate({"instrument": {inst.key: {"max_position": "1"}}})
    grid = StrategySpec("g", "grid", {"instrument": inst.key, "levels": 2, "spacing_ticks": 5})
    await run_session(sample_capture(), [VenueFeed(inst)], [grid], limits, tmp_path / "j.db", metrics=metrics)
    text = metrics.text()
    commits = next(
        float(x.split()[-1]) for x in text.splitlines() if x.startswith("aleph_journal_commit_seconds_count")
    )
    assert commits > 0 and 'aleph_fills_total{instrument="paper:BTCUSDT"}' in text

    before = (list(CALL_LISTENERS), list(LLM_LISTENERS))
    try:
        _count_agent_work(metrics)
        AuditLog().record("get_ticker", {}, True, "", 0.01)
        AuditLog().record("propose_order", {}, False, "refused", 0.01)
        cb = _timing_callback()
        cb.on_chat_model_start({}, [], run_id="r1")
        message = AIMessage("hi", usage_metadata={"input_tokens": 12, "output_tokens": 5, "total_tokens": 17})
        cb.on_llm_end(LLMResult(generations=[[ChatGeneration(message=message)]]), run_id="r1")
    finally:
        CALL_LISTENERS[:], LLM_LISTENERS[:] = before
    text = metrics.text()
    for line in ('aleph_agent_tool_calls_total{origin="in-process",tool="get_ticker"} 1.0',
                 'aleph_agent_tool_errors_total{origin="in-process",tool="propose_order"} 1.0',
                 'aleph_llm_tokens_total{kind="prompt"} 12.0', 'aleph_llm_tokens_total{kind="completion"} 5.0',
                 "aleph_llm_request_seconds_count 1.0"):  # fmt: skip
        assert line in text, line
