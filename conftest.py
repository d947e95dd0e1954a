"""Repo-root conftest: puts the project on sys.path for every test."""
