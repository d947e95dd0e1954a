"""Suite-wide ordering: the room load test runs first. It drives its own Playwright on cores of its
choosing, and Playwright's sync API cannot start while the browser tests' session-wide one runs."""


def pytest_collection_modifyitems(config, items):
    items.sort(key=lambda item: 0 if item.get_closest_marker("load") else 1)  # stable: the rest keep their order
