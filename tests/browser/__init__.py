"""Browser tests: a real JupyterLab driven by Debian's chromium through Playwright.

A package, so that its conftest.py does not take the place of tests/conftest.py as ``conftest``.
"""
