"""The navigation as data, so the shell, tests and benchmarks list the pages without running
the app: one row per page, the first one the home page."""

from __future__ import annotations

from typing import NamedTuple


class PageEntry(NamedTuple):
    section: str
    path: str  # the page's file, relative to the repository
    title: str
    icon: str
    url_path: str  # what a shared link names (kept stable: links in the wild use it)


PAGES = [
    PageEntry("Start", "pages/home.py", "Home", ":material/home:", "home"),
    PageEntry(
        "Autograd", "pages/autograd.py", "Autograd & graphs", ":material/account_tree:", "autograd"
    ),
    PageEntry(
        "Regression",
        "pages/linear_regression.py",
        "Linear regression",
        ":material/show_chart:",
        "linear_regression",
    ),
    PageEntry(
        "Regression",
        "pages/logistic_regression.py",
        "Logistic regression",
        ":material/scatter_plot:",
        "logistic_regression",
    ),
    PageEntry("MNIST", "pages/mnist.py", "MNIST lab", ":material/grid_view:", "mnist"),
    PageEntry("MNIST", "pages/draw.py", "Draw a digit", ":material/draw:", "draw"),
]
