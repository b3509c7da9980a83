"""The short lesson every page opens with."""

from __future__ import annotations

from collections.abc import Sequence

import streamlit as st


def lesson(title: str, body: str, formulas: Sequence[str] = (), try_this: Sequence[str] = ()):
    """The short explanation a page opens with: text, formulas, and prompts to predict first."""
    with st.expander(title, icon=":material/school:", expanded=True):
        st.markdown(body)
        for formula in formulas:
            st.latex(formula)
        for prompt in try_this:
            st.info(f"**Try this:** {prompt}", icon=":material/science:")
