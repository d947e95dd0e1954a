"""Read the data a page sent with its charts, as AppTest sees it."""
import json

import pandas as pd
import pyarrow as pa


def chart_data(element) -> dict[str, pd.DataFrame]:
    """Named datasets of one vega_lite_chart element, decoded from Arrow."""
    return {d.name: pa.ipc.open_stream(d.data.data).read_all().to_pandas() for d in element.proto.datasets}


def chart_title(element) -> str:
    title = json.loads(element.proto.spec).get("title", "")
    return title if isinstance(title, str) else title.get("text", "")
