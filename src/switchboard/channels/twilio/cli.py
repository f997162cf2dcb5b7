from __future__ import annotations

import typer

sms_app = typer.Typer(help="SMS tools for demos.", no_args_is_help=True)
