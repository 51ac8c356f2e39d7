"""``hingecoach serve``: the web app under uvicorn (a thin layer: options → :class:`hingecoach.web.app.Settings`)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from hingecoach.cli import app, err


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to bind (127.0.0.1: this machine only).")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8000,
    db: Annotated[
        str | None,
        typer.Option(
            help="The history store (the one `hingecoach history --db` reads): a SQLite file path or a URL "
            "(postgresql+psycopg://...). Default: $HINGECOACH_DB, else history.db in the data directory."
        ),
    ] = None,
    data_dir: Annotated[
        Path | None, typer.Option("--data-dir", help="Store files, cookie key ($HINGECOACH_DATA).")
    ] = None,
    max_upload_mb: Annotated[int, typer.Option(help="Largest accepted upload, in MB.")] = 200,
    job_threads: Annotated[int, typer.Option(help="Uploads analysed at once (each uses about one CPU core).")] = 1,
    secure_cookies: Annotated[bool, typer.Option(help="Mark cookies Secure (set when served over HTTPS).")] = False,
    log_level: Annotated[str, typer.Option(help="uvicorn log level.")] = "info",
) -> None:
    """Run the web app: live coaching from the browser camera, uploads with reports, coach and athlete accounts."""
    import uvicorn

    from hingecoach.web.app import Settings, create_app, db_url_from, default_data_dir

    root = data_dir or default_data_dir()
    settings = Settings(
        data_dir=root,
        db_url=db_url_from(db, root),
        max_upload_bytes=max_upload_mb * 1024 * 1024,
        job_threads=max(1, job_threads),
        secure_cookies=secure_cookies,
    )
    web = create_app(settings)
    err.print(f"hingecoach web app on http://{host}:{port}  (data: {root})", highlight=False)
    uvicorn.run(web, host=host, port=port, log_level=log_level, ws_max_size=256 * 1024)
