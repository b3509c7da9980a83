"""Plain PyTorch/numpy library behind the explorer's pages.

Never imports streamlit, so every module here works from a notebook. Importing
`core` itself is cheap: submodules that need torch import it themselves, which
keeps the home page free of torch.
"""
