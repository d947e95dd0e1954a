"""The Community Cloud entry (cloud/): its requirements stay in step with the root ones, CPU-only
torch aside, and its main file runs the real app."""
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from streamlit.testing.v1 import AppTest

from core import labs

ROOT = Path(__file__).resolve().parents[2]
CLOUD = ROOT / "cloud"
CPU_INDEX = "--extra-index-url https://download.pytorch.org/whl/cpu"
CPU_ONLY = {"torch", "torchvision"}


def read_requirements(path: Path) -> tuple[dict[str, str], list[str]]:
    """Exact pins (name -> version) and option lines of a pip requirements file."""
    pins, options = {}, []
    for raw in path.read_text().splitlines():
        line = raw.split(" #")[0].strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("-"):
            options.append(" ".join(line.split()))
            continue
        req = Requirement(line)
        specs = list(req.specifier)
        assert len(specs) == 1 and specs[0].operator == "==" and not req.marker, f"{path.name}: not pinned: {line}"
        pins[canonicalize_name(req.name)] = specs[0].version
    return pins, options


def test_cloud_pins_the_root_versions_with_cpu_only_torch():
    root, root_options = read_requirements(ROOT / "requirements.txt")
    cloud, cloud_options = read_requirements(CLOUD / "requirements.txt")
    assert CPU_ONLY <= set(root) and not root_options
    assert all("+" not in root[name] for name in CPU_ONLY)  # the root keeps PyPI's plain torch
    expected = {name: version + "+cpu" if name in CPU_ONLY else version for name, version in root.items()}
    assert cloud == expected
    # an extra index, not --index-url: everything but torch still comes from PyPI
    assert cloud_options == [CPU_INDEX]


def test_no_other_dependency_file_in_cloud_takes_precedence():
    # Community Cloud takes the first of these it finds in the main file's folder, before requirements.txt
    assert not [name for name in ("uv.lock", "Pipfile", "environment.yml") if (CLOUD / name).exists()]


def test_the_cloud_entry_runs_the_app():
    at = AppTest.from_file(str(CLOUD / "streamlit_app.py"), default_timeout=60).run()
    assert not at.exception
    assert at.title[0].value == "Training dynamics"
    # the home page links every lab by its path under app_pages/, now resolved from cloud/
    assert [link.proto.page for link in at.get("page_link")] == [lab.url_path for lab in labs.all_labs()]
