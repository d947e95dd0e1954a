"""Transfer learning: model A on most classes, then a small task B on the two held out, trained
from scratch and on A's reused layers, over several seeds."""
import streamlit as st

from core import data
from core.charts import learning_curves
from core.labs.transfer import charts, tables
from core.labs.transfer.config import MODEL_A, class_label
from ui import live
from ui.charts import chart
from ui.form import open_lab

form = open_lab("transfer", "Transfer learning", (
    "A network trained on a big task learns features in its lower layers that may serve a related task with "
    "few labels. Here **model A** learns every class of the dataset but two (task A). **Task B** tells those two "
    "apart from only *N* labelled examples. Model B is trained twice for each seed: **from scratch**, and **on "
    "A**, its first hidden layers copied from A, frozen for a few epochs while the new layers above settle, then "
    "unfrozen at a lower learning rate. Each seed draws its own *N* examples, new weights and batch order: the "
    "spread over seeds shows whether a gain is transfer or luck."
))
LAB = form.lab


def settings() -> tuple[object, str | None]:
    """The run's settings; (config, None) or (None, what is wrong)."""
    form.presets()
    dataset = form.value("dataset")
    with form.box():
        top = st.columns([3, 2, 2])
        form.widget("classes", top[0], fmt=lambda i: class_label(dataset, i),
                    help="Task A is every other class. On Fashion-MNIST the chapter's pair is 0 (T-shirt/top) and "
                         "2 (pullover).")
        form.widget("n_examples", top[1], help="Each seed draws its own N from the two classes' train split; the "
                                               "run says when that split holds fewer (about 210 on digits).")
        form.widget("seeds", top[2])
        st.markdown("**Network, and model A's training**")
        for col, name in zip(st.columns(4), ("depth", "width", "activation", "init")):
            form.widget(name, col)
        for col, name in zip(st.columns(4), ("optimizer", "lr", "batch_size", "epochs_a")):
            form.widget(name, col)
        st.markdown("**Model B**")
        b = st.columns(4)
        form.widget("epochs_b", b[0])
        depth = form.value("depth")
        if depth > 1:
            form.widget("reuse", b[1], bounds=(1, depth))
        else:
            form.set(reuse=1)
            b[1].caption("Layers reused: the one hidden layer.")
        form.widget("freeze_epochs", b[2], bounds=(0, form.value("epochs_b")))
        form.widget("unfreeze_lr", b[3])
    config, problem = form.build()
    if problem and len(form.value("classes")) != 2:
        problem = "Pick two classes for task B."
    if problem:
        st.warning(problem)
    form.sync()
    return config, problem


config, problem = settings()
panel = live.LivePanel("transfer")
panel.controls(panel.starter(LAB.run, config) if config else None, label="Train", disabled_reason=problem)


def plan_caption(records: list[dict], cfg) -> None:
    plan = tables.plan(records)
    if not plan:
        return
    a, b = plan["classes_b"]
    st.caption(f"Task A: the {plan['a_classes']} other classes. Task B: {a} (label 0) against {b} (label 1). "
               f"{plan['message']}. B from scratch trains its {cfg.seeds} seeds "
               + ("together in one stacked pass." if plan["scratch_path"] == "stacked" else "one after another."))


def model_a(records: list[dict], cfg) -> None:
    st.subheader("Model A on task A")
    curves = tables.a_curves(records)
    if curves.empty:
        st.caption("Model A's curves appear after its first report.")
        return
    if tables.plan(records).get("a_cached"):
        st.info("Model A came from the cache: it was trained earlier with the same dataset, seed, classes, network "
                "and A's training, so only model B trains now. Its curves are those of that training.")
    chart(learning_curves(curves, epochs=cfg.epochs_a, runs=[MODEL_A], status=tables.a_status(records)))


def model_b(records: list[dict], cfg) -> None:
    st.subheader("Model B on task B")
    seeds = tables.b_curves(records)
    if seeds.empty:
        st.caption("Model B trains once model A has finished.")
        return
    thaw = cfg.freeze_epochs if 0 < cfg.freeze_epochs < cfg.epochs_b else None
    chart(charts.b_curves(seeds, tables.b_means(records), epochs=cfg.epochs_b, unfreeze_at=thaw), width="content")
    st.caption(f"Validation accuracy on the two classes' validation split, measured at each epoch end. B on A reuses "
               f"A's first {cfg.reuse} of {cfg.depth} hidden layers; "
               + (f"they stay frozen for {cfg.freeze_epochs} epochs, then train at {cfg.unfreeze_lr:g}."
                  if thaw is not None else "they stay frozen all along." if cfg.freeze_epochs else
                  f"they train from the start at the learning rate {cfg.lr:g}."))


def test_accuracy(records: list[dict], cfg) -> None:
    tests = tables.tests(records)
    if tests.empty:
        return
    spread = tables.spread(records)
    chart(charts.test_accuracy(tests, spread))
    st.dataframe(spread[["method", "seeds", "mean", "std", "min", "max"]], hide_index=True, width="stretch",
                 column_config={"method": "model B", "seeds": st.column_config.NumberColumn(format="%d"),
                                **{c: st.column_config.NumberColumn(f"{c} test accuracy" if c == "mean" else c,
                                                                    format="percent")
                                   for c in ("mean", "std", "min", "max")}})
    words = tables.verdict(records)
    if words and tables.final(records):
        st.markdown(words)
    if tables.final(records) and cfg.dataset != "fashion-mnist":
        st.caption(f"The chapter ran this on Fashion-MNIST (T-shirt/top against pullover). This run is on "
                   f"{data.DATASETS.get(cfg.dataset).label}: what it shows is what was measured here, and the "
                   "effect may differ there.")


def draw(records: list[dict], job) -> None:
    cfg = panel.job_config(config or LAB.config())
    plan_caption(records, cfg)
    model_a(records, cfg)
    model_b(records, cfg)
    test_accuracy(records, cfg)


panel.show(draw, empty="Press **Train**: model A trains first, then model B for every seed, both ways.",
           reports="one report per epoch per model; model A reports more often on large sets",
           export=(LAB.name, LAB.table))
st.caption("For a seed, both ways of training B see the same N examples in the same batches, and their new layers "
           "start from the same weights: only the reused layers differ.")
