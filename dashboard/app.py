"""The dashboard's web application: a single page (dashboard/static) and the JSON API it polls.

    GET /                                          the page
    GET /static/FILE                               its files, and plotly.js from the installed plotly
    GET /api/runs                                  {"runs": [summary, ...]}, in the order given
    GET /api/runs/RUN                              the run's summary
    GET /api/runs/RUN/candidates                   {"candidates": [row, ...], "offset"}
    GET /api/runs/RUN/curve                        fitness points, Figure 4 lines, the front
    GET /api/runs/RUN/events?since=OFFSET          the journal's events after OFFSET
    GET /api/runs/RUN/candidates/ID                one candidate's page
    GET /api/runs/RUN/candidates/ID/drawing.svg    its network, drawn by the renderer
    GET /api/runs/RUN/lineage.svg                  the evolution tree, nodes linking to candidates

Errors are {"error": "..."}: 404 for an unknown run or candidate, 400 for a bad query, 503 without
Graphviz's `dot`. A run and a candidate are looked up by name in the runs given and in the run's
journal state: nothing from a URL is joined to a path, and nothing is ever written.
"""

from __future__ import annotations

import importlib.util
import json
import math
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from ..render.output import RenderError
from .drawings import DotMissingError, Drawings
from .payloads import Json
from .run_view import RunView

STATIC = Path(__file__).parent / "static"
SVG = "image/svg+xml"


class JsonAnswer(JSONResponse):
    """JSON the browser must not keep (the page polls it), with an infinite or NaN number as null."""

    def __init__(self, content: Any, status_code: int = 200) -> None:
        super().__init__(content, status_code, headers={"Cache-Control": "no-store"})

    def render(self, content: Any) -> bytes:
        try:
            return json.dumps(content, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode()
        except ValueError:  # rare (a NaN metric in an event): cleaned only then, keeping the common case fast
            return json.dumps(_finite(content), ensure_ascii=False, separators=(",", ":")).encode()


def _finite(value: Any) -> Any:
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {key: _finite(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(item) for item in value]
    return value


def run_names(paths: Sequence[Path]) -> list[str]:
    """A URL name per run: its folder's name, made unique with -2, -3 (runs/a/run and runs/b/run)."""
    names: list[str] = []
    for path in paths:
        base = path.resolve().name or "run"
        name, n = base, 2
        while name in names:
            name, n = f"{base}-{n}", n + 1
        names.append(name)
    return names


def plotly_js() -> Path:
    """plotly.js as the installed plotly package ships it (nothing is fetched from a CDN)."""
    spec = importlib.util.find_spec("plotly")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(
            "plotly is not installed (pip install plotly): the dashboard's plots need its plotly.js"
        )
    return Path(next(iter(spec.submodule_search_locations))) / "package_data" / "plotly.min.js"


def create_app(runs: list[Path]) -> Starlette:
    """The application serving `runs` (run directories with a journal; each is read once here)."""
    views = {name: RunView(name, path) for name, path in zip(run_names(runs), runs, strict=True)}
    drawings = Drawings()
    api = _Api(views, drawings)
    routes = [
        Route("/", lambda _: FileResponse(STATIC / "index.html")),
        Route("/static/plotly.min.js", lambda _: FileResponse(plotly_js(), media_type="text/javascript")),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
        Route("/api/runs", api.runs),
        Route("/api/runs/{run}", api.summary),
        Route("/api/runs/{run}/candidates", api.candidates),
        Route("/api/runs/{run}/curve", api.curve),
        Route("/api/runs/{run}/events", api.events),
        Route("/api/runs/{run}/lineage.svg", api.lineage),
        Route("/api/runs/{run}/candidates/{id}", api.candidate),
        Route("/api/runs/{run}/candidates/{id}/drawing.svg", api.drawing),
    ]
    handlers: dict[Any, Callable[..., Response]] = {
        HTTPException: lambda _, exc: JsonAnswer({"error": exc.detail}, exc.status_code),
        DotMissingError: lambda _, exc: JsonAnswer({"error": str(exc)}, 503),
        RenderError: lambda _, exc: JsonAnswer({"error": str(exc)}, 500),
    }
    app = Starlette(routes=routes, exception_handlers=handlers)
    app.state.views = views
    return app


class _Api:
    """The JSON and SVG endpoints. Plain functions: Starlette runs them in its thread pool, so a
    journal read or a `dot` run does not hold up the other requests."""

    def __init__(self, views: dict[str, RunView], drawings: Drawings) -> None:
        self.views = views
        self.drawings = drawings

    def view(self, request: Request) -> RunView:
        view = self.views.get(request.path_params["run"])
        if view is None:
            raise HTTPException(404, f"no run named {request.path_params['run']!r} is served here")
        view.refresh()
        return view

    def runs(self, request: Request) -> Response:
        for view in self.views.values():
            view.refresh()
        return JsonAnswer({"runs": [view.summary() for view in self.views.values()]})

    def summary(self, request: Request) -> Response:
        return JsonAnswer(self.view(request).summary())

    def candidates(self, request: Request) -> Response:
        return JsonAnswer(self.view(request).candidates())

    def curve(self, request: Request) -> Response:
        return JsonAnswer(self.view(request).curve())

    def events(self, request: Request) -> Response:
        view = self.view(request)
        return JsonAnswer(view.events_since(since(request)))

    def candidate(self, request: Request) -> Response:
        view = self.view(request)
        found: Json | None = view.detail(request.path_params["id"])
        if found is None:
            raise HTTPException(404, _no_candidate(view, request))
        return JsonAnswer(found)

    def drawing(self, request: Request) -> Response:
        view = self.view(request)
        image = self.drawings.candidate(view, request.path_params["id"])
        if image is None:
            raise HTTPException(404, _no_candidate(view, request))
        return Response(image, media_type=SVG, headers={"Cache-Control": "no-store"})

    def lineage(self, request: Request) -> Response:
        view = self.view(request)
        return Response(self.drawings.lineage(view), media_type=SVG, headers={"Cache-Control": "no-store"})


def since(request: Request) -> int:
    """The `since` query: a journal offset an earlier answer gave (0: from the start)."""
    value = request.query_params.get("since", "0")
    if not (value.isascii() and value.isdigit()):
        raise HTTPException(400, f"since must be a whole number >= 0 (the offset an answer gave), not {value!r}")
    return int(value)


def _no_candidate(view: RunView, request: Request) -> str:
    return f"run {view.name!r} has no candidate {request.path_params['id']!r}"
