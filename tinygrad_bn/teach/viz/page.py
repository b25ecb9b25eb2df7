"""The stepper page's HTML, style and script (no network: the page's data is inlined by
stepper.py). The script draws each step onto the one SVG: rows shown or rewritten, the record
lit, the gradient's path coloured against the arrows; fit, zoom, focus and #step=N."""

PAGE = r"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy"
 content="default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:">
<title>__TITLE__</title>
<style>
html, body { height: 100%; margin: 0; }
body { font-family: Helvetica, Arial, sans-serif; color: #222; display: flex;
       flex-direction: column; overflow: hidden; }
#top { flex: none; padding: .4em .8em; border-bottom: 1px solid #ddd; background: #fafafa; }
h1 { font-size: 1.1em; margin: 0 0 .3em; }
#bar { display: flex; gap: .35em; align-items: center; flex-wrap: wrap; }
button { font-size: 1em; padding: .2em .7em; }
button.on { background: #d62728; color: white; }
#counter { font-weight: bold; min-width: 8em; margin: 0 .4em; }
#help { color: #777; font-size: .85em; }
#caption { margin-top: .3em; font-size: 1.1em; font-family: monospace; white-space: pre-wrap; }
#main { flex: 1; display: flex; min-height: 0; }
#graph { flex: 3; overflow: auto; min-width: 0; }
#graph svg { display: block; margin: 0 auto; }
#panel { flex: 1; min-width: 16em; max-width: 34em; overflow: auto; padding: 0 .8em;
         border-left: 1px solid #ddd; }
pre { background: #f6f6f6; padding: .4em; margin: .2em 0 .8em; white-space: pre-wrap; }
.fanin { background: #fff3e0; border-left: 4px solid #e67e22; padding: .4em; margin: .2em 0 .8em;
         font-family: monospace; white-space: pre-wrap; }
.cells { white-space: nowrap; overflow-x: auto; }
.cells button { font-family: monospace; font-size: .85em; padding: .1em .3em; margin: 1px; }
.cells button.sel { outline: 3px solid #e67e22; }
h3 { margin: .5em 0 .2em; font-size: 1em; }
g.node.hot ellipse, g.node.hot polygon, g.node.hot path { stroke: #d62728; stroke-width: 3px; }
g.node.near polygon, g.node.near path { stroke: #d62728; stroke-width: 2px; }
g.node.partial polygon, g.node.partial path { stroke: #e67e22; stroke-width: 2px;
                                              stroke-dasharray: 6 3; }
g.node.pick { cursor: pointer; }
text.off { visibility: hidden; }
g.edge.flow path { stroke-width: 3px; }
g.edge.flow polygon, g.edge.flow text:not(.flowlabel) { display: none; }
text.flowlabel { font-family: Helvetica, Arial, sans-serif; font-weight: bold;
                 paint-order: stroke; stroke: white; stroke-width: 4px; }
</style></head><body>
<div id="top"><h1>__TITLE__</h1>
<div id="bar">
<button id="first" title="first step (Home)">&laquo; First</button><button id="prev">&larr; Previous</button>
<button id="next">Next &rarr;</button><button id="last" title="last step (End)">Last &raquo;</button>
<button id="backward">Jump to backward</button><span id="counter"></span>
<button id="zoomout" title="zoom out (-)">&minus;</button><button id="fit" title="fit the pane (0)">fit</button>
<button id="zoomin" title="zoom in (+)">+</button><button id="focus" title="only this record (F)">focus</button>
<span id="help">keys: &larr; &rarr; Home End, a number then Enter, F, + &minus; 0</span>
</div>
<div id="caption"></div></div>
<div id="main"><div id="graph"></div><div id="panel"></div></div>
<script type="application/json" id="data">__DATA__</script>
<script>
"use strict";
const D = JSON.parse(document.getElementById("data").textContent);
const steps = D.steps, pane = document.getElementById("graph"), panel = document.getElementById("panel");
const COLOURS = ["#1f77b4", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b", "#e377c2"];
const FLOW = "#d62728", CAP = D.slide ? 1.2 : 2.0, FOCUS_CAP = D.slide ? 1.8 : 3.0;
const READABLE = D.slide ? 0.45 : 0.9;   // px per point below which a fitted graph is too small to read
const OPEN = D.slide ? 4 / 3 : 1.75;     // px per point a graph too big to fit opens at: ~18 px text
const firstBackward = Math.max(0, steps.findIndex((s) => s.kind === "backward"));
let k = 0, zoom = null, focus = false, typed = "", inspect = null, mounted = -1, undo = [];
const chosen = {};                      // tid -> the flat element index clicked
const $ = (id) => document.getElementById(id);

function num(v, sci) {
  if (Math.abs(v) < 1e-12) return "0";
  const s = sci ? v.toExponential(3).replace(/e([+-])(\d)$/, (_, sign, d) => "e" + sign + "0" + d) : String(Number(v.toFixed(4)));
  return s === "-0" ? "0" : s.replace(/-/g, "\u2212");    // every minus, the exponent's too
}
function line(values) {                 // one number format for a whole line
  const sci = values.some((v) => Math.abs(v) >= 1e-12 && (Math.abs(v) < 1e-4 || Math.abs(v) >= 1e5));
  return values.map((v) => num(v, sci));
}
function tuple(xs) { return "(" + xs.join(", ") + (xs.length === 1 ? ",)" : ")"); }
function unravel(i, shape) {
  const at = [];
  for (let d = shape.length - 1; d >= 0; d--) { at.unshift(i % shape[d]); i = Math.floor(i / shape[d]); }
  return at;
}

function stateAt(n) {                   // fold the steps' changes up to step n
  const st = {shown: new Set(D.leaves), grads: {}, arrived: {}, parts: {}, all: firstBackward === 0};
  for (let i = 0; i <= n; i++) {
    const s = steps[i];
    if (s.kind === "forward") st.shown.add(s.show); else st.all = true;
    Object.assign(st.grads, s.grads || {});
    Object.assign(st.arrived, s.arrived || {});
    (s.parts || []).forEach(([tid, edge, via, values]) => (st.parts[tid] = st.parts[tid] || []).push({edge, via, values}));
  }
  return st;
}
function element(tid) {
  const f = D.fanins[tid];
  return f.grid ? (chosen[tid] !== undefined ? chosen[tid] : f.pick) : 0;
}
function terms(tid, st) {
  const e = element(tid);
  return (st.parts[tid] || []).map((p) => ({via: p.via, edge: p.edge, v: p.values[f_index(tid, e)]}));
}
function f_index(tid, e) { return D.fanins[tid].grid ? e : 0; }

function paintRows(st) {
  for (const [tid, [h, nv, ng]] of Object.entries(D.rows)) {
    const g = $(tid);
    if (!g) continue;
    const texts = g.querySelectorAll("text");
    if (texts.length < h + nv + ng) continue;           // a label Graphviz laid out otherwise
    const visible = st.all || st.shown.has(tid);
    for (let i = h; i < h + nv; i++) texts[i].classList.toggle("off", !visible);
    const rows = st.grads[tid];
    for (let j = 0; j < ng; j++) {
      const t = texts[h + nv + j];
      t.classList.toggle("off", !rows);
      const text = rows ? (j < ng - 1 ? (rows[j] || "") : rows.slice(j).join("  ")) : null;
      if (text !== null && t.textContent !== text) t.textContent = text;
    }
    const a = st.arrived[tid];
    g.classList.toggle("partial", !!a && a[0] < a[1]);
  }
}
function mount(v) {                     // put view v's SVG in the pane once; later steps only mark it
  if (mounted === v) return;
  pane.innerHTML = D.svgs[v];
  mounted = v; undo = [];
  const root = svg();
  root.removeAttribute("width"); root.removeAttribute("height");
  root.dataset.box = root.getAttribute("viewBox");
  markers(root, "rev");
  root.querySelectorAll("g.node").forEach((g) => {
    if (g.id in D.fanins) { g.classList.add("pick"); g.onclick = () => { inspect = g.id; show(k); }; }
  });
}
function mark(el, cls) { el.classList.add(cls); undo.push(() => el.classList.remove(cls)); }
function unmark() {                     // take the previous step's marks off
  undo.forEach((f) => f()); undo = [];
  const root = svg();
  if (root.getAttribute("viewBox") !== root.dataset.box) root.setAttribute("viewBox", root.dataset.box);
}
const NS = "http://www.w3.org/2000/svg";
function markers(svg, prefix) {         // arrowheads: prefix + 0 the step's colour, + 1.. the paths', "fwd" grey
  const defs = document.createElementNS(NS, "defs");
  [FLOW, ...COLOURS, "#555555"].forEach((c, i) => {
    const m = document.createElementNS(NS, "marker");
    Object.entries({id: prefix + (i > COLOURS.length ? "fwd" : i), viewBox: "0 0 10 10", refX: "2",
                    refY: "5", markerWidth: "4", markerHeight: "4", orient: "auto-start-reverse"})
      .forEach(([a, v]) => m.setAttribute(a, v));
    const p = document.createElementNS(NS, "path");
    p.setAttribute("d", "M 0 0 L 10 5 L 0 10 z"); p.setAttribute("fill", c);
    m.appendChild(p); defs.appendChild(m);
  });
  svg.insertBefore(defs, svg.firstChild);
}
function marker(colour) { return colour === FLOW ? 0 : 1 + COLOURS.indexOf(colour); }
function flowEdge(id, colour, value) {  // the gradient goes against the arrow: recolour, reverse, label
  const g = $(id);
  if (!g) return;
  const path = g.querySelector("path");
  if (!path) return;
  g.querySelectorAll("text.flowlabel").forEach((t) => t.remove());
  g.classList.add("flow");
  g.dataset.colour = colour;
  path.style.stroke = colour;
  path.setAttribute("marker-start", "url(#rev" + marker(colour) + ")");
  undo.push(() => { g.classList.remove("flow"); path.style.stroke = ""; path.removeAttribute("marker-start");
                    g.querySelectorAll("text.flowlabel").forEach((t) => t.remove()); });
  const at = path.getPointAtLength(path.getTotalLength() / 2);
  const t = document.createElementNS(NS, "text");
  t.setAttribute("class", "flowlabel"); t.setAttribute("x", at.x + 6); t.setAttribute("y", at.y);
  t.setAttribute("fill", colour); t.setAttribute("font-size", D.slide ? "20" : "12");
  t.textContent = num(value, Math.abs(value) >= 1e-12 && (Math.abs(value) < 1e-4 || Math.abs(value) >= 1e5));
  g.appendChild(t);
}
function paintFlow(s, st) {
  if (s.kind !== "backward") return;
  s.flow.forEach(([id, value, c]) => flowEdge(id, c < 0 ? FLOW : COLOURS[c % COLOURS.length], value));
  s.parts.forEach(([tid]) => terms(tid, st).forEach((p, j) => flowEdge(p.edge, COLOURS[j % COLOURS.length], p.v)));
}

function fanBlock(tid, st, heading) {
  const f = D.fanins[tid], ts = terms(tid, st), a = st.arrived[tid] || [ts.length, f.n];
  const h = document.createElement("h3"); h.textContent = heading || "fan-in sum d" + f.name; panel.appendChild(h);
  const box = document.createElement("div"); box.className = "fanin"; panel.appendChild(box);
  const texts = line([...ts.map((p) => p.v), ts.reduce((x, p) => x + p.v, 0)]);
  box.append("d" + f.name + " = ");
  ts.forEach((p, j) => {
    let s = texts[j];
    if (j > 0) { box.append(s.startsWith("\u2212") ? " \u2212 " : " + "); s = s.replace(/^\u2212/, ""); }
    const span = document.createElement("span");
    span.style.color = COLOURS[j % COLOURS.length]; span.style.fontWeight = "bold";
    span.className = "term"; span.textContent = s + " (via " + p.via + ")";
    box.appendChild(span);
  });
  box.append(" = " + texts[texts.length - 1]);
  const e = element(tid), at = f.grid ? unravel(e, f.shape) : f.at;
  const where = f.shape.length ? "element [" + at.join(", ") + "] of " + tuple(f.shape) + "; " : "";
  box.append("\n" + where + a[0] + " of " + a[1] + " paths arrived: " +
             (a[0] === a[1] ? "complete" : (a[1] - a[0]) + " more to come"));
  if (!f.grid || f.shape.length === 0) return;
  const size = f.shape.reduce((x, y) => x * y, 1), cols = f.shape[f.shape.length - 1];
  const grid = document.createElement("div"); grid.className = "cells"; panel.appendChild(grid);
  const sums = Array.from({length: size}, (_, i) => (st.parts[tid] || []).reduce((x, p) => x + p.values[i], 0));
  const totals = [];                    // one number format per row of the grid
  for (let i = 0; i < size; i += cols) totals.push(...line(sums.slice(i, i + cols)));
  for (let i = 0; i < size; i++) {
    if (i > 0 && i % cols === 0) grid.appendChild(document.createElement("br"));
    const b = document.createElement("button");
    b.textContent = totals[i]; b.title = "element [" + unravel(i, f.shape).join(", ") + "]: its sum";
    if (i === e) b.className = "sel";
    b.onclick = () => { chosen[tid] = i; show(k); };
    grid.appendChild(b);
  }
}
function paintPanel(s, st) {
  panel.replaceChildren();
  if (inspect && inspect in D.fanins && st.parts[inspect]) fanBlock(inspect, st, "clicked: d" + D.fanins[inspect].name + ", fan-in so far");
  s.blocks.forEach(([heading, text]) => {
    if (heading === "fan-in") return fanBlock(text, st);
    const h = document.createElement("h3"); h.textContent = heading; panel.appendChild(h);
    const p = document.createElement("pre"); p.textContent = text; panel.appendChild(p);
  });
}

function svg() { return pane.querySelector("svg"); }              // the graph, drawn once
function view() { return $("focusview") || svg(); }              // what the pane shows now
function fitScale(cap) {
  const vb = view().viewBox.baseVal;
  // offset sizes include the scrollbars: a fitted graph needs none, so the fit never shifts
  return Math.min((pane.offsetWidth - 20) / vb.width, (pane.offsetHeight - 20) / vb.height, cap);
}
function applyZoom() {
  const s = view(), vb = s.viewBox.baseVal;
  let scale = focus ? fitScale(FOCUS_CAP) : zoom === "fit" ? fitScale(CAP) : zoom;
  const w = (vb.width * scale).toFixed(1) + "px", h = (vb.height * scale).toFixed(1) + "px";
  if (s.getAttribute("width") !== w) s.setAttribute("width", w);      // a resize lays the SVG out again
  if (s.getAttribute("height") !== h) s.setAttribute("height", h);
  return scale;
}
function focusView(s) {                 // this record alone, large: inputs above, output below and,
  const main = svg(), gap = 40;         // beside the op, the other ops reading a fan-in input
  const out = s.near[s.near.length - 1], others = s.focus.filter((id) => id !== s.node && !s.near.includes(id));
  const rows = [s.near.slice(0, -1), [s.node, ...others], [out]].map((r) => r.filter((id) => $(id)));
  const boxes = Object.fromEntries(rows.flat().map((id) => [id, $(id).getBBox()]));
  const widths = rows.map((r) => r.reduce((w, id) => w + boxes[id].width, 0) + gap * (r.length - 1));
  const W = Math.max(...widths), f = document.createElementNS(NS, "svg"), at = {};
  f.id = "focusview";
  markers(f, "frev");
  let y = 0;
  rows.forEach((r, i) => {
    const h = Math.max(0, ...r.map((id) => boxes[id].height));
    let x = (W - widths[i]) / 2;
    r.forEach((id) => {
      const b = boxes[id], c = $(id).cloneNode(true);
      at[id] = {x, y: y + (h - b.height) / 2, w: b.width, h: b.height};
      c.removeAttribute("id");
      c.setAttribute("transform", `translate(${x - b.x} ${at[id].y - b.y})`);
      f.appendChild(c);
      x += b.width + gap;
    });
    y += h + 1.5 * gap;
  });
  main.querySelectorAll("g.edge").forEach((g) => {
    const [, a, b] = g.id.split(":"), p = at[a], q = at[b];
    if (!p || !q) return;
    const x1 = p.x + p.w / 2, y1 = p.y + p.h, x2 = q.x + q.w / 2, y2 = q.y, ym = (y1 + y2) / 2;
    const path = document.createElementNS(NS, "path"), colour = g.classList.contains("flow") ? g.dataset.colour : null;
    path.setAttribute("d", `M ${x1} ${y1} C ${x1} ${ym} ${x2} ${ym} ${x2} ${y2}`);
    path.setAttribute("fill", "none");
    path.setAttribute("stroke", colour || "#555555");
    path.setAttribute("stroke-width", colour ? 3 : 1.3);
    path.setAttribute(colour ? "marker-start" : "marker-end", "url(#frev" + (colour ? marker(colour) : "fwd") + ")");
    f.appendChild(path);
    const label = g.querySelector("text.flowlabel");
    if (label) {
      const t = label.cloneNode(true);
      t.setAttribute("x", x2 + 8); t.setAttribute("y", y2 - 0.3 * (y2 - y1));   // near its own op: apart
      f.appendChild(t);
    }
  });
  main.style.display = "none";
  pane.appendChild(f);
  const bb = f.getBBox();                                          // labels included
  f.setAttribute("viewBox", `${bb.x - 10} ${bb.y - 10} ${bb.width + 20} ${bb.height + 20}`);
}
function centre(el) {                   // scroll the graph pane only: never the page around it
  const r = el.getBoundingClientRect(), p = pane.getBoundingClientRect();
  pane.scrollLeft += r.left + r.width / 2 - (p.left + p.width / 2);
  pane.scrollTop += r.top + r.height / 2 - (p.top + p.height / 2);
}

function show(i) {
  k = Math.max(0, Math.min(steps.length - 1, i));
  const s = steps[k], st = stateAt(k);
  $("focusview")?.remove();
  mount(s.view);
  svg().style.display = "";
  unmark();
  paintRows(st);
  [[s.node], s.near].forEach((ids, i) => ids.forEach((id) => { if ($(id)) mark($(id), i ? "near" : "hot"); }));
  if (zoom === null) zoom = fitScale(CAP) >= READABLE ? "fit" : OPEN;   // first view: fit, or readable and scrolled
  paintFlow(s, st);
  if (focus) focusView(s);
  applyZoom();
  const hot = $(s.node);
  if (hot && !focus) centre(hot);
  $("counter").textContent = typed ? "go to step " + typed + "\u2026" :   // the one counter:
    "step " + (k + 1) + " / " + steps.length;                           // #step=N and N Enter use it
  $("caption").textContent = s.kind + " \u00b7 " + s.caption;          // the record by its name
  paintPanel(s, st);
  $("prev").disabled = $("first").disabled = k === 0;
  $("next").disabled = $("last").disabled = k === steps.length - 1;
  $("focus").classList.toggle("on", focus);
  try { history.replaceState(null, "", "#step=" + (k + 1)); } catch (e) { /* a sandboxed frame */ }
}
function setZoom(z) { zoom = z; show(k); }
function zoomBy(f) { const now = applyZoom(); setZoom(Math.max(0.05, Math.min(20, now * f))); }
$("first").onclick = () => show(0);
$("prev").onclick = () => show(k - 1);
$("next").onclick = () => show(k + 1);
$("last").onclick = () => show(steps.length - 1);
$("backward").onclick = () => show(firstBackward);
$("zoomin").onclick = () => zoomBy(1.25);
$("zoomout").onclick = () => zoomBy(0.8);
$("fit").onclick = () => setZoom("fit");
$("focus").onclick = () => { focus = !focus; show(k); };
document.addEventListener("keydown", (e) => {
  if (e.ctrlKey || e.metaKey || e.altKey) return;
  const keys = {ArrowRight: () => show(k + 1), ArrowLeft: () => show(k - 1), Home: () => show(0),
                End: () => show(steps.length - 1), "+": () => zoomBy(1.25), "=": () => zoomBy(1.25),
                "-": () => zoomBy(0.8), "0": () => setZoom("fit"), f: () => $("focus").onclick(),
                F: () => $("focus").onclick(), Escape: () => { typed = ""; show(k); }};
  if (/^[0-9]$/.test(e.key) && (typed || e.key !== "0")) { typed += e.key; show(k); }
  else if (e.key === "Enter" && typed) { const n = parseInt(typed, 10); typed = ""; show(n - 1); }
  else if (keys[e.key]) keys[e.key]();
  else return;
  e.preventDefault();
});
window.addEventListener("resize", () => { if (zoom === "fit") show(k); });
function fromHash() { const m = /step=(\d+)/.exec(location.hash); show(m ? parseInt(m[1], 10) - 1 : k); }
window.addEventListener("hashchange", fromHash);
fromHash();
</script></body></html>
"""
