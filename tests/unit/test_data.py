"""Bundled and synthetic sets: reproducible disjoint splits, train-only standardization."""
import numpy as np
import pytest
import torch

from core import data


@pytest.fixture(autouse=True)
def fresh_cache():
    data.clear_memory_cache()
    yield
    data.clear_memory_cache()


def _rows(split: data.Split) -> set[bytes]:
    return {row.tobytes() + bytes([int(y)]) for row, y in zip(split.x.numpy(), split.y.numpy())}


def test_digits_is_default_bundled_and_split_60_20_20():
    d = data.load()
    assert d.name == "digits" and d.image_shape == (1, 8, 8) and d.n_classes == 10
    assert (len(d.train), len(d.valid), len(d.test)) == (1078, 359, 360)
    assert d.train.x.dtype == torch.uint8 and d.train.y.dtype == torch.int64


def test_splits_are_disjoint_and_cover_the_set():
    d = data.load("moons", size=500, seed=1)
    ids = [set(map(bytes, s.x.numpy().view(np.uint8).reshape(len(s), -1))) for s in (d.train, d.valid, d.test)]
    assert not (ids[0] & ids[1]) and not (ids[0] & ids[2]) and not (ids[1] & ids[2])
    assert sum(map(len, ids)) == 500


def test_same_seed_same_split_other_seed_other_split():
    a, b, c = data.load(seed=5), data.load(seed=5), data.load(seed=6)
    assert torch.equal(a.train.x, b.train.x) and torch.equal(a.test.y, b.test.y)
    assert not torch.equal(a.train.x, c.train.x)


def test_standardization_uses_the_train_split_only():
    d = data.load("digits")
    feats = d.features(d.train.x)
    varying = d.train.x.float().std(0) > 0
    torch.testing.assert_close(feats.mean(0), torch.zeros(64), atol=1e-4, rtol=0)
    torch.testing.assert_close(feats.std(0, unbiased=False)[varying], torch.ones(int(varying.sum())), atol=1e-3, rtol=0)
    expected = (d.train.x.double() / 16).mean(0)
    torch.testing.assert_close(d.mean.double(), expected, atol=1e-6, rtol=0)  # not the valid/test mean


@pytest.mark.parametrize("name", ["spirals", "moons", "circles", "xor", "blobs"])
def test_synthetic_sets_have_size_noise_and_classes(name):
    clean, noisy = data.load(name, size=300, noise=0.0), data.load(name, size=300, noise=0.5)
    assert clean.input_dim == 2 and clean.image_shape is None
    assert sum(len(s) for s in (clean.train, clean.valid, clean.test)) == 300
    assert clean.n_classes == (3 if name == "blobs" else 2)
    assert not torch.equal(clean.train.x, noisy.train.x)


def test_bad_values_raise_clearly():
    with pytest.raises(ValueError, match="valid names: digits"):
        data.load("imagenet")
    with pytest.raises(ValueError, match="size"):
        data.load("moons", size=10)
    with pytest.raises(ValueError, match="noise"):
        data.load("moons", noise=5.0)


def test_bundled_sets_are_always_cached():
    status = data.cached_status()
    assert all(status[n] for n in ["digits", "spirals", "moons", "circles", "xor", "blobs"])
