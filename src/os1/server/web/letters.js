// The letters page: say who a letter is for and what it should carry, read the draft
// with the memories it rests on, revise it in plain words, see it on paper in a hand,
// download the PDF or mail it. Every version stays; the list shows each letter's newest.
//
// What it should carry can be typed or dictated (the words land in the field, to be
// corrected before writing). Writing and revising are model turns (tens of seconds on a
// laptop), so the form shows a bar while the model writes and keeps the person's words
// if it fails. The pages are the server's own pictures (page-N.png), fetched with the
// session cookie. Mailing a letter is the mail skill's proposal, confirmed here. The
// person's own hands, learned from a scan (handwriting.js), are offered beside the others.

import { api, apiUrl, describe } from "./api.js";
import { Dictation } from "./dictation.js";
import { $, h, plural, timeEl } from "./dom.js";
import { OwnHands } from "./handwriting.js";

const CHANGES = ["warmer", "shorter", "less formal", "more formal"];

function handLabel(name) {
  return name.replace(/-/g, " ").replace(/\b\w/g, (c) => c.toUpperCase());
}

function handOption(known, chosen) {
  const label = known.own ? `${handLabel(known.name)} (your own)` : handLabel(known.name);
  const option = h("option", { value: known.name }, label);
  if (known.name === chosen) option.selected = true;
  return option;
}

export class LettersView {
  constructor() {
    this.form = $("#letter-new");
    this.to = $("#letter-to");
    this.who = $("#letter-who");
    this.about = $("#letter-about");
    this.busy = $("#letter-busy");
    this.error = $("#letter-error");
    this.list = $("#letter-list");
    this.status = $("#letters-status");
    this.open = $("#letter-open");
    this.hands = null;
    this.versions = new Map(); // letter id -> how many versions it has
    this.shown = null; // {letter, hand, seed}
    this.form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.compose();
    });
    this.dictation = new Dictation($("#letter-dictate"), this.about, $("#letter-dictate-status"));
    this.own = new OwnHands(async () => {
      await this.loadHands();
      const chosen = $("#letter-hand");
      if (chosen && this.shown) {
        const gone = !this.hands.hands.some((known) => known.name === this.shown.hand);
        if (gone) this.shown.hand = this.hands.default;
        chosen.replaceChildren(...this.hands.hands.map((known) => handOption(known, this.shown.hand)));
        if (gone) this.drawPages();
      }
    });
  }

  async load() {
    if (!this.hands) await this.loadHands();
    this.status.textContent = "Loading…";
    let found;
    try {
      found = await api("letters");
    } catch (error) {
      this.status.textContent = `Could not load your letters. ${describe(error)}`;
      return;
    }
    this.versions = new Map(found.letters.map((letter) => [letter.id, letter.versions]));
    this.list.replaceChildren(...found.letters.map((letter) => this.listItem(letter)));
    this.status.textContent = found.letters.length
      ? `${plural(found.letters.length, "letter")}, newest first.`
      : "No letters yet. Write your first one above.";
  }

  async loadHands() {
    try {
      this.hands = await api("letters/hands");
    } catch {
      this.hands = { default: "caveat", hands: [{ name: "caveat", characters: 0 }] };
    }
    this.own.show(this.hands);
  }

  listItem(letter) {
    const label = `To ${letter.to}`;
    return h(
      "li",
      { class: "letter-item card", "data-letter": letter.id },
      h("button", { type: "button", class: "link letter-link", onclick: () => this.show(letter.id) }, label),
      h(
        "p",
        { class: "muted small" },
        timeEl(letter.created_at),
        ` · ${plural(letter.versions, "version")} · `,
        letter.about,
      ),
    );
  }

  // ---- writing and revising ----

  working(on, words) {
    this.busy.hidden = !on;
    $("#letter-busy-text").textContent = words || "";
    for (const control of this.form.querySelectorAll("button, input, textarea")) control.disabled = on;
    this.open.setAttribute("aria-busy", on ? "true" : "false");
  }

  async compose() {
    this.error.textContent = "";
    if (this.dictation.recorder) {
      this.error.textContent = "Stop dictating first, so that what you said is in.";
      return;
    }
    const to = this.to.value.trim();
    const about = this.about.value.trim();
    if (!to) {
      this.error.textContent = "Say who the letter is for, e.g. “Grandma”.";
      this.to.focus();
      return;
    }
    if (!about) {
      this.error.textContent = "Say what the letter should carry, e.g. “thank her for the summers at the lake”.";
      this.about.focus();
      return;
    }
    const body = { to, about };
    const who = this.who.value.trim();
    if (who) body.who = who;
    this.working(true, `Writing to ${to} in your voice… this can take a minute.`);
    let letter;
    try {
      letter = await api("letters", { method: "POST", body });
    } catch (error) {
      this.working(false);
      this.error.textContent = describe(error);
      // os1 asks rather than guess who someone is
      if (error.code === "letter_recipient_unknown") this.who.focus();
      return;
    }
    this.working(false);
    this.form.reset();
    await this.load();
    this.render(letter);
  }

  async revise(letter, change, error) {
    const wanted = change.trim();
    if (!wanted) {
      error.textContent = "Say how to change it, e.g. “warmer” or “mention the lake house”.";
      return;
    }
    this.working(true, `Revising: ${wanted}…`);
    for (const control of this.open.querySelectorAll("button, input, select")) control.disabled = true;
    let next;
    try {
      next = await api(`letters/${letter.id}/revise`, { method: "POST", body: { change: wanted } });
    } catch (problem) {
      this.working(false);
      for (const control of this.open.querySelectorAll("button, input, select")) control.disabled = false;
      error.textContent = describe(problem);
      return;
    }
    this.working(false);
    await this.load();
    this.render(next);
  }

  // ---- one letter ----

  async show(id, version = 0) {
    try {
      this.render(await api(`letters/${id}${version ? `?version=${version}` : ""}`));
    } catch (error) {
      this.status.textContent = `Could not open that letter. ${describe(error)}`;
    }
  }

  render(letter) {
    const versions = Math.max(this.versions.get(letter.id) || 0, letter.version);
    const previous = this.shown && this.shown.letter.id === letter.id ? this.shown : null;
    this.shown = { letter, hand: previous ? previous.hand : this.hands?.default || "caveat", seed: previous ? previous.seed : 0 };
    const heading = h("h2", { id: "letter-open-title", tabindex: "-1" }, `To ${letter.to}`);
    const pick = h("select", { id: "letter-version", "aria-label": "Version" });
    for (let n = versions; n >= 1; n -= 1) {
      const option = h("option", { value: n }, n === versions ? `Version ${n} (newest)` : `Version ${n}`);
      if (n === letter.version) option.selected = true;
      pick.append(option);
    }
    pick.addEventListener("change", () => this.show(letter.id, Number(pick.value)));
    const parts = [
      h("div", { class: "page-head" }, heading, h("div", { class: "field inline" }, pick)),
      letter.change ? h("p", { class: "muted small" }, `Changed: “${letter.change}”`) : null,
      h("div", { class: "letter-text" }, letter.text),
      this.citedEl(letter),
      this.unsupportedEl(letter),
      this.reviseEl(letter),
      this.paperEl(letter),
      this.mailEl(letter),
    ];
    this.open.replaceChildren(...parts.filter(Boolean));
    this.open.hidden = false;
    heading.focus();
    this.drawPages();
  }

  citedEl(letter) {
    if (!letter.cited.length) {
      return h("p", { class: "muted small" }, "It draws on none of your memories.");
    }
    return h(
      "details",
      { class: "sources", open: true },
      h("summary", {}, `It draws on ${plural(letter.cited.length, "memory", "memories")}`),
      h(
        "ul",
        { class: "letter-cited" },
        letter.cited.map((source) => h("li", {}, h("q", {}, source.text), " ", h("span", { class: "muted small" }, source.day))),
      ),
    );
  }

  unsupportedEl(letter) {
    if (!letter.unsupported.length) return null;
    return h(
      "div",
      { class: "letter-flags", role: "note" },
      h("p", { class: "warn" }, "No memory of mine backs these lines; check them before you send it:"),
      h("ul", {}, letter.unsupported.map((line) => h("li", {}, h("q", {}, line)))),
    );
  }

  reviseEl(letter) {
    const field = h("input", { id: "letter-change", maxlength: 2000, placeholder: "e.g. warmer, or mention the lake house", autocomplete: "off" });
    const error = h("p", { class: "form-error", role: "alert" });
    const form = h(
      "form",
      { class: "letter-revise" },
      h("label", { for: "letter-change" }, "Change it"),
      h("div", { class: "search" }, field, h("button", { type: "submit" }, "Revise")),
      h(
        "div",
        { class: "chips" },
        CHANGES.map((change) => h("button", { type: "button", class: "chip", onclick: () => this.revise(letter, change, error) }, change)),
      ),
      error,
    );
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.revise(letter, field.value, error);
    });
    return form;
  }

  paperEl(letter) {
    const hand = h("select", { id: "letter-hand" });
    for (const known of this.hands?.hands || []) hand.append(handOption(known, this.shown.hand));
    hand.addEventListener("change", () => {
      this.shown.hand = hand.value;
      this.drawPages();
    });
    const again = h("button", { type: "button", onclick: () => { this.shown.seed += 1; this.drawPages(); } }, "Write it out again");
    const download = h("a", { id: "letter-download", class: "button primary", download: true }, "Download PDF");
    return h(
      "section",
      { class: "letter-paper", "aria-labelledby": "letter-paper-title" },
      h("h3", { id: "letter-paper-title" }, "On paper"),
      h(
        "div",
        { class: "letter-tools" },
        h("div", { class: "field inline" }, h("label", { for: "letter-hand" }, "Hand"), hand),
        again,
        download,
      ),
      h("p", { id: "letter-paper-status", class: "status-line", role: "status" }),
      h("div", { id: "letter-pages", class: "letter-pages" }),
    );
  }

  // Mailing it: the server shows the exact mail with the PDF attached, and nothing goes
  // out until Confirm (the mail skill's send proposal, answered over REST).
  mailEl(letter) {
    const to = h("input", { id: "letter-mail-to", type: "text", maxlength: 2000, autocomplete: "email", placeholder: "rose@example.org" });
    const subject = h("input", { id: "letter-mail-subject", maxlength: 500, value: "A letter for you" });
    const words = h("textarea", { id: "letter-mail-body", rows: 2, maxlength: 20000 });
    words.value = "I wrote you a letter; it is attached.";
    const status = h("p", { class: "form-error", role: "alert" });
    const shown = h("div", { class: "letter-mail-proposal", "aria-live": "polite" });
    const form = h(
      "form",
      { class: "stack" },
      h("div", { class: "field" }, h("label", { for: "letter-mail-to" }, "Send to"), to),
      h("div", { class: "field" }, h("label", { for: "letter-mail-subject" }, "Subject"), subject),
      h("div", { class: "field" }, h("label", { for: "letter-mail-body" }, "Message"), words),
      h("div", {}, h("button", { type: "submit" }, "Show me the mail")),
      status,
    );
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      status.textContent = "";
      if (!to.value.trim()) {
        status.textContent = "Say whom to send it to: an address, or the name of someone you have mailed.";
        to.focus();
        return;
      }
      if (!words.value.trim()) {
        status.textContent = "Write a few words to go with the letter.";
        words.focus();
        return;
      }
      const body = { to: to.value.trim(), subject: subject.value, body: words.value, hand: this.shown.hand };
      try {
        const made = await api(`letters/${letter.id}/send`, { method: "POST", body });
        shown.replaceChildren(...this.proposalEls(made, shown));
        $("button.primary", shown)?.focus();
      } catch (error) {
        status.textContent = describe(error);
      }
    });
    return h("details", { class: "letter-mail" }, h("summary", {}, "Send it by mail"), form, shown);
  }

  proposalEls(made, box) {
    const result = h("p", { class: "card-status", role: "status" });
    const answer = async (how) => {
      for (const button of box.querySelectorAll("button")) button.disabled = true;
      try {
        const settled = await api(`actions/${made.proposal_id}/${how}`, { method: "POST" });
        result.textContent = settled.status === "declined" ? "Not sent." : settled.message;
        result.classList.toggle("warn", settled.status === "failed");
      } catch (error) {
        result.textContent = describe(error);
        result.classList.add("warn");
      }
    };
    return [
      h("p", { class: "card-title" }, made.title),
      h("pre", { class: "preview" }, made.preview),
      h(
        "div",
        { class: "card-actions" },
        h("button", { type: "button", class: "primary", onclick: () => answer("confirm") }, "Send it"),
        h("button", { type: "button", onclick: () => answer("decline") }, "Don't send"),
      ),
      result,
    ];
  }

  query() {
    const { letter, hand, seed } = this.shown;
    return new URLSearchParams({ hand, seed, version: letter.version }).toString();
  }

  async drawPages() {
    const { letter } = this.shown;
    const status = $("#letter-paper-status");
    const pages = $("#letter-pages");
    const query = this.query();
    $("#letter-download").href = apiUrl(`letters/${letter.id}/letter.pdf?${query}`);
    status.textContent = "Writing it out by hand…";
    let sheets;
    try {
      sheets = await api(`letters/${letter.id}/sheets?${query}`);
    } catch (error) {
      status.textContent = `Could not put it on paper. ${describe(error)}`;
      pages.replaceChildren();
      return;
    }
    if (this.query() !== query) return; // another hand or seed was chosen meanwhile
    const hand = handLabel(sheets.hand);
    const images = [];
    for (let n = 1; n <= sheets.pages; n += 1) {
      images.push(
        h("img", {
          class: "letter-page",
          src: apiUrl(`letters/${letter.id}/page-${n}.png?${query}`),
          alt: `Page ${n} of ${sheets.pages}, the letter to ${letter.to} in ${hand}`,
          width: 1240,
          height: 1754,
          loading: "lazy",
        }),
      );
    }
    pages.replaceChildren(...images);
    const borrowed = Object.entries(sheets.borrowed);
    const lent = borrowed.length
      ? ` ${hand} has no ${borrowed.map(([c, other]) => `“${c}” (drawn in ${handLabel(other)})`).join(", ")}.`
      : "";
    status.textContent = `${plural(sheets.pages, "page")} in ${hand}.${lent}`;
  }
}
