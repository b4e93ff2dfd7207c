// The timeline page: mood, closeness, trust and how much we talked, day by day, drawn as an
// inline SVG chart (no library, so it works offline and stays small); and how the
// companion itself feels, with its reasons.
//
// One shared x axis (a band per calendar day) and two panels: above, mood as a line
// (-1..+1, left axis; broken on days without messages, since no talk means no reading,
// not a neutral mood) over closeness as a shaded area and trust as a dotted line (both
// 0..100 %, right axis); below,
// messages per day as bars. The chart is redrawn at the container's real width so its
// text stays legible on a phone. A written summary in the <figcaption> labels the chart
// for screen readers and says in words what the lines show.

import { api, describe } from "./api.js";
import { $, h, plural, s } from "./dom.js";

const dayLabel = new Intl.DateTimeFormat(undefined, { month: "short", day: "numeric" });
const longDay = new Intl.DateTimeFormat(undefined, { weekday: "short", month: "short", day: "numeric" });
const fullDate = new Intl.DateTimeFormat(undefined, { dateStyle: "long" });

function localDate(iso) {
  const [year, month, day] = iso.split("-").map(Number);
  return new Date(year, month - 1, day);
}

function signed(value) {
  return `${value > 0 ? "+" : value < 0 ? "−" : ""}${Math.abs(value).toFixed(1)}`;
}

export class TimelineView {
  constructor() {
    this.status = $("#timeline-status");
    this.chartBox = $("#timeline-chart");
    this.facts = $("#relationship");
    this.days = $("#timeline-days");
    this.data = null;
    this.width = 0;
    this.days.addEventListener("change", () => this.load());
    $("#nudges-on").addEventListener("change", (event) => this.switchNudges(event.target.checked));
    $("#introduce-on").addEventListener("change", () => this.saveConsent());
    $("#introduce-fields").addEventListener("change", () => this.saveConsent());
    new ResizeObserver(() => {
      const width = this.chartBox.clientWidth;
      if (this.data && width && Math.abs(width - this.width) > 4) this.draw();
    }).observe(this.chartBox);
  }

  async load() {
    this.status.textContent = "Loading…";
    try {
      this.data = await api(`timeline?days=${encodeURIComponent(this.days.value)}`);
    } catch (error) {
      this.status.textContent = `Could not load the timeline. ${describe(error)}`;
      return;
    }
    this.status.textContent = "";
    this.showRelationship(this.data.relationship);
    this.draw();
    this.showOwnFeelings();
    this.showPeople();
    this.showIntroductions();
    this.showConversations();
  }

  /** Suggestions to get in touch with someone, each with why it was made, and the switch. */
  async showPeople() {
    const list = $("#people-nudges-list");
    let found;
    try {
      found = await api("people/suggestions");
    } catch (error) {
      list.replaceChildren(h("li", {}, `Could not load the suggestions. ${describe(error)}`));
      return;
    }
    $("#nudges-on").checked = found.nudges_on;
    const items = found.nudges.map((n) =>
      h(
        "li",
        {},
        h("strong", {}, longDay.format(new Date(n.at * 1000))),
        ` ${n.text}`,
        h("details", { class: "nudge-why" }, h("summary", {}, "Why"), h("ul", {}, ...n.why.map((w) => h("li", {}, w)))),
      ),
    );
    list.replaceChildren(...(items.length ? items : [h("li", { class: "muted" }, "No suggestions yet: they come when it seems you could use company.")]));
  }

  /** Consent to introductions, what others see, and the introductions themselves. */
  async showIntroductions() {
    let consent, found;
    try {
      [consent, found] = await Promise.all([api("people/introduce-me"), api("people/introductions")]);
    } catch (error) {
      $("#introductions-status").textContent = `Could not load introductions. ${describe(error)}`;
      return;
    }
    this.showConsent(consent);
    const items = found.introductions.map((x) => introductionItem(x, () => this.showIntroductions()));
    const empty = consent.on ? "No introductions yet." : "Turn on introductions to be proposed to others who did too.";
    $("#introductions-list").replaceChildren(...(items.length ? items : [h("li", { class: "muted" }, empty)]));
  }

  showConsent(consent) {
    $("#introduce-on").checked = consent.on;
    for (const box of $("#introduce-fields").querySelectorAll("input")) box.checked = consent.fields.includes(box.value);
    const card = Object.entries(consent.card).filter(([, v]) => v && (!Array.isArray(v) || v.length));
    $("#introduce-card").textContent = consent.on
      ? `Others see: ${card.map(([k, v]) => `${k.replace("_", " ")}: ${Array.isArray(v) ? v.join(", ") : v}`).join("; ") || "nothing yet"}.`
      : "";
  }

  async saveConsent() {
    const status = $("#introductions-status");
    const fields = [...$("#introduce-fields").querySelectorAll("input:checked")].map((box) => box.value);
    try {
      const consent = await api("people/introduce-me", { method: "PUT", body: { on: $("#introduce-on").checked, fields } });
      this.showConsent(consent);
      status.textContent = consent.on ? "You are open to introductions." : "You are not open to introductions.";
      this.showIntroductions();
    } catch (error) {
      status.textContent = `Could not change that. ${describe(error)}`;
    }
  }

  async switchNudges(on) {
    const status = $("#people-nudges-status");
    try {
      await api("people/nudges", { method: "PUT", body: { on } });
      status.textContent = on ? "Suggestions are on: at most one a week." : "Suggestions are off.";
    } catch (error) {
      $("#nudges-on").checked = !on;
      status.textContent = `Could not change that. ${describe(error)}`;
    }
  }

  /** Each of the latest conversations with what it felt like, below the days. */
  async showConversations() {
    let found;
    try {
      found = (await api("mood/conversations?limit=10")).conversations;
    } catch {
      return; // the days above still stand; this list is a detail
    }
    const felt = found.filter((c) => c.feelings.length);
    const items = felt.map((c) => h("li", {}, h("strong", {}, longDay.format(new Date(c.started_at * 1000)) + (c.title ? ` · ${c.title}` : "")), ` ${feltText(c)}`));
    $("#timeline-conversations").replaceChildren(
      ...(felt.length ? [h("h2", { id: "timeline-conversations-title" }, "What each conversation felt like"), h("ul", { class: "felt-days" }, ...items)] : []),
    );
  }

  /** The companion's own feelings, each with its reason, and what such feelings are. */
  async showOwnFeelings() {
    const list = $("#own-feelings-list");
    const note = $("#own-feelings-note");
    let found;
    try {
      found = await api("feelings");
    } catch (error) {
      list.replaceChildren(h("li", {}, `Could not load how I feel. ${describe(error)}`));
      return;
    }
    const said = found.feelings.map((f) => h("li", {}, h("strong", {}, f.name), ` — ${f.reason} `, h("span", { class: "muted" }, `(${Math.round(f.intensity * 100)} %)`)));
    list.replaceChildren(...(said.length ? said : [h("li", {}, "Nothing in particular right now: calm.")]));
    note.textContent = found.what_they_are;
  }

  showRelationship(rel) {
    const pairs = [
      ["First met", rel.first_met ? fullDate.format(new Date(rel.first_met * 1000)) : "Not yet"],
      ["Days known", String(rel.days_known)],
      ["Conversations", String(rel.conversations)],
      ["Messages", String(rel.messages)],
      ["Closeness", `${Math.round(rel.closeness * 100)} %`],
      ["Trust", `${Math.round(rel.trust * 100)} %`],
      ["Things I know about you", String(rel.known)],
    ];
    this.facts.replaceChildren(...pairs.map(([term, value]) => h("div", {}, h("dt", {}, term), h("dd", {}, value))));
  }

  draw() {
    this.width = this.chartBox.clientWidth || 640;
    const caption = h("figcaption", { id: "timeline-summary" }, summary(this.data.days));
    const figure = h(
      "figure",
      { class: "chart" },
      chart(this.data.days, this.width),
      legend(),
      caption,
    );
    this.chartBox.replaceChildren(figure, feltDays(this.data.days));
  }
}

/** One introduction: who and why, Accept / Decline, and once open the thread and a box. */
function introductionItem(x, refresh) {
  const status = h("p", { class: "muted", role: "status" });
  const say = async (path, body) => {
    try {
      await api(`people/introductions/${x.id}/${path}`, { method: "POST", body });
      refresh();
    } catch (error) {
      status.textContent = describe(error);
    }
  };
  const parts = [h("strong", {}, x.label), ` — ${x.reasons.join("; ")}`];
  if (x.opened) {
    parts.push(introductionThread(x, say));
  } else if (x.answer) {
    parts.push(h("span", { class: "muted" }, x.answer === "yes" ? " (you said yes; waiting)" : " (you said no)"));
  } else {
    const accept = h("button", { type: "button" }, "Accept");
    const decline = h("button", { type: "button", class: "quiet" }, "Decline");
    accept.addEventListener("click", () => say("answer", { yes: true }));
    decline.addEventListener("click", () => say("answer", { yes: false }));
    parts.push(h("div", { class: "intro-actions" }, accept, decline));
  }
  return h("li", { "data-introduction": String(x.id) }, ...parts, status);
}

function introductionThread(x, say) {
  const who = { companion: "os1", me: "You", them: x.label };
  const box = h("input", { type: "text", maxlength: "4000", "aria-label": `Write to ${x.label}` });
  const send = h("button", { type: "submit" }, "Send to them");
  const form = h("form", { class: "intro-actions" }, box, send);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    if (box.value.trim()) say("lines", { text: box.value });
  });
  return h("div", {}, h("ul", { class: "intro-thread" }, ...x.lines.map((line) => h("li", {}, h("strong", {}, `${who[line.sender]}: `), line.text))), form);
}

/** A day's feelings and the words behind them: "sadness 60 %, remorse 20 % — miss, lonely". */
function feltText(day) {
  const feelings = (day.feelings || []).map((f) => `${f.label} ${Math.round(f.share * 100)} %`).join(", ");
  const words = (day.words || []).join(", ");
  if (!feelings) return day.mood_label || "";
  return words ? `${feelings} — ${words}` : feelings;
}

/** What each talked day felt like, newest first, with the words that drove it. */
function feltDays(days) {
  const talked = days.filter((day) => day.messages > 0 && (day.feelings || []).length).reverse().slice(0, 14);
  if (!talked.length) return h("p", { id: "timeline-felt", class: "muted" }, "No feelings to show yet: they appear here once we talk.");
  return h(
    "section",
    { id: "timeline-felt", "aria-labelledby": "timeline-felt-title" },
    h("h2", { id: "timeline-felt-title" }, "What each day felt like"),
    h("ul", { class: "felt-days" }, ...talked.map((day) => h("li", {}, h("strong", {}, longDay.format(localDate(day.date))), ` ${feltText(day)}`))),
  );
}

function legend() {
  const item = (cls, text) => h("li", {}, h("span", { class: `swatch ${cls}`, "aria-hidden": "true" }), text);
  return h(
    "ul",
    { class: "legend" },
    item("mood", "Mood (−1 low … +1 good)"),
    item("closeness", "Closeness (0–100 %)"),
    item("trust", "Trust (0–100 %)"),
    item("messages", "Messages per day"),
  );
}

/** The chart's story in words: for the caption, and so for screen readers too. */
export function summary(days) {
  const talked = days.filter((day) => day.messages > 0);
  const span = plural(days.length, "day");
  if (talked.length === 0) return `No messages in the last ${span}, so there is no mood to show yet.`;
  const total = talked.reduce((sum, day) => sum + day.messages, 0);
  const parts = [`In the last ${span} we talked on ${plural(talked.length, "day")} (${plural(total, "message")}).`];
  const moods = talked.filter((day) => day.mood !== null && day.mood !== undefined);
  if (moods.length) {
    const mean = moods.reduce((sum, day) => sum + day.mood, 0) / moods.length;
    const best = moods.reduce((a, b) => (b.mood > a.mood ? b : a));
    const low = moods.reduce((a, b) => (b.mood < a.mood ? b : a));
    const tone = mean > 0.2 ? "mostly good" : mean < -0.2 ? "mostly low" : "about even";
    parts.push(`Your mood was ${tone} (average ${signed(mean)} on a scale from −1 to +1).`);
    if (moods.length > 1) {
      parts.push(`Best day ${longDay.format(localDate(best.date))} (${signed(best.mood)}), lowest ${longDay.format(localDate(low.date))} (${signed(low.mood)}).`);
    }
  }
  const first = days[0].closeness;
  const last = days[days.length - 1].closeness;
  const trend = last - first > 0.02 ? "grew" : first - last > 0.02 ? "eased" : "held steady";
  parts.push(`Closeness ${trend}, from ${Math.round(first * 100)} % to ${Math.round(last * 100)} %.`);
  parts.push(`Trust is at ${Math.round((days[days.length - 1].trust || 0) * 100)} %.`);
  return parts.join(" ");
}

function chart(days, width) {
  const m = { left: 46, right: 50, top: 34 };
  const upperH = 170;
  const gap = 40;
  const lowerH = 64;
  const axisH = 28;
  const height = m.top + upperH + gap + lowerH + axisH;
  const plotW = Math.max(40, width - m.left - m.right);
  const band = plotW / days.length;
  const x = (i) => m.left + band * (i + 0.5);
  const upperTop = m.top;
  const upperBottom = m.top + upperH;
  const moodY = (v) => upperTop + ((1 - v) / 2) * upperH;
  const closeY = (v) => upperBottom - v * upperH;
  const lowerTop = upperBottom + gap;
  const lowerBottom = lowerTop + lowerH;
  const maxMessages = Math.max(1, ...days.map((day) => day.messages));
  const barY = (n) => lowerBottom - (n / maxMessages) * lowerH;

  const svg = s("svg", {
    viewBox: `0 0 ${width} ${height}`,
    width,
    height,
    role: "img",
    "aria-labelledby": "timeline-summary",
    class: "timeline-svg",
  });

  // grid and axes of the upper panel: mood on the left, closeness on the right
  const ticks = [[1, "+1", "100 %"], [0, "0", "50 %"], [-1, "−1", "0 %"]];
  for (const [v, moodText, closeText] of ticks) {
    const y = moodY(v);
    svg.append(
      s("line", { x1: m.left, x2: m.left + plotW, y1: y, y2: y, class: v === 0 ? "grid zero" : "grid" }),
      s("text", { x: m.left - 8, y: y + 4, class: "tick", "text-anchor": "end" }, moodText),
      s("text", { x: m.left + plotW + 8, y: y + 4, class: "tick", "text-anchor": "start" }, closeText),
    );
  }
  svg.append(
    s("text", { x: 8, y: 14, class: "axis-title", "text-anchor": "start" }, "mood"),
    s("text", { x: width - 8, y: 14, class: "axis-title", "text-anchor": "end" }, "closeness, trust"),
    s("text", { x: 8, y: lowerTop - 8, class: "axis-title", "text-anchor": "start" }, "messages"),
  );

  // closeness: an area under a line, defined every day
  const closePoints = days.map((day, i) => `${x(i).toFixed(1)},${closeY(day.closeness).toFixed(1)}`);
  svg.append(
    s("path", { d: `M${x(0).toFixed(1)},${upperBottom} L${closePoints.join(" L")} L${x(days.length - 1).toFixed(1)},${upperBottom} Z`, class: "closeness-area" }),
    s("path", { d: `M${closePoints.join(" L")}`, class: "closeness-line" }),
  );
  // trust: a dotted line on the same 0..100 % scale
  const trustPoints = days.map((day, i) => `${x(i).toFixed(1)},${closeY(day.trust || 0).toFixed(1)}`);
  svg.append(s("path", { d: `M${trustPoints.join(" L")}`, class: "trust-line" }));

  // mood: one path per run of days with a reading; dots mark every reading
  const runs = [];
  let run = [];
  days.forEach((day, i) => {
    if (day.mood === null || day.mood === undefined) {
      if (run.length) runs.push(run);
      run = [];
    } else {
      run.push(`${x(i).toFixed(1)},${moodY(day.mood).toFixed(1)}`);
    }
  });
  if (run.length) runs.push(run);
  for (const points of runs) {
    if (points.length > 1) svg.append(s("path", { d: `M${points.join(" L")}`, class: "mood-line" }));
  }
  days.forEach((day, i) => {
    if (day.mood !== null && day.mood !== undefined) {
      svg.append(s("circle", { cx: x(i), cy: moodY(day.mood), r: 3.5, class: "mood-dot" }));
    }
  });

  // lower panel: messages per day
  svg.append(
    s("line", { x1: m.left, x2: m.left + plotW, y1: lowerBottom, y2: lowerBottom, class: "grid" }),
    s("text", { x: m.left - 8, y: lowerTop + 4, class: "tick", "text-anchor": "end" }, String(maxMessages)),
    s("text", { x: m.left - 8, y: lowerBottom + 4, class: "tick", "text-anchor": "end" }, "0"),
  );
  const barW = Math.max(1, band * 0.7);
  days.forEach((day, i) => {
    if (day.messages > 0) {
      svg.append(s("rect", { x: x(i) - barW / 2, y: barY(day.messages), width: barW, height: lowerBottom - barY(day.messages), rx: Math.min(2, barW / 3), class: "bar" }));
    }
  });

  // x axis: dates spaced so labels never collide; the newest day is always labelled
  const step = Math.max(1, Math.ceil(58 / band));
  days.forEach((day, i) => {
    if ((days.length - 1 - i) % step === 0) {
      svg.append(s("text", { x: x(i), y: lowerBottom + 18, class: "tick", "text-anchor": "middle" }, dayLabel.format(localDate(day.date))));
    }
  });

  // hover targets: each day's numbers as a tooltip
  days.forEach((day, i) => {
    const felt = feltText(day);
    const mood = day.mood === null || day.mood === undefined ? "no reading" : `${signed(day.mood)}${felt ? ` (${felt})` : ""}`;
    const text = `${longDay.format(localDate(day.date))}: ${plural(day.messages, "message")}, mood ${mood}, closeness ${Math.round(day.closeness * 100)} %, trust ${Math.round((day.trust || 0) * 100)} %, ${plural(day.known || 0, "thing")} I knew about you`;
    svg.append(s("rect", { x: m.left + band * i, y: upperTop, width: band, height: lowerBottom - upperTop, class: "hover" }, s("title", {}, text)));
  });
  return svg;
}
