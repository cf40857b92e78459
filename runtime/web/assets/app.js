// roam's live view (docs/web.md). Plain JavaScript, no build step, no
// dependencies: the page is drawn from /api/state and kept current by the
// server-sent events of /events (`state` replaces everything; `manager`,
// `topology`, `containers`, `policy`, `decisions`, `migrations` replace one
// section). Text from the server only ever goes into textContent.
"use strict";

const SVG = "http://www.w3.org/2000/svg";
const state = { generated_t: 0 };
let clockOffset = 0;     // server time - browser time, in seconds
let layoutKey = "";      // the topology's structure the layout was made for
let layoutCache = null;

// --------------------------------------------------------------- helpers

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  setAttrs(e, attrs);
  append(e, children);
  return e;
}

function svg(tag, attrs, ...children) {
  const e = document.createElementNS(SVG, tag);
  setAttrs(e, attrs);
  append(e, children);
  return e;
}

function setAttrs(e, attrs) {
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === "text") e.textContent = String(v);
    else e.setAttribute(k, String(v));
  }
}

function append(e, children) {
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

function num(v) { return typeof v === "number" && isFinite(v) ? v : null; }

function scaled(v, units) {
  let i = 0;
  while (Math.abs(v) >= 1000 && i < units.length - 1) { v /= 1000; i++; }
  const digits = Math.abs(v) >= 100 || i === 0 ? 0 : Math.abs(v) >= 10 ? 1 : 2;
  return v.toFixed(digits) + " " + units[i];
}

function rate(bps) {
  return num(bps) === null ? "–" : scaled(bps, ["bps", "kbps", "Mbps", "Gbps", "Tbps"]);
}

function bytes(b) { return num(b) === null ? "–" : scaled(b, ["B", "kB", "MB", "GB", "TB"]); }

function percent(u) { return num(u) === null ? "" : Math.round(u * 100) + "%"; }

function seconds(s) {
  if (num(s) === null) return "–";
  if (s < 1) return Math.round(s * 1000) + " ms";
  if (s < 120) return s.toFixed(s < 10 ? 2 : 1) + " s";
  return Math.floor(s / 60) + " min " + Math.round(s % 60) + " s";
}

function clock(t) {
  if (!num(t)) return "–";
  const d = new Date(t * 1000);
  return d.toLocaleTimeString([], { hour12: false });
}

function serverNow() { return Date.now() / 1000 + clockOffset; }

function loadClass(u) {
  if (num(u) === null) return "nodata";
  return u < 0.25 ? "load0" : u < 0.5 ? "load1" : u < 0.8 ? "load2" : "load3";
}

function finished(m) { return m.state === "done" || m.state === "failed"; }

// --------------------------------------------------------------- layout

// A small force-directed layout of switches and hosts together (Fruchterman-
// Reingold; deterministic: the same topology gives the same picture): links
// pull their ends to a length (switch-switch longer than a host's link),
// every pair of nodes pushes apart, so hosts settle on the free side of
// their switch.
function layout(topo) {
  const nodes = [];
  const index = {};
  const add = (id, kind) => { index[id] = nodes.length; nodes.push({ id, kind, x: 0, y: 0 }); };
  for (const s of topo.switches || []) add("s:" + s.name, "switch");
  for (const h of topo.hosts || []) add("h:" + h.name, "host");
  const edges = [];
  for (const l of topo.links || []) {
    const a = index["s:" + l.src], b = index["s:" + l.dst];
    if (a !== undefined && b !== undefined && a !== b) edges.push([a, b, 150]);
  }
  for (const h of topo.hosts || []) {
    const a = index["h:" + h.name], b = index["s:" + h.switch];
    if (b !== undefined) edges.push([a, b, 85]);
  }
  const n = nodes.length;
  const switches = nodes.filter((x) => x.kind === "switch");
  const R = 60 * Math.sqrt(n) + 60;
  switches.forEach((node, i) => {
    const a = (2 * Math.PI * i) / Math.max(1, switches.length) - Math.PI / 2;
    node.x = switches.length === 1 ? 0 : R * Math.cos(a);
    node.y = switches.length === 1 ? 0 : R * Math.sin(a);
  });
  const seenOn = {};
  for (const h of topo.hosts || []) {
    const node = nodes[index["h:" + h.name]];
    const sw = nodes[index["s:" + h.switch]] || { x: 0, y: 0 };
    const i = (seenOn[h.switch] = (seenOn[h.switch] || 0) + 1);
    const a = i * 2.4 + sw.x * 0.01;
    node.x = sw.x * 1.3 + 90 * Math.cos(a);
    node.y = sw.y * 1.3 + 90 * Math.sin(a);
  }
  const K = 110;
  for (let iter = 0, temp = 80; iter < 400; iter++, temp = Math.max(1, temp * 0.985)) {
    const dx = new Float64Array(n), dy = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      for (let j = i + 1; j < n; j++) {
        let x = nodes[i].x - nodes[j].x, y = nodes[i].y - nodes[j].y;
        let d = Math.hypot(x, y);
        if (d < 0.01) { x = 0.01 * (i - j); y = 0.01; d = Math.hypot(x, y); }
        const f = (K * K) / d;
        dx[i] += (x / d) * f; dy[i] += (y / d) * f;
        dx[j] -= (x / d) * f; dy[j] -= (y / d) * f;
      }
    }
    for (const [a, b, len] of edges) {
      const x = nodes[a].x - nodes[b].x, y = nodes[a].y - nodes[b].y;
      const d = Math.max(0.01, Math.hypot(x, y));
      const f = (d * d) / len;
      dx[a] -= (x / d) * f; dy[a] -= (y / d) * f;
      dx[b] += (x / d) * f; dy[b] += (y / d) * f;
    }
    for (let i = 0; i < n; i++) {
      const d = Math.max(0.01, Math.hypot(dx[i], dy[i]));
      nodes[i].x += (dx[i] / d) * Math.min(d, temp);
      nodes[i].y += (dy[i] / d) * Math.min(d, temp);
    }
  }
  const pos = {}, hostPos = {};
  for (const node of nodes) {
    const p = { x: node.x, y: node.y };
    if (node.kind === "switch") pos[node.id.slice(2)] = p;
    else hostPos[node.id.slice(2)] = p;
  }
  return { pos, hostPos };
}

// --------------------------------------------------------------- topology

// Places a link's label beside the line from a to b: the first spot along it
// (middle first, either side) whose box overlaps no node and no label placed
// before; the middle when every spot does. Returns the text's attributes.
function placeLabel(placed, a, b, text) {
  const w = 6.6 * text.length + 6, h = 15;
  const len = Math.max(1, Math.hypot(b.x - a.x, b.y - a.y));
  const ux = -(b.y - a.y) / len, uy = (b.x - a.x) / len;
  let first = null;
  for (const f of [0.5, 0.38, 0.62, 0.28, 0.72]) {
    for (const side of [-1, 1]) {
      const nx = ux * side, ny = uy * side;
      const d = Math.abs(nx) * (w / 2) + Math.abs(ny) * (h / 2) + 3;
      const cx = a.x + (b.x - a.x) * f + nx * d, cy = a.y + (b.y - a.y) * f + ny * d;
      const box = [cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2];
      first = first || box;
      if (!placed.some((p) => box[0] < p[2] && box[2] > p[0] && box[1] < p[3] && box[3] > p[1])) {
        placed.push(box);
        return { x: cx, y: cy + 4, "text-anchor": "middle", text };
      }
    }
  }
  placed.push(first);
  return { x: (first[0] + first[2]) / 2, y: (first[1] + first[3]) / 2 + 4, "text-anchor": "middle", text };
}

function renderTopology() {
  const topo = state.topology || {};
  const root = document.getElementById("topology");
  const err = document.getElementById("topology-error");
  err.hidden = !topo.error;
  err.textContent = topo.error || "";
  const measured = document.getElementById("measured");
  const age = serverNow() - (num(topo.measured_t) || 0);
  measured.textContent = num(topo.measured_t)
    ? "measured " + clock(topo.measured_t) + (age >= 0 && age < 600 ? ", " + seconds(age) + " ago" : "")
    : "";
  const key = JSON.stringify([(topo.switches || []).map((s) => s.name),
    (topo.hosts || []).map((h) => [h.name, h.switch]),
    (topo.links || []).map((l) => [l.src, l.dst])]);
  if (key !== layoutKey) { layoutCache = layout(topo); layoutKey = key; }
  const { pos, hostPos } = layoutCache;
  const containersOn = {};
  for (const c of state.containers || []) (containersOn[c.host] = containersOn[c.host] || []).push(c);

  const linkLayer = svg("g", { class: "links" });
  const nodeLayer = svg("g", { class: "nodes" });
  const overlay = svg("g", { class: "overlay" });
  const boxes = [];
  const labels = [];  // [group, a, b, text]: placed once every node's box is known

  for (const l of topo.links || []) {
    const a = pos[l.src], b = pos[l.dst];
    if (!a || !b) continue;
    const cls = loadClass(l.utilization);
    const width = 2 + 8 * Math.min(1, num(l.utilization) || 0);
    const label = rate(l.bandwidth_bps) + " / " + rate(l.capacity_bps) +
      (num(l.utilization) !== null ? " (" + percent(l.utilization) + ")" : "");
    linkLayer.append(svg("g", { class: "link", "data-src": l.src, "data-dst": l.dst,
      "data-utilization": num(l.utilization) === null ? "" : l.utilization },
      svg("title", { text: `${l.src}:${l.src_port} – ${l.dst}:${l.dst_port}: ${label}` }),
      svg("line", { x1: a.x, y1: a.y, x2: b.x, y2: b.y, class: cls, "stroke-width": width })));
    labels.push([linkLayer.lastChild, a, b, label]);
  }

  for (const h of topo.hosts || []) {
    const p = hostPos[h.name], s = pos[h.switch];
    if (!p) continue;
    if (s) {
      const cls = loadClass(h.utilization);
      const width = 1.5 + 6 * Math.min(1, num(h.utilization) || 0);
      const label = rate(h.bandwidth_bps) + (num(h.utilization) !== null ? " (" + percent(h.utilization) + ")" : "");
      linkLayer.append(svg("g", { class: "hostlink", "data-host": h.name, "data-switch": h.switch },
        svg("title", { text: `${h.name} – ${h.switch}:${h.port}: ${label} of ${rate(h.capacity_bps)}` }),
        svg("line", { x1: s.x, y1: s.y, x2: p.x, y2: p.y, class: cls, "stroke-width": width })));
      labels.push([linkLayer.lastChild, s, p, label]);
    }
    const cs = containersOn[h.name] || [];
    const w = Math.max(96, ...cs.map((c) => 24 + 6.2 * c.name.length), 20 + 7 * h.name.length);
    const ht = 36 + 20 * cs.length;
    const g = svg("g", { class: "host", "data-name": h.name, transform: `translate(${p.x - w / 2},${p.y - 18})` },
      svg("title", { text: `${h.name} ${h.ip} on ${h.switch}:${h.port}, link ${rate(h.capacity_bps)}` }),
      svg("rect", { class: "box", width: w, height: ht, rx: 6 }),
      svg("text", { class: "name", x: 8, y: 15, text: h.name }),
      svg("text", { class: "ip", x: 8, y: 28, text: h.ip }));
    cs.forEach((c, i) => {
      g.append(svg("g", { class: "container" + (c.migrating ? " moving" : ""), "data-name": c.name,
        transform: `translate(6,${34 + 20 * i})` },
        svg("title", { text: `${c.name} (${c.image || "no image"})${c.migrating ? ", migrating" : ""}` }),
        svg("rect", { width: w - 12, height: 16, rx: 3 }),
        svg("text", { x: 6, y: 12, text: c.name })));
    });
    nodeLayer.append(g);
    boxes.push([p.x - w / 2, p.y - 18, p.x + w / 2, p.y - 18 + ht]);
  }

  for (const sw of topo.switches || []) {
    const p = pos[sw.name];
    if (!p) continue;
    const w = Math.max(44, 16 + 8 * sw.name.length);
    nodeLayer.append(svg("g", { class: "switch", "data-name": sw.name, transform: `translate(${p.x},${p.y})` },
      svg("title", { text: `switch ${sw.name}, datapath ${sw.dpid}` }),
      svg("rect", { x: -w / 2, y: -14, width: w, height: 28, rx: 6 }),
      svg("text", { x: 0, y: 5, "text-anchor": "middle", text: sw.name })));
    boxes.push([p.x - w / 2, p.y - 14, p.x + w / 2, p.y + 14]);
  }

  const placed = boxes.slice();
  for (const [group, a, b, text] of labels) group.append(svg("text", placeLabel(placed, a, b, text)));

  // Migrations under way: a dashed arrow from the source host to the destination.
  for (const m of state.migrations || []) {
    if (finished(m) || !hostPos[m.source] || !hostPos[m.destination]) continue;
    const a = hostPos[m.source], b = hostPos[m.destination];
    const mx = (a.x + b.x) / 2 - (b.y - a.y) * 0.2, my = (a.y + b.y) / 2 + (b.x - a.x) * 0.2;
    overlay.append(svg("path", { class: "move-arrow", "marker-end": "url(#arrow)",
      "data-migration": m.migration_id, d: `M${a.x},${a.y} Q${mx},${my} ${b.x},${b.y}` }));
  }

  const defs = svg("defs", {}, svg("marker", { id: "arrow", viewBox: "0 0 10 10", refX: 9, refY: 5,
    markerWidth: 7, markerHeight: 7, orient: "auto-start-reverse" },
  svg("path", { d: "M0,0 L10,5 L0,10 z", fill: "#d98a00" })));
  root.replaceChildren(defs, linkLayer, nodeLayer, overlay);
  if (placed.length) {
    const pad = 20;
    const x0 = Math.min(...placed.map((b) => b[0])) - pad, y0 = Math.min(...placed.map((b) => b[1])) - pad;
    const x1 = Math.max(...placed.map((b) => b[2])) + pad, y1 = Math.max(...placed.map((b) => b[3])) + pad;
    root.setAttribute("viewBox", `${x0} ${y0} ${x1 - x0} ${y1 - y0}`);
  }
}

// --------------------------------------------------------------- policy

function renderPolicy() {
  const p = state.policy || {};
  const root = document.getElementById("policy");
  if (!p.policy) {
    root.replaceChildren(el("div", { class: "empty", text: p.error || "no active policy" }));
    return;
  }
  const params = (p.params || []).map((x) => el("div", {}, el("code", { text: `${x.name} = ${x.text}` }),
    x.overridden ? el("span", { class: "muted", text: " (overridden)" }) : null));
  root.replaceChildren(
    el("dl", {},
      el("dt", { text: "name" }), el("dd", { class: "policy-name" }, el("strong", { text: p.policy }),
        p.description ? el("span", { class: "muted", text: " " + p.description }) : null),
      el("dt", { text: "file" }), el("dd", {}, el("code", { text: p.file })),
      el("dt", { text: "hash" }), el("dd", {}, el("code", { text: p.content_hash })),
      el("dt", { text: "loaded" }), el("dd", { text: clock(p.loaded_at) }),
      params.length ? [el("dt", { text: "params" }), el("dd", {}, params)] : null),
    p.source ? el("details", {}, el("summary", { text: "source" }), el("pre", { text: p.source })) : null);
}

// --------------------------------------------------------------- decisions

function renderDecisions() {
  const root = document.getElementById("decisions");
  const list = state.decisions || [];
  if (!list.length) { root.replaceChildren(el("li", { class: "empty", text: "no decisions yet" })); return; }
  root.replaceChildren(...list.map((d) => {
    const action = d.action || (d.triggered ? "triggered" : "idle");
    const dest = d.mtd ? `(hidden: ${d.mtd.scheme})` : d.destination || "?";
    const move = d.container ? `${d.container}: ${d.source || "?"} → ${dest}` : "no container";
    const cands = (d.candidates || []).map((c) => el("span", { class: c.host === d.destination ? "chosen" : "",
      text: c.host + (c.score_text ? " " + c.score_text : "") }));
    return el("li", { class: "decision " + action, "data-id": d.decision_id || "" },
      el("div", { class: "head" },
        el("span", { class: "action", text: action }),
        el("span", { class: "move", text: move }),
        el("span", { class: "muted", text: `${clock(d.time)} · ${d.policy || ""}` +
          (num(d.decision_seconds) !== null ? ` · ${seconds(d.decision_seconds)}` : "") })),
      el("div", { class: "why", text: d.explanation || "" }),
      d.trigger ? el("div", { class: "detail", text: "trigger: " + d.trigger }) : null,
      d.reason ? el("div", { class: "detail", text: "not dispatched: " + d.reason }) : null,
      cands.length ? el("div", { class: "detail cands" }, "candidates: ", cands) : null);
  }));
}

// --------------------------------------------------------------- migrations

const PHASES = ["dispatched", "queued", "connecting", "preparing", "image", "precopy", "freezing",
  "dumping", "final-round", "checkpoint", "serving", "retiring", "done", "failed"];

function phaseClass(p) { return "ph-" + (PHASES.includes(p) ? p : "other"); }

function renderMigrations() {
  const root = document.getElementById("migrations");
  const list = state.migrations || [];
  if (!list.length) { root.replaceChildren(el("div", { class: "empty", text: "no migrations yet" })); return; }
  const now = serverNow();
  root.replaceChildren(...list.map((m) => {
    const done = finished(m);
    const end = done ? (num(m.finished_t) || num(m.updated_t) || now) : Math.max(now, num(m.updated_t) || 0);
    const start = num(m.started_t) || end;
    const total = Math.max(0.001, end - start);
    // The bar: bytes of the phase under way, or the outcome.
    let fraction = 0, barText = "";
    if (done) {
      fraction = 1;
      barText = m.state === "done" ? `done in ${seconds(num(m.migration_seconds) ?? total)}` : "failed";
    } else if (num(m.bytes_total)) {
      fraction = Math.min(1, (m.bytes_sent || 0) / m.bytes_total);
      barText = `${m.phase || m.state}: ${bytes(m.bytes_sent)} of ${bytes(m.bytes_total)}` +
        (num(m.rate_bps) ? ` at ${rate(m.rate_bps)}` : "");
    } else {
      barText = `${m.phase || m.state}…`;
    }
    const steps = (m.timeline || []).length ? m.timeline : [{ phase: m.state, t: start }];
    const segs = steps.map((s, i) => {
      const t0 = Math.max(start, s.t), t1 = i + 1 < steps.length ? steps[i + 1].t : end;
      const last = i + 1 === steps.length && done;
      const left = ((t0 - start) / total) * 100, width = last ? 1.2 : Math.max(0, ((t1 - t0) / total) * 100);
      return el("div", { class: "seg " + phaseClass(s.phase), style: `left:${Math.min(left, 98.8)}%;width:${width}%`,
        title: `${s.phase} at +${seconds(t0 - start)}${last ? "" : ", " + seconds(t1 - t0)}` });
    });
    const seen = [...new Set(steps.map((s) => s.phase))];
    const rounds = num(m.precopy_rounds) !== null ? m.precopy_rounds : num(m.rounds);
    const facts = [
      `policy ${m.policy || "manual"}`,
      `mode ${m.reported_mode || m.mode || "?"}`,
      `started ${clock(m.started_t)}`,
      rounds !== null ? `pre-copy rounds ${rounds}` : null,
      num(m.freeze_ms) ? `freeze ${seconds(m.freeze_ms / 1000)}` : null,
      num(m.bytes_sent) && done ? `${bytes(m.bytes_sent)} sent` : null,
      num(m.key_seconds) ? `key gathering ${seconds(m.key_seconds)}` : null,
    ].filter(Boolean).join(" · ");
    return el("div", { class: "migration " + (m.state || ""), "data-id": m.migration_id || "", "data-state": m.state || "" },
      el("div", {},
        el("div", {}, el("span", { class: "title", text: `${m.container}: ${m.source} → ${m.destination || "?"}` }),
          el("span", { class: "state " + (m.state || ""), text: m.state || "?" })),
        el("div", { class: "facts", text: facts }),
        m.error ? el("div", { class: "error", text: m.error }) : null),
      el("div", {},
        el("div", { class: "barlabel", text: barText }),
        el("div", { class: "bar " + (m.state || ""), role: "progressbar", "aria-valuenow": Math.round(fraction * 100) },
          el("div", { style: `width:${fraction * 100}%` })),
        el("div", { class: "timeline" }, segs),
        el("div", { class: "timeline-axis" }, el("span", { text: "0" }), el("span", { text: seconds(total) })),
        el("div", { class: "phases" }, seen.map((p) => el("span", {}, el("i", { class: phaseClass(p) }), p)))));
  }));
}

// --------------------------------------------------------------- updates

function renderManager() {
  document.getElementById("manager").textContent = (state.manager || {}).describe || "";
}

const RENDER = {
  manager: [renderManager],
  topology: [renderTopology],
  containers: [renderTopology],
  policy: [renderPolicy],
  decisions: [renderDecisions],
  migrations: [renderMigrations, renderTopology],
};

function renderAll() {
  renderManager(); renderTopology(); renderPolicy(); renderDecisions(); renderMigrations();
}

function replaceAll(s) {
  Object.assign(state, s);
  if (num(s.generated_t)) clockOffset = s.generated_t - Date.now() / 1000;
  renderAll();
  document.body.dataset.updates = String(Number(document.body.dataset.updates || 0) + 1);
}

function connection(on) {
  const b = document.getElementById("connection");
  b.className = "badge " + (on ? "on" : "off");
  b.textContent = on ? "live" : "reconnecting";
}

function listen() {
  const events = new EventSource("events");
  events.onopen = () => connection(true);
  events.onerror = () => connection(false);
  events.addEventListener("state", (e) => replaceAll(JSON.parse(e.data)));
  for (const [name, renders] of Object.entries(RENDER)) {
    events.addEventListener(name, (e) => {
      state[name] = JSON.parse(e.data);
      for (const r of new Set(renders)) r();
      document.body.dataset.updates = String(Number(document.body.dataset.updates || 0) + 1);
    });
  }
}

fetch("api/state").then((r) => r.json()).then(replaceAll).catch(() => connection(false)).finally(listen);
// In-flight migrations' elapsed time moves on between events.
setInterval(() => {
  if ((state.migrations || []).some((m) => !finished(m))) renderMigrations();
}, 1000);
