"""Open a page under AppTest and read the data it sent with its charts and download buttons."""
import contextlib
import io
import json
from pathlib import Path
from typing import Callable, Iterator

import pandas as pd
import pyarrow as pa
from streamlit.runtime.media_file_manager import MediaFileManager
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[2]


def open_page(page: str, **params: str) -> AppTest:
    """Run the app through its router, switched to `page`, with URL query parameters."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.query_params.update(params)
    return at.switch_page(page).run()


def settle(at: AppTest, key: str, timeout: float = 60):
    """Wait for the background job in session slot `key` (a measurement or analysis the page
    starts by itself), check it finished, and rerun the page to draw its result."""
    job = at.session_state[key]
    assert job.wait(timeout), f"{key} still {job.status} after {timeout} s"
    assert job.status == "done", f"{key} ended {job.status}: {job.error}"
    at.run()
    return job


def chart_data(element) -> dict[str, pd.DataFrame]:
    """Named datasets of one vega_lite_chart element, decoded from Arrow."""
    return {d.name: pa.ipc.open_stream(d.data.data).read_all().to_pandas() for d in element.proto.datasets}


def chart_title(element) -> str:
    title = json.loads(element.proto.spec).get("title", "")
    return title if isinstance(title, str) else title.get("text", "")


def charts_by_title(at: AppTest) -> dict[str, dict[str, pd.DataFrame]]:
    return {chart_title(el): chart_data(el) for el in at.get("vega_lite_chart")}


@contextlib.contextmanager
def downloads() -> Iterator[dict[str, Callable[[], str | bytes]]]:
    """The data behind download buttons made when pressed, by file name, as the runs within
    register them: calling one does what a press does."""
    made: dict[str, Callable[[], str | bytes]] = {}
    register = MediaFileManager.add_deferred

    def add_deferred(self, data, mimetype, coordinates, file_name=None, **kwargs):
        made[file_name] = data
        return register(self, data, mimetype, coordinates, file_name, **kwargs)

    MediaFileManager.add_deferred = add_deferred
    try:
        yield made
    finally:
        MediaFileManager.add_deferred = register


def csv_of(made: dict[str, Callable[[], str | bytes]], file_name: str) -> pd.DataFrame:
    return pd.read_csv(io.StringIO(made[file_name]()))


def download_labels(at: AppTest) -> list[str]:
    return [b.proto.label for b in at.get("download_button")]
