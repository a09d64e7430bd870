// mlplab playground: the page's side. Settings -> "setup" over the WebSocket; "state" messages -> drawings.
"use strict";

const PALETTE = ["#2b6cb0", "#dd6b20", "#2f855a", "#c53030", "#6b46c1", "#b7791f", "#2c7a7b", "#d53f8c", "#4a5568", "#718096"];
const SETTINGS = ["dataset", "points", "noise", "test_fraction", "data_seed", "hidden", "activation", "init", "loss", "dropout",
  "batch_norm", "l1", "l2", "optimizer", "lr", "schedule", "batch_size", "epochs", "clip_norm", "seed"];
const $ = (id) => document.getElementById(id);

let socket = null, points = null, history = null, gradNorms = [], running = false;
let chosen = null;         // the training point chosen for "explain step" (its index)
let lastBoundary = null;   // the boundary of the last state, redrawn when a view option changes
let rateChanges = [];      // epochs at which the learning rate was changed by hand (marked on the curves)
let defaults = null;        // the server's default setup
let accepted = null;        // the last setup the server said "ready" for: the address holds it, nothing else
let lastId = 0, lastSetupId = 0;
const pending = new Map();  // id of a "setup" or "lr" message sent -> { config, origin }: "address", "defaults", "form", "lr"

// ---------------------------------------------------------------- settings

function fillSelect(id, names) {
  $(id).innerHTML = names.map((n) => `<option value="${n}">${n.replaceAll("_", " ")}</option>`).join("");
}

function readSettings() {
  const config = {};
  for (const key of SETTINGS) {
    const el = $(key);
    if (key === "hidden") config.hidden = el.value.trim() === "" ? [] : el.value.trim().split(/[\s,]+/).map(Number);
    else if (el.type === "checkbox") config[key] = el.checked;
    else if (el.tagName === "SELECT") config[key] = el.value;
    else if (key === "clip_norm") config[key] = el.value === "" ? null : Number(el.value);
    else config[key] = Number(el.value);
  }
  return config;
}

function writeSettings(config) {  // a setup the server accepted (it may spell values as a shared address does)
  for (const [key, value] of Object.entries(config)) {
    const el = SETTINGS.includes(key) ? $(key) : null;
    if (!el) continue;
    if (key === "hidden") el.value = Array.isArray(value) ? value.join(" ") : String(value ?? "");
    else if (el.type === "checkbox") el.checked = value === true;
    else if (el.tagName === "SELECT") {
      const name = String(value);  // a name the server knows but the menu does not list (an alias) joins the menu
      if (![...el.options].some((o) => o.value === name)) el.add(new Option(name.replaceAll("_", " "), name));
      el.value = name;
    } else el.value = value === null ? "" : value;
  }
  document.querySelectorAll("output").forEach((o) => { o.value = $(o.htmlFor).value; });
}

function readAddress() {
  // { config } for the setup the address holds (the defaults fill what it leaves out), { problem } if it cannot
  // be read, {} if it holds none
  if (location.hash.length < 2) return {};
  let value;
  try {
    value = JSON.parse(decodeURIComponent(location.hash.slice(1)));
  } catch {
    return { problem: "the address does not hold a setup the page can read (it is not JSON)" };
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) return { config: value };  // the server says why not
  const { teach, ...setup } = value;  // a lesson's part is the page's own: the server gets the setup
  const problem = teach === undefined ? null : teachProblem(teach);
  return { config: { ...defaults, ...setup }, teach: problem ? null : teach, problem: problem && `the address's lesson was not used: ${problem}` };
}

// ---------------------------------------------------------------- lessons: text, hidden and locked fields, a goal

let teaching = null;  // the lesson of the address: { text, hide, lock, goal }, or null
const PANELS = ["network", "curves", "share"];
const GOAL_METRICS = ["loss", "accuracy", "test_loss", "test_accuracy"];

function teachProblem(teach) {  // why an address's lesson cannot be used, or null
  if (typeof teach !== "object" || teach === null || Array.isArray(teach)) return "teach must be an object";
  const unknown = Object.keys(teach).filter((k) => !["text", "hide", "lock", "goal"].includes(k));
  if (unknown.length) return `teach: unknown ${unknown.join(", ")} (valid: text, hide, lock, goal)`;
  if (teach.text !== undefined && (typeof teach.text !== "string" || teach.text.length > 600)) return "teach.text must be a text of at most 600 characters";
  for (const key of ["hide", "lock"]) {
    const names = teach[key] ?? [];
    if (!Array.isArray(names) || names.some((n) => !SETTINGS.includes(n) && !PANELS.includes(n))) return `teach.${key} must list fields or panels (${PANELS.join(", ")})`;
  }
  const goal = teach.goal;
  if (goal !== undefined) {
    if (typeof goal !== "object" || goal === null || !GOAL_METRICS.includes(goal.metric)) return `teach.goal.metric must be one of ${GOAL_METRICS.join(", ")}`;
    if (("below" in goal) === ("above" in goal) || !Number.isFinite(goal.below ?? goal.above)) return "teach.goal needs one number: below or above";
    if (goal.max_units !== undefined && !Number.isInteger(goal.max_units)) return "teach.goal.max_units must be a whole number";
    if (goal.when !== undefined && !["any", "end"].includes(goal.when)) return "teach.goal.when must be any or end";
  }
  return null;
}

const METRIC_WORDS = { loss: "training loss", accuracy: "training accuracy", test_loss: "test loss", test_accuracy: "test accuracy" };

function applyTeaching(teach) {
  teaching = teach;
  for (const name of SETTINGS) {
    const label = $(name).closest("label");
    label.hidden = !!teach && (teach.hide || []).includes(name);
    $(name).disabled = !!teach && (teach.lock || []).includes(name);
  }
  for (const panel of PANELS) document.querySelector(`.${panel}`).classList.toggle("hidden-by-lesson", !!teach && (teach.hide || []).includes(panel));
  $("lesson").hidden = !teach;
  if (!teach) return;
  $("lesson-text").textContent = teach.text || "";
  const goal = teach.goal;
  $("goal").hidden = !goal;
  if (goal) {
    const limit = "below" in goal ? `below ${goal.below}` : `above ${goal.above}`;
    const units = goal.max_units !== undefined ? ` with at most ${goal.max_units} hidden neuron${goal.max_units === 1 ? "" : "s"}` : "";
    $("goal-text").textContent = `Goal: ${METRIC_WORDS[goal.metric]} ${limit}${units}${goal.when === "end" ? " at the last epoch" : ""}.`;
    $("goal-status").textContent = "not yet";
    $("goal-status").className = "goal-status";
  }
}

function checkGoal(state) {  // after each state: is the lesson's goal met now?
  const goal = teaching && teaching.goal;
  if (!goal || !history || !history[goal.metric].length) return;
  const values = history[goal.metric], last = values.length - 1;
  const units = (accepted && Array.isArray(accepted.hidden) ? accepted.hidden : []).reduce((a, b) => a + b, 0);
  const holds = (v) => v !== null && ("below" in goal ? v < goal.below : v > goal.above);
  // the first epoch it held (a goal "at the end": the last epoch of a finished run)
  const epoch = goal.when === "end" ? (state.status === "done" && holds(values[last]) ? last : -1) : values.findIndex(holds);
  const met = epoch >= 0 && (goal.max_units === undefined || units <= goal.max_units);
  if (met) {
    $("goal-status").textContent = `met at epoch ${epoch} ✓`;
    $("goal-status").className = "goal-status met";
  } else if (!$("goal-status").className.includes("met") || state.epoch === 0) {
    $("goal-status").textContent = goal.max_units !== undefined && units > goal.max_units ? `not yet (${units} hidden neurons)` : "not yet";
    $("goal-status").className = "goal-status";
  }
}

function loadAddress() {
  hideNotice();
  const { config, teach, problem } = readAddress();
  if (problem) showNotice(problem);
  applyTeaching(teach || null);
  if (config === undefined) {
    writeSettings(defaults);
    requestSetup(defaults, "defaults");
  } else {
    requestSetup(config, "address");
  }
}

function writeAddress(config) {  // the setup, and the lesson the page was opened with (it stays in the address)
  const value = teaching ? { ...config, teach: teaching } : config;
  window.history.replaceState(null, "", "#" + encodeURIComponent(JSON.stringify(value)));
}

function requestSetup(config, origin) {
  const id = ++lastId;
  if (!send({ type: "setup", id, config })) return;
  pending.set(id, { config, origin });
  lastSetupId = id;
}

function requestReseed(kind) {  // "reset": the next weight seed; "new_data": the next data seed (the server picks it)
  const id = ++lastId;
  if (!send({ type: kind, id })) return;
  pending.set(id, { config: null, origin: "reseed" });
  lastSetupId = id;
}

function sendSetup() {
  requestSetup(readSettings(), "form");
}

function sendRate(value) {
  const id = ++lastId;
  if (send({ type: "lr", id, value })) pending.set(id, { config: { lr: value }, origin: "lr" });
}

function showNotice(text) {
  $("notice-text").textContent = text;
  $("notice").hidden = false;
}

function hideNotice() {
  $("notice").hidden = true;
}

function fieldNote(name, text) {  // the reason a field was refused, shown under the field (empty: none)
  const label = $(name).closest("label");
  let note = label.nextElementSibling;
  if (!note || !note.classList.contains("field-error")) {
    if (!text) return;
    note = document.createElement("div");
    note.className = "field-error";
    note.setAttribute("role", "alert");
    label.after(note);
  }
  note.textContent = text;
  note.hidden = !text;
}

function markInvalid(message) {  // the server's messages start with the option they refuse
  const name = message.split(":")[0];
  if (!SETTINGS.includes(name)) return;
  $(name).classList.add("invalid");
  fieldNote(name, message.slice(name.length + 1).trim());
}

function clearInvalid(names) {
  for (const name of names) { $(name).classList.remove("invalid"); fieldNote(name, ""); }
}

// ---------------------------------------------------------------- messages

function send(message) {
  if (!socket || socket.readyState !== WebSocket.OPEN) return false;
  socket.send(JSON.stringify(message));
  return true;
}

function setStatus(text, kind) {
  const el = $("status");
  el.textContent = text;
  el.className = "status " + (kind || "");
}

function answered(message) {
  const request = pending.get(message.id);
  pending.delete(message.id);
  return request ? { ...request, id: message.id } : null;
}

function onMessage(event) {
  const message = JSON.parse(event.data);
  if (message.type === "error") {
    const request = answered(message);
    setStatus(message.message, "error");
    if (request && request.origin === "address") {  // a shared address the server refuses: start from the defaults
      showNotice(`This address's setup was refused: ${message.message}. The page starts from the defaults instead.`);
      if (request.id === lastSetupId) {
        writeSettings(defaults);
        requestSetup(defaults, "defaults");
      }
    } else if (request) {
      markInvalid(message.message);  // the address keeps the last setup the server accepted
    }
    return;
  }
  if (message.type === "speed") {
    setStatus(message.value === null ? "speed: as fast as it trains" : `speed: at most ${message.value} epochs a second`, running ? "running" : "");
    return;
  }
  if (message.type === "lr") {
    if (history) rateChanges.push(Math.max(0, history.loss.length - 1));  // from the epoch trained last on
    if (answered(message) && accepted) {
      accepted = { ...accepted, lr: message.value, schedule: "none" };
      writeAddress(accepted);
    }
    clearInvalid(["lr"]);
    setStatus(`learning rate ${message.value} from now on (it replaces the schedule)`, running ? "running" : "");
    $("schedule").value = "none";
    showExport(message.export);
    return;
  }
  if (message.type === "ready") {
    const request = answered(message);
    if (request) {
      accepted = request.origin === "reseed" ? message.setup : request.config;
      writeAddress(accepted);
      if (request.origin !== "form" && request.id === lastSetupId) writeSettings(accepted);
      if (request.id === lastSetupId) clearInvalid(SETTINGS);
    }
    points = message.points;
    $("legend").innerHTML = Array.from({ length: points.classes }, (_, k) =>
      `<span><i style="background:${PALETTE[k % PALETTE.length]}"></i>class ${k}</span>`).join("");
    history = { loss: [], accuracy: [], running_loss: [], running_accuracy: [], test_loss: [], test_accuracy: [], lr: [] };
    gradNorms = [];
    rateChanges = [];
    chosen = null;
    $("chosen").textContent = "click a training point to choose it";
    $("explanation").hidden = true;
    showExport(message.export);
    return;
  }
  if (message.type === "continued") {  // Start after the end: as many epochs again (a spanning schedule ends as a fixed rate)
    if (history && accepted && accepted.schedule !== "none" && message.setup.schedule === "none") rateChanges.push(history.loss.length - 1);
    accepted = message.setup;
    writeAddress(accepted);
    writeSettings(accepted);
    showExport(message.export);
    return;
  }
  if (message.type === "explanation") { showExplanation(message); return; }
  if (message.type === "state") onState(message);
}

function showExport(exported) {
  $("command").textContent = exported.command;
  $("config").textContent = exported.config;
}

function onState(state) {
  if (!history) return;
  for (const key of Object.keys(history)) history[key].length = state.from;
  gradNorms.length = state.from;
  for (const [key, values] of Object.entries(state.history)) history[key].push(...values);
  gradNorms.push(...state.grad_norms);
  $("epoch").textContent = state.epoch;
  const last = (key) => history[key].length ? history[key][history[key].length - 1] : null;
  const show = (id, value, digits) => { $(id).textContent = typeof value === "number" ? value.toFixed(digits) : "–"; };
  show("train-accuracy", last("accuracy"), 3); show("test-accuracy", last("test_accuracy"), 3);
  show("train-loss", last("loss"), 4); show("test-loss", last("test_loss"), 4);
  running = state.status === "running" || state.status === "warming up";
  $("start").textContent = running ? "Pause" : "Start";
  const texts = { ready: "ready: press Start", running: "training…", "warming up": "warming up: the first epoch loads the training loop…", paused: "paused", done: "done: all epochs trained (Start goes on)",
    stopped: "stopped", diverged: state.message || "diverged" };
  setStatus(texts[state.status] || state.status, state.status);
  if (state.status !== "running" && document.activeElement !== $("lr")) $("lr").value = state.lr;
  checkGoal(state);
  lastBoundary = state.boundary;
  drawBoundary(state.boundary);
  drawNetwork(state.network);
  drawCurves();
  const layers = Math.max(0, ...gradNorms.map((g) => (g ? g.length : 0)));
  drawChart($("grad-chart"), Array.from({ length: layers }, (_, k) => ({ values: gradNorms.map((g) => (g ? g[k] : null)), color: PALETTE[k % PALETTE.length], label: `W${k + 1}` })), { log: true });
  drawLayers(state.layers);
  drawContour(state.contour);
}

function drawContour(contour) {
  $("path-box").hidden = !contour;
  if (!contour) return;
  const canvas = $("path"), ctx = canvas.getContext("2d"), n = contour.size, w = canvas.width, h = canvas.height;
  const logs = contour.loss.map((v) => Math.log(v + 1e-9)), lo = Math.min(...logs), hi = Math.max(...logs);
  const image = new ImageData(n, n);
  logs.forEach((v, i) => {
    const t = (v - lo) / (hi - lo || 1), band = Math.floor(t * 12) % 2 ? 0.06 : 0;  // bands mark the contours
    const shade = [43 + t * 200, 108 + t * 130, 176 + t * 70].map((c) => Math.min(255, c * (1 - band)));
    image.data.set([...shade, 255], 4 * i);
  });
  const small = document.createElement("canvas");
  small.width = n; small.height = n;
  small.getContext("2d").putImageData(image, 0, 0);
  ctx.imageSmoothingEnabled = true;
  ctx.drawImage(small, 0, 0, w, h);
  const [x0, x1, y0, y1] = contour.range;
  const px = (p) => ((p[0] - x0) / (x1 - x0)) * w, py = (p) => ((y1 - p[1]) / (y1 - y0)) * h;
  ctx.strokeStyle = "#dd6b20"; ctx.lineWidth = 2; ctx.beginPath();
  contour.path.forEach((p, i) => (i ? ctx.lineTo(px(p), py(p)) : ctx.moveTo(px(p), py(p))));
  ctx.stroke();
  const end = contour.path[contour.path.length - 1];
  ctx.fillStyle = "#dd6b20"; ctx.beginPath(); ctx.arc(px(end), py(end), 4, 0, 2 * Math.PI); ctx.fill();
  ctx.fillStyle = "#1f2933"; ctx.font = "11px system-ui";
  ctx.fillText("w₁ − w₀ (first input) →", 8, h - 8);
  ctx.fillText(`${contour.path.length - 1} epochs`, w - 70, 14);
}

// ---------------------------------------------------------------- drawing

function drawBoundary(boundary, neuron) {  // with a neuron of the diagram: its output over the plane instead
  const canvas = $("boundary"), ctx = canvas.getContext("2d");
  ctx.fillStyle = "#fff"; ctx.fillRect(0, 0, canvas.width, canvas.height);
  if (!points) return;
  const k = points.classes;
  if (neuron) {
    ctx.imageSmoothingEnabled = true;
    ctx.drawImage(neuron.image, 0, 0, canvas.width, canvas.height);
  } else if (boundary) {
    const n = boundary.size, image = new ImageData(n, n);
    for (let i = 0; i < n * n; i++) {
      const rgb = hex(PALETTE[boundary.cls[i] % PALETTE.length]);
      const strength = $("discretize").checked ? 0.45 : Math.max(0, (boundary.p[i] - 1 / k) / (1 - 1 / k)) * 0.55 + 0.08;
      for (let c = 0; c < 3; c++) image.data[4 * i + c] = Math.round(255 - strength * (255 - rgb[c]));
      image.data[4 * i + 3] = 255;
    }
    const small = document.createElement("canvas");
    small.width = n; small.height = n;
    small.getContext("2d").putImageData(image, 0, 0);
    ctx.imageSmoothingEnabled = !$("discretize").checked;  // discretized: each cell's class, edges kept sharp
    ctx.drawImage(small, 0, 0, canvas.width, canvas.height);
  }
  const [x0, x1, y0, y1] = points.extent;
  const px = (x) => (x - x0) / (x1 - x0) * canvas.width, py = (y) => (y1 - y) / (y1 - y0) * canvas.height;
  const dot = (xy, label, filled) => {
    ctx.beginPath(); ctx.arc(px(xy[0]), py(xy[1]), 3.2, 0, 2 * Math.PI);
    ctx.strokeStyle = "#fff"; ctx.lineWidth = 1;
    if (filled) { ctx.fillStyle = PALETTE[label % PALETTE.length]; ctx.fill(); ctx.stroke(); }
    else { ctx.strokeStyle = PALETTE[label % PALETTE.length]; ctx.lineWidth = 1.6; ctx.stroke(); }
  };
  points.train.forEach((xy, i) => dot(xy, points.train_labels[i], true));
  if ($("show-test").checked) points.test.forEach((xy, i) => dot(xy, points.test_labels[i], false));
  if (chosen !== null && chosen < points.train.length) {
    const [cx, cy] = points.train[chosen];
    ctx.beginPath(); ctx.arc(px(cx), py(cy), 8, 0, 2 * Math.PI); ctx.strokeStyle = "#1f2933"; ctx.lineWidth = 2; ctx.stroke();
  }
  if (!boundary) {
    ctx.fillStyle = "#6b7785"; ctx.font = "12px system-ui";
    ctx.fillText("64-pixel digits, drawn on their two principal directions", 10, canvas.height - 10);
  }
}

function hex(color) {
  return [1, 3, 5].map((i) => parseInt(color.slice(i, i + 2), 16));
}

function sharp(canvas) {
  // sharp on high-DPI screens: the canvas holds devicePixelRatio pixels per CSS pixel, the drawing is in CSS pixels
  const ratio = window.devicePixelRatio || 1, h = Number(canvas.dataset.height || (canvas.dataset.height = canvas.height));
  const w = canvas.clientWidth || canvas.width / ratio;
  canvas.style.height = `${h}px`;
  if (canvas.width !== Math.round(w * ratio) || canvas.height !== Math.round(h * ratio)) {
    canvas.width = Math.round(w * ratio); canvas.height = Math.round(h * ratio);
  }
  const ctx = canvas.getContext("2d");
  ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
  ctx.clearRect(0, 0, w, h);
  return { ctx, w, h };
}

// ---------------------------------------------------------------- the network diagram

let network = null, neurons = [], edges = [];
let layerLimits = { layers: 6, units: 256 };  // the server's, from /api/options  // the last diagram, and where its neurons and edges are drawn

function mapImage(values, grid, probability) {
  // a neuron's output over the plane: blue where positive (or a likely class), orange where negative
  const image = new ImageData(grid, grid), top = probability ? 1 : Math.max(1e-9, ...values.map(Math.abs));
  const blue = hex(PALETTE[0]), orange = hex(PALETTE[1]);
  values.forEach((v, i) => {
    const t = probability ? v : v / top, rgb = t >= 0 ? blue : orange, strength = Math.min(1, Math.abs(t)) * 0.85;
    for (let c = 0; c < 3; c++) image.data[4 * i + c] = Math.round(255 - strength * (255 - rgb[c]));
    image.data[4 * i + 3] = 255;
  });
  const small = document.createElement("canvas");
  small.width = grid; small.height = grid;
  small.getContext("2d").putImageData(image, 0, 0);
  return small;
}

function drawNetwork(net) {
  network = net; neurons = []; edges = [];
  const canvas = $("network");
  canvas.closest("section").hidden = !net;
  if (!net) { drawLayerControls(null); return; }
  const { ctx, w, h } = sharp(canvas), columns = net.columns.length;
  const most = Math.max(...net.columns.map((c) => c.length)), gap = 6;
  const size = Math.max(8, Math.min(40, (h - 24) / most - gap)), pad = 30;
  const cx = (c) => pad + c * (w - 2 * pad - size) / Math.max(1, columns - 1);
  const cy = (c, u) => (h - 12 - net.columns[c].length * (size + gap) + gap) / 2 + u * (size + gap);
  net.weights.forEach((matrix, k) => matrix.forEach((row, i) => row.forEach((weight, j) => {
    if (i >= net.columns[k].length || j >= net.columns[k + 1].length) return;
    const edge = { layer: k, row: i, column: j, weight, x1: cx(k) + size, y1: cy(k, i) + size / 2, x2: cx(k + 1), y2: cy(k + 1, j) + size / 2 };
    edges.push(edge);
    ctx.strokeStyle = weight >= 0 ? PALETTE[0] : PALETTE[1];
    ctx.globalAlpha = 0.25 + 0.75 * Math.min(1, Math.abs(weight));
    ctx.lineWidth = Math.min(5, 0.4 + 1.6 * Math.abs(weight));
    ctx.beginPath(); ctx.moveTo(edge.x1, edge.y1); ctx.lineTo(edge.x2, edge.y2); ctx.stroke();
  })));
  ctx.globalAlpha = 1; ctx.imageSmoothingEnabled = false;
  net.columns.forEach((maps, c) => {
    maps.forEach((values, u) => {
      const x = cx(c), y = cy(c, u), image = mapImage(values, net.grid, c === columns - 1);
      ctx.drawImage(image, x, y, size, size);
      ctx.strokeStyle = "#9aa5b1"; ctx.lineWidth = 1; ctx.strokeRect(x, y, size, size);
      neurons.push({ column: c, unit: u, x, y, size, image });
    });
    ctx.fillStyle = "#6b7785"; ctx.font = "11px system-ui";
    const name = c === 0 ? "inputs" : c === columns - 1 ? "outputs" : `layer ${c}`;
    const more = net.sizes[c] > maps.length ? ` (+${net.sizes[c] - maps.length})` : "";
    ctx.fillText(name + more, cx(c), h - 2);
  });
  drawLayerControls(net, cx);
}

function changeLayers(change) {  // a header button of the diagram: the hidden sizes change, a new network starts
  const sizes = $("hidden").value.trim() === "" ? [] : $("hidden").value.trim().split(/[\s,]+/).map(Number);
  change(sizes);
  $("hidden").value = sizes.join(" ");
  sendSetup();
}

function drawLayerControls(net, cx) {
  const box = $("layer-controls");
  if (!net) { box.innerHTML = ""; return; }
  const hidden = net.sizes.slice(1, -1), limits = layerLimits;
  const locked = $("hidden").disabled;  // a lesson that locks the hidden layers locks these buttons too
  const button = (label, title, enabled, action) => `<button title="${title}" ${enabled && !locked ? "" : "disabled"} data-action="${action}">${label}</button>`;
  box.innerHTML = hidden.map((n, k) => `<div style="left:${cx(k + 1) - 10}px">${button("−", "one neuron fewer", n > 1, `unit-${k}`)}
      <span>${n}</span>${button("+", "one neuron more", n < limits.units, `unit+${k}`)}</div>`).join("") +
    `<div style="left:${cx(0)}px; top: 26px">${button("−", "remove the last hidden layer", hidden.length > 0, "layer-")}
      <span>hidden layers</span>${button("+", "add a hidden layer", hidden.length < limits.layers, "layer+")}</div>`;
  box.querySelectorAll("button").forEach((b) => b.addEventListener("click", () => {
    const action = b.dataset.action;
    changeLayers((sizes) => {
      if (action === "layer+") sizes.push(sizes.length ? sizes[sizes.length - 1] : 4);
      else if (action === "layer-") sizes.pop();
      else { const k = Number(action.slice(5)); sizes[k] += action[4] === "+" ? 1 : -1; }
    });
  }));
}

function nearestEdge(x, y) {  // the edge within 4 px of (x, y), if any
  let best = null, bestDistance = 4;
  for (const e of edges) {
    const dx = e.x2 - e.x1, dy = e.y2 - e.y1, t = Math.max(0, Math.min(1, ((x - e.x1) * dx + (y - e.y1) * dy) / (dx * dx + dy * dy)));
    const distance = Math.hypot(x - (e.x1 + t * dx), y - (e.y1 + t * dy));
    if (distance < bestDistance) { best = e; bestDistance = distance; }
  }
  return best;
}

function neuronAt(x, y) {
  return neurons.find((n) => x >= n.x && x <= n.x + n.size && y >= n.y && y <= n.y + n.size) || null;
}

function onNetworkMove(event) {
  const box = $("network").getBoundingClientRect(), x = event.clientX - box.left, y = event.clientY - box.top;
  const tip = $("network-tip"), neuron = neuronAt(x, y), edge = neuron ? null : nearestEdge(x, y);
  drawBoundary(lastBoundary, neuron);
  if (!edge && !neuron) { tip.hidden = true; return; }
  tip.textContent = edge ? `W${edge.layer + 1}[${edge.row}, ${edge.column}] = ${edge.weight}` : neuron.column === 0 ? `input x${neuron.unit + 1}` : `neuron ${neuron.unit + 1} of ${neuron.column === network.columns.length - 1 ? "the outputs" : "layer " + neuron.column}`;
  tip.style.left = `${x + box.left - $("network").closest("section").getBoundingClientRect().left + 12}px`;
  tip.style.top = `${y + box.top - $("network").closest("section").getBoundingClientRect().top + 12}px`;
  tip.hidden = false;
}

function onNetworkClick(event) {  // an edge clicked: set its weight in the running network
  const box = $("network").getBoundingClientRect(), edge = nearestEdge(event.clientX - box.left, event.clientY - box.top);
  if (!edge) return;
  const answer = window.prompt(`New value of W${edge.layer + 1}[${edge.row}, ${edge.column}]:`, String(edge.weight));
  if (answer === null || answer.trim() === "") return;
  send({ type: "weight", layer: edge.layer, row: edge.row, column: edge.column, value: Number(answer) });
}

function dataCsv() {  // the points as drawn: x1,x2 (the two principal directions for digits), label, set
  const rows = ["x1,x2,label,set"];
  points.train.forEach((p, i) => rows.push(`${p[0]},${p[1]},${points.train_labels[i]},train`));
  points.test.forEach((p, i) => rows.push(`${p[0]},${p[1]},${points.test_labels[i]},test`));
  return rows.join("\n") + "\n";
}

function downloadData() {
  if (!points) return;
  const link = document.createElement("a");
  link.href = URL.createObjectURL(new Blob([dataCsv()], { type: "text/csv" }));
  link.download = `${(accepted && accepted.dataset) || "data"}.csv`;
  link.click();
  setTimeout(() => URL.revokeObjectURL(link.href), 0);
}

function choosePoint(event) {  // the training point nearest the click, for "explain step"
  if (!points || !points.boundary) return;
  const canvas = $("boundary"), box = canvas.getBoundingClientRect(), [x0, x1, y0, y1] = points.extent;
  const x = x0 + (event.clientX - box.left) / box.width * (x1 - x0), y = y1 - (event.clientY - box.top) / box.height * (y1 - y0);
  let best = 0;
  points.train.forEach((p, i) => { if (Math.hypot(p[0] - x, p[1] - y) < Math.hypot(points.train[best][0] - x, points.train[best][1] - y)) best = i; });
  chosen = best;
  $("chosen").textContent = `point ${best} (class ${points.train_labels[best]}) chosen`;
  drawBoundary(lastBoundary);
}

const number = (v) => (v === null ? "" : Math.abs(v) >= 1e-3 || v === 0 ? v.toFixed(4) : v.toExponential(2));
const vector = (title, values) => `<tr><th>${title}</th>${values.map((v) => `<td>${number(v)}</td>`).join("")}</tr>`;
function matrix(rows, values) {  // rows: inputs of the layer, columns: its neurons
  return `<table><tr><th>${rows}</th>${values[0].map((_, j) => `<th>→${j + 1}</th>`).join("")}</tr>` +
    values.map((row, i) => `<tr><th>${i + 1}</th>${row.map((v) => `<td>${number(v)}</td>`).join("")}</tr>`).join("") + "</table>";
}
const UPDATES = {
  SGD: "Δw = −η ∂L/∂w  (with momentum: v ← μv + ∂L/∂w, Δw = −η v)",
  Adam: "m ← β₁m + (1−β₁)g, v ← β₂v + (1−β₂)g², Δw = −η m̂ / (√v̂ + ε)",
  AdamW: "as Adam, and w ← w − η λ w",
  RMSprop: "s ← αs + (1−α)g², Δw = −η g / (√s + ε)",
  Adagrad: "s ← s + g², Δw = −η g / (√s + ε)",
  Adadelta: "s ← ρs + (1−ρ)g², Δw = −(√(u+ε)/√(s+ε)) g, u ← ρu + (1−ρ)Δw²",
};

function showExplanation(e) {
  const box = $("explanation"), last = e.layers.length - 1;
  const parts = e.layers.map((layer, k) => {
    const inputs = k === 0 ? "x" : `a${k}`;
    const outputFormula = k === last
      ? "δ = ∂L/∂z = p − t  (softmax and cross-entropy: the probabilities minus the one-hot target)"
      : `δ${k + 1} = f′(z${k + 1}) ⊙ (W${k + 2} δ${k + 2})  (${layer.activation})`;
    return `<div class="layer"><h3>Layer ${k + 1}${k === last ? " (output)" : ""}</h3>
      <p class="formula">z${k + 1} = W${k + 1}ᵀ ${inputs} + b${k + 1},  a${k + 1} = ${k === last ? "softmax" : layer.activation}(z${k + 1})</p>
      <p class="formula">${outputFormula}</p>
      <table>${vector("z", layer.z)}${vector("a", layer.a)}${vector("δ", layer.delta)}</table>
      <p class="formula">∂L/∂W${k + 1} = ${inputs} δ${k + 1}ᵀ</p>${matrix("∂L/∂w", layer.grad)}
      ${layer.bias_grad ? `<table>${vector("∂L/∂b", layer.bias_grad)}</table>` : ""}
      <p class="formula">the change ${e.optimizer} makes: ${UPDATES[e.optimizer] || ""}</p>${matrix("Δw", layer.change)}
      ${layer.bias_change ? `<table>${vector("Δb", layer.bias_change)}</table>` : ""}</div>`;
  });
  box.innerHTML = `<h2>One step on point ${e.sample} alone <span class="hint">(x = (${e.x.map(number).join(", ")}), class ${e.label};
    loss L = ${number(e.loss)}; learning rate η = ${e.lr}; the network is left as it was)</span></h2>` + parts.join("");
  box.hidden = false;
}

function drawCurves() {  // the loss and accuracy charts (again when the scale changes)
  if (!history) return;
  drawChart($("loss-chart"), [{ values: history.running_loss, color: PALETTE[8], dash: [1, 3] }, { values: history.loss, color: PALETTE[0] }, { values: history.test_loss, color: PALETTE[1], dash: [5, 4] }], { log: $("loss-log").checked, marks: rateChanges });
  drawChart($("accuracy-chart"), [{ values: history.accuracy, color: PALETTE[0] }, { values: history.test_accuracy, color: PALETTE[1], dash: [5, 4] }], { low: 0, high: 1, marks: rateChanges });
}

function drawChart(canvas, series, { low, high, log, marks }) {
  // one line per series over epochs 0, 1, ... (null: no value); an isolated value is a dot; marks: epochs to flag
  const { ctx, w, h } = sharp(canvas), pad = 34;
  const tf = (v) => (log ? Math.log10(Math.max(v, 1e-12)) : v);
  const shown = (v) => v !== null && isFinite(v) && (!log || v > 0);
  const all = series.flatMap((s) => s.values.filter(shown).map(tf));
  const n = Math.max(1, ...series.map((s) => s.values.length));
  let lo = low ?? (all.length ? Math.min(...all) : 0), hi = high ?? (all.length ? Math.max(...all) : 1);
  if (hi - lo < 1e-9) { hi += 0.5; lo -= 0.5; }
  const x = (i) => pad + (i / Math.max(1, n - 1)) * (w - pad - 6), y = (v) => h - 16 - (tf(v) - lo) / (hi - lo) * (h - 24);
  ctx.strokeStyle = "#d9dee4"; ctx.lineWidth = 1; ctx.beginPath();
  ctx.moveTo(pad, 4); ctx.lineTo(pad, h - 16); ctx.lineTo(w - 4, h - 16); ctx.stroke();
  ctx.fillStyle = "#6b7785"; ctx.font = "10px system-ui";
  const power = (v) => { const x = 10 ** v; return x >= 0.01 && x < 1000 ? String(Number(x.toPrecision(2))) : x.toExponential(1); };
  const label = (v) => (log ? power(v) : Math.abs(v) >= 100 ? v.toFixed(0) : v.toFixed(2));
  ctx.fillText(label(hi), 2, 12); ctx.fillText(label(lo), 2, h - 16);
  if (all.length) ctx.fillText(`epoch ${n - 1}`, w - 54, h - 4);
  ctx.strokeStyle = "#b7791f"; ctx.setLineDash([2, 2]);
  for (const epoch of marks || []) {  // where the learning rate was changed by hand
    if (epoch > n - 1) continue;
    ctx.beginPath(); ctx.moveTo(x(epoch), 4); ctx.lineTo(x(epoch), h - 16); ctx.stroke();
  }
  ctx.setLineDash([]);
  series.forEach((s, k) => {
    ctx.strokeStyle = s.color; ctx.fillStyle = s.color; ctx.lineWidth = 1.6; ctx.setLineDash(s.dash || []); ctx.beginPath();
    let started = false;
    s.values.forEach((v, i) => {
      if (!shown(v)) { started = false; return; }
      if (started) ctx.lineTo(x(i), y(v)); else { ctx.moveTo(x(i), y(v)); started = true; }
    });
    ctx.stroke(); ctx.setLineDash([]);
    s.values.forEach((v, i) => {  // a value without a neighbour draws no line: a dot shows it
      if (shown(v) && !shown(s.values[i - 1] ?? null) && !shown(s.values[i + 1] ?? null)) {
        ctx.beginPath(); ctx.arc(x(i), y(v), 2.5, 0, 2 * Math.PI); ctx.fill();
      }
    });
    if (s.label) { ctx.fillStyle = s.color; ctx.fillText(s.label, pad + 6 + 26 * k, 12); }
  });
}

function drawLayers(layers) {
  const box = $("layers");
  if (!layers.length) { box.innerHTML = '<p class="hint">no hidden layer</p>'; return; }
  if (box.querySelectorAll("figure").length !== layers.length || box.querySelector("p")) {  // "no hidden layer" before
    box.innerHTML = layers.map((_, k) => `<figure><canvas width="112" height="56"></canvas><figcaption></figcaption></figure>`).join("");
  }
  layers.forEach((layer, k) => {
    const figure = box.children[k], canvas = figure.querySelector("canvas"), ctx = canvas.getContext("2d");
    ctx.clearRect(0, 0, canvas.width, canvas.height);
    const top = Math.max(...layer.counts, 1), bw = canvas.width / layer.counts.length;
    ctx.fillStyle = PALETTE[k % PALETTE.length];
    layer.counts.forEach((c, i) => { const bh = (c / top) * (canvas.height - 4); ctx.fillRect(i * bw, canvas.height - bh, bw - 1, bh); });
    figure.querySelector("figcaption").textContent = `layer ${k + 1} ${layer.name}: ${layer.low.toFixed(2)}…${layer.high.toFixed(2)}, σ ${layer.std.toFixed(2)}`;
  });
}

// ---------------------------------------------------------------- start

async function main() {
  const options = await (await fetch("/api/options")).json();
  fillSelect("dataset", options.datasets); fillSelect("activation", options.activations);
  fillSelect("init", options.initializers); fillSelect("loss", options.losses);
  fillSelect("optimizer", options.optimizers); fillSelect("schedule", options.schedules);
  defaults = options.defaults;
  layerLimits = options.limits;
  $("lessons").innerHTML = '<option value="">lessons…</option>' + options.lessons.map((l, k) => `<option value="${k}">${l.title}</option>`).join("");
  $("lessons").addEventListener("change", () => {
    const lesson = options.lessons[Number($("lessons").value)];
    if (lesson) location.hash = encodeURIComponent(JSON.stringify(lesson.address));  // opens as a shared address does
    $("lessons").value = "";
  });
  for (const [name, [low, high]] of Object.entries(options.ranges)) {  // the fields allow what the server allows
    const el = $(name);
    if (!el || el.type === "text") continue;
    if (low !== null) el.min = low;
    if (high !== null) el.max = high; else el.removeAttribute("max");
  }
  writeSettings(defaults);  // until the server accepts the address's setup
  for (const key of SETTINGS) {
    const el = $(key);
    el.addEventListener("input", () => { if (el.nextElementSibling && el.nextElementSibling.tagName === "OUTPUT") el.nextElementSibling.value = el.value; });
    if (key === "lr") el.addEventListener("change", () => sendRate(Number(el.value)));
    else el.addEventListener("change", sendSetup);  // at once: a click on Start right after typing must come after it
  }
  $("start").addEventListener("click", () => send({ type: running ? "pause" : "start" }));
  $("step").addEventListener("click", () => send({ type: "step" }));
  $("reset").addEventListener("click", () => requestReseed("reset"));
  $("new_data").addEventListener("click", () => requestReseed("new_data"));
  $("speed").addEventListener("change", () => send({ type: "speed", value: $("speed").value === "" ? null : Number($("speed").value) }));
  $("notice-close").addEventListener("click", hideNotice);
  $("loss-log").addEventListener("change", drawCurves);
  $("network").addEventListener("mousemove", onNetworkMove);
  $("network").addEventListener("mouseleave", () => { $("network-tip").hidden = true; drawBoundary(lastBoundary); });
  $("network").addEventListener("click", onNetworkClick);
  $("boundary").addEventListener("click", choosePoint);
  $("download-data").addEventListener("click", downloadData);
  $("explain").addEventListener("click", () => send({ type: "explain", sample: chosen ?? 0 }));
  window.addEventListener("resize", () => drawNetwork(network));
  for (const id of ["show-test", "discretize"]) $(id).addEventListener("change", () => drawBoundary(lastBoundary));
  window.addEventListener("resize", drawCurves);
  window.addEventListener("hashchange", loadAddress);  // an address pasted into this tab: only the part after # changed
  socket = new WebSocket(`${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/ws`);
  socket.addEventListener("open", loadAddress);
  socket.addEventListener("message", onMessage);
  socket.addEventListener("close", () => setStatus("disconnected: restart mlplab playground and reload", "error"));
}

main();
