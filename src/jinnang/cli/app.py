"""The Typer apps every command module registers on (imported, never re-created)."""
import typer

app = typer.Typer(help="jinnang (锦囊): knowledge and coaching for hospital sales teams.", no_args_is_help=True,
                  pretty_exceptions_enable=False)
eval_app = typer.Typer(help="Score a labelled set (shared/spec/gold-format.md) and print metrics.", no_args_is_help=True)
bench_app = typer.Typer(help="Benchmarks that print speed and memory figures.", no_args_is_help=True)
review_app = typer.Typer(help="Manager review of extracted records.", no_args_is_help=True)
playbook_app = typer.Typer(help="The coaching playbook (锦囊) mined from won deals.", no_args_is_help=True)
config_app = typer.Typer(help="Configuration files: rules, vocabularies, gazetteers, search settings.",
                         no_args_is_help=True)
import_app = typer.Typer(help="Bring in records kept elsewhere: visit logs and CRM exports.", no_args_is_help=True)
documents_app = typer.Typer(help="Stored documents: erase one and everything derived from it.", no_args_is_help=True)
users_app = typer.Typer(help="People who sign in to the pages (users, roles, teams).", no_args_is_help=True)
alerts_app = typer.Typer(help="Alerts to people: 站内信, 企业微信/钉钉 robots, e-mail.", no_args_is_help=True)
jobs_app = typer.Typer(help="The scheduled jobs the service runs (stall check, delivery, playbook, PHI).",
                       no_args_is_help=True)
app.add_typer(alerts_app, name="alerts")
app.add_typer(jobs_app, name="jobs")
app.add_typer(eval_app, name="eval")
app.add_typer(users_app, name="users")
app.add_typer(bench_app, name="bench")
app.add_typer(review_app, name="review")
app.add_typer(playbook_app, name="playbook")
app.add_typer(config_app, name="config")
app.add_typer(import_app, name="import")
app.add_typer(documents_app, name="documents")
