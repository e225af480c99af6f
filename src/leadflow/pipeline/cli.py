"""`leadflow pipeline ...`."""

import typer

app = typer.Typer(help="pipeline", no_args_is_help=True)
