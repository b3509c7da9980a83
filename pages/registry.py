"""The navigation as data, so tests and benchmarks can list the pages without running the app."""

# (section, file, title, icon, url path); the first page is the home page.
PAGES = [
    ("Start", "pages/home.py", "Home", ":material/home:", "home"),
    ("Autograd", "pages/autograd.py", "Autograd & graphs", ":material/account_tree:", "autograd"),
    ("Regression", "pages/linear_regression.py", "Linear regression", ":material/show_chart:", "linear-regression"),
    ("Regression", "pages/logistic_regression.py", "Logistic regression", ":material/scatter_plot:", "logistic-regression"),
    ("MNIST", "pages/mnist.py", "MNIST lab", ":material/grid_view:", "mnist"),
    ("MNIST", "pages/draw.py", "Draw a digit", ":material/draw:", "draw"),
]
