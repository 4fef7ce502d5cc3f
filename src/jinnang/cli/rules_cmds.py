"""Commands of the rules area: next actions, rule-file checks, stored accounts, eval and bench."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from jinnang.cli.app import app, bench_app, eval_app
from jinnang.cli.jsonl import fail, run_jsonl
from jinnang.core.errors import InputError
from jinnang.core.paths import SHARED_DATA

DEV_NEXT_ACTION = SHARED_DATA / "dev" / "next_action.jsonl"


def _talk_tracks():
    """The playbook's talk tracks for handle_objection, wired by service/ (coaching sits above rules)."""
    from jinnang.core.settings import get_settings
    from jinnang.service.pipeline import talk_track_provider

    return talk_track_provider(get_settings())

RulesOption = Annotated[Optional[Path], typer.Option("--rules", help="A journey rule file to use instead of "
                                                     "rules/config/journey.yaml (e.g. a variant).")]


def _ruleset(path: Path | None):
    from jinnang.rules.config import ConfigError, default_ruleset, load_ruleset
    try:
        return load_ruleset(journey=path) if path else default_ruleset()
    except ConfigError as exc:
        fail(str(exc))


def _print(obj: Any) -> None:
    typer.echo(json.dumps(obj, ensure_ascii=False, indent=2, default=str))


@app.command("next-action")
def next_action(
    snapshot: Annotated[Optional[Path], typer.Argument(help="One account snapshot (JSON file).")] = None,
    jsonl: Annotated[Optional[str], typer.Option("--jsonl", help="Lines {id, now, account} from a file or '-'.")] = None,
    now: Annotated[Optional[str], typer.Option(help="Evaluate as of this time (ISO), default now.")] = None,
    rules_file: RulesOption = None,
) -> None:
    """Ranked next-action suggestions for account snapshots (shared/spec/next-action.md)."""
    from jinnang.core.errors import InputError
    from jinnang.rules.next_action import suggest_payload

    rules = _ruleset(rules_file)
    talk_tracks = _talk_tracks()
    if jsonl:
        def handle(obj: dict[str, Any]) -> dict[str, Any]:
            if "account" not in obj:
                raise InputError("account", "each line needs an `account` snapshot")
            response = suggest_payload(obj["account"], obj.get("now"), rules, talk_tracks)
            return response.model_dump(mode="json", exclude={"account_id"}) | {"account_id": response.account_id}
        run_jsonl(jsonl, handle)
        return
    if snapshot is None:
        fail("give a snapshot file or --jsonl IN")
    try:
        payload = json.loads(snapshot.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        fail(f"cannot read {snapshot}: {exc}")
    if isinstance(payload, dict) and "account" in payload and "account_id" not in payload:
        now = now or payload.get("now")      # a {"now", "account"} line saved as a file
        payload = payload["account"]
    try:
        _print(suggest_payload(payload, now, rules, talk_tracks).model_dump(mode="json"))
    except InputError as exc:
        _print({"error": exc.as_dict()})
        raise typer.Exit(1) from None


@app.command("rules-check")
def rules_check(
    journey: Annotated[Optional[Path], typer.Argument(help="Journey file (default rules/config/journey.yaml).")] = None,
    scores: Annotated[Optional[Path], typer.Option(help="Scores file.")] = None,
    next_actions: Annotated[Optional[Path], typer.Option(help="Next-actions file.")] = None,
) -> None:
    """Validate rule files; a mistake is printed as FILE:LINE: FIELD: MESSAGE (exit 2)."""
    from jinnang.rules.config import ConfigError, load_ruleset
    try:
        rules = load_ruleset(journey=journey, scores=scores, next_actions=next_actions)
    except ConfigError as exc:
        fail(str(exc))
    typer.echo(f"ok: {rules.name}: {len(rules.nodes)} nodes ({', '.join(n.id for n in rules.nodes)})")


@eval_app.command("next-action")
def eval_next_action(
    path: Annotated[Path, typer.Argument(help="Labelled scenarios (next_action.jsonl format).")],
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object of metrics.")] = False,
    rules_file: RulesOption = None,
) -> None:
    """Share of scenarios passing: expected all in top 3, nothing forbidden, malformed → 422 on the field."""
    from jinnang.eval.next_action import evaluate
    if not path.is_file():
        fail(f"not found: {path}")
    try:
        metrics = evaluate(path, _ruleset(rules_file))
    except InputError as exc:
        fail(f"{exc.field}: {exc.message}")
    if as_json:
        typer.echo(json.dumps(metrics, ensure_ascii=False, default=str))
        return
    typer.echo(f"{metrics['passed']}/{metrics['scenarios']} scenarios pass ({metrics['pass_rate']:.1%}); "
               f"expected in top 3 {metrics['expected_recall_top3']:.1%}; forbidden returned "
               f"{metrics['forbidden_returned']}")
    for failure in metrics["failures"]:
        typer.echo(f"  {failure['id']}: {'; '.join(failure['problems'])}")


@bench_app.command("next-action")
def bench_next_action(
    data: Annotated[Path, typer.Option(help="Seed scenarios to replicate.")] = DEV_NEXT_ACTION,
    accounts: Annotated[int, typer.Option(min=10, help="Accounts to time.")] = 2000,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """p50/p99 latency per account (in-process) and accounts/s in the batch form."""
    from jinnang.eval.bench_next_action import bench
    if not data.is_file():
        fail(f"seed scenarios not found: {data} (pass --data)")
    try:
        figures = bench(data, accounts)
    except InputError as exc:
        fail(f"{exc.field}: {exc.message}")
    if as_json:
        typer.echo(json.dumps(figures))
        return
    typer.echo(f"next-action over {figures['accounts']} accounts: p50 {figures['p50_ms']} ms, "
               f"p99 {figures['p99_ms']} ms per account (target ≤ 20 ms); batch "
               f"{figures['batch_accounts_per_s']} accounts/s (target ≥ 1000)")
