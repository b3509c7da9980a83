"""Streamlit custom components of the explorer (components v2: inline HTML, CSS and JS, no
build step). Each one's JavaScript and CSS sit beside its Python wrapper."""
