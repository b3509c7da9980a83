// A recorded run of the logistic lab, played in the browser: the decision surface of every
// frame, the data on top, and the loss curve with the frame's step marked. Play, pause,
// speed, step buttons and a scrubber; nothing is sent to the server (no state is set).
//
// data.maps is base64 of F*G*G bytes: frame f, grid row r (r = 0 at the lowest x2), column c
// at f*G*G + r*G + c, each byte k*25 + round(24*confidence): the predicted class k and how
// sure the model is (0 = undecided, 1 = certain). Colours: class k's colour mixed with white.

const STRENGTH = 0.55; // a certain region is this far from white towards its class colour
const SPEEDS = [0.25, 0.5, 1, 2, 4];
const FPS = 30; // frames shown per second at 1x

function rgb(hex) {
  const h = hex.replace("#", "");
  return [0, 2, 4].map((i) => parseInt(h.slice(i, i + 2), 16));
}

function decode(b64) {
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

function lookup(colors) {
  // byte -> [r, g, b]: every byte a frame can hold, computed once
  const table = new Uint8ClampedArray(256 * 4);
  const base = colors.map(rgb);
  for (let v = 0; v < 256; v++) {
    const k = Math.min(Math.floor(v / 25), base.length - 1);
    const s = STRENGTH * Math.min((v % 25) / 24, 1);
    for (let ch = 0; ch < 3; ch++) table[v * 4 + ch] = 255 + (base[k][ch] - 255) * s;
    table[v * 4 + 3] = 255;
  }
  return table;
}

function setupReplay(parentElement, data) {
  const root = document.createElement("div");
  root.className = "rp-root";
  root.innerHTML =
    '<div class="rp-figures"><canvas class="rp-map"></canvas><svg class="rp-curve"></svg></div>' +
    '<canvas class="rp-net" aria-label="The network at this step: every unit\'s map, every link"></canvas>' +
    '<div class="rp-controls">' +
    '<button type="button" data-act="first"></button>' +
    '<button type="button" data-act="prev"></button>' +
    '<button type="button" data-act="play" class="rp-play"></button>' +
    '<button type="button" data-act="next"></button>' +
    '<button type="button" data-act="last"></button>' +
    '<label class="rp-speed"><span></span><select></select></label>' +
    '<input type="range" class="rp-scrub" min="0" step="1">' +
    '<span class="rp-status" aria-live="polite"></span></div>';
  parentElement.appendChild(root);
  const st = {
    root,
    map: root.querySelector(".rp-map"),
    curve: root.querySelector(".rp-curve"),
    net: root.querySelector(".rp-net"),
    scrub: root.querySelector(".rp-scrub"),
    status: root.querySelector(".rp-status"),
    play: root.querySelector(".rp-play"),
    speed: root.querySelector("select"),
    frame: 0,
    playing: false,
    speedValue: 1,
    clock: 0,
  };
  root.querySelectorAll("button[data-act]").forEach((b) => {
    b.onclick = () => act(st, b.dataset.act);
  });
  st.scrub.addEventListener("input", () => {
    stop(st);
    show(st, +st.scrub.value);
  });
  st.speed.onchange = () => {
    st.speedValue = +st.speed.value;
  };
  const observer = new ResizeObserver(() => show(st, st.frame));
  observer.observe(root);
  st.cleanup = () => {
    observer.disconnect();
    stop(st);
  };
  return st;
}

function load(st, data) {
  st.data = data;
  st.bytes = decode(data.maps);
  st.table = lookup(data.colors);
  st.G = data.grid;
  st.F = data.steps.length;
  st.grid = document.createElement("canvas");
  st.grid.width = st.grid.height = st.G;
  const L = data.labels;
  const labels = { first: L.first, prev: L.prev, play: L.play, next: L.next, last: L.last };
  st.root.querySelectorAll("button[data-act]").forEach((b) => {
    b.textContent = labels[b.dataset.act];
    b.setAttribute("aria-label", L.aria[b.dataset.act]);
  });
  st.root.querySelector(".rp-speed span").textContent = L.speed;
  st.speed.innerHTML = SPEEDS.map(
    (s) => `<option value="${s}"${s === st.speedValue ? " selected" : ""}>${s}×</option>`
  ).join("");
  st.scrub.max = st.F - 1;
  st.params = null;
  if (data.network && data.params) {
    const raw = decode(data.params);
    st.params = new Float32Array(raw.buffer, raw.byteOffset, raw.byteLength / 4);
    st.P = st.params.length / st.F;
  }
  st.scrub.setAttribute("aria-label", L.aria.scrub);
  st.frame = Math.min(st.frame, st.F - 1);
}

function act(st, what) {
  if (what === "play") {
    if (st.playing) return stop(st);
    if (st.frame >= st.F - 1) show(st, 0);
    return start(st);
  }
  stop(st);
  const target = { first: 0, prev: st.frame - 1, next: st.frame + 1, last: st.F - 1 }[what];
  show(st, Math.max(0, Math.min(st.F - 1, target)));
}

function start(st) {
  st.playing = true;
  st.play.textContent = st.data.labels.pause;
  st.play.setAttribute("aria-label", st.data.labels.aria.pause);
  let last = performance.now(), carry = 0;
  const tick = (now) => {
    if (!st.playing) return;
    carry += ((now - last) / 1000) * FPS * st.speedValue;
    last = now;
    const steps = Math.floor(carry);
    if (steps > 0) {
      carry -= steps;
      const next = Math.min(st.F - 1, st.frame + steps);
      show(st, next);
      if (next >= st.F - 1) return stop(st);
    }
    st.clock = requestAnimationFrame(tick);
  };
  st.clock = requestAnimationFrame(tick);
}

function stop(st) {
  st.playing = false;
  cancelAnimationFrame(st.clock);
  if (st.data) {
    st.play.textContent = st.data.labels.play;
    st.play.setAttribute("aria-label", st.data.labels.aria.play);
  }
}

function show(st, f) {
  if (!st.data) return;
  st.frame = f;
  const d = st.data, G = st.G;
  const width = Math.max(240, st.root.clientWidth);
  const narrow = width < 700;
  const side = Math.round(narrow ? width : Math.min(width * 0.55, d.height));
  const dpr = window.devicePixelRatio || 1;
  const m = { l: d.big ? 62 : 52, r: 10, t: 10, b: d.big ? 56 : 40 }; // room for the big ticks
  st.map.style.width = `${side}px`;
  st.map.style.height = `${side}px`;
  st.map.width = Math.round(side * dpr);
  st.map.height = Math.round(side * dpr);
  const ctx = st.map.getContext("2d");
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.clearRect(0, 0, side, side);
  // the frame's surface, row 0 (lowest x2) at the bottom
  const image = new ImageData(G, G);
  const offset = f * G * G;
  for (let r = 0; r < G; r++) {
    for (let c = 0; c < G; c++) {
      const v = st.bytes[offset + r * G + c];
      const dst = ((G - 1 - r) * G + c) * 4;
      image.data.set(st.table.subarray(v * 4, v * 4 + 4), dst);
    }
  }
  st.grid.getContext("2d").putImageData(image, 0, 0);
  const pw = side - m.l - m.r, ph = side - m.t - m.b;
  ctx.imageSmoothingEnabled = true;
  ctx.drawImage(st.grid, m.l, m.t, pw, ph);
  const [x0, x1, y0, y1] = d.bounds;
  const sx = (x) => m.l + ((x - x0) / (x1 - x0)) * pw;
  const sy = (y) => m.t + ((y1 - y) / (y1 - y0)) * ph;
  const font = d.big ? 17 : 12;
  ctx.font = `${font}px sans-serif`;
  ctx.fillStyle = getComputedStyle(st.root).color;
  ctx.strokeStyle = "rgba(0,0,0,0.35)";
  ctx.strokeRect(m.l, m.t, pw, ph);
  ctx.textAlign = "center";
  for (const t of niceTicks(x0, x1, 6)) ctx.fillText(fmt(t), sx(t), side - m.b + font + 4);
  ctx.textAlign = "right";
  for (const t of niceTicks(y0, y1, 6)) ctx.fillText(fmt(t), m.l - 6, sy(t) + font / 3);
  ctx.textAlign = "center";
  ctx.fillText("x1", m.l + pw / 2, side - 6);
  ctx.save();
  ctx.translate(14, m.t + ph / 2);
  ctx.rotate(-Math.PI / 2);
  ctx.fillText("x2", 0, 0);
  ctx.restore();
  const radius = d.big ? 6 : 4.5;
  for (const [x, y, k, test] of d.points) {
    ctx.beginPath();
    ctx.arc(sx(x), sy(y), radius, 0, 2 * Math.PI);
    if (test) {
      ctx.lineWidth = 2;
      ctx.strokeStyle = d.colors[k];
      ctx.stroke();
    } else {
      ctx.fillStyle = d.colors[k];
      ctx.fill();
      ctx.lineWidth = 1;
      ctx.strokeStyle = "white";
      ctx.stroke();
    }
  }
  drawCurve(st, narrow ? width : width - side - 16, narrow ? 180 : side);
  if (st.params) drawNetwork(st, width);
  st.scrub.value = f;
  const L = d.labels;
  st.status.textContent =
    `${L.step} ${d.steps[f].toLocaleString()} / ${d.steps[st.F - 1].toLocaleString()} · ` +
    `${L.loss} ${fmt(d.loss[f])} · ${L.accuracy} ${(100 * d.accuracy[f]).toFixed(1)}%`;
  st.root.dataset.frame = f;
  st.root.dataset.step = d.steps[f];
  if (Array.isArray(window.__replayPaints)) window.__replayPaints.push(performance.now());
}

// ---- the network, run here on each frame's parameters ---------------------------------

const FEATURES = {
  x1: (a) => a,
  x2: (a, b) => b,
  "x1^2": (a) => a * a,
  "x2^2": (a, b) => b * b,
  "x1*x2": (a, b) => a * b,
  "sin(x1)": (a) => Math.sin(a),
  "sin(x2)": (a, b) => Math.sin(b),
};
const ACTIVATIONS = {
  tanh: Math.tanh,
  relu: (v) => (v > 0 ? v : 0),
  sigmoid: (v) => 1 / (1 + Math.exp(-v)),
  linear: (v) => v,
};
const TILE = 16; // cells per side of a unit's map

// Every layer's values at (x1, x2) with frame f's parameters: [features, hidden..., output].
function forward(st, f, x1, x2) {
  const net = st.data.network, params = st.params, act = ACTIVATIONS[net.activation];
  let at = f * st.P;
  let values = net.features.map((name) => FEATURES[name](x1, x2));
  const layers = [values];
  const W = net.widths;
  for (let l = 1; l < W.length; l++) {
    const nIn = W[l - 1], nOut = W[l];
    const out = new Array(nOut);
    const biasAt = at + nIn * nOut;
    for (let j = 0; j < nOut; j++) {
      let z = params[biasAt + j];
      for (let i = 0; i < nIn; i++) z += params[at + j * nIn + i] * values[i];
      out[j] = l < W.length - 1 ? act(z) : z;
    }
    at = biasAt + nOut;
    values = out;
    layers.push(out);
  }
  return layers;
}

// p(class 1) (two classes) or the softmax (K classes) at (x1, x2), frame f.
function probabilities(st, f, x1, x2) {
  const z = forward(st, f, x1, x2).at(-1);
  if (st.data.network.binary) return [1 / (1 + Math.exp(-z[0]))];
  const top = Math.max(...z);
  const e = z.map((v) => Math.exp(v - top));
  const sum = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / sum);
}

// signed value -> colour: blue (negative), white (0), orange (positive)
function signed(v) {
  const t = Math.max(-1, Math.min(1, v));
  const [r, g, b] = t < 0 ? [0, 114, 178] : [213, 94, 0];
  const s = Math.abs(t);
  return [255 + (r - 255) * s, 255 + (g - 255) * s, 255 + (b - 255) * s];
}

function unitMaps(st, f) {
  // maps[layer][unit] = Float32Array(TILE * TILE), row 0 at the top (highest x2)
  const [x0, x1, y0, y1] = st.data.bounds;
  const W = st.data.network.widths;
  const maps = W.map((n) => Array.from({ length: n }, () => new Float32Array(TILE * TILE)));
  for (let r = 0; r < TILE; r++) {
    const b = y1 - ((r + 0.5) / TILE) * (y1 - y0);
    for (let c = 0; c < TILE; c++) {
      const a = x0 + ((c + 0.5) / TILE) * (x1 - x0);
      forward(st, f, a, b).forEach((vals, l) => vals.forEach((v, u) => { maps[l][u][r * TILE + c] = v; }));
    }
  }
  return maps;
}

function drawNetwork(st, width) {
  const d = st.data, W = d.network.widths, f = st.frame;
  const tile = d.big ? 46 : 34, gap = d.big ? 12 : 8;
  const tallest = Math.max(...W);
  const height = tallest * (tile + gap) + 34;
  const dpr = window.devicePixelRatio || 1;
  st.net.style.width = `${width}px`;
  st.net.style.height = `${height}px`;
  st.net.width = Math.round(width * dpr);
  st.net.height = Math.round(height * dpr);
  const ctx = st.net.getContext("2d");
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.clearRect(0, 0, width, height);
  const left = 70, right = 40;
  const colX = (l) => left + (l * (width - left - right - tile)) / Math.max(1, W.length - 1);
  const rowY = (l, u) => 26 + (tallest - W[l]) * ((tile + gap) / 2) + u * (tile + gap);
  // links: colour the sign, width the size (relative to this frame's largest weight)
  let at = f * st.P, largest = 1e-9;
  const weights = [];
  for (let l = 1; l < W.length; l++) {
    const n = W[l - 1] * W[l];
    const w = st.params.subarray(at, at + n);
    for (const v of w) largest = Math.max(largest, Math.abs(v));
    weights.push(w);
    at += n + W[l];
  }
  for (let l = 1; l < W.length; l++) {
    const w = weights[l - 1];
    for (let j = 0; j < W[l]; j++) {
      for (let i = 0; i < W[l - 1]; i++) {
        const v = w[j * W[l - 1] + i];
        ctx.strokeStyle = v >= 0 ? "rgba(213,94,0,0.8)" : "rgba(0,114,178,0.8)";
        ctx.lineWidth = 0.4 + 5 * (Math.abs(v) / largest);
        ctx.beginPath();
        ctx.moveTo(colX(l - 1) + tile, rowY(l - 1, i) + tile / 2);
        ctx.lineTo(colX(l), rowY(l, j) + tile / 2);
        ctx.stroke();
      }
    }
  }
  // every unit's map over the plane (the output layer: its logits)
  const maps = unitMaps(st, f);
  const img = new ImageData(TILE, TILE);
  const small = document.createElement("canvas");
  small.width = small.height = TILE;
  maps.forEach((layer, l) => {
    layer.forEach((m, u) => {
      let top = 1e-9;
      for (const v of m) top = Math.max(top, Math.abs(v));
      for (let k = 0; k < m.length; k++) {
        const [r, g, b] = signed(m[k] / top);
        img.data[k * 4] = r; img.data[k * 4 + 1] = g; img.data[k * 4 + 2] = b; img.data[k * 4 + 3] = 255;
      }
      small.getContext("2d").putImageData(img, 0, 0);
      ctx.imageSmoothingEnabled = true;
      ctx.drawImage(small, colX(l), rowY(l, u), tile, tile);
      ctx.strokeStyle = "rgba(0,0,0,0.35)";
      ctx.lineWidth = 1;
      ctx.strokeRect(colX(l), rowY(l, u), tile, tile);
    });
  });
  ctx.fillStyle = getComputedStyle(st.root).color;
  ctx.font = `${d.big ? 15 : 11}px sans-serif`;
  ctx.textAlign = "right";
  d.network.features.forEach((name, u) => ctx.fillText(name, colX(0) - 6, rowY(0, u) + tile / 2 + 4));
  ctx.textAlign = "center";
  const L = d.labels;
  ctx.fillText(L.inputs, colX(0) + tile / 2, 14);
  for (let l = 1; l < W.length - 1; l++) ctx.fillText(`${L.layer} ${l}`, colX(l) + tile / 2, 14);
  ctx.fillText(L.output, colX(W.length - 1) + tile / 2, 14);
}

function drawCurve(st, width, height) {
  const d = st.data, svg = st.curve;
  const m = { l: 56, r: 12, t: 14, b: 38 };
  svg.setAttribute("width", width);
  svg.setAttribute("height", height);
  svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
  const xs = d.curve_steps, ys = d.curve_loss;
  const last = Math.max(1, xs[xs.length - 1]);
  const finite = ys.filter(Number.isFinite);
  // the loss's own range, not from 0: a run that moves a little still shows its shape
  const hi = Math.max(...finite, 1e-9), lo = Math.min(...finite, hi);
  const pad = 0.06 * (hi - lo || hi || 1);
  const top = hi + pad, bottom = Math.max(0, lo - pad);
  const sx = (x) => m.l + (x / last) * (width - m.l - m.r);
  const sy = (y) =>
    m.t + (1 - (Math.min(Math.max(y, bottom), top) - bottom) / (top - bottom)) * (height - m.t - m.b);
  const path = xs
    .map((x, i) => (Number.isFinite(ys[i]) ? `${i ? "L" : "M"}${sx(x).toFixed(1)},${sy(ys[i]).toFixed(1)}` : ""))
    .join("");
  const ticksX = niceTicks(0, last, 5).map((t) => `<text x="${sx(t)}" y="${height - m.b + 16}" text-anchor="middle">${fmt(t)}</text>`);
  const ticksY = niceTicks(bottom, top, 4).map((t) => `<text x="${m.l - 6}" y="${sy(t) + 4}" text-anchor="end">${fmt(t)}</text>`);
  const here = d.steps[st.frame];
  const font = d.big ? 16 : 12;
  svg.innerHTML =
    `<g font-size="${font}" fill="currentColor">${ticksX.join("")}${ticksY.join("")}` +
    `<text x="${(m.l + width - m.r) / 2}" y="${height - 4}" text-anchor="middle">${d.labels.step}</text>` +
    `<text x="${m.l}" y="${m.t - 2}">${d.labels.loss}</text></g>` +
    `<rect x="${m.l}" y="${m.t}" width="${width - m.l - m.r}" height="${height - m.t - m.b}" class="rp-frame"/>` +
    `<path d="${path}" class="rp-loss"/>` +
    `<line x1="${sx(here)}" x2="${sx(here)}" y1="${m.t}" y2="${height - m.b}" class="rp-now"/>` +
    `<circle cx="${sx(here)}" cy="${sy(d.loss[st.frame])}" r="6" class="rp-dot"/>`;
}

export default function (component) {
  const { data, parentElement } = component;
  let st = parentElement.__replay;
  if (!st) st = parentElement.__replay = setupReplay(parentElement, data);
  // for tests: the browser's own forward pass, and the server's surface bytes of a frame
  st.root.__probabilities = (f, x1, x2) => probabilities(st, f, x1, x2);
  st.root.__codes = (f) => Array.from(st.bytes.subarray(f * st.G * st.G, (f + 1) * st.G * st.G));
  st.root.__replay = () => ({ grid: st.G, bounds: st.data.bounds, frames: st.F });
  if (st.key !== data.key) {
    // a new recording: start at its first frame; the same one again keeps the frame shown
    stop(st);
    load(st, data);
    st.key = data.key;
    st.frame = 0;
  }
  if (data.autoplay && st.press !== data.press) {
    // Play was pressed: play from the first frame of the steps it trained (or, when it
    // trained none, from the start)
    st.press = data.press;
    stop(st);
    const from = data.steps.findIndex((s) => s >= data.start_step);
    st.frame = from < 0 || from >= data.steps.length - 1 ? 0 : from;
    show(st, st.frame);
    start(st);
    return () => {};
  }
  show(st, st.frame);
  return () => {};
}
