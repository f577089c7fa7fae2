// The hiverun dashboard: one event stream for the table and the boot,
// one for the output of the process shown. Data is only ever put into
// the page as text; the two SVGs come from the server, escaped there.
"use strict";

const $ = (sel) => document.querySelector(sel);
let snapshot = null;
let receivedAt = 0;
let graphKey = "";
let outputStream = null;
let selected = "";

function el(tag, attrs, text) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
}

function dur(ms) {
  if (ms < 1000) return Math.max(0, Math.round(ms)) + "ms";
  const s = ms / 1000;
  if (s < 60) return s.toFixed(s < 10 ? 1 : 0) + "s";
  const m = Math.floor(s / 60);
  if (m < 60) return m + "m" + String(Math.floor(s % 60)).padStart(2, "0") + "s";
  return Math.floor(m / 60) + "h" + String(m % 60).padStart(2, "0") + "m";
}

function say(text, error) {
  const m = $("#message");
  m.textContent = text;
  m.className = error ? "error" : "";
}

async function act(path, name) {
  say((path.includes("restart") ? "restarting " : "stopping ") + (name || "the stack") + "…");
  try {
    const r = await fetch(path, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ name: name || "" }),
    });
    const j = await r.json();
    say(j.ok ? j.message : j.error, !j.ok);
  } catch (e) {
    say(String(e), true);
  }
}

function cell(tr, i, cls) {
  while (tr.children.length <= i) tr.appendChild(el("td"));
  const td = tr.children[i];
  if (cls !== undefined) td.className = cls;
  return td;
}

function setText(td, text) {
  if (td.textContent !== text) td.textContent = text;
}

function renderRow(tr, p) {
  const name = cell(tr, 0, "name");
  setText(name, p.name + (p.optional ? " (optional)" : "") + (p.oneshot ? " ◆" : ""));
  const st = cell(tr, 1, "state-cell");
  let badge = st.firstChild;
  if (!badge) { badge = el("span"); st.appendChild(badge); }
  badge.className = "state " + p.state;
  setText(badge, p.state);
  setText(cell(tr, 2, "num"), p.pid > 0 ? String(p.pid) : "-");
  const port = cell(tr, 3, "num");
  const portKey = p.port + (p.http ? "h" : "");
  if (port.dataset.key !== portKey) {
    port.dataset.key = portKey;
    port.textContent = "";
    if (p.port > 0 && p.http) {
      port.appendChild(el("a", { href: "http://127.0.0.1:" + p.port + "/", target: "_blank", rel: "noopener noreferrer" }, String(p.port)));
    } else {
      port.textContent = p.port > 0 ? String(p.port) : "-";
    }
  }
  const health = cell(tr, 4, "health");
  if (p.health) {
    const ago = dur(Date.now() - Date.parse(p.health.at));
    health.className = "health " + (p.health.ok ? "ok" : "bad");
    setText(health, (p.health.ok ? "ok" : "failing: " + (p.health.message || "")) + " (" + ago + " ago)");
  } else {
    setText(health, "-");
  }
  const up = cell(tr, 5, "num uptime");
  up.dataset.ms = p.pid > 0 ? String(p.uptime_ms) : "";
  setText(up, p.pid > 0 ? dur(p.uptime_ms + (Date.now() - receivedAt)) : "-");
  setText(cell(tr, 6, "num"), String(p.restarts));
  setText(cell(tr, 7, "num"), p.pid > 0 ? p.cpu_percent.toFixed(1) + "%" : "-");
  setText(cell(tr, 8, "num"), p.pid > 0 ? (p.rss_bytes / 1048576).toFixed(1) + " MiB" : "-");
  const actions = cell(tr, 9, "actions");
  if (!actions.firstChild) {
    const r = el("button", { type: "button", class: "restart" }, "restart");
    r.addEventListener("click", () => act("/api/restart", p.name));
    const s = el("button", { type: "button", class: "stop" }, "stop");
    s.addEventListener("click", () => act("/api/stop", p.name));
    actions.append(r, " ", s);
  }
}

function renderTable(snap) {
  snapshot = snap;
  receivedAt = Date.now();
  setText($("#supervisor"), snap.supervisor || "");
  const tbody = $("#processes tbody");
  const rows = new Map();
  for (const tr of tbody.children) rows.set(tr.dataset.name, tr);
  const names = new Set();
  (snap.processes || []).forEach((p, i) => {
    names.add(p.name);
    let tr = rows.get(p.name);
    if (!tr) {
      tr = el("tr", { "data-name": p.name });
      tr.addEventListener("click", (e) => { if (e.target.tagName !== "BUTTON" && e.target.tagName !== "A") select(p.name); });
    }
    if (tbody.children[i] !== tr) tbody.insertBefore(tr, tbody.children[i] || null);
    tr.classList.toggle("selected", p.name === selected);
    renderRow(tr, p);
  });
  for (const [name, tr] of rows) if (!names.has(name)) tr.remove();
  updateOutputChoices(snap);
  updateGraph(snap);
  document.body.dataset.updates = String(Number(document.body.dataset.updates || 0) + 1);
}

function tickUptimes() {
  if (!snapshot) return;
  for (const td of document.querySelectorAll("td.uptime")) {
    if (td.dataset.ms) setText(td, dur(Number(td.dataset.ms) + (Date.now() - receivedAt)));
  }
}

async function updateGraph(snap) {
  const key = (snap.processes || []).map((p) => p.name + ":" + (p.deps || []).join(",")).join(";");
  if (key !== graphKey) {
    graphKey = key;
    try {
      const r = await fetch("/graph.svg");
      if (r.ok) $("#graph").innerHTML = await r.text();
    } catch (e) { /* the next change retries */ }
  }
  for (const p of snap.processes || []) {
    const node = document.querySelector('#graph .node[data-name="' + CSS.escape(p.name) + '"]');
    if (node) node.setAttribute("class", "node st-" + p.state);
  }
}

function loadWaterfall(seq) {
  const box = $("#waterfall-box");
  fetch("/waterfall.svg", { method: "HEAD" }).then((r) => {
    if (!r.ok) return;
    const obj = el("object", { type: "image/svg+xml", data: "/waterfall.svg?v=" + seq, "aria-label": "boot waterfall" });
    box.textContent = "";
    box.appendChild(obj);
  }).catch(() => {});
}

function updateOutputChoices(snap) {
  const sel = $("#output-name");
  const want = (snap.processes || []).map((p) => p.name);
  const have = Array.from(sel.options).map((o) => o.value);
  if (want.join("\n") !== have.join("\n")) {
    sel.textContent = "";
    for (const n of want) sel.appendChild(el("option", { value: n }, n));
    if (want.includes(selected)) sel.value = selected;
  }
  if (snap.no_output) {
    const out = $("#output");
    if (out.dataset.note !== snap.no_output) {
      out.dataset.note = snap.no_output;
      out.textContent = snap.no_output;
    }
    return;
  }
  if (!selected && want.length > 0) select(want[0]);
}

function matches(text) {
  const f = $("#filter").value.toLowerCase();
  return f === "" || text.toLowerCase().includes(f);
}

function appendLines(lines) {
  const out = $("#output");
  const atBottom = out.scrollTop + out.clientHeight >= out.scrollHeight - 4;
  const frag = document.createDocumentFragment();
  for (const l of lines) {
    const line = el("div", { class: "line" });
    if (l.at && !l.at.startsWith("0001")) line.appendChild(el("span", { class: "t" }, new Date(l.at).toLocaleTimeString() + " "));
    line.appendChild(document.createTextNode(l.text));
    if (!matches(l.text)) line.classList.add("hidden");
    frag.appendChild(line);
  }
  out.appendChild(frag);
  // Keep the page light: the last 2,000 lines.
  while (out.children.length > 2000) out.firstChild.remove();
  if ($("#follow").checked && atBottom) out.scrollTop = out.scrollHeight;
}

function select(name) {
  if (name === selected && outputStream) return;
  selected = name;
  $("#output-name").value = name;
  for (const tr of document.querySelectorAll("#processes tbody tr")) tr.classList.toggle("selected", tr.dataset.name === name);
  if (outputStream) outputStream.close();
  const out = $("#output");
  out.textContent = "";
  delete out.dataset.note;
  outputStream = new EventSource("/output?name=" + encodeURIComponent(name));
  outputStream.addEventListener("lines", (e) => appendLines(JSON.parse(e.data)));
  outputStream.addEventListener("note", (e) => {
    out.textContent = "";
    out.appendChild(el("div", { class: "line muted" }, JSON.parse(e.data)));
  });
}

function applyFilter() {
  for (const line of document.querySelectorAll("#output .line")) {
    const text = line.lastChild ? line.lastChild.textContent : "";
    line.classList.toggle("hidden", !matches(text));
  }
}

function connect() {
  const es = new EventSource("/events");
  es.onopen = () => { $("#conn").className = "conn on"; };
  es.onerror = () => { $("#conn").className = "conn off"; };
  es.addEventListener("table", (e) => renderTable(JSON.parse(e.data)));
  es.addEventListener("boot", (e) => loadWaterfall(e.data));
}

document.addEventListener("DOMContentLoaded", () => {
  $("#output-name").addEventListener("change", (e) => select(e.target.value));
  $("#filter").addEventListener("input", applyFilter);
  $("#stop-stack").addEventListener("click", () => {
    if (confirm("Stop every process of the stack?")) act("/api/stop-stack", "");
  });
  connect();
  setInterval(tickUptimes, 1000);
});
