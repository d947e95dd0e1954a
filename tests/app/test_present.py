"""Presenter mode: switched by ?present= or the toggle, for the whole session; kept in the address
bar while on, through every rerun and the form's rewriting of the address bar; never taken for a
lab setting."""
from core import config as C
from core import labs
from tests.app.helpers import open_page
from ui import present

LAB = labs.get("vanishing")
PAGE = LAB.screen


def _styled(at) -> bool:
    """Whether the page carries presenter mode's style (the sidebar hidden, larger text)."""
    return any("stSidebar" in el.proto.body for el in at.get("html"))


def _is_on(at) -> bool:
    on = present.ON in at.session_state and at.session_state[present.ON]  # AppTest's state has no .get
    assert at.toggle(key=present.TOGGLE).value is on and _styled(at) is on
    return on


def test_a_link_with_present_1_turns_it_on_and_it_survives_reruns_and_the_forms_sync():
    at = open_page(PAGE, present="1", depth="7")
    assert not at.exception and _is_on(at)
    assert not [w.value for w in at.warning]  # present is not reported as an unknown setting
    assert dict(at.query_params) == {**C.to_strings(LAB.config()), "depth": "7", "present": "1"}
    at.run()
    assert _is_on(at) and dict(at.query_params)["present"] == "1"
    at.slider(key="vanishing.depth").set_value(9).run()  # the form rewrites the whole address bar
    assert _is_on(at) and dict(at.query_params)["present"] == "1" and dict(at.query_params)["depth"] == "9"
    assert not [w.value for w in at.warning]


def test_presenter_mode_folds_the_settings_and_keeps_the_presets_menu_and_run():
    at = open_page(PAGE, present="1")
    assert "Settings" in [e.label for e in at.expander]
    assert at.selectbox(key="vanishing/preset") is not None
    assert at.button(key="vanishing_job_run").label == "Run" and at.button(key="vanishing_job_stop").label == "Stop"
    off = open_page(PAGE)
    assert "Settings" not in [e.label for e in off.expander] and not _styled(off)


def test_the_toggle_turns_it_off_and_a_rerun_does_not_turn_it_back_on():
    at = open_page(PAGE, present="1")
    at.toggle(key=present.TOGGLE).set_value(False).run()
    assert not at.exception and not _is_on(at) and "present" not in dict(at.query_params)
    at.run()
    assert not _is_on(at) and "present" not in dict(at.query_params)
    assert dict(at.query_params) == C.to_strings(LAB.config())
    at.toggle(key=present.TOGGLE).set_value(True).run()
    assert _is_on(at) and dict(at.query_params)["present"] == "1"


def test_present_0_turns_it_off_and_a_bad_value_is_ignored_with_a_notice():
    at = open_page(PAGE, present="1")
    at.query_params["present"] = "0"  # a link followed in the same session
    at.run()
    assert not _is_on(at) and "present" not in dict(at.query_params)
    bad = open_page(PAGE, present="maybe")
    assert not _is_on(bad) and "Ignored present='maybe' from the link: it must be 1 (on) or 0 (off)." in [
        w.value for w in bad.warning]
    assert not [w.value for w in bad.warning if "has no setting" in w.value]


def test_a_links_ignored_values_are_still_said_on_a_rerun_in_presenter_mode():
    at = open_page(PAGE, present="1", depth="0")
    said = [w.value for w in at.warning]
    assert any("Ignored depth='0'" in w for w in said)
    at.run()
    assert [w.value for w in at.warning] == said


def test_it_holds_for_the_session_across_pages_and_on_the_home_page():
    at = open_page("app_pages/home.py", present="1")
    assert not at.exception and _is_on(at)
    at.switch_page(PAGE).run()
    assert _is_on(at) and dict(at.query_params)["present"] == "1"
    at.toggle(key=present.TOGGLE).set_value(False).run()
    at.switch_page("app_pages/home.py").run()
    assert not _is_on(at)
