// The music page: say a moment (typed or dictated), and the companion composes a piece
// that is a photograph of it; each piece shows its moment, why it sounds as it does, a
// player (Ogg, fetched with the session cookie), the score and the files to download.
// Composing is a model turn plus rendering (seconds to tens of seconds), so the form
// shows a bar meanwhile and keeps the person's words if it fails.

import { api, apiUrl, describe } from "./api.js";
import { Dictation } from "./dictation.js";
import { $, h, plural, timeEl } from "./dom.js";

const DOWNLOADS = [
  ["piece.pdf", "Score (PDF)"],
  ["piece.mid", "MIDI"],
  ["piece.musicxml", "MusicXML"],
  ["piece.wav", "WAV"],
];

export class MusicView {
  constructor() {
    this.form = $("#music-new");
    this.about = $("#music-about");
    this.busy = $("#music-busy");
    this.error = $("#music-error");
    this.list = $("#music-list");
    this.status = $("#music-status");
    this.form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.compose();
    });
    this.dictation = new Dictation($("#music-dictate"), this.about, $("#music-dictate-status"));
  }

  async load() {
    this.status.textContent = "Loading…";
    let found;
    try {
      found = await api("music");
    } catch (error) {
      this.status.textContent = `Could not load your music. ${describe(error)}`;
      return;
    }
    this.list.replaceChildren(...found.pieces.map((piece) => this.card(piece)));
    this.status.textContent = found.pieces.length
      ? `${plural(found.pieces.length, "piece")}, newest first.`
      : "No music yet. Tell me about a moment above.";
  }

  card(piece) {
    const file = (name) => apiUrl(`music/${piece.id}/${name}`);
    const player = h("audio", { controls: "", preload: "none", src: file("piece.ogg") });
    player.setAttribute("aria-label", `Listen to the piece about ${piece.about}`);
    const forget = h("button", { type: "button", class: "quiet", onclick: () => this.forget(piece) }, "Forget");
    return h(
      "li",
      { class: "music-item card", "data-piece": piece.id },
      h("h3", {}, piece.about),
      h(
        "p",
        { class: "muted small" },
        timeEl(piece.created_at),
        ` · ${piece.key}, ${piece.tempo} beats a minute, ${piece.meter}, ${piece.form} · ${piece.instrument}`,
      ),
      player,
      h("p", { class: "music-why" }, piece.why),
      h(
        "p",
        { class: "music-files small" },
        ...DOWNLOADS.flatMap(([name, label]) => [h("a", { href: file(name), download: name }, label), " "]),
        forget,
      ),
    );
  }

  working(on, words) {
    this.busy.hidden = !on;
    $("#music-busy-text").textContent = words || "";
    for (const control of this.form.querySelectorAll("button, textarea")) control.disabled = on;
  }

  async compose() {
    this.error.textContent = "";
    if (this.dictation.recorder) {
      this.error.textContent = "Stop dictating first, so that what you said is in.";
      return;
    }
    const about = this.about.value.trim();
    if (!about) {
      this.error.textContent = "Tell me the moment, e.g. “this morning at the beach with Lena”.";
      this.about.focus();
      return;
    }
    this.working(true, "Listening to the moment and composing… this can take half a minute.");
    let piece;
    try {
      piece = await api("music", { method: "POST", body: { about } });
    } catch (error) {
      this.working(false);
      this.error.textContent = describe(error);
      return;
    }
    this.working(false);
    this.about.value = "";
    await this.load();
    const made = this.list.querySelector(`[data-piece="${piece.id}"] h3`);
    if (made) made.focus?.();
  }

  async forget(piece) {
    if (!window.confirm(`Forget the piece about “${piece.about}”?`)) return;
    try {
      await api(`music/${piece.id}`, { method: "DELETE" });
    } catch (error) {
      this.status.textContent = `Could not forget it. ${describe(error)}`;
      return;
    }
    await this.load();
  }
}
