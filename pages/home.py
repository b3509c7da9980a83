"""Home: what the explorer teaches and where each idea lives. Imports no torch."""

import streamlit as st

st.title("PyTorch Linear Models Explorer")
st.markdown(
    "#### Touch the ideas behind PyTorch's linear models: watch autograd build a graph, fit lines "
    "and decision boundaries, train on real MNIST, then draw a digit and see the model read it "
    "live."
)

TOPICS = [
    (
        "pages/autograd.py",
        "Autograd & computational graphs",
        ":material/account_tree:",
        "Type an expression over tensors with `requires_grad=True`; see the graph autograd "
        "records, every value and gradient, and step through `backward()` one chain-rule product "
        "at a time.",
    ),
    (
        "pages/linear_regression.py",
        "Linear regression",
        ":material/show_chart:",
        "Gradient descent by hand (`backward()`, update under `torch.no_grad()`, zero the grads) "
        "beside `nn.Linear` + `nn.MSELoss` + `torch.optim`, on the same data: watch the line "
        "move, the loss fall, and the path across the loss landscape.",
    ),
    (
        "pages/logistic_regression.py",
        "Logistic regression",
        ":material/scatter_plot:",
        "Sigmoid and binary cross-entropy, then softmax for many classes: watch decision "
        "boundaries form, see why a line cannot solve XOR, and what one feature or a hidden layer "
        "changes.",
    ),
    (
        "pages/mnist.py",
        "MNIST: multi-class classification",
        ":material/grid_view:",
        "The chapter's 784 -> 10 softmax model trained live in seconds on real MNIST, then an MLP "
        "and a small CNN: confusion matrix, weight templates, per-class accuracy.",
    ),
    (
        "pages/draw.py",
        "Draw a digit",
        ":material/draw:",
        "Draw on a canvas and watch the model read it as each stroke ends: the preprocessing "
        "MNIST's creators used, the probabilities, and which pixels drove the decision.",
    ),
]

st.subheader("Where each idea lives")
cols = st.columns(2)
for i, (path, title, icon, text) in enumerate(TOPICS):
    with cols[i % 2].container(border=True):
        st.page_link(path, label=f"**{title}**", icon=icon)
        st.markdown(text)

st.subheader("How the pages follow the chapter")
CHAPTER = (  # chapter idea -> where to touch it
    (
        "Tensors with `requires_grad=True`, operations, `.mean()`, `.backward()`",
        "Autograd & graphs: the chapter's 2x3 example",
    ),
    (
        "Computational graphs, the chain rule, why `backward()` needs a scalar",
        "Autograd & graphs: graph view and backward step-through",
    ),
    (
        "Gradient descent by hand vs. `nn.Linear`, `nn.MSELoss`, `optim.SGD`",
        "Linear regression: two trainers, one trajectory",
    ),
    (
        "Learning rate, convergence and divergence",
        "Linear regression: loss landscape and divergence detector",
    ),
    ("`sigmoid`, binary cross-entropy, decision boundaries", "Logistic regression"),
    ("`softmax`, `cross_entropy`, 28x28 = 784 inputs, 10 outputs", "MNIST lab"),
    ("Using a trained model on new data", "Draw a digit"),
)
rows = "\n".join(f"| {idea} | {where} |" for idea, where in CHAPTER)
st.markdown(f"| Chapter idea | Where to touch it |\n| --- | --- |\n{rows}")
st.caption(
    "Tip for teachers: switch on **Presenter mode** in the sidebar for a projector, and use "
    "**Share this experiment** to give the class a link that opens exactly what you see."
)
