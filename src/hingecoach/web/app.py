"""The FastAPI application: wiring, security headers, static files, the pose model, start-up of the job queue.

Thin by design: pages (:mod:`.pages`), the JSON API (:mod:`.api`) and the live socket (:mod:`.live_routes`) are
routers; every judgement comes from the library. :func:`create_app` takes explicit :class:`Settings` (tests build
one per temporary directory); ``hingecoach serve`` builds them from its options.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

from fastapi import FastAPI, Request, Response
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles

from hingecoach import __version__
from hingecoach.web import security
from hingecoach.web.deps import LoginRequiredError
from hingecoach.web.jobs import JobRunner
from hingecoach.web.live import MODEL_URL, SessionFactory, core_session
from hingecoach.web.repo import Repo

STATIC_DIR = Path(__file__).resolve().parent / "static"


def default_data_dir() -> Path:
    """``$HINGECOACH_DATA`` or ``$XDG_DATA_HOME/hingecoach`` (``~/.local/share/hingecoach``)."""
    env = os.environ.get("HINGECOACH_DATA")
    if env:
        return Path(env)
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "hingecoach"


def db_url_from(value: str | None, data_dir: Path) -> str:
    """The history store's URL: ``--db`` (a URL or a file path), ``$HINGECOACH_DB``, or ``history.db`` in the data
    directory — the same database ``hingecoach history``/``plan`` read (with the default data directory, the very
    same file as the CLI's default), so a set trained here is in the athlete's history there.
    """
    from hingecoach.store.db import DB_FILE, ENV_VAR

    value = value or os.environ.get(ENV_VAR)
    if not value:
        return f"sqlite:///{data_dir / DB_FILE}"
    if "://" in value:
        return value
    return f"sqlite:///{Path(value).expanduser().resolve()}"


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    db_url: str = ""
    secret: str | None = None
    max_upload_bytes: int = 200 * 1024 * 1024
    job_threads: int = 1
    run_jobs: bool = True
    isolate_jobs: bool = True
    model_path: Path | None = None
    live_factory: SessionFactory = field(default=core_session)
    secure_cookies: bool = False

    @property
    def artefact_dir(self) -> Path:
        """The store's artefact root: uploads waiting for their job, and each athlete's session files
        (``athletes/<id>/...``), which ``hingecoach forget`` deletes with the person.
        """
        return self.data_dir / "artefacts"

    @property
    def upload_dir(self) -> Path:
        return self.artefact_dir / "uploads"


def _secret(settings: Settings) -> str:
    """The cookie-signing key: given, ``$HINGECOACH_SECRET``, or generated once and kept (0600) in the data dir."""
    if settings.secret:
        return settings.secret
    env = os.environ.get("HINGECOACH_SECRET")
    if env:
        return env
    path = settings.data_dir / "secret.key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_urlsafe(48))
    return path.read_text().strip()


def _model_path(settings: Settings) -> Path:
    from hingecoach.pose.model import default_model_path

    return settings.model_path or default_model_path()


def create_app(settings: Settings) -> FastAPI:
    """Build the app; the job queue starts with the server (lifespan) and stops with it."""
    from hingecoach.web import api, live_routes, pages

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    settings.upload_dir.mkdir(parents=True, exist_ok=True)
    settings.artefact_dir.mkdir(parents=True, exist_ok=True)
    db_url = settings.db_url or db_url_from(None, settings.data_dir)
    repo = Repo(db_url, artefact_root=settings.artefact_dir)
    runner = JobRunner(
        repo,
        model_path=settings.model_path,
        n_threads=settings.job_threads,
        isolate=settings.isolate_jobs,
    )

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        if settings.run_jobs:
            runner.start()
        try:
            yield
        finally:
            runner.stop()
            repo.close()

    app = FastAPI(
        title="hingecoach",
        version=__version__,
        description="Coach hip-hinge drills: live from the browser camera, or from uploaded clips.",
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.repo = repo
    app.state.runner = runner
    app.state.signer = security.Signer(_secret(settings))

    @app.middleware("http")
    async def headers(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        token = request.cookies.get(security.CSRF_COOKIE)
        request.state.csrf = token or security.new_csrf_token()
        response = await call_next(request)
        # A route may set a stricter/hashed policy for its own document; otherwise the base one applies.
        response.headers.setdefault("Content-Security-Policy", security.csp_header())
        for k, v in security.SECURITY_HEADERS.items():
            response.headers.setdefault(k, v)
        if token is None:
            response.set_cookie(
                security.CSRF_COOKIE,
                request.state.csrf,
                httponly=False,
                samesite="strict",
                secure=settings.secure_cookies,
                path="/",
            )
        return response

    @app.exception_handler(LoginRequiredError)
    async def to_login(request: Request, exc: LoginRequiredError) -> RedirectResponse:
        return RedirectResponse("/login", status_code=303)

    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")

    @app.get(MODEL_URL, include_in_schema=False)
    def pose_model() -> FileResponse:
        """The same ``.task`` file the Python pipeline uses, so browser and server see the same model."""
        path = _model_path(settings)
        if not path.is_file():
            return FileResponse(STATIC_DIR / "missing-model.txt", status_code=404)  # type: ignore[return-value]
        return FileResponse(path, media_type="application/octet-stream", headers={"Cache-Control": "max-age=3600"})

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        page = get_swagger_ui_html(
            openapi_url="/openapi.json",
            title="hingecoach API",
            swagger_js_url="/static/vendor/swagger-ui/swagger-ui-bundle.js",
            swagger_css_url="/static/vendor/swagger-ui/swagger-ui.css",
            swagger_favicon_url="/static/vendor/swagger-ui/favicon-32x32.png",
            swagger_ui_parameters={"validatorUrl": None},
        )
        html = bytes(page.body).decode("utf-8")
        return HTMLResponse(html, headers={"Content-Security-Policy": security.csp_for_html(html)})

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> JSONResponse:
        return JSONResponse({"ok": True, "version": __version__, "queue": repo.queue_counts()})

    app.include_router(pages.router)
    app.include_router(api.router)
    app.include_router(live_routes.router)
    return app
