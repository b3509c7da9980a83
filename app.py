"""Entry point: `uv run streamlit run app.py`.

This file plays two parts. `streamlit run` first imports it as a module, finds the ASGI app
`app` below and serves it; its `lifespan` (ui/server.py) prepares the server before the
first visitor arrives. Streamlit then runs it as the app's script (`__main__`) on every
run of every session: `ui.shell` builds the navigation, the sidebar and the chosen page.
"""

import streamlit as st

if __name__ == "__main__":
    from ui import shell

    shell.run()
else:
    from ui.server import lifespan

    app = st.App(__file__, lifespan=lifespan)
