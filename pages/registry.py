"""The navigation as data, so tests and benchmarks can list the pages without running the app."""

# (section, file, title, icon, url path); the first page is the home page.
# Each url path equals its file's stem: on a fresh server Streamlit resolves the first
# link in its legacy pages/ mode, by file name, before app.py's navigation exists.
PAGES = [
    ("Start", "pages/home.py", "Home", ":material/home:", "home"),
    ("Autograd", "pages/autograd.py", "Autograd & graphs", ":material/account_tree:", "autograd"),
    ("Regression", "pages/linear_regression.py", "Linear regression", ":material/show_chart:", "linear_regression"),
    ("Regression", "pages/logistic_regression.py", "Logistic regression", ":material/scatter_plot:", "logistic_regression"),
    ("MNIST", "pages/mnist.py", "MNIST lab", ":material/grid_view:", "mnist"),
    ("MNIST", "pages/draw.py", "Draw a digit", ":material/draw:", "draw"),
]
