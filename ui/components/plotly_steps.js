// Step buttons for a plotly figure with frames and a slider (the linear lab's replay):
// first, one back, one on, last. Plotly's own buttons only play and pause; these move the
// slider one frame at a time, in the page, without a message to the server.
// `data`: {target: a CSS selector of the figure's container, labels: {first, prev, next,
// last}, aria: {...}}.

const ACTS = ["first", "prev", "next", "last"];

function figureOf(target) {
  return document.querySelector(`${target} .js-plotly-plot`);
}

function goTo(gd, act) {
  const slider = gd && gd._fullLayout && gd._fullLayout.sliders && gd._fullLayout.sliders[0];
  if (!slider || !window.Plotly) return;
  const steps = slider.steps, last = steps.length - 1;
  const now = Math.min(Math.max(slider.active || 0, 0), last);
  const to = { first: 0, prev: Math.max(0, now - 1), next: Math.min(last, now + 1), last }[act];
  // an immediate animation interrupts a playing one: a step button also pauses
  window.Plotly.animate(gd, [steps[to].args[0][0]], {
    mode: "immediate",
    frame: { duration: 0, redraw: false },
    transition: { duration: 0 },
  });
}

export default function (component) {
  const { data, parentElement } = component;
  let root = parentElement.__steps;
  if (!root) {
    root = parentElement.__steps = document.createElement("div");
    root.className = "ps-root";
    root.style.cssText = "display:flex;gap:.5rem;flex-wrap:wrap;";
    for (const act of ACTS) {
      const button = document.createElement("button");
      button.type = "button";
      button.dataset.act = act;
      button.style.cssText =
        "min-width:3.2rem;min-height:2.6rem;padding:.3rem .8rem;border-radius:.5rem;" +
        "border:1px solid rgba(49,51,63,.3);background:var(--st-background-color,#fff);" +
        "color:inherit;font:inherit;cursor:pointer;touch-action:manipulation;";
      button.addEventListener("click", () => goTo(figureOf(root.__target), act));
      root.appendChild(button);
    }
    parentElement.appendChild(root);
  }
  root.__target = data.target;
  for (const button of root.children) {
    button.textContent = data.labels[button.dataset.act];
    button.setAttribute("aria-label", data.aria[button.dataset.act]);
    button.style.fontSize = data.big ? "1.35rem" : "1rem";
  }
  return () => {};
}
