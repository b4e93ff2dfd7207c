// The memory page: what the companion remembers, where each memory came from, and the
// person's power to correct it or make it forget (design rule 2: memory is evidence).
// Forgetting asks once more in place, since it cannot be taken back.

import { api, describe } from "./api.js";
import { $, h, plural, timeEl } from "./dom.js";

const KIND_LABEL = { fact: "Fact", episode: "Moment" };
const SPEAKER = { user: "you", assistant: "me" };
const SOURCE = { note: "a note you asked me to keep", chat: "our chat" };

export class MemoryView {
  constructor() {
    this.list = $("#memory-list");
    this.status = $("#memory-status");
    this.query = $("#memory-q");
    this.lastQuery = null;
    $("#memory-search").addEventListener("submit", (event) => {
      event.preventDefault();
      this.load();
    });
    this.answer = $("#memory-answer");
    $("#memory-ask").addEventListener("click", () => this.ask());
    this.query.addEventListener("search", () => {
      // the clear (×) button of a search field: show everything again
      if (!this.query.value) this.load();
    });
  }

  async load() {
    const q = this.query.value.trim();
    this.lastQuery = q;
    this.answer.hidden = true;
    this.answer.replaceChildren(); // a new search: the old answer and its memories go
    this.status.textContent = "Loading…";
    this.list.setAttribute("aria-busy", "true");
    const path = q ? `memories?q=${encodeURIComponent(q)}&k=50` : "memories?k=100";
    let found;
    try {
      found = await api(path);
    } catch (error) {
      this.status.textContent = `Could not load memories. ${describe(error)}`;
      this.list.removeAttribute("aria-busy");
      return;
    }
    if (this.lastQuery !== q) return; // a newer search has started
    this.list.replaceChildren(...found.items.map((item) => this.itemEl(item)));
    this.list.removeAttribute("aria-busy");
    this.count();
  }

  // An answer from memory by the local model, with the memories it rests on; the list
  // below shows everything it read. "I don't know." is an answer too.
  async ask() {
    const question = this.query.value.trim();
    if (!question) {
      this.status.textContent = "Type a question first, e.g. “Where does my sister live?”";
      this.query.focus();
      return;
    }
    this.lastQuery = question;
    this.answer.hidden = false;
    this.answer.setAttribute("aria-busy", "true");
    this.answer.replaceChildren(h("p", { class: "muted" }, "Thinking…"));
    let found;
    try {
      found = await api("memories/ask", { method: "POST", body: { question } });
    } catch (error) {
      this.answer.replaceChildren(h("p", { class: "form-error", role: "alert" }, `Could not answer. ${describe(error)}`));
      this.answer.removeAttribute("aria-busy");
      return;
    }
    if (this.lastQuery !== question) return; // a newer search or question has started
    const parts = [h("p", { class: "answer-text" }, found.answer)];
    if (found.cited.length) {
      parts.push(h("p", { class: "muted small" }, `From ${plural(found.cited.length, "memory", "memories")}:`));
      parts.push(h("ul", { class: "memory-list cited" }, found.cited.map((item) => this.itemEl(item))));
    } else {
      parts.push(h("p", { class: "muted small" }, "Nothing I remember answers that."));
    }
    this.answer.replaceChildren(...parts);
    this.answer.removeAttribute("aria-busy");
    this.list.replaceChildren(...found.hits.map((item) => this.itemEl(item)));
    this.status.textContent = found.hits.length ? `I read ${plural(found.hits.length, "memory", "memories")} to answer:` : "";
  }

  count() {
    const n = this.list.children.length;
    const q = this.lastQuery;
    if (n === 0) {
      this.status.textContent = q
        ? `Nothing remembered matches “${q}”.`
        : "Nothing remembered yet. Tell me about yourself in the chat, or type /remember followed by something.";
    } else {
      const found = plural(n, "memory", "memories");
      this.status.textContent = q ? `${found} ${n === 1 ? "matches" : "match"} “${q}”.` : `${found}, newest first.`;
    }
  }

  itemEl(memory) {
    const li = h("li", { class: "memory card", "data-ref": memory.ref });
    this.fillItem(li, memory);
    return li;
  }

  fillItem(li, memory) {
    const details = [
      h("span", { class: `kind ${memory.kind}` }, KIND_LABEL[memory.kind] || memory.kind),
      timeEl(memory.time),
    ];
    if (memory.confidence !== null && memory.confidence !== undefined) {
      details.push(h("span", { class: "muted" }, `${Math.round(memory.confidence * 100)}% sure`));
    }
    if (memory.speaker) {
      details.push(h("span", { class: "muted" }, `said by ${SPEAKER[memory.speaker] || memory.speaker}`));
    }
    li.replaceChildren(
      h("div", { class: "memory-head" }, ...details),
      h("p", { class: "memory-text" }, memory.text),
      this.sourcesEl(memory),
      h(
        "div",
        { class: "memory-actions" },
        h("button", { type: "button", onclick: () => this.edit(li, memory) }, "Edit"),
        h("button", { type: "button", class: "danger-quiet", onclick: () => this.askForget(li, memory) }, "Forget"),
      ),
    );
  }

  sourcesEl(memory) {
    const sources = memory.sources || [];
    if (sources.length === 0) {
      const source = SOURCE[memory.source] || memory.source || "unknown";
      return h("p", { class: "muted small" }, `Source: ${source}`);
    }
    return h(
      "details",
      { class: "sources" },
      h("summary", {}, `Learned from ${plural(sources.length, "message")}`),
      h(
        "ul",
        {},
        sources.map((source) =>
          h("li", {}, h("q", {}, source.text), " ", h("span", { class: "muted small" }, timeEl(source.time), ` · ${source.source}`)),
        ),
      ),
    );
  }

  edit(li, memory) {
    const fieldId = `edit-${memory.ref.replace(":", "-")}`;
    const box = h("textarea", { id: fieldId, rows: 3, maxlength: 4000, required: true });
    box.value = memory.text;
    const error = h("p", { class: "form-error", role: "alert" });
    const form = h(
      "form",
      { class: "stack edit" },
      h("label", { for: fieldId }, "Correct this memory"),
      box,
      error,
      h(
        "div",
        { class: "memory-actions" },
        h("button", { type: "submit", class: "primary" }, "Save"),
        h("button", { type: "button", onclick: () => this.restore(li, memory) }, "Cancel"),
      ),
    );
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const text = box.value.trim();
      if (!text) {
        error.textContent = "A memory needs some words. To remove it, use Forget instead.";
        return;
      }
      try {
        const updated = await api(`memories/${memory.ref}`, { method: "PATCH", body: { text } });
        this.restore(li, updated);
        this.status.textContent = "Memory corrected.";
      } catch (problem) {
        error.textContent = describe(problem);
      }
    });
    form.addEventListener("keydown", (event) => {
      if (event.key === "Escape") this.restore(li, memory);
    });
    const actions = $(".memory-actions", li);
    $(".memory-text", li).replaceWith(form);
    actions.remove();
    box.focus();
  }

  restore(li, memory) {
    this.fillItem(li, memory);
    $("button", $(".memory-actions", li))?.focus();
  }

  askForget(li, memory) {
    const actions = $(".memory-actions", li);
    const keep = h("button", { type: "button", onclick: () => this.restore(li, memory) }, "Keep it");
    const forget = h("button", { type: "button", class: "danger", onclick: () => this.forget(li, memory, actions) }, "Yes, forget it");
    actions.replaceChildren(h("span", { class: "confirm-text" }, "Forget this for good? It cannot be undone."), forget, keep);
    keep.focus();
  }

  async forget(li, memory, actions) {
    for (const button of actions.querySelectorAll("button")) button.disabled = true;
    try {
      await api(`memories/${memory.ref}`, { method: "DELETE" });
    } catch (error) {
      actions.replaceChildren(h("span", { class: "form-error", role: "alert" }, `Could not forget it. ${describe(error)}`));
      actions.append(h("button", { type: "button", onclick: () => this.restore(li, memory) }, "Back"));
      return;
    }
    const next = li.nextElementSibling || li.previousElementSibling;
    li.remove();
    // gone everywhere on the page: an answer may still show it among its memories
    for (const shown of document.querySelectorAll(`li.memory[data-ref="${CSS.escape(memory.ref)}"]`)) {
      shown.remove();
    }
    this.count();
    this.status.textContent = `Forgotten: “${memory.text}”. ${this.status.textContent}`;
    (next ? $("button", next) : this.query).focus();
  }
}
