// The Personas page: a writer rebuilt from their own words. Bring their writing (an
// author's books, or the letters of someone who agreed, with that consent written
// down), pick a persona, and talk with it: every reply shows the passages it stands on,
// the writer's exact words. Building and talking are model turns (seconds to a minute
// or two), so a bar shows meanwhile.

import { api, describe, uploadFile } from "./api.js";
import { $, h, plural } from "./dom.js";

export class PersonasView {
  constructor() {
    this.form = $("#persona-build");
    this.building = $("#persona-building");
    this.buildStatus = $("#persona-build-status");
    this.kind = $("#persona-kind");
    this.consent = $("#persona-consent");
    this.pick = $("#persona-pick");
    this.card = $("#persona-card");
    this.talk = $("#persona-talk");
    this.log = $("#persona-log");
    this.message = $("#persona-message");
    this.thinking = $("#persona-thinking");
    this.error = $("#persona-error");
    this.status = $("#persona-status");
    this.form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.build();
    });
    this.kind.addEventListener("change", () => {
      this.consent.required = this.kind.value === "person";
    });
    this.pick.addEventListener("change", () => this.show(this.pick.value));
    this.talk.addEventListener("submit", (event) => {
      event.preventDefault();
      this.send();
    });
    this.talks = new TalksPart();
  }

  async load(chosen = this.pick.value) {
    let found;
    try {
      found = await api("personas");
    } catch (error) {
      this.status.textContent = `Could not load your personas. ${describe(error)}`;
      return;
    }
    const names = found.personas.map((p) => p.name);
    this.pick.replaceChildren(
      ...found.personas.map((p) => h("option", { value: p.name }, `${p.name} — ${p.writer}`)),
    );
    this.status.textContent = names.length
      ? `${plural(names.length, "persona")}.`
      : "No personas yet. Build one above from someone's writing.";
    this.pick.disabled = !names.length;
    this.talks.parties(found.personas);
    this.talks.list();
    const name = names.includes(chosen) ? chosen : names[0];
    if (name) {
      this.pick.value = name;
      await this.show(name);
    } else {
      this.card.hidden = this.talk.hidden = true;
    }
  }

  async build() {
    const name = $("#persona-name").value.trim().toLowerCase();
    const files = [...$("#persona-files").files];
    const consent = this.consent.value.trim();
    this.buildStatus.textContent = "";
    if (!name || !files.length) {
      this.buildStatus.textContent = "Give the persona a name and choose their writing.";
      return;
    }
    if (this.kind.value === "person" && !consent) {
      this.buildStatus.textContent =
        "A private person's persona needs their consent: who may use it, for what, until when.";
      return;
    }
    this.building.hidden = false;
    try {
      const paths = [];
      for (const file of files) {
        this.buildStatus.textContent = `Bringing ${file.name}…`;
        paths.push((await uploadFile(file)).path);
      }
      this.buildStatus.textContent = "Reading the writing and working out their style and views…";
      const body = { name, paths, kind: this.kind.value, consent: consent || null };
      const card = await api("personas", { method: "POST", body });
      const left = card.skipped.filter((s) => s.book === null).map((s) => s.message);
      this.buildStatus.textContent =
        `Built ${card.name} (version ${card.version}).` + (left.length ? ` Left out: ${left.join(" ")}` : "");
      this.form.reset();
      await this.load(card.name);
    } catch (error) {
      this.buildStatus.textContent = describe(error);
    } finally {
      this.building.hidden = true;
    }
  }

  async show(name) {
    let card;
    let said;
    try {
      [card, said] = await Promise.all([
        api(`personas/${encodeURIComponent(name)}`),
        api(`personas/${encodeURIComponent(name)}/messages?limit=20`),
      ]);
    } catch (error) {
      this.status.textContent = describe(error);
      return;
    }
    const statements = (title, list) =>
      list.length
        ? [h("h3", {}, title), h("ul", {}, ...list.map((s) => h("li", {}, s.text,
            h("span", { class: "muted small" }, ` — ${s.citations[0]?.title || ""}`))))]
        : [];
    this.card.replaceChildren(
      h("h2", {}, `${card.writer}`),
      h("p", { class: "persona-me" }, card.self_description),
      h("p", { class: "muted small" },
        `${card.kind}, version ${card.version} of ${card.versions}; consent: ${card.consent || "none recorded (an author's published writing)"}`),
      h("p", { class: "muted small" }, `From ${card.sources.map((b) => b.title).join(", ")}.`),
      ...statements("Views", card.positions),
      ...statements("Facts", card.facts),
      h("button", { type: "button", class: "quiet", onclick: () => this.forget(card.name) }, "Forget this persona"),
    );
    this.card.hidden = false;
    this.talk.hidden = false;
    this.log.replaceChildren(...said.messages.map((m) => this.said(m.role, m.content, m.citations.map(
      (c, n) => ({ number: n + 1, title: c.title, text: c.text, chapter: "" })))));
  }

  said(role, text, sources = []) {
    const who = role === "user" ? "You" : this.pick.selectedOptions[0]?.textContent.split(" — ")[1] || "Persona";
    return h(
      "li",
      { class: `card persona-${role}` },
      h("strong", {}, who),
      h("p", {}, text),
      ...sources.map((s) =>
        h("figure", {}, h("blockquote", {}, s.text),
          h("figcaption", { class: "muted small" }, `[${s.number}] ${s.title}${s.chapter ? `, ${s.chapter}` : ""}`))),
    );
  }

  async send() {
    const text = this.message.value.trim();
    this.error.textContent = "";
    if (!text) {
      this.error.textContent = "Say something first.";
      return;
    }
    const name = this.pick.value;
    this.log.append(this.said("user", text));
    this.message.value = "";
    this.thinking.hidden = false;
    try {
      const reply = await api(`personas/${encodeURIComponent(name)}/messages`, { method: "POST", body: { text } });
      this.log.append(this.said("persona", reply.reply, reply.sources));
    } catch (error) {
      this.error.textContent = describe(error);
    } finally {
      this.thinking.hidden = true;
    }
  }

  async forget(name) {
    if (!window.confirm(`Forget ${name} and everything derived from it?`)) return;
    try {
      await api(`personas/${encodeURIComponent(name)}`, { method: "DELETE" });
    } catch (error) {
      this.status.textContent = describe(error);
      return;
    }
    this.log.replaceChildren();
    await this.load();
  }
}

// "Let two talk": the person's companion and a persona, or two personas, talk in turn
// (`os1 converse`); the whole talk comes back at once, each persona line with the
// passages it stands on, and earlier talks can be read again.
class TalksPart {
  constructor() {
    this.form = $("#talk-start");
    this.first = $("#talk-first");
    this.second = $("#talk-second");
    this.running = $("#talk-running");
    this.error = $("#talk-error");
    this.log = $("#talk-log");
    this.earlier = $("#talk-list");
    this.form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.start();
    });
  }

  parties(personas) {
    const options = () => [
      h("option", { value: "companion" }, "Your companion"),
      ...personas.map((p) => h("option", { value: `persona:${p.name}` }, `${p.writer} (${p.name})`)),
    ];
    const [first, second] = [this.first.value, this.second.value];
    this.first.replaceChildren(...options());
    this.second.replaceChildren(...options());
    const values = ["companion", ...personas.map((p) => `persona:${p.name}`)];
    this.first.value = values.includes(first) ? first : "companion";
    const other = values.find((v) => v !== this.first.value) || "companion";
    this.second.value = values.includes(second) && second !== this.first.value ? second : other;
  }

  async start() {
    this.error.textContent = "";
    const body = {
      first: this.first.value,
      second: this.second.value,
      topic: $("#talk-topic").value.trim(),
      turns: Number($("#talk-lines").value) || 6,
    };
    if (body.first === body.second) {
      this.error.textContent = "Choose two different voices.";
      return;
    }
    this.running.hidden = false;
    this.log.replaceChildren();
    try {
      this.show(await api("talks", { method: "POST", body }));
      await this.list();
    } catch (error) {
      this.error.textContent = describe(error);
    } finally {
      this.running.hidden = true;
    }
  }

  show(talk) {
    this.log.replaceChildren(...talk.lines.map((line) => h(
      "li",
      { class: `card ${line.speaker.startsWith("persona:") ? "persona-persona" : "persona-user"}` },
      h("strong", {}, line.name),
      h("p", {}, line.text),
      ...line.citations.map((c) =>
        h("figure", {}, h("blockquote", {}, c.text), h("figcaption", { class: "muted small" }, c.title))),
    )));
  }

  async list() {
    let found;
    try {
      found = await api("talks?limit=20");
    } catch (error) {
      this.earlier.replaceChildren(h("li", { class: "muted" }, describe(error)));
      return;
    }
    this.earlier.replaceChildren(...found.talks.map((talk) => {
      const names = [...new Set(talk.lines.map((line) => line.name))].join(" and ") || `${talk.first} and ${talk.second}`;
      const when = new Date(talk.started_at * 1000).toLocaleString();
      return h("li", {}, h("button", { type: "button", class: "quiet", onclick: () => this.show(talk) },
        `${names}${talk.topic ? `, on ${talk.topic}` : ""}`),
        h("span", { class: "muted small" }, ` ${when}, ${plural(talk.lines.length, "line")}`));
    }));
    if (!found.talks.length) this.earlier.replaceChildren(h("li", { class: "muted small" }, "None yet."));
  }
}
