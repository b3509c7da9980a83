"""The linear-regression lab's CSV upload: a file, its two chosen columns, or a clear refusal."""

from __future__ import annotations

import streamlit as st

import ui
from core import csvio
from core.linreg import data as linreg_data
from ui import url_state

CSV_CACHE = "lin_csv_parsed"  # (upload's file id, its numeric columns or the error they raised)


def parsed_csv(file_id: str, data: bytes) -> dict:
    """The upload's numeric columns, parsed once per file, not every rerun (5 MB take seconds)."""
    cached = st.session_state.get(CSV_CACHE)
    if cached is None or cached[0] != file_id:
        try:
            cached = (file_id, linreg_data.read_csv_columns(data))
        except linreg_data.LinRegDataError as err:
            cached = (file_id, err)
        st.session_state[CSV_CACHE] = cached
    if isinstance(cached[1], Exception):
        raise cached[1]
    return cached[1]


def uploaded_dataset() -> linreg_data.Dataset:
    """The uploaded CSV's two chosen columns, or a clear error that stops the page here."""
    upload = st.file_uploader(
        f"CSV file (at most {csvio.MAX_BYTES // 2**20} MB, {csvio.MAX_ROWS:,} rows)",
        type=["csv", "txt", "tsv"],
        key="lin_upload",
        max_upload_size=csvio.MAX_BYTES // 2**20,
    )
    if upload is None:
        st.info(
            "Upload a CSV with at least two numeric columns; the first row may hold names.",
            icon=":material/upload_file:",
        )
        st.stop()
    try:
        data = upload.getvalue()
        columns = parsed_csv(upload.file_id, data)
        names = list(columns)
        for key in ("lin_xcol", "lin_ycol"):  # a new file: forget choices it does not have
            for k in (key, url_state.SHADOW + key):
                if k in st.session_state and st.session_state[k] not in names:
                    del st.session_state[k]
        left, right = st.columns(2)
        with left:
            x_name = ui.selectbox("x column", "lin_xcol", names, names[0])
        with right:
            y_name = ui.selectbox("y column", "lin_ycol", names, names[1])
        return linreg_data.dataset_from_columns(columns, x_name, y_name, data)
    except linreg_data.LinRegDataError as err:
        st.error(ui.text(err), icon=":material/error:")
        st.stop()
