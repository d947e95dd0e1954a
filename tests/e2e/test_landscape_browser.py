"""The Loss-landscape lab in Chromium: one real click on the arena's heatmap moves the start (the
inputs, the address bar and the recomputed paths follow), then a small network trains and its
linear path is computed, drawn and downloaded as CSV."""
import re

import pandas as pd
import pytest

pytestmark = pytest.mark.e2e

TIMEOUT_MS = 60_000
HEADING = "Loss landscapes and saddle points"
ARENA = "The surface, its contour lines and the paths (click to set the start)"
LINEAR = "Loss along the straight line from the initial to the trained weights"
BOX = (-2.0, 2.0, -2.0, 2.0)  # the default surface's (saddle) box: x_lo, x_hi, y_lo, y_hi
CELLS = 61  # heatmap cells per side: a click selects a cell's centre
TARGET = (-1.0, -1.2)  # a cell centre in the lower left, away from the default start's paths
PATH_POINTS = 41  # the linear path's default points per split
FRESH = '[data-testid="stElementContainer"]:not([data-stale="true"])'  # not a leftover of the previous run

# The arena as drawn, read from its SVG (Streamlit renders Vega-Lite charts as SVG): the plot
# frame on the page, the heatmap's cell count, the start marker and every path's first and last
# points, in data units; null while the fresh chart is not there yet.
ARENA_STATE = """([fresh, title, box]) => {
  const chart = [...document.querySelectorAll(fresh + ' [data-testid="stVegaLiteChart"]')].find(c =>
      [...c.querySelectorAll('.role-title-text')].some(t => t.textContent === title));
  const svg = chart && chart.querySelector('svg');
  const frame = svg && svg.querySelector('g.role-frame.root > g > path.background');
  if (!frame) return null;
  const r = frame.getBoundingClientRect();
  const [xlo, xhi, ylo, yhi] = box;
  const data = (px, py) => [xlo + px / r.width * (xhi - xlo), yhi - py / r.height * (yhi - ylo)];
  const groups = [...svg.querySelectorAll('g.role-mark')];
  const cells = Math.max(0, ...groups.filter(g => g.classList.contains('mark-rect')).map(g => g.children.length));
  // the start: the hollow white circle (drawn with arcs; the minima are diamonds, the heads filled)
  const marker = groups.filter(g => g.classList.contains('mark-symbol')).flatMap(g => [...g.children])
      .find(p => p.getAttribute('stroke') === 'white' && p.getAttribute('fill') === 'transparent'
                 && (p.getAttribute('d') || '').includes('A'));
  const at = marker && marker.getAttribute('transform').match(/translate\\(([-\\d.e]+),([-\\d.e]+)\\)/);
  // the optimizers' paths, each as [its first point, its last point]: the line marks that are
  // not white (the contour lines and the paths' halos are)
  const point = s => s.match(/([-\\d.e]+),([-\\d.e]+)/);
  const paths = groups.filter(g => g.classList.contains('mark-line')).flatMap(g => [...g.children])
      .filter(p => p.getAttribute('stroke') && p.getAttribute('stroke') !== 'white')
      .map(p => (p.getAttribute('d') || '').replace(/^M/, '').split('L')).filter(ps => point(ps[0]))
      .map(ps => [point(ps[0]), point(ps[ps.length - 1])].map(m => data(+m[1], +m[2])));
  return {frame: [r.x, r.y, r.width, r.height], cells, start: at ? data(+at[1], +at[2]) : null, paths};
}"""

# The viewport pixel of data point (x, y) in the arena's plot, nudged by at most a pixel or two
# so that it lands on a heatmap cell and not on a contour line or a marker drawn above it; with
# the plot frame it was measured on.
CLICK_POINT = """([fresh, title, box, x, y]) => {
  const chart = [...document.querySelectorAll(fresh + ' [data-testid="stVegaLiteChart"]')].find(c =>
      [...c.querySelectorAll('.role-title-text')].some(t => t.textContent === title));
  const svg = chart.querySelector('svg');
  const r = svg.querySelector('g.role-frame.root > g > path.background').getBoundingClientRect();
  const [xlo, xhi, ylo, yhi] = box;
  const px = r.x + (x - xlo) / (xhi - xlo) * r.width, py = r.y + (yhi - y) / (yhi - ylo) * r.height;
  for (const [dx, dy] of [[0, 0], [1, 0], [-1, 0], [0, 1], [0, -1], [1, 1], [-1, -1], [2, 0], [0, 2]]) {
    const hit = document.elementFromPoint(px + dx, py + dy);
    const group = hit && hit.parentElement;
    if (group && group.classList.contains('mark-rect') && group.children.length > 1000)
      return {point: [px + dx, py + dy], frame: [r.x, r.y, r.width, r.height]};
  }
  return null;
}"""


def _no_exception(page) -> None:
    assert page.locator('[data-testid="stException"]').count() == 0, page.locator(
        '[data-testid="stException"]').first.inner_text()


def _number(page, label: str) -> float:
    return float(page.get_by_role("spinbutton", name=label, exact=True).input_value())


def _query(page) -> dict[str, str]:
    """The address bar's query: read from window.location, since the page writes it with
    history.pushState, which page.url does not follow."""
    return page.evaluate("Object.fromEntries(new URLSearchParams(window.location.search))")


def _arena(page):
    return page.evaluate(ARENA_STATE, [FRESH, ARENA, list(BOX)])


def test_a_click_moves_the_arena_start_then_the_trained_networks_linear_path_is_drawn(page, app_url, tmp_path):
    page.goto(f"{app_url}/landscape?dataset=moons&depth=1&width=8&epochs=3")
    page.get_by_role("heading", name=HEADING).wait_for(timeout=TIMEOUT_MS)
    # the arena, drawn with the whole heatmap and the paths from the default start
    page.wait_for_function(f"(arg) => {{ const s = ({ARENA_STATE})(arg); "
                           f"return s && s.cells === {CELLS * CELLS} && s.start && s.paths.length > 0; }}",
                           arg=[FRESH, ARENA, list(BOX)], timeout=TIMEOUT_MS)
    before = _arena(page)
    x_before, y_before = _number(page, "Start x"), _number(page, "Start y")
    assert before["start"] == pytest.approx([x_before, y_before], abs=0.02)
    assert before["paths"] and all(p[0] == pytest.approx(before["start"], abs=0.02) for p in before["paths"])

    # one real click on the heatmap, at the cell centred on TARGET
    page.locator(FRESH).locator('[data-testid="stVegaLiteChart"]').filter(has_text=ARENA).scroll_into_view_if_needed()
    aim = page.evaluate(CLICK_POINT, [FRESH, ARENA, list(BOX), *TARGET])
    assert aim is not None, f"no heatmap cell under {TARGET} in the arena"
    page.mouse.click(*aim["point"])

    # the start's inputs take the clicked cell's centre...
    page.wait_for_function(
        "([x, y]) => { const v = l => parseFloat(document.querySelector(`input[aria-label=\"${l}\"]`).value);"
        " return v('Start x') !== x && v('Start y') !== y; }", arg=[x_before, y_before], timeout=TIMEOUT_MS)
    x0, y0 = _number(page, "Start x"), _number(page, "Start y")
    assert (x0, y0) == pytest.approx(TARGET, abs=0.1)
    # ...the address bar follows them...
    page.wait_for_function(
        "([x, y]) => { const q = new URLSearchParams(window.location.search);"
        " return Math.abs(parseFloat(q.get('x0')) - x) < 1e-6 && Math.abs(parseFloat(q.get('y0')) - y) < 1e-6; }",
        arg=[x0, y0], timeout=TIMEOUT_MS)
    query = _query(page)
    assert (float(query["x0"]), float(query["y0"])) == pytest.approx((x0, y0), abs=1e-6)
    # the click moves the start and nothing else: the optimizers' own settings stay at their defaults
    assert query.get("settings", "") == "", f"the rerun changed the optimizers' own settings: {query.get('settings')!r}"
    # ...and the arena is recomputed: its start marker and every path begin at the new start
    page.wait_for_function(
        f"(arg) => {{ const s = ({ARENA_STATE})(arg.slice(0, 3)); const near = p => "
        "Math.abs(p[0] - arg[3]) < 0.02 && Math.abs(p[1] - arg[4]) < 0.02;"
        f" return s && s.cells === {CELLS * CELLS} && s.start && near(s.start) && s.paths.length > 0"
        " && s.paths.every(p => near(p[0])); }", arg=[FRESH, ARENA, list(BOX), x0, y0], timeout=TIMEOUT_MS)
    after = _arena(page)
    assert len(after["paths"]) == len(before["paths"])  # one per optimizer, as before
    for first, last in after["paths"]:  # off the saddle's critical point, every optimizer moves away
        assert abs(last[0] - first[0]) + abs(last[1] - first[1]) > 0.1, after["paths"]
    # the marker sits where the click landed (within a cell: the click snaps to the cell's centre)
    left, top, width, height = aim["frame"]
    clicked = (BOX[0] + (aim["point"][0] - left) / width * (BOX[1] - BOX[0]),
               BOX[3] - (aim["point"][1] - top) / height * (BOX[3] - BOX[2]))
    assert after["start"] == pytest.approx(clicked, abs=(BOX[1] - BOX[0]) / (CELLS - 1))
    page.locator(FRESH).locator('[data-testid="stVegaLiteChart"]').filter(has_text=ARENA).screenshot(
        path=str(tmp_path / "landscape_click.png"))
    _no_exception(page)

    # a small network, trained live; then its linear path
    train = page.locator(FRESH).get_by_role("button", name="Train", exact=True)
    train.scroll_into_view_if_needed()
    train.click()
    page.get_by_text(re.compile(r"^Finished at ")).wait_for(timeout=TIMEOUT_MS)
    page.get_by_role("tab", name="Linear path").click()
    panel = page.get_by_role("tabpanel").filter(has_text="Points on the path")  # the path's tab only
    panel.get_by_role("button", name="Compute", exact=True).click()
    page.wait_for_function(
        "([fresh, title, points]) => { const chart = [...document.querySelectorAll(fresh + "
        "' [data-testid=\"stVegaLiteChart\"]')].find(c => [...c.querySelectorAll('.role-title-text')]"
        ".some(t => t.textContent === title)); if (!chart) return false;"
        " const lines = [...chart.querySelectorAll('g.mark-line path')].map(p => (p.getAttribute('d') || '')"
        ".split('L').length);"  # points on each drawn line
        " return lines.length === 2 && lines.every(n => n === points); }",  # train and validation
        arg=[FRESH, LINEAR, PATH_POINTS], timeout=TIMEOUT_MS)
    page.get_by_text(re.compile(r"^Train loss .* at the initial weights")).wait_for(timeout=TIMEOUT_MS)
    # the view is final: its table as CSV, made on the server when pressed
    with page.expect_download(timeout=TIMEOUT_MS) as download:
        panel.get_by_role("button", name="Download CSV").click()
    path = pd.read_csv(download.value.path())
    assert download.value.suggested_filename == "landscape-path.csv"
    assert list(path.columns) == ["split", "alpha", "loss", "accuracy"] and len(path) == 2 * PATH_POINTS
    assert path["alpha"].min() == -0.5 and path["alpha"].max() == 1.5
    _no_exception(page)
