"""Every lab's presets menu: choosing a preset sets the widgets on the same rerun and shows what
the person will see; changing one of its settings clears the menu; the link beside it carries
every setting."""
import pytest

from core import config as C
from core import labs
from core.labs.fields import SHARED
from tests.app.helpers import open_page

LABS = labs.all_labs()
IDS = [lab.name for lab in LABS]


def _key(lab, name: str) -> str:
    return f"shared.{name}" if name in SHARED else f"{lab.name}.{name}"


def _text(lab, name: str, value) -> str:
    return C.format_value(lab.fields()[name], tuple(value) if isinstance(value, list) else value)


@pytest.mark.parametrize("lab", LABS, ids=IDS)
def test_choosing_the_last_preset_sets_its_settings_and_the_link(lab):
    preset = list(lab.presets.values())[-1]  # the first is often the defaults: the last changes more
    at = open_page(lab.screen)
    menu = at.selectbox(key=f"{lab.name}/preset")
    assert menu.value is None and menu.placeholder == "Choose a preset…" and menu.options == list(lab.presets)
    menu.set_value(preset.title).run()
    assert not at.exception, at.exception
    for name, value in preset.values().items():
        assert _text(lab, name, at.session_state[_key(lab, name)]) == _text(lab, name, value), name
        assert dict(at.query_params)[name] == _text(lab, name, value), name
    assert preset.description in [c.value for c in at.caption]
    assert at.selectbox(key=f"{lab.name}/preset").value == preset.title
    links = [c.value for c in at.code if f"/{lab.url_path}?" in c.value]  # the copy box beside the menu
    assert len(links) == 1 and all(f"{name}=" in links[0] for name in lab.fields())
    assert any(f"]({links[0]})" in m.value for m in at.sidebar.markdown)  # ...and the sidebar's plain link


def test_changing_a_setting_of_the_preset_clears_the_menu():
    at = open_page("app_pages/vanishing.py")
    at.selectbox(key="vanishing/preset").set_value("ReLU + He: healthy").run()
    assert at.multiselect(key="vanishing.runs").value == ["relu-he"]
    at.run()  # a rerun with the settings untouched keeps it
    assert at.selectbox(key="vanishing/preset").value == "ReLU + He: healthy"
    at.selectbox(key="vanishing.optimizer").set_value("adam").run()
    assert at.selectbox(key="vanishing/preset").value is None and not at.exception
    assert at.multiselect(key="vanishing.runs").value == ["relu-he"]  # the other settings stay
