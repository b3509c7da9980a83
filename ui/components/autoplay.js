// Presses a plotly figure's own Play button once it is on the page: the linear lab's replay
// starts by itself after "Train to the end, then replay". Plotly animates frames only from
// its buttons and sliders, so the component clicks the button the student would press; it
// sends nothing to the server. `data`: {target: a CSS selector of the figure, label, nonce}.

export default function (component) {
  const { data, parentElement } = component;
  if (!data || parentElement.__autoplayed === data.nonce) return () => {};
  parentElement.__autoplayed = data.nonce;
  const deadline = performance.now() + 8000;
  let frame = 0;
  const press = () => {
    const buttons = document.querySelectorAll(`${data.target} .updatemenu-button`);
    const play = Array.from(buttons).find((b) => b.textContent.includes(data.label));
    if (play) {
      play.dispatchEvent(new MouseEvent("click", { bubbles: true }));
      return;
    }
    if (performance.now() < deadline) frame = requestAnimationFrame(press);
  };
  frame = requestAnimationFrame(press);
  return () => cancelAnimationFrame(frame);
}
