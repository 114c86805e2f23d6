// ibbot dashboard: one live snapshot stream, rendered into plain DOM. No framework, no build step.
"use strict";

const TOKEN_KEY = "ibbot.token";
const OPERATOR_KEY = "ibbot.operator";
const $ = (id) => document.getElementById(id);

const state = { snapshot: null, seenFills: null, token: localStorage.getItem(TOKEN_KEY) || "", retry: 1000 };

// --- small helpers -------------------------------------------------------------------------------------------

function h(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "class") node.className = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

const number = (value, digits = 2) =>
  value === null || value === undefined || Number.isNaN(value)
    ? "—"
    : Number(value).toLocaleString(undefined, { minimumFractionDigits: digits, maximumFractionDigits: digits });
const quantity = (value) => (value === null || value === undefined ? "—" : Number(value).toLocaleString());
const money = (value) => (value === null || value === undefined ? "—" : (value > 0 ? "+" : "") + number(value));
const sign = (value) => (value > 0 ? "pos" : value < 0 ? "neg" : "");
const timeOf = (iso) => (iso ? new Date(iso).toLocaleTimeString([], { hour12: false }) : "—");
const dateTime = (iso) => (iso ? new Date(iso).toLocaleString([], { hour12: false }) : "—");

function ago(iso, nowIso) {
  // relative to the bot's clock (the snapshot's time), not this browser's: a replayed day is still right
  if (!iso) return "";
  const now = nowIso ? new Date(nowIso).getTime() : Date.now();
  const seconds = Math.max(0, (now - new Date(iso).getTime()) / 1000);
  if (seconds < 60) return `${Math.round(seconds)} s`;
  if (seconds < 3600) return `${Math.round(seconds / 60)} min`;
  return `${(seconds / 3600).toFixed(1)} h`;
}

function setText(id, text, cls) {
  const node = $(id);
  node.textContent = text;
  if (cls !== undefined) node.className = cls;
}

function toast(message, kind = "") {
  const node = $("toast");
  node.textContent = message;
  node.className = `toast ${kind}`;
  node.hidden = false;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => (node.hidden = true), 6000);
}

function headers() {
  const out = { "Content-Type": "application/json" };
  if (state.token) out.Authorization = `Bearer ${state.token}`;
  return out;
}

// --- rendering -----------------------------------------------------------------------------------------------

const HEALTH_CLASS = { ready: "good", degraded: "warn", resetting: "info", syncing: "info", connecting: "info" };
const MODE_CLASS = { normal: "good", reduce_only: "warn", monitor_only: "warn", halted: "bad" };
const VERDICT_CLASS = { SAFE: "good", MONITOR_ONLY: "warn", HALT: "bad" };

function pill(id, text, cls, data) {
  const node = $(id);
  node.className = `pill ${cls || ""}`;
  node.querySelector("b").textContent = text;
  node.dataset.value = data;
}

function render(s) {
  state.snapshot = s;
  const health = s.health;
  $("label").textContent = s.label || "";
  pill("pill-connection", health.state, HEALTH_CLASS[health.state] || "bad", health.state);
  pill("pill-risk", s.risk.mode.replace("_", " "), MODE_CLASS[s.risk.mode] || "warn", s.risk.mode);
  pill("pill-verdict", s.verdict.verdict ? s.verdict.verdict.replace("_", " ") : "not reconciled",
       VERDICT_CLASS[s.verdict.verdict] || "", s.verdict.verdict || "");
  setText("clock", new Date(s.time).toLocaleTimeString([], { hour12: false }));

  const banner = $("banner");
  const notes = [];
  if (s.stale) notes.push(`No live status from the bot: ${health.reason}`);
  else if (s.read_only) notes.push("Read-only view: act through the bot's own dashboard.");
  if (s.risk.mode === "monitor_only") notes.push(`MONITOR ONLY: ${s.risk.reason} — look, then Acknowledge.`);
  if (s.risk.mode === "halted") notes.push(`HALTED: ${s.risk.reason || "kill switch"}${s.risk.who ? ` (by ${s.risk.who})` : ""}`);
  banner.hidden = notes.length === 0;
  banner.className = `banner ${s.risk.mode === "halted" || s.stale ? "bad" : ""}`;
  banner.textContent = notes.join("  ·  ");

  renderActions(s);
  renderKpis(s);
  renderChart(s);
  renderConnection(s);
  renderPositions(s.positions);
  renderOrders(s.working, s.actions && !s.read_only);
  renderFills(s.fills);
  renderRisk(s);
  renderLog(s.log);
}

function renderActions(s) {
  const can = s.actions && !s.read_only;
  const mode = s.risk.mode;
  $("act-halt").disabled = !can || mode === "halted";
  $("act-flatten").disabled = !can;
  $("act-resume").disabled = !can || !(mode === "halted" || mode === "reduce_only");
  $("act-acknowledge").disabled = !can || mode !== "monitor_only";
  $("mode-reason").textContent = s.risk.since ? `mode since ${dateTime(s.risk.since)}` : "";
}

function renderKpis(s) {
  const pnl = s.pnl;
  const equity = pnl.equity !== null && pnl.equity !== undefined ? pnl.equity : pnl.realized + pnl.unrealized;
  setText("kpi-equity", number(equity));
  setText("kpi-equity-label", s.equity_label);
  setText("kpi-daily", money(pnl.daily), sign(pnl.daily));
  setText("kpi-realized", money(pnl.realized), sign(pnl.realized));
  setText("kpi-unrealized", money(pnl.unrealized), sign(pnl.unrealized));
  setText("kpi-unmarked", pnl.unmarked.length ? `${pnl.unmarked.length} at cost (no quote)` : "");
  setText("kpi-positions", s.positions.length);
  setText("kpi-working", s.working.length);
  setText("kpi-fills", quantity(s.counters.fills));
}

const SVG = "http://www.w3.org/2000/svg";
function svg(tag, attrs) {
  const node = document.createElementNS(SVG, tag);
  for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, value);
  return node;
}

function renderChart(s) {
  const box = $("chart");
  const width = Math.max(box.clientWidth, 200);
  const height = Math.max(box.clientHeight, 120);
  const points = s.equity.map((p) => [new Date(p.time).getTime(), p.value]);
  $("chart-title").textContent = s.equity_label.startsWith("IB net") ? "Equity" : "Equity · own PnL";
  const root = svg("svg", { viewBox: `0 0 ${width} ${height}`, preserveAspectRatio: "none" });
  if (points.length < 2) {
    const text = svg("text", { x: width / 2, y: height / 2, "text-anchor": "middle", class: "empty" });
    text.textContent = "collecting points…";
    root.append(text);
    box.replaceChildren(root);
    $("chart-range").textContent = "";
    return;
  }
  const t0 = points[0][0];
  const t1 = points[points.length - 1][0];
  let lo = Math.min(...points.map((p) => p[1]));
  let hi = Math.max(...points.map((p) => p[1]));
  if (hi - lo < 1e-9) { lo -= 1; hi += 1; }
  const margin = (hi - lo) * 0.08;
  lo -= margin; hi += margin;
  const ticks = [0, 1, 2, 3, 4].map((i) => lo + ((hi - lo) * i) / 4);
  const widest = Math.max(...ticks.map((v) => number(v).length));
  const pad = { left: widest * 7 + 14, right: 12, top: 12, bottom: 22 };
  const x = (t) => pad.left + ((t - t0) / Math.max(t1 - t0, 1)) * (width - pad.left - pad.right);
  const y = (v) => pad.top + (1 - (v - lo) / (hi - lo)) * (height - pad.top - pad.bottom);
  for (const value of ticks) {
    root.append(svg("line", { x1: pad.left, x2: width - pad.right, y1: y(value), y2: y(value), class: "grid-line" }));
    const label = svg("text", { x: pad.left - 8, y: y(value) + 4, "text-anchor": "end", class: "axis" });
    label.textContent = number(value);
    root.append(label);
  }
  for (const [t, anchor] of [[t0, "start"], [t1, "end"]]) {
    const label = svg("text", { x: x(t), y: height - 5, "text-anchor": anchor, class: "axis" });
    const short = t1 - t0 < 15 * 60 * 1000;
    label.textContent = new Date(t).toLocaleTimeString([], short ? { hour12: false }
      : { hour12: false, hour: "2-digit", minute: "2-digit" });
    root.append(label);
  }
  const down = points[points.length - 1][1] < points[0][1];
  const path = points.map((p, i) => `${i ? "L" : "M"}${x(p[0]).toFixed(1)},${y(p[1]).toFixed(1)}`).join("");
  const gradient = svg("linearGradient", { id: "fill", x1: 0, x2: 0, y1: 0, y2: 1 });
  const color = down ? "#f0524f" : "#4c9ef0";
  gradient.append(svg("stop", { offset: "0%", "stop-color": color, "stop-opacity": 0.28 }));
  gradient.append(svg("stop", { offset: "100%", "stop-color": color, "stop-opacity": 0 }));
  const defs = svg("defs", {});
  defs.append(gradient);
  root.append(defs);
  const base = height - pad.bottom;
  root.append(svg("path", { d: `${path}L${x(t1).toFixed(1)},${base}L${x(t0).toFixed(1)},${base}Z`, fill: "url(#fill)" }));
  root.append(svg("path", { d: path, class: `line ${down ? "down" : ""}` }));
  const last = points[points.length - 1];
  root.append(svg("circle", { cx: x(last[0]), cy: y(last[1]), r: 3.5, class: `dot ${down ? "down" : ""}` }));
  box.replaceChildren(root);
  const change = last[1] - points[0][1];
  $("chart-range").textContent = `${number(last[1])} (${money(change)} since ${timeOf(s.equity[0].time)})`;
}

function renderConnection(s) {
  const health = s.health;
  setText("conn-since", health.since ? `${health.state} for ${ago(health.since, s.time)}` : "");
  setText("conn-reason", health.reason || (health.state === "ready" ? "Connected, synced, farms OK." : ""));
  const farms = health.farms.map((f) =>
    h("li", { class: f.ok ? "good" : f.status === "connecting" ? "warn" : "bad", title: `${f.kind}: ${f.status}` },
      h("i"), `${f.name} ${f.status}`));
  $("farms").replaceChildren(...(farms.length ? farms : [h("li", { class: "" }, h("i"), "no farm reports yet")]));
  const g = s.governor;
  const backlog = Object.values(g.queued).reduce((a, b) => a + b, 0) + g.historical_waiting;
  setText("gov-backlog", backlog);
  setText("gov-rate", number(g.messages_per_second, 1));
  setText("gov-sent", quantity(g.messages_sent));
  setText("gov-pacing", quantity(g.pacing_delays));
  setText("gov-162", quantity(g.pacing_violations));
  setText("gov-timeouts", quantity(g.timeouts));
  const used = g.lines["market data"] || 0;
  setText("gov-lines", g.line_budget ? `${used} / ${g.line_budget}` : `${used}`);
  $("gov-lines-bar").style.width = g.line_budget ? `${Math.min(100, (100 * used) / g.line_budget)}%` : "0";
}

function rows(tbody, items, columns, make) {
  const body = document.querySelector(`${tbody} tbody`);
  if (!items.length) {
    body.replaceChildren(h("tr", {}, h("td", { class: "empty", colspan: columns }, "none")));
    return;
  }
  body.replaceChildren(...items.map(make));
}

function renderPositions(positions) {
  rows("#positions", positions, 6, (p) =>
    h("tr", { "data-key": p.key },
      h("td", {}, p.symbol, p.account ? h("span", { class: "ref" }, ` ${p.account}`) : null),
      h("td", { class: `n ${sign(p.quantity)}` }, quantity(p.quantity)),
      h("td", { class: "n" }, number(p.avg_cost)),
      h("td", { class: "n" }, number(p.mark)),
      h("td", { class: `n ${sign(p.unrealized)}` }, money(p.unrealized)),
      h("td", { class: `n ${sign(p.realized)}` }, money(p.realized))));
}

function renderOrders(orders, canAct) {
  rows("#orders", orders, 9, (o) => {
    const price = o.limit_price !== null ? o.limit_price : o.stop_price;
    const cancel = canAct && o.status !== "new" && o.status !== "pending_cancel"
      ? h("button", { class: "x", type: "button", title: "cancel this order", "data-cancel": o.order_ref,
          onclick: () => confirmAction("cancel", o.order_ref) }, "Cancel")
      : null;
    return h("tr", { "data-order-ref": o.order_ref },
      h("td", { class: "ref", title: o.strategy ? `strategy ${o.strategy}` : "" }, o.order_ref),
      h("td", { class: `side-${o.side}` }, o.side),
      h("td", {}, o.symbol),
      h("td", { class: "n" }, quantity(o.quantity)),
      h("td", {}, o.order_type),
      h("td", { class: "n" }, price === null ? "—" : number(price)),
      h("td", {}, o.status.replace("_", " ")),
      h("td", { class: "n" }, quantity(o.filled)),
      h("td", {}, cancel));
  });
}

function renderFills(fills) {
  const seen = state.seenFills;
  rows("#fills", fills, 7, (f) =>
    h("tr", { "data-exec-id": f.exec_id, class: seen && !seen.has(f.exec_id) ? "fresh" : "" },
      h("td", { title: dateTime(f.time) }, timeOf(f.time)),
      h("td", { class: `side-${f.side}` }, f.side),
      h("td", {}, f.symbol),
      h("td", { class: "n" }, quantity(f.quantity)),
      h("td", { class: "n" }, number(f.price)),
      h("td", { class: "n" }, f.commission === null ? "—" : number(f.commission)),
      h("td", { class: "ref" }, f.order_ref)));
  state.seenFills = new Set(fills.map((f) => f.exec_id));
}

function renderRisk(s) {
  setText("risk-mode", s.risk.mode.replace("_", " "));
  setText("risk-reason", s.risk.reason || "—");
  setText("risk-who", s.risk.who || "—");
  const v = s.verdict;
  setText("verdict", v.verdict || "not reconciled yet");
  setText("verdict-time", v.time ? dateTime(v.time) : "—");
  setText("verdict-diff", v.discrepancies);
  setText("count-rejects", s.counters.rejects);
  setText("count-refusals", s.counters.risk_refusals);
  $("verdict-reasons").replaceChildren(...v.reasons.map((r) => h("li", {}, r)));
}

function renderLog(log) {
  $("log").replaceChildren(...log.map((e) =>
    h("li", { class: e.level, "data-kind": e.kind },
      h("time", { title: dateTime(e.time) }, timeOf(e.time)), h("span", { class: "kind" }, e.kind), h("span", {}, e.text))));
}

// --- the live stream: server-sent events read with fetch (so the token goes in a header, never in the URL) ----

function streamStatus(live, text) {
  const node = $("stream");
  node.className = `stream ${live ? "live" : "down"}`;
  node.querySelector("span").textContent = text;
}

async function follow() {
  for (;;) {
    try {
      const response = await fetch("/api/stream", { headers: headers(), cache: "no-store" });
      if (response.status === 401) {
        streamStatus(false, "locked");
        openUnlock("Viewing this dashboard needs its token.");
        await new Promise((resolve) => (state.unlocked = resolve));
        continue;
      }
      if (!response.ok || !response.body) throw new Error(`HTTP ${response.status}`);
      streamStatus(true, "live");
      state.retry = 1000;
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = "";
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value;
        let end;
        while ((end = buffer.indexOf("\n\n")) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const data = block.split("\n").filter((l) => l.startsWith("data:")).map((l) => l.slice(5).trim()).join("\n");
          if (data) render(JSON.parse(data));
        }
      }
      throw new Error("stream ended");
    } catch (error) {
      streamStatus(false, "reconnecting");
      await new Promise((resolve) => setTimeout(resolve, state.retry));
      state.retry = Math.min(state.retry * 2, 8000);
    }
  }
}

// --- actions -------------------------------------------------------------------------------------------------

const CONFIRM = {
  halt: ["Halt trading?", "Every working order is cancelled and no new order leaves until you resume.", true],
  flatten: ["Flatten and halt?", "Every working order is cancelled, then every position is closed at market. Trading stays halted.", true],
  resume: ["Resume trading?", "The strategies may send orders again.", false],
  acknowledge: ["Acknowledge the reconciliation?", "You have looked at the differences: they are accepted and trading may go on.", false],
  cancel: ["Cancel this order?", "", false],
};

function confirmAction(action, orderRef) {
  const [title, text, withReason] = CONFIRM[action];
  $("confirm-title").textContent = title;
  $("confirm-text").textContent = orderRef ? `${orderRef}` : text;
  $("confirm-reason-row").hidden = !withReason;
  $("confirm-reason").value = "";
  $("confirm-operator").value = localStorage.getItem(OPERATOR_KEY) || "";
  const ok = $("confirm-ok");
  ok.textContent = action === "cancel" ? "Cancel order" : action[0].toUpperCase() + action.slice(1);
  ok.className = action === "halt" || action === "flatten" || action === "cancel" ? "danger" : "ok";
  ok.onclick = () => {
    $("confirm").close();
    run(action, orderRef, $("confirm-reason").value, $("confirm-operator").value);
  };
  $("confirm").showModal();
}

async function run(action, orderRef, reason, operator) {
  if (operator) localStorage.setItem(OPERATOR_KEY, operator);
  const url = action === "cancel" ? `/api/orders/${encodeURIComponent(orderRef)}/cancel` : `/api/actions/${action}`;
  try {
    const response = await fetch(url, { method: "POST", headers: headers(), body: JSON.stringify({ reason, operator }) });
    const body = await response.json().catch(() => ({}));
    if (response.ok) toast(body.message || `${action}: done`, "good");
    else {
      toast(`Refused: ${body.error || `HTTP ${response.status}`}`, "bad");
      if (response.status === 401) openUnlock("This action needs the dashboard token.");
    }
  } catch (error) {
    toast(`${action} failed: ${error.message}`, "bad");
  }
}

// --- the token -----------------------------------------------------------------------------------------------

function showLock() {
  const button = $("lock");
  button.textContent = state.token ? "Unlocked" : "Locked";
  button.className = state.token ? "ghost unlocked" : "ghost";
}

function openUnlock(message) {
  const error = $("unlock-error");
  error.hidden = !message;
  error.textContent = message || "";
  $("token-input").value = "";
  if (!$("unlock").open) $("unlock").showModal();
}

async function unlock() {
  const token = $("token-input").value.trim();
  const response = await fetch("/api/auth", { headers: { Authorization: `Bearer ${token}` } });
  if (response.status !== 204) {
    openUnlock("That is not this dashboard's token.");
    return;
  }
  state.token = token;
  localStorage.setItem(TOKEN_KEY, token);
  $("unlock").close();
  showLock();
  toast("Unlocked: actions are allowed from this browser.", "good");
  if (state.unlocked) { state.unlocked(); state.unlocked = null; }
}

function takeTokenFromUrl() {
  const match = location.hash.match(/token=([^&]+)/);
  if (!match) return;
  state.token = decodeURIComponent(match[1]);
  localStorage.setItem(TOKEN_KEY, state.token);
  history.replaceState(null, "", location.pathname);  // out of the address bar and the history
}

// --- start ---------------------------------------------------------------------------------------------------

document.addEventListener("DOMContentLoaded", () => {
  takeTokenFromUrl();
  showLock();
  for (const button of document.querySelectorAll("[data-action]")) {
    button.addEventListener("click", () => confirmAction(button.dataset.action));
  }
  for (const button of document.querySelectorAll("[data-close]")) {
    button.addEventListener("click", () => button.closest("dialog").close());
  }
  $("lock").addEventListener("click", () => {
    if (state.token) {
      state.token = "";
      localStorage.removeItem(TOKEN_KEY);
      showLock();
      toast("Locked: the token is forgotten by this browser.");
    } else openUnlock("");
  });
  $("unlock-ok").addEventListener("click", unlock);
  $("token-input").addEventListener("keydown", (e) => { if (e.key === "Enter") unlock(); });
  window.addEventListener("resize", () => state.snapshot && renderChart(state.snapshot));
  setInterval(() => state.snapshot && renderConnection(state.snapshot), 5000);
  follow();
});
