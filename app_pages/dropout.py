"""Dropout and uncertainty: dropout against over-fitting, then MC dropout, out-of-distribution
inputs and calibration on the trained networks."""
import functools

import streamlit as st

from core import frames
from core.charts import learning_curves
from core.labs.dropout import analysis as A
from core.labs.dropout import charts, tables
from core.labs.dropout.config import RANKINGS, galleries, run_label
from core.labs.dropout.run import trained
from ui import live
from ui.charts import chart, collect, exports
from ui.form import open_lab

ALPHA_NOTE = (
    "**Why SELU needs alpha dropout.** SELU with LeCun-normal weights keeps every layer's activations "
    "near mean 0 and variance 1 on its own (self-normalizing). Standard dropout sets units to 0 and scales "
    "the survivors by 1/(1−p): the mean survives, the variance does not, and 0 is not SELU's resting value, "
    "so the normalization breaks. Alpha dropout sets dropped units to SELU's negative saturation value "
    "−λα ≈ −1.758 instead and then applies an affine correction chosen so that mean and variance stay 0 and 1. "
    "It is meant for low rates (0.05–0.1); at 0.5 it removes too much signal and accuracy falls.")


def points(change: float) -> str | None:
    """A change of a share in percentage points, or None (no arrow) when it rounds to 0."""
    return f"{change * 100:+.1f} points" if round(change * 100, 1) else None

form = open_lab("dropout", "Dropout and uncertainty", (
    "Dropout switches off each hidden unit with probability *p* at every training step and scales the "
    "survivors by 1/(1−*p*), so no unit can rely on particular others: training samples a different thinned "
    "network each step, all sharing weights. Here the same network (same initial weights, same batches) "
    "trains at several rates on a small subset of the training split, big enough to memorize it. Without "
    "dropout, train accuracy reaches 100% while validation lags behind: that gap is over-fitting."
))
LAB = form.lab

def settings() -> tuple[object, str | None]:
    """The training's settings; (config, None) or (None, what is wrong)."""
    form.presets()
    with form.box():
        top = st.columns([3, 2, 2])
        form.widget("rates", top[0])
        kind = form.widget("kind", top[1])
        form.widget("train_size", top[2], help="Validation and test splits stay whole. Digits has 1,078 train "
                                               "examples in all; a larger value uses them all.")
        for col, name in zip(st.columns(6), ("depth", "width", "optimizer", "lr", "epochs", "batch_size")):
            form.widget(name, col)
        if kind == "alpha_dropout":
            st.info(ALPHA_NOTE)
        else:
            st.caption("Alpha dropout with SELU is the other choice of *Kind*: a note there says why SELU needs it.")
    config, problem = form.check(empty="rates", message="Pick at least one dropout rate.")
    return config, problem


config, problem = settings()
panel = live.LivePanel("dropout")
panel.controls(panel.starter(LAB.run, config) if config else None, label="Train", disabled_reason=problem)


def draw(records: list[dict], job) -> None:
    cfg = panel.job_config(config or LAB.config())
    by = frames.by_run(records)
    first = next(iter(by.values()))[0]
    st.caption(f"{first['train_size']} train examples. Train loss and accuracy are measured on them with dropout "
               "off, as validation is; the running figures taken during training, with dropout on, are worse.")
    labels = cfg.labels()
    chart(learning_curves(tables.curves(records), epochs=cfg.epochs, runs=labels,
                                            status=frames.status(records)))
    chart(charts.dropout_gaps(tables.gaps(records), epochs=cfg.epochs, runs=labels))
    ended = job is not None and job.is_terminal
    st.dataframe(tables.summary(records, ended=ended), hide_index=True, width="stretch", column_config={
        "train accuracy": st.column_config.NumberColumn(format="percent"),
        "validation accuracy": st.column_config.NumberColumn(format="percent"),
        "gap": st.column_config.NumberColumn("accuracy gap", format="percent",
                                             help="train accuracy − validation accuracy"),
        "train loss": st.column_config.NumberColumn(format="%.4f"),
        "validation loss": st.column_config.NumberColumn(format="%.3f"),
        "best validation loss": st.column_config.NumberColumn(format="%.3f"),
        "epoch": None, "at epoch": st.column_config.NumberColumn(format="%.0f")})


panel.show(draw, empty="Press **Train** to train one network per rate; curves appear after the first epoch.",
           reports="one report per network per epoch",
           export=(LAB.name, LAB.table))

# --- MC dropout on the trained networks ----------------------------------------------------------
st.header("MC dropout: how sure is each network?")
st.write(
    "Normally dropout is off at prediction time: one deterministic prediction. MC dropout leaves it on and "
    "averages *T* stochastic passes (run as one batched forward pass of the input repeated *T* times). The "
    "**predictive entropy** H[p̄] of the mean prediction is the total uncertainty. The **mutual information** "
    "H[p̄] − E[H[pₜ]] is the part that comes from the passes disagreeing: uncertainty about the weights "
    "(epistemic), which more data would reduce. E[H[pₜ]], the entropy every pass shares, is the "
    "aleatoric part: an image that is ambiguous in itself."
)
def mc_analysis() -> tuple[A.Analysis, str] | None:
    """The MC analysis of the network chosen, as a quick job of its own; None until it is there."""
    job = panel.job
    done = trained(job.snapshot()) if job is not None and job.is_terminal else {}
    mc_config = panel.job_config(LAB.config())
    pick = st.columns([2, 3])
    if done:
        form.widget("inspect", pick[0], options=sorted(done.values(), reverse=True),
                    fmt=lambda r: run_label(mc_config.kind, r))
    passes = form.widget("passes", pick[1], help="More passes give steadier estimates and take longer: about 1 s "
                                                 "for 100 on digits on one CPU core, 5 s for 500.")
    form.sync()
    if not done:
        st.caption("Train first: the MC view opens on the networks once their training has finished.")
        return None
    run = run_label(mc_config.kind, form.value("inspect"))
    weights = job.artifact(f"weights/{run}")
    if weights is None:
        st.info("The trained weights were freed to keep the server's memory bounded: press **Train** again "
                "to bring them back (the curves above stay).")
        return None
    mc = live.LivePanel("mc", verb="Running the stochastic passes")
    mc_job = mc.ensure(functools.partial(A.run_analysis, mc_config, run, weights, passes),
                       key=f"mc:{job.id}:{run}:{passes}")
    if mc_job is not None and not mc_job.is_terminal:
        mc.show(lambda records, j: st.caption(f"{len(records)} of the inputs passed through so far"))
        return None
    an = mc_job.artifact("analysis") if mc_job is not None else None
    if mc_job is not None and (mc_job.status != "done" or an is None):
        st.error(mc_job.error or "The MC passes did not finish; change T or the network to try again.")
    return (an, run) if an is not None else None


def images(an: A.Analysis, run: str) -> None:
    which = form.widget("gallery", options=[g for g in galleries() if g in RANKINGS or g in an.raw],
                        help="The rankings are over the test split: most uncertain by the MC estimate; confidently "
                             "wrong by the deterministic prediction's confidence.")
    items = A.gallery(an, which)
    if not items:
        st.caption("No test image is misclassified by this network.")
    else:
        st.image(A.pictures(an, items), caption=[A.caption(an, s, i) for s, i in items])
        st.caption("Each image: its index, true class → MC-mean prediction.")
    keys = [f"{s}|{i}" for s, i in items]
    ranked = which in an.ranked  # a ranking changes with the network and T; a source's order does not
    passes = an.passes
    chosen = st.multiselect("Images to inspect", keys, default=keys[:3], max_selections=6,
                            key=f"dropout.pick.{which}" + (f".{run}.{passes}" if ranked else ""),
                            format_func=lambda k: A.caption(an, k.split("|")[0], int(k.split("|")[1])))
    for key in chosen:
        source, index = key.split("|")[0], int(key.split("|")[1])
        r = A.row(an, source, index)
        c = an.class_names
        left, mid, right = st.columns([1, 2, 4], vertical_alignment="center")
        left.image(A.pictures(an, [(source, index)], height=112)[0], caption=f"{source} #{index}")
        truth = f"true class **{c[r['label']]}**" if r["label"] >= 0 else "no true class"
        mid.markdown(
            f"{truth}  \ndeterministic: **{c[r['det_pred']]}** at {r['det_conf']:.0%}  \n"
            f"MC mean of {an.passes}: **{c[r['mc_pred']]}** at {r['mc_conf']:.0%} ± {r['mc_std']:.0%}  \n"
            f"predictive entropy: {r['entropy']:.2f} nats  \nmutual information: {r['mutual_info']:.2f} nats "
            f"(epistemic)  \nexpected entropy: {r['aleatoric']:.2f} nats (aleatoric)")
        with right:
            chart(charts.class_probabilities(A.class_frame(an, source, index), classes=list(c),
                                                               estimates=A.CLASS_ESTIMATES), width="content")



def out_of_distribution(an: A.Analysis) -> None:
    st.write(
        "Inputs unlike anything in training: **uniform noise** (every pixel uniform over the pixel range), "
        "**shuffled pixels** (test images with their pixels in random order: the same ink, no shape), and every "
        "other image set that is cached, resized to this one's shape. A ReLU network trained only on clean "
        "images is often *more* confident far from them; the passes of MC dropout disagree there instead.")
    table = A.ood_table(an)
    chart(charts.ood_uncertainty(A.ood_frame(an), sources=list(an.raw),
                                                   measures=list(A.MEASURES.values()), max_entropy=A.max_entropy(an)))
    st.dataframe(table, hide_index=True, width="stretch", column_config={
        **{m: st.column_config.NumberColumn(format="%.3f") for m in A.MEASURES.values()},
        "confidence, deterministic": st.column_config.NumberColumn(format="percent"),
        "confidence, MC mean": st.column_config.NumberColumn(format="percent")})
    st.caption("Means over each input's images; confidence is the top probability; entropies and mutual "
               "information are in nats (at most "
               f"ln {len(an.class_names)} ≈ {A.max_entropy(an):.2f}).")
    by = table.set_index("source")
    clean, noise = by.loc[A.TEST], by.loc[A.NOISE]
    det, mcp, mi = A.MEASURES["det_entropy"], A.MEASURES["entropy"], A.MEASURES["mutual_info"]
    st.markdown(
        f"On uniform noise the MC predictive entropy averages **{noise[mcp]:.2f}** nats against **{clean[mcp]:.2f}** "
        f"on test images, and the mutual information **{noise[mi]:.2f}** against **{clean[mi]:.2f}**. The "
        f"deterministic prediction's entropy is {noise[det]:.2f} against {clean[det]:.2f}"
        + (": without dropout at prediction time the network is *surer* of noise than of real images."
           if noise[det] < clean[det] else "."))
    others = [s for s in an.raw if s not in (A.TEST, A.NOISE, A.SHUFFLED)]
    if not others:
        st.caption("No other image set is cached. MNIST, Fashion-MNIST and CIFAR-10 join this comparison once "
                   "downloaded: choose one as the dataset on any page and train once.")



def calibration(an: A.Analysis) -> None:
    st.write(
        "A network is calibrated when, of the predictions made with 80% confidence, 80% are right. The test "
        "images are binned by confidence (the top probability). The top of each solid bar is the accuracy in "
        "its bin: blue up to the bin's mean confidence, orange above it where the network is under-confident; "
        "pale red marks where the confidence exceeds the accuracy (over-confident). The expected calibration "
        "error (ECE) is the count-weighted mean of those gaps, computed by torchmetrics.")
    m = st.columns(4)
    acc, ece = an.accuracy, an.ece
    m[0].metric("Accuracy, deterministic", f"{acc['deterministic']:.1%}")
    m[1].metric(f"Accuracy, MC mean of {an.passes}", f"{acc['MC dropout']:.1%}",
                delta=points(acc["MC dropout"] - acc["deterministic"]))
    m[2].metric("ECE, deterministic", f"{ece['deterministic']:.1%}")
    m[3].metric(f"ECE, MC mean of {an.passes}", f"{ece['MC dropout']:.1%}",
                delta=points(ece["MC dropout"] - ece["deterministic"]), delta_color="inverse")
    chart(charts.reliability_diagrams(
        an.reliability, A.ece_frame(an), estimates=list(A.ESTIMATES),
        titles=["Deterministic (dropout off)", "MC-dropout mean of T passes"]))
    st.caption(f"{A.BINS} equal-width confidence bins over the {len(an.raw[A.TEST])} test images; under each "
               "diagram, the share of images per bin.")


result = mc_analysis()
if result is not None:
    an, run = result
    if not an.has_dropout:
        st.info("This network has no dropout, so all T passes are the same: the standard deviations and the mutual "
                "information are 0 and the MC mean is the deterministic prediction. Pick a network with dropout.")
    images_tab, ood_tab, calibration_tab = st.tabs(["Images", "Out of distribution", "Calibration"])
    with collect() as drawn:
        with images_tab:
            images(an, run)
        with ood_tab:
            out_of_distribution(an)
        with calibration_tab:
            calibration(an)
    exports("dropout-mc", lambda: A.image_table(an), drawn, key="mc_export",
            no_script="It evaluates a trained network's saved weights; the training above has its own export.",
            help=f"one row per image of every source: both predictions and the MC measures over T = {an.passes}")
