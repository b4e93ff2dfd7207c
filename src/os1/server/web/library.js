// The library page: bring books (they are kept among the person's files and read in),
// search them by their words, ask the local model about them (its quotes are the
// books' own words), read any passage in its place, and take a book out. Asking is a
// model turn (seconds), so a bar shows meanwhile; adding shows one while the files go.

import { addBook, api, describe } from "./api.js";
import { $, h, plural } from "./dom.js";

const AROUND = 1500; // characters shown on each side of a passage read in its place

export class LibraryView {
  constructor() {
    this.addForm = $("#library-add");
    this.files = $("#library-files");
    this.progress = $("#library-progress");
    this.addStatus = $("#library-add-status");
    this.query = $("#library-query");
    this.error = $("#library-error");
    this.asking = $("#library-asking");
    this.answer = $("#library-answer");
    this.hits = $("#library-hits");
    this.reader = $("#library-reader");
    this.books = $("#library-books");
    this.status = $("#library-status");
    this.addForm.addEventListener("submit", (event) => {
      event.preventDefault();
      this.add();
    });
    $("#library-search").addEventListener("submit", (event) => {
      event.preventDefault();
      this.search();
    });
    $("#library-ask").addEventListener("click", () => this.ask());
    $("#library-reader-close").addEventListener("click", () => {
      this.reader.hidden = true;
    });
  }

  async load() {
    this.status.textContent = "Loading…";
    let found;
    try {
      found = await api("library");
    } catch (error) {
      this.status.textContent = `Could not load your library. ${describe(error)}`;
      return;
    }
    this.books.replaceChildren(...found.books.map((book) => this.bookItem(book)));
    this.status.textContent = found.books.length
      ? `${plural(found.books.length, "book")}, by title.`
      : "Your library is empty. Add books above.";
  }

  bookItem(book) {
    const by = book.author ? ` by ${book.author}` : "";
    return h(
      "li",
      { class: "card" },
      h("strong", {}, book.title),
      by,
      h("span", { class: "muted small" }, ` · ${plural(book.words, "word")}`),
      " ",
      h("button", { type: "button", class: "quiet", onclick: () => this.remove(book) }, "Remove"),
    );
  }

  async add() {
    const chosen = [...this.files.files];
    if (!chosen.length) {
      this.addStatus.textContent = "Choose one or more files first.";
      return;
    }
    this.progress.hidden = false;
    this.progress.max = chosen.length;
    this.progress.value = 0;
    const added = [];
    const skipped = [];
    for (const file of chosen) {
      this.addStatus.textContent = `Reading ${file.name}…`;
      try {
        const report = await addBook(file);
        added.push(...report.added.map((a) => a.title));
        skipped.push(...report.skipped.map((s) => s.message));
      } catch (error) {
        skipped.push(`${file.name}: ${describe(error)}`);
      }
      this.progress.value += 1;
    }
    this.progress.hidden = true;
    this.files.value = "";
    const lines = [];
    if (added.length) lines.push(`Added ${added.join(", ")}.`);
    if (skipped.length) lines.push(`Left out: ${skipped.join(" ")}`);
    this.addStatus.textContent = lines.join(" ");
    await this.load();
  }

  async search() {
    const query = this.query.value.trim();
    this.error.textContent = "";
    this.answer.hidden = true;
    if (!query) {
      this.error.textContent = "Say what to look for.";
      return;
    }
    let found;
    try {
      found = await api(`library/search?q=${encodeURIComponent(query)}&k=10`);
    } catch (error) {
      this.error.textContent = describe(error);
      return;
    }
    this.hits.replaceChildren(...found.hits.map((hit) => this.hitItem(hit)));
    if (!found.hits.length) this.error.textContent = "Nothing in your books says that.";
  }

  hitItem(hit) {
    return h(
      "li",
      { class: "card" },
      h("strong", {}, hit.title),
      hit.chapter ? h("span", { class: "muted" }, ` · ${hit.chapter}`) : null,
      hit.by === "meaning" ? h("span", { class: "muted small" }, " · near in meaning") : null,
      h("blockquote", {}, hit.text),
      h("button", { type: "button", onclick: () => this.read(hit) }, "Read in its place"),
    );
  }

  async ask() {
    const question = this.query.value.trim();
    this.error.textContent = "";
    if (!question) {
      this.error.textContent = "Ask a question about your books.";
      return;
    }
    this.asking.hidden = false;
    let answer;
    try {
      answer = await api("library/ask", { method: "POST", body: { question } });
    } catch (error) {
      this.error.textContent = describe(error);
      return;
    } finally {
      this.asking.hidden = true;
    }
    const quotes = answer.quotes.map((quote) =>
      h(
        "figure",
        {},
        h("blockquote", {}, quote.text),
        h("figcaption", { class: "muted small" }, `${quote.title}${quote.chapter ? `, ${quote.chapter}` : ""}`),
      ),
    );
    this.answer.replaceChildren(h("p", { class: "library-answer-text" }, answer.answer), ...quotes);
    this.answer.hidden = false;
  }

  async read(hit) {
    const start = Math.max(0, hit.start - AROUND);
    let around;
    try {
      around = await api(`library/${hit.book}/text?start=${start}&end=${hit.end + AROUND}`);
    } catch (error) {
      this.error.textContent = describe(error);
      return;
    }
    const at = hit.start - around.start;
    const until = at + (hit.end - hit.start);
    const text = $("#library-reader-text");
    text.replaceChildren(
      around.start > 0 ? "… " : "",
      around.text.slice(0, at),
      h("mark", {}, around.text.slice(at, until)),
      around.text.slice(until),
    );
    $("#library-reader-title").textContent = hit.title + (hit.chapter ? ` · ${hit.chapter}` : "");
    this.reader.hidden = false;
    text.querySelector("mark").scrollIntoView({ block: "center" });
  }

  async remove(book) {
    try {
      await api(`library/${book.id}`, { method: "DELETE" });
    } catch (error) {
      this.status.textContent = describe(error);
      return;
    }
    this.hits.replaceChildren();
    await this.load();
  }
}
