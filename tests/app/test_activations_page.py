"""The Activations page driven by AppTest: instant views follow the sliders; dying ReLU runs live."""
from streamlit.testing.v1 import AppTest

from core.labs.activations import shapes
from tests.app.helpers import charts_by_title, csv_of, download_labels, downloads, open_page

PAGE = "app_pages/activations.py"
SHAPES = "Activations and their slopes"
DEPTH = "Gradient factor from the activations alone, through L layers"
DEAD = "Dead units per layer, latest report"


def page(**params) -> AppTest:
    return open_page(PAGE, **params)


def test_renders_the_instant_views_and_the_properties():
    with downloads() as made:
        at = page()
    assert not at.exception and not at.warning
    titles = set(charts_by_title(at))
    assert {SHAPES, DEPTH, "SwiGLU (Swish gate): out(a, b) = gate(a) · b"} <= titles
    # each instant view: its data as CSV and its chart as PNG or SVG, with no script (nothing is trained)
    assert download_labels(at) == ["Download CSV", "PNG", "SVG"] * 3
    assert sum(c.value.startswith("No standalone script for this view") for c in at.caption) == 3
    curves = csv_of(made, "activation-shapes.csv")
    assert list(curves.columns) == ["activation", "z", "f", "df"] and len(curves) == len(charts_by_title(at)[SHAPES]["curves"])
    assert list(csv_of(made, "gradient-through-depth.csv").columns) == ["activation", "depth", "product"]
    gated = csv_of(made, "gated-swiglu.csv")
    assert list(gated.columns)[:3] == ["a", "b", "out"] and len(gated) == len(shapes.gated_surface("swiglu"))
    assert DEAD not in titles  # nothing trained before Run
    table = next(df.value for df in at.dataframe if "output range" in df.value.columns).set_index("activation")
    assert table.loc["Sigmoid", "largest |f′|"] == "0.25 at z = 0"
    assert table.loc["Sigmoid", "output range"] == "(0, 1)"


def test_sliders_change_the_chart_data():
    at = page()
    before = charts_by_title(at)
    at.slider(key="activations.z_min").set_value(-2.0).run()
    at.slider(key="activations.z_max").set_value(3.0).run()
    at.slider(key="activations.sigma").set_value(3.0).run()
    after = charts_by_title(at)
    assert (before[SHAPES]["curves"].z.min(), before[SHAPES]["curves"].z.max()) == (-6.0, 6.0)
    assert (after[SHAPES]["curves"].z.min(), after[SHAPES]["curves"].z.max()) == (-2.0, 3.0)
    tanh = {k: v[DEPTH]["products"].query("activation == 'Tanh'").set_index("depth")["product"]
            for k, v in (("before", before), ("after", after))}
    assert tanh["after"][5] < tanh["before"][5]  # a wider spread pushes tanh into its flat tails


def test_parameters_and_readout_reach_the_views():
    at = page()
    at.multiselect(key="activations.names").set_value(["leaky_relu"]).run()
    at.slider(key="activations.leaky_alpha").set_value(0.2).run()
    at.slider(key="activations.z").set_value(-1.0).run()
    assert not at.exception
    readout = charts_by_title(at)[SHAPES]["readout"]
    assert readout[["f", "df"]].values.tolist() == [[-0.2, 0.2]]
    values = next(df.value for df in at.dataframe if "f′(z)" in df.value.columns)
    assert values["activation"].tolist() == ["Leaky ReLU (α = 0.2)"]


def test_the_gate_can_be_chosen():
    at = page()
    at.selectbox(key="activations.gate").set_value("glu").run()
    surface = charts_by_title(at)["GLU (sigmoid gate): out(a, b) = gate(a) · b"]["surface"]
    assert (surface[surface.b == 0].out == 0).all()


def test_dying_relu_runs_and_draws_the_dead_units():
    at = page(activations="relu,leaky_relu", depth="3", width="32", epochs="2")
    assert at.slider(key="activations.depth").value == 3
    assert at.multiselect(key="activations.activations").value == ["relu", "leaky_relu"]
    at.button(key="activations_job_run").click().run()
    job = at.session_state["activations_job"]
    assert job.wait(120) and job.status == "done"
    at.run()
    assert not at.exception and at.success[0].value.startswith("Finished at ")
    charts = charts_by_title(at)
    assert set(charts[DEAD]["dead"].run) == {"ReLU", "Leaky ReLU"} and charts[DEAD]["dead"].layer.max() == 3
    assert set(charts["Dead units over training"]["dead_epochs"].epoch) == {0.0, 1.0, 2.0}
    summaries = [m.value for m in at.markdown if "of hidden units are dead" in m.value]
    assert len(summaries) == 2


def test_out_of_range_url_values_are_ignored_with_a_message():
    at = page(depth="99", lr="abc", activations="relu,swishy", epochs="4")
    assert not at.exception
    text = " ".join(w.value for w in at.warning)
    assert "Ignored depth='99' from the link: depth must be 1..30, got 99" in text
    assert "Ignored lr='abc' from the link: lr must be a finite number, got 'abc'" in text
    assert "Ignored activations='relu,swishy' from the link: activations has 'swishy'; valid:" in text
    assert at.slider(key="activations.depth").value == 6 and at.slider(key="activations.epochs").value == 4
    assert at.multiselect(key="activations.activations").value == ["relu", "leaky_relu", "elu", "gelu"]
