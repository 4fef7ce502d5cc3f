"""Commands of this area (registered on jinnang.cli.app apps)."""
from jinnang.cli.app import app, bench_app, eval_app  # noqa: F401
