"""Downloaded image sets (MNIST, Fashion-MNIST, CIFAR-10) without a network.

Tiny files are written in torchvision's on-disk layout, or served from file:// URLs, so the
real loading, download, checksum and error paths run end to end.
"""
from __future__ import annotations

import gzip
import hashlib
import pickle
import struct
import urllib.error
import urllib.request
from pathlib import Path

import numpy as np
import pytest
import torch
import torchvision.datasets as tvd

from core import data as D

N_TRAIN, N_TEST = 30, 10
CIFAR_CLASSES = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]
_real_urlopen = urllib.request.urlopen


@pytest.fixture(autouse=True)
def isolated(monkeypatch):
    """Fresh in-memory cache per test; only file:// URLs may be opened."""
    def guarded(url, *args, **kwargs):
        full = url.full_url if isinstance(url, urllib.request.Request) else url
        assert full.startswith("file://"), f"test tried to reach the network: {full}"
        return _real_urlopen(url, *args, **kwargs)

    monkeypatch.setattr(urllib.request, "urlopen", guarded)
    D.clear_memory_cache()
    yield
    D.clear_memory_cache()


# --- helpers ---------------------------------------------------------------------------------

def idx_bytes(arr: np.ndarray) -> bytes:
    """IDX encoding: magic 0x08 (uint8) << 8 | ndim (2051 images, 2049 labels), big-endian dims."""
    magic = 0x0800 | arr.ndim
    return struct.pack(f">{1 + arr.ndim}I", magic, *arr.shape) + arr.astype(np.uint8).tobytes()


def tiny_images(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(n, 28, 28) uint8 images whose first pixel is the image's index, and (n,) labels."""
    x = np.random.default_rng(seed).integers(0, 256, size=(n, 28, 28), dtype=np.uint8)
    x[:, 0, 0] = np.arange(n)
    return x, (np.arange(n) * 3 % 10).astype(np.uint8)


def mnist_files(seed: int = 0) -> tuple[dict[str, bytes], tuple[np.ndarray, ...]]:
    """Resource stem (e.g. 'train-images-idx3-ubyte') -> IDX bytes, and the arrays written."""
    (xtr, ytr), (xte, yte) = tiny_images(N_TRAIN, seed), tiny_images(N_TEST, seed + 1)
    return {"train-images-idx3-ubyte": idx_bytes(xtr), "train-labels-idx1-ubyte": idx_bytes(ytr),
            "t10k-images-idx3-ubyte": idx_bytes(xte), "t10k-labels-idx1-ubyte": idx_bytes(yte)}, (xtr, ytr, xte, yte)


def write_mnist(root: Path, cls=tvd.MNIST, seed: int = 0):
    files, arrays = mnist_files(seed)
    raw = root / cls.__name__ / "raw"
    raw.mkdir(parents=True)
    for stem, blob in files.items():
        (raw / stem).write_bytes(blob)
    return arrays


def check_pool(data: D.Data, x: np.ndarray, y: np.ndarray) -> None:
    """train + valid are a shuffle of the written train images (identified by their first pixel)."""
    xs = torch.cat([data.train.x, data.valid.x]).numpy()
    ys = torch.cat([data.train.y, data.valid.y]).numpy()
    assert sorted(xs[:, 0]) == list(range(len(x)))
    for row, label in zip(xs, ys):
        np.testing.assert_array_equal(row, x[row[0]].reshape(-1))
        assert label == y[row[0]]


def write_cifar(root: Path) -> tuple[np.ndarray, np.ndarray]:
    """Five train batches of 4 and a test batch of 6, pickled like the real ones."""
    base = root / "cifar-10-batches-py"
    base.mkdir(parents=True)
    rng = np.random.default_rng(0)
    train = rng.integers(0, 256, size=(20, 3072), dtype=np.uint8)
    train[:, 0] = np.arange(20)
    test = np.zeros((6, 3072), dtype=np.uint8)
    test[0, 1] = 200  # channel 0, row 0, column 1
    test[0, 1024] = 100  # channel 1, row 0, column 0
    labels = [i % 10 for i in range(20)]
    for k in range(5):
        batch = {"batch_label": f"training batch {k + 1} of 5", "data": train[4 * k: 4 * k + 4],
                 "labels": labels[4 * k: 4 * k + 4], "filenames": [f"{k}_{i}.png" for i in range(4)]}
        (base / f"data_batch_{k + 1}").write_bytes(pickle.dumps(batch))
    test_batch = {"batch_label": "testing batch 1 of 1", "data": test, "labels": [5] * 6}
    (base / "test_batch").write_bytes(pickle.dumps(test_batch))
    meta = {"label_names": CIFAR_CLASSES, "num_cases_per_batch": 4, "num_vis": 3072}
    (base / "batches.meta").write_bytes(pickle.dumps(meta))
    return train, np.array(labels)


def serve_mnist(server: Path, cache: Path) -> list[D.Source]:
    """Gzipped tiny MNIST files as file:// sources that unpack into cache/MNIST/raw."""
    server.mkdir()
    files, _ = mnist_files()
    out = []
    for stem, blob in files.items():
        gz = server / f"{stem}.gz"
        gz.write_bytes(gzip.compress(blob))
        md5 = hashlib.md5(gz.read_bytes()).hexdigest()
        out.append(D.Source((gz.as_uri(),), gz.name, md5, cache / "MNIST" / "raw"))
    return out


# --- cached files in torchvision's layout ----------------------------------------------------

@pytest.mark.parametrize("name, cls", [("mnist", tvd.MNIST), ("fashion-mnist", tvd.FashionMNIST)])
def test_mnist_like_sets_load_from_cached_idx_files(tmp_path, name, cls):
    assert not D.is_cached(name, tmp_path)
    xtr, ytr, xte, yte = write_mnist(tmp_path, cls)
    assert D.is_cached(name, tmp_path)

    data = D.load(name, root=tmp_path, seed=3)
    assert len(data.train) + len(data.valid) == N_TRAIN and len(data.test) == N_TEST
    assert data.train.x.dtype == torch.uint8 and data.train.y.dtype == torch.int64
    assert data.input_dim == 784 and data.image_shape == (1, 28, 28)
    assert data.class_names == tuple(cls.classes) and data.n_classes == 10
    check_pool(data, xtr, ytr)
    np.testing.assert_array_equal(data.test.x.numpy(), xte.reshape(N_TEST, -1))
    np.testing.assert_array_equal(data.test.y.numpy(), yte)
    # standardization comes from the train split only (one channel -> one mean)
    train_mean = data.train.x.double().mean() / 255
    assert torch.allclose(data.mean.double(), train_mean.expand_as(data.mean), atol=1e-6)


def test_cifar10_loads_from_cached_batches(tmp_path, monkeypatch):
    # torchvision checks every batch file (and batches.meta) against the real files' md5s,
    # which tiny files cannot match: accept any file that exists instead.
    monkeypatch.setattr("torchvision.datasets.cifar.check_integrity",
                        lambda fpath, md5=None: Path(fpath).is_file())
    assert not D.is_cached("cifar10", tmp_path)
    train, labels = write_cifar(tmp_path)
    assert D.is_cached("cifar10", tmp_path)
    meta = tmp_path / "cifar-10-batches-py" / "batches.meta"
    meta.rename(meta.with_suffix(".bak"))  # class names live in batches.meta: needed too
    assert not D.is_cached("cifar10", tmp_path)
    meta.with_suffix(".bak").rename(meta)

    data = D.load("cifar10", root=tmp_path)
    assert len(data.train) + len(data.valid) == 20 and len(data.test) == 6
    assert data.image_shape == (3, 32, 32) and data.input_dim == 3072
    assert data.class_names == tuple(CIFAR_CLASSES)
    check_pool(data, train.reshape(20, 3, 32, 32), labels)
    first = data.test.x[0]  # (C, H, W)-flattened: the written row comes back unchanged
    assert first[1] == 200 and first[1024] == 100 and int(first.sum()) == 300
    assert data.mean.shape == (3072,)


# --- download path -------------------------------------------------------------------------

def test_download_from_file_urls_reports_progress_and_loads(tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    srcs = serve_mnist(tmp_path / "server", cache)
    monkeypatch.setattr(D, "sources", lambda name, root: srcs)
    calls = []

    data = D.load("mnist", root=cache, progress=lambda done, total: calls.append((done, total)))

    sizes = [p.stat().st_size for p in (tmp_path / "server").iterdir()]
    dones = [d for d, _ in calls]
    assert len(calls) >= len(srcs) and dones == sorted(set(dones))
    assert dones[-1] == sum(sizes) and all(t == sum(sizes) for _, t in calls)
    assert D.is_cached("mnist", cache)
    assert sorted(p.name for p in (cache / "MNIST" / "raw").iterdir()) == sorted(mnist_files()[0])
    assert len(data.train) + len(data.valid) == N_TRAIN and len(data.test) == N_TEST
    D.download("mnist", cache)  # cached now: nothing is fetched again
    assert len(calls) == len(dones)


def test_download_falls_back_to_the_next_mirror(tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    srcs = serve_mnist(tmp_path / "server", cache)
    missing = (tmp_path / "nowhere.gz").as_uri()
    srcs = [D.Source((missing,) + s.urls, s.filename, s.md5, s.extract_to) for s in srcs]
    monkeypatch.setattr(D, "sources", lambda name, root: srcs)
    assert len(D.load("mnist", root=cache).test) == N_TEST


def test_no_network_raises_a_clear_error_and_digits_still_work(tmp_path, monkeypatch):
    def offline(*args, **kwargs):
        raise urllib.error.URLError("no network")

    monkeypatch.setattr(urllib.request, "urlopen", offline)
    with pytest.raises(D.DatasetUnavailable) as err:
        D.load("fashion-mnist", root=tmp_path)
    msg = str(err.value)
    assert "Fashion-MNIST" in msg and str(tmp_path) in msg and "no network" in msg
    assert "'digits'" in msg and "offline" in msg
    assert not D.is_cached("fashion-mnist", tmp_path)

    digits = D.load("digits", root=tmp_path)
    assert digits.image_shape == (1, 8, 8) and len(digits.train) > 0


def test_checksum_mismatch_raises_dataset_unavailable(tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    srcs = serve_mnist(tmp_path / "server", cache)
    srcs[0] = D.Source(srcs[0].urls, srcs[0].filename, "0" * 32, srcs[0].extract_to)
    monkeypatch.setattr(D, "sources", lambda name, root: srcs)
    with pytest.raises(D.DatasetUnavailable, match="checksum"):
        D.load("mnist", root=cache)
    assert not D.is_cached("mnist", cache)


# --- cache folder --------------------------------------------------------------------------

def test_data_dir_follows_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv(D.DATA_DIR_ENV, str(tmp_path))
    assert D.data_dir() == tmp_path
    write_mnist(tmp_path)
    assert D.cached_status()["mnist"] and not D.cached_status()["cifar10"]
    assert len(D.load("mnist").test) == N_TEST  # no root: read from $DYNAMICS_DATA_DIR
    monkeypatch.delenv(D.DATA_DIR_ENV)
    assert D.data_dir() == Path.home() / ".cache" / "training-dynamics"
