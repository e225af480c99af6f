"""`leadflow followup ...`."""

import typer

app = typer.Typer(help="followup", no_args_is_help=True)
