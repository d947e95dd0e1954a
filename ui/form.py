"""A lab's settings on screen: widgets drawn from its config classes' field metadata, kept for
the session across pages, read from the address bar and written back to it as they change.

Every setting is one widget whose key is `lab.field` (`shared.field` for the sidebar's dataset,
device and seed). Values live in `st.session_state` under that key and in a shadow copy that
survives page switches (Streamlit drops the state of widgets a page did not draw). A link's
query parameters are checked with the config classes before any widget is drawn: a value they
reject is ignored with a notice, never clamped or dropped silently. Presenter mode's `present`
parameter shares the address bar and is no setting (ui/present.py).
"""
from __future__ import annotations

import dataclasses
import urllib.parse
from typing import Any, Callable

import streamlit as st

from core import config as C
from core import device
from core import settings as text_settings
from core.labs.base import Lab, Preset
from core.labs.fields import SHARED
from ui import present
from ui import upload

KEPT = "_form_kept"  # session slot: widget key -> value, surviving page switches
URL_WRITTEN = "_form_url"  # session slot: the query parameters last written by any form
NOTICES = "_form_notices"  # session slot: (lab, settings as written, the link's notices) at the last sync


class Form:
    def __init__(self, lab: Lab) -> None:
        self.lab = lab
        self.fields = lab.fields()  # name -> dataclasses.Field, over every config class of the lab
        self.notices: list[str] = []
        self._link_boxes: list[tuple[Any, bool]] = []  # (where the link is shown, as code?): see sync
        kept = st.session_state.setdefault(KEPT, {})
        for name, f in self.fields.items():
            k = self.key(name)
            # Restored on a first visit or after the page was left (its widgets' state dropped), and
            # set again on every run: a value set through session state is sent to the browser with
            # the widget, so a widget the browser draws afresh (e.g. after an interrupted run)
            # shows it instead of its bare default.
            have = k in st.session_state
            st.session_state[k] = st.session_state[k] if have else kept.get(k, _widget_value(f.default))
        self._read_link()
        last = st.session_state.get(NOTICES)
        unchanged = last and last[0] == lab.name and last[1] == self.strings() == _link_settings()
        if not self.notices and unchanged:
            self.notices = list(last[2])  # a rerun (a job ending, a button) with the link's settings: still said

    # --- state --------------------------------------------------------------------------------
    def key(self, name: str) -> str:
        return f"shared.{name}" if name in SHARED else f"{self.lab.name}.{name}"

    def value(self, name: str) -> Any:
        """The current value of setting `name`, as the config takes it (tuples, not lists)."""
        v = st.session_state[self.key(name)]
        return tuple(v) if isinstance(v, list) else v

    def values(self, cls: type) -> dict[str, Any]:
        return {f.name: self.value(f.name) for f in dataclasses.fields(cls)}

    def set(self, **values: Any) -> None:
        """Set settings (e.g. from the presets menu's callback, before the widgets are drawn)."""
        for name, v in values.items():
            st.session_state[self.key(name)] = _widget_value(v)
            st.session_state[KEPT][self.key(name)] = _widget_value(v)

    def check(self, cls: type | None = None, *, empty: str | None = None,
              message: str = "") -> tuple[Any, str | None]:
        """`build`, saying what is wrong on the page; when the tuple setting `empty` is empty,
        `message` says so instead (e.g. "Pick at least one optimizer.")."""
        config, problem = self.build(cls)
        if problem and empty is not None and not self.value(empty):
            problem = message
        if problem:
            st.warning(problem)
        return config, problem

    def build(self, cls: type | None = None) -> tuple[Any, str | None]:
        """(config of `cls` from the widgets, None) or (None, the reason it is not valid)."""
        cls = cls or self.lab.config
        try:
            return cls(**self.values(cls)), None
        except ValueError as exc:
            return None, str(exc)

    # --- the address bar ------------------------------------------------------------------------
    def _read_link(self) -> None:
        """Apply the link's settings, once per new link: parameters equal to the ones a form last
        wrote are this session's own address bar, not a link. Each config class checks its own
        settings together; when it rejects them, one by one in the link's order."""
        params = _link_settings()
        if not params or params == st.session_state.get(URL_WRITTEN):
            return
        parsed: dict[str, Any] = {}
        for name, text in params.items():
            f = self.fields.get(name)
            if f is None:
                self.notices.append(f"Ignored {name}={text!r} from the link: this lab has no setting {name!r}.")
                continue
            try:
                value = C.parse_value(f, text)
                if name == "dataset":
                    upload.claim(value)  # an uploaded set is its own session's alone
                parsed[name] = value
            except ValueError as exc:
                self.notices.append(f"Ignored {name}={text!r} from the link: {exc}")
        rejected: dict[str, str] = {}
        for cls in self.lab.classes():
            mine = {n: v for n, v in parsed.items() if n in {f.name for f in dataclasses.fields(cls)}}
            try:
                cls(**mine)
                continue
            except ValueError:
                pass
            current = cls()
            for name, value in mine.items():
                try:
                    current = dataclasses.replace(current, **{name: value})
                except ValueError as exc:
                    rejected.setdefault(name, str(exc))
        for name, value in parsed.items():
            if name in rejected:
                self.notices.append(f"Ignored {name}={params[name]!r} from the link: {rejected[name]}")
            else:
                self.set(**{name: value})
        st.session_state[URL_WRITTEN] = params

    def strings(self) -> dict[str, str]:
        """Every setting as text, defaults included."""
        return {name: C.format_value(f, self.value(name)) for name, f in self.fields.items()}

    def sync(self) -> None:
        """Keep the values for the session and write them all to the address bar (with presenter
        mode's parameter while it is on)."""
        kept = st.session_state[KEPT]
        for name in self.fields:
            kept[self.key(name)] = st.session_state[self.key(name)]
        params = self.strings()
        address = {**params, **present.params()}
        if st.query_params.to_dict() != address:
            st.query_params.from_dict(address)
        st.session_state[URL_WRITTEN] = params
        for box, as_code in self._link_boxes:
            if as_code:  # st.code gives a copy button, but is slow to draw: once per page, in the popover
                box.code(self.link(), language=None, wrap_lines=True)
            else:
                box.markdown(f"[{self.lab.title}: this link holds every setting]({self.link()})")
        st.session_state[NOTICES] = (self.lab.name, params, tuple(self.notices))

    def link(self) -> str:
        """This lab with every setting: what a person shares (presenter mode is not a setting)."""
        base = (st.context.url or "").rstrip("/")
        if base.endswith("/" + self.lab.url_path):
            base = base[: -len(self.lab.url_path) - 1]
        return f"{base}/{self.lab.url_path}?{urllib.parse.urlencode(self.strings())}"

    def show_notices(self) -> None:
        for notice in self.notices:
            st.warning(notice)

    # --- presets and the settings box ---------------------------------------------------------------
    def presets(self) -> str | None:
        """The lab's presets menu with the chosen one's description, and the lab's full link to copy
        beside it (the sidebar's copy is hidden in presenter mode). Returns the preset on show.
        A preset stays chosen while the settings are still its own; changing one clears it."""
        key = f"{self.lab.name}/preset"  # '/' keeps it apart from every setting's key
        chosen = st.session_state.get(key)
        if chosen not in self.lab.presets or not self._still(self.lab.presets[chosen]):
            st.session_state[key] = None
        menu, link = st.columns([5, 1], vertical_alignment="bottom")
        title = menu.selectbox("Presets", list(self.lab.presets), key=key, index=None,
                               placeholder="Choose a preset…", on_change=self._apply_preset, args=(key,),
                               help="The experiments this lab reproduces: choosing one sets its settings.")
        with link.popover("Copy link", icon=":material/link:", width="stretch"):
            st.caption("This lab with every setting, to share or come back to:")
            self._link_boxes.append((st.empty(), True))  # filled by sync, once every widget has its value
        if title is not None:
            st.caption(self.lab.presets[title].description)
        return title

    def _apply_preset(self, key: str) -> None:
        """The menu's callback: the settings are in place before any widget of the rerun is drawn."""
        title = st.session_state.get(key)
        if title is not None:
            self.set(**self.lab.preset(title).values())

    def _still(self, preset: Preset) -> bool:
        """Whether every setting of `preset` still has its value (compared as the links write them)."""
        return all(C.format_value(self.fields[name], self.value(name)) == C.format_value(self.fields[name], v)
                   for name, v in preset.values().items())

    def box(self, label: str = "Settings") -> Any:
        """The container a page's settings go in: a bordered box, or in presenter mode an expander
        `label` folded away, so that the room sees the charts and the presets menu does the work."""
        return st.expander(label) if present.is_on() else st.container(border=True)

    # --- widgets ----------------------------------------------------------------------------------
    def widget(self, name: str, container: Any = None, *, label: str | None = None,
               options: list | None = None, fmt: Callable[[Any], str] | None = None,
               bounds: tuple[float, float] | None = None, **kwargs: Any) -> Any:
        """Draw setting `name` with the widget its metadata asks for; returns its value.
        `options` narrows the offered choices, `fmt` labels them, `bounds` narrows a slider's
        range (the value is moved inside it); other keyword arguments go to the widget."""
        f = self.fields[name]
        meta, k, box = f.metadata, self.key(name), container or st
        text = label or C.label(f)
        kwargs.setdefault("help", meta.get("help"))
        fmt = fmt or C.labeller(f)
        hint, kind, lo, hi = meta.get("widget"), C.kind(f), meta.get("lo"), meta.get("hi")
        if bounds is not None:
            lo, hi = bounds
            st.session_state[k] = min(max(st.session_state[k], lo), hi)
        if kind is bool:
            box.toggle(text, key=k, **kwargs)
        elif kind is not tuple and (hint in ("selectbox", "radio") or (kind is str and (
                options is not None or meta.get("choices") is not None))):
            opts = list(options if options is not None else C.options(meta.get("choices")) or meta.get("grid") or [])
            if st.session_state[k] not in opts:
                st.session_state[k] = opts[0]
            draw = box.radio if hint == "radio" else box.selectbox
            draw(text, opts, key=k, format_func=fmt, **({"horizontal": True} if hint == "radio" else {}), **kwargs)
        elif kind is tuple:
            opts = options if options is not None else C.options(meta.get("items")) or list(meta.get("grid") or [])
            opts = list(dict.fromkeys(list(opts) + list(st.session_state[k])))
            if meta.get("grid"):
                opts = sorted(opts)
            box.multiselect(text, opts, key=k, format_func=fmt, max_selections=int(hi) if hi else None, **kwargs)
        elif kind in (int, float) and (meta.get("grid") or hint == "select_slider"):
            grid = [g for g in (options or meta.get("grid") or [])
                    if (lo is None or g >= lo) and (hi is None or g <= hi)]
            opts = sorted(set(grid) | {st.session_state[k]})
            box.select_slider(text, opts, key=k, format_func=fmt, **kwargs)
        elif kind in (int, float) and hint == "slider":
            step = meta.get("step") or (1 if kind is int else (hi - lo) / 100)
            box.slider(text, kind(lo), kind(hi), key=k, step=kind(step), **kwargs)
        elif kind in (int, float):
            step = meta.get("step") or (1 if kind is int else None)
            box.number_input(text, min_value=None if lo is None else kind(lo),
                             max_value=None if hi is None else kind(hi), key=k, step=step,
                             **({"format": "%g"} if kind is float else {}), **kwargs)
        else:
            box.text_input(text, key=k, **kwargs)
        return self.value(name)

    def item_settings(self, name: str, items: list[str], defaults: Callable[[str], dict[str, Any]],
                      parse: Callable[[tuple, tuple], dict[str, dict]], *, item_label: Callable[[str], str] = str,
                      draw: Callable[..., Any] | None = None, container: Any = None) -> tuple:
        """A per-item settings field ('item:key=value'), drawn as one tab per item with one widget
        per setting. `defaults(item)` gives each setting's default, `parse(value, items)` reads the
        field, `draw(box, item, key, default, widget_key)` may draw a setting's widget itself
        (else: a toggle, a number input, or text such as 0.9;0.999 for a tuple). Only settings
        that differ from their default make up the value."""
        base = self.key(name)
        try:
            own = parse(self.value(name), tuple(items))
        except ValueError:
            own = {}
        outside = st.session_state.get(f"{base}/produced") != self.value(name)  # a link or a preset set it
        tabs = (container or st).tabs([item_label(i) for i in items]) if items else []
        chosen: list[str] = []
        for item, tab in zip(items, tabs):
            cols = tab.columns(3)
            for n, (key, default) in enumerate(defaults(item).items()):
                wkey = f"{base}/{item}/{key}"
                value = own.get(item, {}).get(key, default)
                before = st.session_state.get(f"{wkey}/default", default)
                if outside or wkey not in st.session_state or (_as_widget(before) == st.session_state[wkey]
                                                                and before != default):
                    st.session_state[wkey] = _as_widget(value)  # seeded; a default follows its default
                else:  # set again on every run, as Form.__init__ does for every setting: sent with the
                    # widget, so an input the browser draws afresh after an interrupted run shows it
                    # rather than its bare default (0), which its next rerun would send back
                    st.session_state[wkey] = st.session_state[wkey]
                st.session_state[f"{wkey}/default"] = default
                box = cols[n % 3]
                got = draw(box, item, key, default, wkey) if draw else None
                if got is None:
                    got = _setting_widget(box, key, default, wkey)
                if got is not None and got != default:
                    chosen.append(text_settings.text(item, key, got))
        value = tuple(chosen)
        st.session_state[base] = list(value)
        st.session_state[f"{base}/produced"] = value
        return value

    def sidebar(self) -> None:
        """The shared settings (dataset, device, seed), in the sidebar."""
        device.configure_threads()  # every page comes here; cheap and idempotent
        # Labelled here, in the script's thread: torch's thread count is per thread.
        auto = f"auto ({device.describe(device.pick())})"
        with st.sidebar:
            st.header("Shared settings")
            upload.dataset_select(self)  # with this session's uploaded CSVs, where the lab takes them
            self._device_widget(auto)
            self.widget("seed")
            st.caption(f"Running on {device.describe(_picked(self.value('device')))}")
            st.caption("To share the lab as it is, or come back to it, copy this link (or the address bar, "
                       "which follows every change; \"Copy link\" beside the presets has a copy button):")
            self._link_boxes.append((st.empty(), False))

    def _device_widget(self, auto: str) -> None:
        k = self.key("device")
        opts = ["auto", *device.available()]
        if st.session_state[k] not in opts:
            opts.append(st.session_state[k])  # from a link: the run will say it is not available here
        st.selectbox("Device", opts, key=k, format_func=lambda d: auto if d == "auto" else d,
                     help=self.fields["device"].metadata["help"])


def _widget_value(v: Any) -> Any:
    return list(v) if isinstance(v, tuple) else v


def _as_widget(value: Any) -> Any:
    """A setting's value as its widget holds it: tuples as text (0.9;0.999), the rest as is."""
    return text_settings.write(value) if isinstance(value, tuple) else value


def _setting_widget(box: Any, key: str, default: Any, wkey: str) -> Any:
    """One setting's widget by the type of its default; returns the value (None: unreadable)."""
    if isinstance(default, bool):
        return box.toggle(key, key=wkey)
    if isinstance(default, tuple):
        raw = box.text_input(f"{key} (numbers written a;b)", key=wkey)
        try:
            return text_settings.read(default, raw, key, True)
        except ValueError as exc:
            box.warning(str(exc))
            return None
    if isinstance(default, str):
        return box.text_input(key, key=wkey)
    return box.number_input(key, key=wkey, format="%g" if isinstance(default, float) else "%d",
                            step=None if isinstance(default, float) else 1)


def _link_settings() -> dict[str, str]:
    """The address bar's parameters that may be settings: all but presenter mode's."""
    return {k: v for k, v in st.query_params.to_dict().items() if k != present.PARAM}


def _picked(name: str):
    try:
        return device.pick(name)
    except ValueError:
        return device.pick()


def open_lab(name: str, title: str, intro: str) -> Form:
    """A lab's page: its title with the presenter-mode toggle, its introduction, the shared
    sidebar, and the form of its settings (with what a link's bad values were ignored for)."""
    from core import labs  # the registry imports every lab: only when a page opens

    head, switch = st.columns([4, 1], vertical_alignment="center")
    head.title(title)
    present.switch(switch)
    st.write(intro)
    form = Form(labs.get(name))
    form.sidebar()
    form.show_notices()
    return form
