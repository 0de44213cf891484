# Metadata lives in pyproject.toml; this shim serves tools that still look for setup.py.
from setuptools import setup

setup()
