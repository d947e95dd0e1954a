"""Dataset registry: the bundled digits, synthetic 2-D sets and torchvision image sets.

Every set comes back as a `Data`: train/valid/test splits living on the device once, raw
(uint8 for images, float32 for synthetic points), with the standardization fitted on the
train split only and applied per batch by `Data.features`.
"""
from __future__ import annotations

import functools
import http.client
import math
import os
import shutil
import tempfile
import threading
import urllib.error
import urllib.request
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import torch

from core.registry import Registry

Progress = Callable[[int, int], None]  # progress(bytes_done, bytes_total or 0 when unknown)
DATA_DIR_ENV = "DYNAMICS_DATA_DIR"
MIN_SIZE, MAX_SIZE = 50, 60_000  # limits on `size` (examples before splitting)
MAX_NOISE = 2.0


class DatasetUnavailable(RuntimeError):
    """A dataset is not cached and could not be downloaded; the message says what to do."""


def data_dir() -> Path:
    """Where downloaded sets are cached: $DYNAMICS_DATA_DIR, else ~/.cache/training-dynamics."""
    env = os.environ.get(DATA_DIR_ENV)
    return Path(env).expanduser() if env else Path.home() / ".cache" / "training-dynamics"


@dataclass
class Split:
    x: torch.Tensor  # (N, D) raw features: uint8 pixels or float32 points
    y: torch.Tensor  # (N,) int64 class labels

    def __len__(self) -> int:
        return self.x.shape[0]


@dataclass
class Data:
    name: str
    train: Split
    valid: Split
    test: Split
    scale: float  # raw -> [0, 1] factor (1/255 for pixels, 1/16 for digits, 1 for points)
    mean: torch.Tensor  # (D,) or (1,) per-feature or per-channel mean of scaled train inputs
    std: torch.Tensor  # same shape, zero-variance features get 1
    n_classes: int
    image_shape: tuple[int, ...] | None  # (C, H, W) for images, None for points
    class_names: tuple[str, ...]

    @property
    def input_dim(self) -> int:
        return self.train.x.shape[1]

    @property
    def device(self) -> torch.device:
        return self.train.x.device

    def features(self, x_raw: torch.Tensor) -> torch.Tensor:
        """(B, D) raw -> (B, D) float32 standardized with the train split's statistics."""
        return (x_raw.float() * self.scale - self.mean) / self.std

    def to(self, device: torch.device | str) -> "Data":
        move = lambda s: Split(s.x.to(device), s.y.to(device))  # noqa: E731
        return Data(self.name, move(self.train), move(self.valid), move(self.test), self.scale,
                    self.mean.to(device), self.std.to(device), self.n_classes, self.image_shape,
                    self.class_names)


@dataclass(frozen=True)
class DatasetSpec:
    label: str
    kind: str  # "bundled", "synthetic", "download" or "upload" (a CSV a visitor uploaded, core/upload.py)
    summary: str  # one line for the home page and select boxes
    default_size: int  # examples used when the caller does not say


DATASETS: Registry[DatasetSpec] = Registry("dataset")
DATASETS.add("digits", DatasetSpec("Digits 8×8 (bundled)", "bundled", "1,797 handwritten digits, 8×8, from scikit-learn", 1797))
for _name, _summary in [
    ("spirals", "two interleaved spirals"), ("moons", "two half-moons"),
    ("circles", "a circle inside a ring"), ("xor", "four XOR quadrants"), ("blobs", "three Gaussian blobs"),
]:
    _label = "XOR" if _name == "xor" else _name.capitalize()
    DATASETS.add(_name, DatasetSpec(f"{_label} (2-D)", "synthetic", _summary, 1000))
DATASETS.add("fashion-mnist", DatasetSpec("Fashion-MNIST", "download", "70,000 clothing images, 28×28 grey", 60_000))
DATASETS.add("mnist", DatasetSpec("MNIST", "download", "70,000 handwritten digits, 28×28 grey", 60_000))
DATASETS.add("cifar10", DatasetSpec("CIFAR-10", "download", "60,000 photos in 10 classes, 32×32 colour", 50_000))


def names() -> list[str]:
    return DATASETS.names()


def display_label(name: str) -> str:
    """The dataset's label, saying when choosing it starts a download."""
    s = spec(name)
    if s.kind == "download" and not is_cached(name):
        return f"{s.label} (downloads on first use)"
    return s.label


# --- uploaded sets -------------------------------------------------------------------------

UPLOAD_PREFIX = "upload:"  # + 12 hex digits of the file's hash and how it was read (core/upload.py)
HELD_BYTES = 64 * 2**20  # uploaded sets held at once (their arrays' bytes); the least recently used go first


@dataclass(frozen=True)
class Table:
    """An uploaded CSV as parsed (core/upload.py), before splitting: rows of numbers and a class each."""

    label: str  # what select boxes show: the file's name
    summary: str  # one line: rows, features, classes
    notes: tuple[str, ...]  # what reading it skipped or dropped
    x: np.ndarray  # (N, D) float32 raw features
    y: np.ndarray  # (N,) int64 index into class_names
    class_names: tuple[str, ...]
    features: tuple[str, ...]  # the columns of x
    column: str = ""  # the label column (for the standalone script, which reads the file again)

    @property
    def nbytes(self) -> int:
        return self.x.nbytes + self.y.nbytes


class Held:
    """Uploaded sets by name, process-wide, within a byte budget (the newest is always kept).
    Held here so that a background job can load a set by the name its config carries."""

    def __init__(self, budget: int = HELD_BYTES) -> None:
        self.budget = budget
        self._sets: OrderedDict[str, Table] = OrderedDict()
        self._lock = threading.Lock()  # jobs' threads read while scripts' threads add

    def put(self, name: str, table: Table) -> None:
        with self._lock:
            self._sets[name] = table
            self._sets.move_to_end(name)
            while len(self._sets) > 1 and sum(t.nbytes for t in self._sets.values()) > self.budget:
                self._sets.popitem(last=False)

    def get(self, name: str) -> Table | None:
        with self._lock:
            table = self._sets.get(name)
            if table is not None:
                self._sets.move_to_end(name)
            return table

    def names(self) -> list[str]:
        with self._lock:
            return list(self._sets)

    def clear(self) -> None:
        with self._lock:
            self._sets.clear()


HELD = Held()


def is_upload(name: str) -> bool:
    return name.startswith(UPLOAD_PREFIX)


def spec(name: str) -> DatasetSpec:
    """The registry's entry, or an uploaded set's while it is held; a ValueError says what to do."""
    if not is_upload(name):
        return DATASETS.get(name)
    table = HELD.get(name)
    if table is None:
        raise ValueError(f"dataset {name!r} is an uploaded CSV that this server does not hold (uploads are kept "
                         f"while the server runs, and the least recently used make room for new ones): upload the "
                         f"file again")
    return DatasetSpec(table.label, "upload", table.summary, len(table.x))


def choices() -> list[str]:
    """Every dataset a lab that takes any data accepts: the registry's and the uploaded sets held.
    (A page offers each visitor only the sets they uploaded: ui/upload.py.)"""
    return [*DATASETS.names(), *HELD.names()]


def check(name: str) -> None:
    """Raise ValueError, saying what to do, unless `name` is registered or an uploaded set held."""
    spec(name)


# --- synthetic 2-D sets ------------------------------------------------------------------

def _synthetic(name: str, n: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """(n, 2) float32 points and (n,) int labels."""
    from sklearn import datasets as skd

    seed = int(rng.integers(2**31))
    if name == "moons":
        x, y = skd.make_moons(n, noise=noise, random_state=seed)
    elif name == "circles":
        x, y = skd.make_circles(n, noise=noise, factor=0.5, random_state=seed)
    elif name == "blobs":
        x, y = skd.make_blobs(n, centers=3, cluster_std=1.0 + 2 * noise, random_state=seed)
    elif name == "xor":
        x = rng.uniform(-1, 1, size=(n, 2))
        y = (x[:, 0] * x[:, 1] > 0).astype(np.int64)
        x = x + rng.normal(0, noise, size=x.shape)
    elif name == "spirals":
        y = np.arange(n) % 2
        t = np.sqrt(rng.uniform(0, 1, n)) * 3 * math.pi  # angle, dense near the centre
        r = t / (3 * math.pi)
        x = np.stack([r * np.cos(t + math.pi * y), r * np.sin(t + math.pi * y)], 1)
        x = x + rng.normal(0, noise * 0.1, size=x.shape)
    else:
        raise ValueError(f"not a synthetic set: {name!r}")
    return x.astype(np.float32), np.asarray(y, dtype=np.int64)


# --- downloaded sets ---------------------------------------------------------------------

def _tv_class(name: str):
    import torchvision.datasets as tvd

    return {"fashion-mnist": tvd.FashionMNIST, "mnist": tvd.MNIST, "cifar10": tvd.CIFAR10}[name]


@dataclass(frozen=True)
class Source:
    urls: tuple[str, ...]  # mirrors, tried in order
    filename: str  # archive name
    md5: str
    extract_to: Path  # folder the archive unpacks into


def sources(name: str, root: Path) -> list[Source]:
    """The archives torchvision's own class would fetch, with its mirrors and checksums."""
    cls = _tv_class(name)
    if name == "cifar10":
        return [Source((cls.url,), cls.filename, cls.tgz_md5, root)]
    raw = root / cls.__name__ / "raw"
    return [Source(tuple(m + f for m in cls.mirrors), f, md5, raw) for f, md5 in cls.resources]


def is_cached(name: str, root: Path | None = None) -> bool:
    """True when a downloaded set is on disk in torchvision's layout (bundled sets: always)."""
    if spec(name).kind != "download":  # an upload no longer held raises, saying to upload it again
        return True
    root = root or data_dir()
    if name == "cifar10":
        base = root / "cifar-10-batches-py"
        files = ["batches.meta", "test_batch"] + [f"data_batch_{i}" for i in range(1, 6)]
        return all((base / f).exists() for f in files)
    raw = root / _tv_class(name).__name__ / "raw"
    return all((raw / Path(f).stem).exists() for f, _ in _tv_class(name).resources)


def _fetch(url: str, dest: Path, progress: Progress | None, done: int, total: int) -> int:
    """Stream `url` into `dest`, calling progress(bytes so far, total). Returns bytes read."""
    with urllib.request.urlopen(url, timeout=30) as resp, open(dest, "wb") as out:
        while chunk := resp.read(1 << 16):
            out.write(chunk)
            done += len(chunk)
            if progress:
                progress(done, total)
    return done


def _content_length(url: str) -> int:
    try:
        req = urllib.request.Request(url, method="HEAD")
        with urllib.request.urlopen(req, timeout=10) as resp:
            return int(resp.headers.get("Content-Length") or 0)
    except (OSError, ValueError):
        return 0


def download(name: str, root: Path | None = None, progress: Progress | None = None) -> None:
    """Download and unpack `name` into `root` unless it is cached already.

    Raises DatasetUnavailable with a message naming what failed and what to do.
    """
    from torchvision.datasets.utils import check_integrity, extract_archive

    root = root or data_dir()
    if is_cached(name, root):
        return
    srcs = sources(name, root)
    total = sum(_content_length(s.urls[0]) for s in srcs)
    done = 0
    for src in srcs:
        src.extract_to.mkdir(parents=True, exist_ok=True)
        errors = []
        for url in src.urls:
            with tempfile.TemporaryDirectory(dir=src.extract_to) as tmp:
                path = Path(tmp) / src.filename
                try:
                    got = _fetch(url, path, progress, done, total)
                except (OSError, urllib.error.URLError, http.client.HTTPException) as exc:
                    errors.append(f"{url}: {getattr(exc, 'reason', exc)}")
                    continue
                if not check_integrity(str(path), src.md5):
                    errors.append(f"{url}: checksum mismatch")
                    continue
                extract_archive(str(path), str(src.extract_to))
                done = got
                break
        else:
            raise DatasetUnavailable(_unavailable_message(name, root, errors))


def _unavailable_message(name: str, root: Path, errors: list[str]) -> str:
    label = DATASETS.get(name).label
    return (
        f"{label} is not cached in {root} and could not be downloaded "
        f"({'; '.join(errors[-2:]) or 'no source'}). Connect to the internet and try again, "
        f"or copy the files torchvision downloads into {root} (set ${DATA_DIR_ENV} to use another "
        f"folder). The bundled 'digits' set works offline."
    )


def _load_torchvision(name: str, root: Path, progress: Progress | None) -> tuple:
    """Official train and test splits as flat uint8 arrays: x (N, D), y (N,), then class names.

    Class names come from the dataset object: CIFAR-10 reads them from batches.meta when
    loaded, so `CIFAR10.classes` does not exist on the class itself.
    """
    download(name, root, progress)
    cls = _tv_class(name)
    out = []
    for train in (True, False):
        ds = cls(str(root), train=train, download=False)
        x = np.asarray(ds.data, dtype=np.uint8)
        if x.ndim == 4:  # CIFAR: (N, H, W, C) -> (N, C, H, W)
            x = x.transpose(0, 3, 1, 2)
        out += [x.reshape(len(x), -1), np.asarray(ds.targets, dtype=np.int64)]
    return (*out, tuple(ds.classes))


# --- splitting and standardization -------------------------------------------------------

def _split_indices(n: int, rng: np.random.Generator, fractions=(0.6, 0.2)) -> list[np.ndarray]:
    perm = rng.permutation(n)
    a = int(round(n * fractions[0]))
    b = a + int(round(n * fractions[1]))
    return [perm[:a], perm[a:b], perm[b:]]


def _standardizer(x_train: np.ndarray, scale: float, per: str, channels: int) -> tuple[np.ndarray, np.ndarray]:
    """Mean and std of scaled train inputs, per feature or per channel; zero std -> 1."""
    xs = x_train.astype(np.float64) * scale
    if per == "feature":
        mean, std = xs.mean(0), xs.std(0)
    else:
        by_channel = xs.reshape(len(xs), channels, -1)
        mean = np.repeat(by_channel.mean((0, 2)), by_channel.shape[2])
        std = np.repeat(by_channel.std((0, 2)), by_channel.shape[2])
    std = np.where(std < 1e-8, 1.0, std)
    return mean.astype(np.float32), std.astype(np.float32)


def load(name: str = "digits", *, seed: int = 0, size: int | None = None, noise: float = 0.1,
         device: torch.device | str = "cpu", root: Path | None = None,
         progress: Progress | None = None) -> Data:
    """Load dataset `name` with a split fixed by `seed`, on `device`.

    size: examples before splitting (synthetic: all of them; downloaded sets: cap on the
    train+valid pool; digits: cap on the 1,797). noise: synthetic sets only.
    """
    spec_ = spec(name)
    size = spec_.default_size if size is None else int(size)
    if not MIN_SIZE <= size <= MAX_SIZE:
        raise ValueError(f"size must be {MIN_SIZE}..{MAX_SIZE}, got {size}")
    if not 0.0 <= noise <= MAX_NOISE:
        raise ValueError(f"noise must be 0..{MAX_NOISE}, got {noise}")
    root = Path(root) if root else data_dir()
    data = _load_cpu(name, seed, size, round(noise, 6) if spec_.kind == "synthetic" else 0.0, str(root), progress)
    return data.to(device)


@functools.lru_cache(maxsize=8)
def _load_cpu_cached(name: str, seed: int, size: int, noise: float, root: str) -> Data:
    return _build(name, seed, size, noise, Path(root), None)


def _load_cpu(name: str, seed: int, size: int, noise: float, root: str, progress: Progress | None) -> Data:
    if spec(name).kind == "download" and not is_cached(name, Path(root)):
        download(name, Path(root), progress)  # outside the cache so a failure is retried next time
    return _load_cpu_cached(name, seed, size, noise, root)


def _build(name: str, seed: int, size: int, noise: float, root: Path, progress: Progress | None) -> Data:
    kind = spec(name).kind
    rng = np.random.default_rng(seed)
    image_shape, per, channels = None, "feature", 1
    if kind == "synthetic":
        x, y = _synthetic(name, size, noise, rng)
        parts = [(x[i], y[i]) for i in _split_indices(len(x), rng)]
        scale, class_names = 1.0, tuple(str(c) for c in range(int(y.max()) + 1))
    elif name == "digits":
        from sklearn.datasets import load_digits

        d = load_digits()
        x, y = d.data.astype(np.uint8), d.target.astype(np.int64)  # pixel values 0..16
        keep = rng.permutation(len(x))[: min(size, len(x))]
        x, y = x[keep], y[keep]
        parts = [(x[i], y[i]) for i in _split_indices(len(x), rng)]
        scale, image_shape, class_names = 1 / 16, (1, 8, 8), tuple(str(c) for c in range(10))
    elif kind == "upload":  # like digits: a seeded subset when `size` is smaller, then the 60/20/20 split
        table = HELD.get(name)
        if table is None:  # dropped since `spec` looked: say so as `spec` does
            check(name)
        keep = rng.permutation(len(table.x))[: min(size, len(table.x))]
        x, y = table.x[keep], table.y[keep]
        parts = [(x[i], y[i]) for i in _split_indices(len(x), rng)]
        scale, class_names = 1.0, table.class_names
    else:
        x_pool, y_pool, x_test, y_test, class_names = _load_torchvision(name, root, progress)
        keep = rng.permutation(len(x_pool))[: min(size, len(x_pool))]
        n_valid = max(1, len(keep) // 12)  # 5,000 of MNIST's 60,000
        parts = [(x_pool[keep[n_valid:]], y_pool[keep[n_valid:]]),
                 (x_pool[keep[:n_valid]], y_pool[keep[:n_valid]]), (x_test, y_test)]
        channels = 3 if name == "cifar10" else 1
        side = 32 if name == "cifar10" else 28
        scale, per, image_shape = 1 / 255, "channel", (channels, side, side)
    mean, std = _standardizer(parts[0][0], scale, per, channels)
    splits = [Split(torch.from_numpy(np.ascontiguousarray(a)), torch.from_numpy(np.ascontiguousarray(b)))
              for a, b in parts]
    return Data(name, *splits, scale=scale, mean=torch.from_numpy(mean), std=torch.from_numpy(std),
                n_classes=len(class_names), image_shape=image_shape, class_names=class_names)


def cached_status(root: Path | None = None) -> dict[str, bool]:
    """Dataset name -> whether it can be used without a network."""
    return {n: is_cached(n, root) for n in DATASETS.names()}


def clear_memory_cache() -> None:
    _load_cpu_cached.cache_clear()


def remove_cached(name: str, root: Path | None = None) -> None:
    """Delete a downloaded set (used by tests and by people short of disk)."""
    root = root or data_dir()
    target = root / ("cifar-10-batches-py" if name == "cifar10" else _tv_class(name).__name__)
    shutil.rmtree(target, ignore_errors=True)

