// Points you can touch: drag, add or erase data points, or fit a line by hand.
//
// A Streamlit component (components v2, no build step). Everything that follows a finger
// happens here, in the browser: the dragged point, the least-squares fit of the points as
// they are (recomputed on every move, so the refit is on screen at the drop), the residuals,
// R², and in "fit" mode the student's line with its squared residuals, loss and gradient.
// The server hears only finished edits: setStateValue("edit", {base, seq, points}) on each
// drop, add or erase, setStateValue("line", {base, w, b}) when a handle is let go, and
// setStateValue("mode", ...) when the tool changes. It cleans them (never trusting them) and
// sends the accepted points back with the edit's sequence number.

const NS = "http://www.w3.org/2000/svg";
const MARGIN = { left: 56, right: 14, top: 14, bottom: 44 };

// Least squares of degree d on x scaled to [-1, 1] (normal equations, partial pivoting):
// a polynomial in the scaled x, evaluated by `predict`. Null when it cannot be solved.
function polyFit(points, degree, x0, x1) {
  const n = points.length;
  const d = Math.min(degree, n - 1);
  if (n < 2 || d < 1) return null;
  const mid = (x0 + x1) / 2;
  const half = (x1 - x0) / 2 || 1;
  const k = d + 1;
  const A = Array.from({ length: k }, () => new Array(k + 1).fill(0));
  for (const [x, y] of points) {
    const u = (x - mid) / half;
    const pow = [1];
    for (let j = 1; j < k; j++) pow.push(pow[j - 1] * u);
    for (let r = 0; r < k; r++) {
      for (let c = 0; c < k; c++) A[r][c] += pow[r] * pow[c];
      A[r][k] += pow[r] * y;
    }
  }
  for (let col = 0; col < k; col++) {
    let best = col;
    for (let r = col + 1; r < k; r++) if (Math.abs(A[r][col]) > Math.abs(A[best][col])) best = r;
    if (Math.abs(A[best][col]) < 1e-12 * n) return null; // all x equal: no slope to find
    [A[col], A[best]] = [A[best], A[col]];
    for (let r = 0; r < k; r++) {
      if (r === col) continue;
      const f = A[r][col] / A[col][col];
      for (let c = col; c <= k; c++) A[r][c] -= f * A[col][c];
    }
  }
  const coef = A.map((row, i) => row[k] / row[i]);
  const predict = (x) => {
    const u = (x - mid) / half;
    let s = 0;
    for (let j = k - 1; j >= 0; j--) s = s * u + coef[j];
    return s;
  };
  return { degree: d, predict, w: (predict(1) - predict(0)), b: predict(0) };
}

function rSquared(points, predict) {
  const n = points.length;
  if (n === 0) return NaN;
  const mean = points.reduce((s, p) => s + p[1], 0) / n;
  let res = 0, tot = 0;
  for (const [x, y] of points) {
    res += (y - predict(x)) ** 2;
    tot += (y - mean) ** 2;
  }
  return tot > 0 ? 1 - res / tot : NaN;
}

// Mean squared error of y = w x + b and its gradient, the formulas autograd finds.
function lineLoss(points, w, b) {
  const n = points.length;
  if (n === 0) return { loss: NaN, gw: NaN, gb: NaN };
  let loss = 0, gw = 0, gb = 0;
  for (const [x, y] of points) {
    const r = w * x + b - y;
    loss += r * r;
    gw += 2 * r * x;
    gb += 2 * r;
  }
  return { loss: loss / n, gw: gw / n, gb: gb / n };
}

function el(name, attrs, parent) {
  const node = document.createElementNS(NS, name);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  if (parent) parent.appendChild(node);
  return node;
}

function setup(parentElement) {
  const root = document.createElement("div");
  root.className = "pts-root";
  root.innerHTML =
    '<div class="pts-tools" role="toolbar"></div>' +
    '<svg class="pts-plot" role="img"></svg>' +
    '<div class="pts-readout" aria-live="polite"></div>';
  parentElement.appendChild(root);
  const st = {
    root,
    svg: root.querySelector("svg"),
    tools: root.querySelector(".pts-tools"),
    readout: root.querySelector(".pts-readout"),
    data: null,
    points: [],
    line: null,
    mode: "move",
    seq: 0, // the last edit this browser sent
    base: null,
    drag: null, // {kind: "point"|"handle"|"erase", index}
    clamped: false,
    width: 600,
    frame: 0,
  };
  const observer = new ResizeObserver(() => {
    const w = Math.round(root.clientWidth);
    if (w > 0 && w !== st.width) {
      st.width = w;
      render(st);
    }
  });
  observer.observe(root);
  st.svg.addEventListener("pointerdown", (e) => down(st, e));
  st.svg.addEventListener("pointermove", (e) => move(st, e));
  st.svg.addEventListener("pointerup", (e) => up(st, e));
  st.svg.addEventListener("pointercancel", (e) => up(st, e));
  st.cleanup = () => observer.disconnect();
  return st;
}

function geometry(st) {
  const d = st.data;
  const big = d.big ? 1.35 : 1;
  const H = d.height;
  const W = Math.max(280, st.width);
  const [x0, x1, y0, y1] = d.bounds;
  const L = MARGIN.left * big, R = MARGIN.right, T = MARGIN.top, B = MARGIN.bottom * big;
  return {
    W, H, big, x0, x1, y0, y1,
    sx: (x) => L + ((x - x0) / (x1 - x0)) * (W - L - R),
    sy: (y) => T + ((y1 - y) / (y1 - y0)) * (H - T - B),
    fx: (px) => x0 + ((px - L) / (W - L - R)) * (x1 - x0),
    fy: (py) => y1 - ((py - T) / (H - T - B)) * (y1 - y0),
    L, R, T, B,
  };
}

function drawTools(st) {
  const labels = st.data.labels;
  st.tools.innerHTML = "";
  for (const [mode, text] of labels.modes) {
    const b = document.createElement("button");
    b.type = "button";
    b.textContent = text;
    b.dataset.mode = mode;
    b.className = mode === st.mode ? "on" : "";
    b.setAttribute("aria-pressed", mode === st.mode);
    b.onclick = () => {
      if (mode === "clear") {
        st.points = [];
        send(st);
      } else {
        st.mode = mode;
        st.component.setStateValue("mode", mode);
      }
      render(st);
    };
    st.tools.appendChild(b);
  }
  (st.data.classes || []).forEach(([name, color], k) => {
    const b = document.createElement("button");
    b.type = "button";
    b.className = "chip" + (k === st.cls ? " on" : "");
    b.dataset.cls = k;
    b.setAttribute("aria-pressed", k === st.cls);
    b.innerHTML = `<span class="dot" style="background:${color}"></span>`;
    b.appendChild(document.createTextNode(name));
    b.onclick = () => {
      st.cls = k;
      if (st.mode !== "add") {
        st.mode = "add";
        st.component.setStateValue("mode", "add");
      }
      render(st);
    };
    st.tools.appendChild(b);
  });
}

function curvePath(g, predict) {
  const parts = [];
  for (let i = 0; i <= 120; i++) {
    const x = g.x0 + ((g.x1 - g.x0) * i) / 120;
    const y = predict(x);
    if (!Number.isFinite(y)) continue;
    const py = Math.max(-1e4, Math.min(1e4, g.sy(y)));
    parts.push(`${parts.length ? "L" : "M"}${g.sx(x).toFixed(1)},${py.toFixed(1)}`);
  }
  return parts.join("");
}

function handles(st, g) {
  const { w, b } = st.line;
  return [0.15, 0.85].map((f) => {
    const x = g.x0 + f * (g.x1 - g.x0);
    return [x, w * x + b];
  });
}

function render(st) {
  if (!st.data) return;
  const d = st.data, labels = d.labels;
  const g = geometry(st);
  const svg = st.svg;
  svg.setAttribute("viewBox", `0 0 ${g.W} ${g.H}`);
  svg.setAttribute("width", g.W);
  svg.setAttribute("height", g.H);
  svg.setAttribute("aria-label", labels.aria);
  svg.dataset.mode = st.mode;
  svg.innerHTML = "";
  const font = 13 * g.big;
  const clip = el("clipPath", { id: `pts-clip-${st.id}` }, el("defs", {}, svg));
  el("rect", { x: g.L, y: g.T, width: g.W - g.L - g.R, height: g.H - g.T - g.B }, clip);
  el("rect", { x: g.L, y: g.T, width: g.W - g.L - g.R, height: g.H - g.T - g.B, class: "frame" }, svg);
  for (const t of niceTicks(g.x0, g.x1, 8)) {
    el("line", { x1: g.sx(t), x2: g.sx(t), y1: g.T, y2: g.H - g.B, class: "grid" }, svg);
    el("text", { x: g.sx(t), y: g.H - g.B + font + 4, "font-size": font, "text-anchor": "middle" }, svg).textContent = fmt(t);
  }
  for (const t of niceTicks(g.y0, g.y1, 6)) {
    el("line", { x1: g.L, x2: g.W - g.R, y1: g.sy(t), y2: g.sy(t), class: "grid" }, svg);
    el("text", { x: g.L - 6, y: g.sy(t) + font / 3, "font-size": font, "text-anchor": "end" }, svg).textContent = fmt(t);
  }
  el("text", { x: (g.L + g.W - g.R) / 2, y: g.H - 6, "font-size": font, "text-anchor": "middle", class: "axis" }, svg).textContent = d.x_name;
  el("text", { x: 14, y: (g.T + g.H - g.B) / 2, "font-size": font, "text-anchor": "middle", class: "axis", transform: `rotate(-90 14 ${(g.T + g.H - g.B) / 2})` }, svg).textContent = d.y_name;
  const layer = el("g", { "clip-path": `url(#pts-clip-${st.id})` }, svg);
  const pts = st.points;
  if (d.classes) {
    renderClasses(st, g, layer);
    drawTools(st);
    return;
  }
  const fit = polyFit(pts, d.degree, g.x0, g.x1);
  const fitting = st.mode === "fit" && st.line;
  const predict = fitting ? (x) => st.line.w * x + st.line.b : fit && fit.predict;
  if (predict) {
    for (const [x, y] of pts) {
      const yh = predict(x);
      if (fitting) {
        const side = Math.abs(g.sy(y) - g.sy(yh));
        el("rect", { x: g.sx(x), y: Math.min(g.sy(y), g.sy(yh)), width: side, height: side, class: "square" }, layer);
      } else {
        el("line", { x1: g.sx(x), x2: g.sx(x), y1: g.sy(y), y2: g.sy(yh), class: "residual" }, layer);
      }
    }
  }
  if (d.model && d.model.length > 1 && !st.drag) {
    const path = d.model.map(([x, y], i) => `${i ? "L" : "M"}${g.sx(x).toFixed(1)},${Math.max(-1e4, Math.min(1e4, g.sy(y))).toFixed(1)}`).join("");
    el("path", { d: path, class: "model" }, layer);
  }
  if (fit) {
    const lsq = el("path", { d: curvePath(g, fit.predict), class: fitting ? "lsq faint" : "lsq" }, layer);
    lsq.dataset.w = fit.w;
    lsq.dataset.b = fit.b;
  }
  for (const [x, y] of d.test || []) {
    const px = g.sx(x), py = g.sy(y), r = 5 * g.big;
    el("path", { d: `M${px},${py - r}L${px + r},${py}L${px},${py + r}L${px - r},${py}Z`, class: "test" }, layer);
  }
  const radius = 6 * g.big;
  pts.forEach(([x, y], i) => {
    const c = el("circle", { cx: g.sx(x), cy: g.sy(y), r: radius, class: "pt" }, layer);
    c.dataset.i = i;
    if (st.drag && st.drag.kind === "point" && st.drag.index === i) c.classList.add("dragged");
  });
  let text = "";
  if (fitting) {
    const { w, b } = st.line;
    el("path", { d: curvePath(g, (x) => w * x + b), class: "yours" }, layer);
    handles(st, g).forEach(([x, y], i) => {
      const h = el("circle", { cx: g.sx(x), cy: Math.max(g.T, Math.min(g.H - g.B, g.sy(y))), r: 11 * g.big, class: "handle" }, svg);
      h.dataset.handle = i;
    });
    const { loss, gw, gb } = lineLoss(pts, w, b);
    text = `${labels.your_line}: y = ${fmt(w)}·x + ${fmt(b)} · ${labels.loss} ${fmt(loss)} · ∂L/∂w ${fmt(gw)} · ∂L/∂b ${fmt(gb)}`;
    st.readout.dataset.loss = loss;
  } else if (fit) {
    const r2 = rSquared(pts, fit.predict);
    const eq = fit.degree === 1 ? `y = ${fmt(fit.w)}·x + ${fmt(fit.b)}` : `${labels.degree} ${fit.degree}`;
    text = `${labels.lstsq}: ${eq} · R² ${fmt(r2)} · ${pts.length} ${labels.points}`;
    st.readout.dataset.r2 = r2;
  } else {
    text = labels.too_few;
  }
  if (st.clamped) text += ` · ${labels.edge}`;
  if (pts.length >= d.max_points) text += ` · ${labels.full}`;
  st.readout.textContent = text;
  st.root.dataset.seqSent = st.seq;
  st.root.dataset.seqAcked = d.seq;
  st.root.dataset.count = pts.length;
  drawTools(st);
}

// Class mode (logistic regression): coloured points over the model's probability map.
function renderClasses(st, g, layer) {
  const d = st.data, labels = d.labels;
  if (d.surface && !st.drag) {
    el("image", {
      href: d.surface, x: g.L, y: g.T, width: g.W - g.L - g.R, height: g.H - g.T - g.B,
      preserveAspectRatio: "none", class: "surface",
    }, layer);
  }
  const radius = 6 * g.big;
  const counts = d.classes.map(() => 0);
  st.points.forEach(([x, y, k], i) => {
    counts[k] = (counts[k] || 0) + 1;
    const c = el("circle", { cx: g.sx(x), cy: g.sy(y), r: radius, class: "pt", style: `fill:${d.classes[k][1]}` }, layer);
    c.dataset.i = i;
    c.dataset.cls = k;
    if (st.drag && st.drag.kind === "point" && st.drag.index === i) c.classList.add("dragged-cls");
  });
  let text = d.classes.map(([name], k) => `${counts[k]} ${name}`).join(" · ");
  if (st.mode === "add") text = `${labels.adding} ${d.classes[st.cls][0]} · ` + text;
  if (st.clamped) text += ` · ${labels.edge}`;
  if (st.points.length >= d.max_points) text += ` · ${labels.full}`;
  st.readout.textContent = text;
  st.root.dataset.seqSent = st.seq;
  st.root.dataset.seqAcked = d.seq;
  st.root.dataset.count = st.points.length;
}

function position(st, e) {
  const rect = st.svg.getBoundingClientRect();
  const g = geometry(st);
  const scale = g.W / rect.width; // the SVG may be drawn smaller than its viewBox
  return { px: (e.clientX - rect.left) * scale, py: (e.clientY - rect.top) * scale, g };
}

function nearest(st, g, px, py, reach) {
  let best = -1, bestD = reach * reach;
  st.points.forEach(([x, y], i) => {
    const dd = (g.sx(x) - px) ** 2 + (g.sy(y) - py) ** 2;
    if (dd <= bestD) [best, bestD] = [i, dd];
  });
  return best;
}

function clampedPoint(st, g, px, py) {
  const x = g.fx(px), y = g.fy(py);
  const cx = Math.min(Math.max(x, g.x0), g.x1), cy = Math.min(Math.max(y, g.y0), g.y1);
  st.clamped = cx !== x || cy !== y;
  return [cx, cy];
}

function down(st, e) {
  if (!st.data) return;
  const { px, py, g } = position(st, e);
  const reach = (e.pointerType === "touch" ? 24 : 14) * g.big;
  st.changed = false;
  if (st.mode === "fit" && st.line) {
    const hs = handles(st, g);
    let best = -1, bestD = (reach + 8) ** 2;
    hs.forEach(([x, y], i) => {
      const dd = (g.sx(x) - px) ** 2 + (g.sy(y) - py) ** 2;
      if (dd <= bestD) [best, bestD] = [i, dd];
    });
    if (best < 0) return;
    st.drag = { kind: "handle", index: best, fixed: hs[1 - best] };
  } else if (st.mode === "erase") {
    st.drag = { kind: "erase" };
    erase(st, g, px, py, reach);
  } else {
    let i = nearest(st, g, px, py, reach);
    if (i < 0 && st.mode === "add") {
      if (st.points.length >= st.data.max_points) {
        render(st);
        return;
      }
      const p = clampedPoint(st, g, px, py);
      st.points.push(st.data.classes ? [p[0], p[1], st.cls] : p);
      i = st.points.length - 1;
      st.changed = true;
    }
    if (i < 0) return;
    st.drag = { kind: "point", index: i };
  }
  st.svg.setPointerCapture(e.pointerId);
  e.preventDefault();
  render(st);
}

function erase(st, g, px, py, reach) {
  const i = nearest(st, g, px, py, reach);
  if (i >= 0) {
    st.points.splice(i, 1);
    st.changed = true;
  }
}

function move(st, e) {
  if (!st.drag) return;
  const { px, py, g } = position(st, e);
  if (st.drag.kind === "point") {
    const p = clampedPoint(st, g, px, py);
    st.points[st.drag.index] = st.data.classes ? [p[0], p[1], st.points[st.drag.index][2]] : p;
    st.changed = true;
  } else if (st.drag.kind === "erase") {
    erase(st, g, px, py, (e.pointerType === "touch" ? 24 : 14) * g.big);
  } else {
    const [fx, fy] = st.drag.fixed;
    const [x, y] = clampedPoint(st, g, px, py);
    const hx = g.x0 + (st.drag.index === 0 ? 0.15 : 0.85) * (g.x1 - g.x0);
    const w = (fy - y) / (fx - hx);
    st.line = { w, b: fy - w * fx };
    st.changed = true;
    void x;
  }
  if (!st.frame) {
    st.frame = requestAnimationFrame(() => {
      st.frame = 0;
      render(st);
    });
  }
}

function up(st, e) {
  if (!st.drag) return;
  const kind = st.drag.kind;
  st.drag = null;
  try {
    st.svg.releasePointerCapture(e.pointerId);
  } catch (err) {
    void err;
  }
  if (st.changed) {
    if (kind === "handle") {
      st.component.setStateValue("line", { base: st.base, w: st.line.w, b: st.line.b });
    } else {
      send(st);
    }
  }
  st.clamped = false;
  st.root.dataset.dropped = performance.now();
  render(st);
}

function send(st) {
  st.seq += 1;
  st.component.setStateValue("edit", { base: st.base, seq: st.seq, points: st.points.map((p) => p.slice()) });
}

let counter = 0;

export default function (component) {
  const { data, parentElement } = component;
  let st = parentElement.__points;
  if (!st) {
    st = parentElement.__points = setup(parentElement);
    st.id = ++counter;
    st.mode = data.mode || "move";
    st.seq = data.seq || 0;
    st.cls = 0;
  }
  if (data.classes && st.cls >= data.classes.length) st.cls = 0;
  st.component = component;
  const fresh = st.base !== data.base || data.seq >= st.seq;
  st.data = data;
  if (fresh && !st.drag) {
    // The server has seen every edit this browser made (or the data changed under us):
    // its cleaned points are the truth. Otherwise an edit is in flight: keep ours.
    st.points = data.points.map((p) => p.slice());
    st.seq = Math.max(st.seq, data.seq || 0);
    st.base = data.base;
  }
  if (data.line && (!st.line || !st.drag)) st.line = { w: data.line[0], b: data.line[1] };
  render(st);
  return () => {};
}
