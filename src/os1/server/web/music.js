// The music page: say a moment (typed or dictated), and the companion composes a piece
// that is a photograph of it; each piece shows its moment, why it sounds as it does, a
// player (Ogg, fetched with the session cookie), the score and the files to download.
// Composing is a model turn plus rendering (seconds to tens of seconds), so the form
// shows a bar meanwhile and keeps the person's words if it fails. A song written together
// shows its words with the chords over them, the ukulele diagrams, a player for the guide
// track and a box to change it in plain words ("in G", "slower").

import { api, apiUrl, describe } from "./api.js";
import { Dictation } from "./dictation.js";
import { $, h, plural, timeEl } from "./dom.js";

const SONG_DOWNLOADS = [
  ["lead.pdf", "Lead sheet (PDF)"],
  ["chords.svg", "Ukulele chords"],
  ["song.mid", "MIDI"],
  ["song.wav", "WAV"],
  ["song.txt", "Words and chords"],
];

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
    this.songs = $("#songs-list");
    this.songsStatus = $("#songs-status");
    $("#music-song").addEventListener("click", () => this.compose("song"));
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
    await this.loadSongs();
  }

  async loadSongs() {
    let found;
    try {
      found = await api("songs");
    } catch (error) {
      this.songsStatus.textContent = `Could not load your songs. ${describe(error)}`;
      return;
    }
    this.songs.replaceChildren(...found.songs.map((song) => this.songCard(song)));
    this.songsStatus.textContent = found.songs.length
      ? `${plural(found.songs.length, "song")}, newest first.`
      : "No songs yet. Tell me a moment above and choose “Write a song”.";
  }

  songCard(song) {
    const file = (name) => apiUrl(`songs/${song.id}/${name}`);
    const words = h("pre", { class: "song-words" }, this.plainWords(song));
    fetch(file("song.txt"), { credentials: "same-origin" })
      .then((response) => (response.ok ? response.text() : null))
      .then((text) => {
        if (text) words.textContent = text.split("\n").slice(3).join("\n"); // the card has the title and key
      })
      .catch(() => {});
    const player = h("audio", { controls: "", preload: "none", src: file("song.ogg") });
    player.setAttribute("aria-label", `Listen to ${song.title}`);
    const change = h("input", {
      type: "text",
      maxlength: "200",
      placeholder: "in G · slower · make the chorus happier",
      "aria-label": `How to change ${song.title}`,
    });
    const problem = h("p", { class: "form-error", role: "alert" });
    const revise = h(
      "form",
      { class: "song-revise" },
      change,
      h("button", { type: "submit" }, "Change it"),
    );
    revise.addEventListener("submit", (event) => {
      event.preventDefault();
      this.revise(song, change, problem);
    });
    const forget = h("button", { type: "button", class: "quiet", onclick: () => this.forgetSong(song) }, "Forget");
    const from = song.revised_from ? ` · changed from song ${song.revised_from}` : "";
    return h(
      "li",
      { class: "music-item card", "data-song": song.id },
      h("h3", { tabindex: "-1" }, song.title),
      h(
        "p",
        { class: "muted small" },
        timeEl(song.created_at),
        ` · about “${song.about}” · ${song.key}, ${song.tempo} beats a minute${from}`,
      ),
      player,
      words,
      h("img", { class: "song-chords", src: file("chords.svg"), alt: `Ukulele chord diagrams for ${song.title}` }),
      revise,
      problem,
      h("details", {}, h("summary", {}, "Why it is as it is"), h("p", { class: "music-why" }, song.why)),
      h(
        "p",
        { class: "music-files small" },
        ...SONG_DOWNLOADS.flatMap(([name, label]) => [h("a", { href: file(name), download: name }, label), " "]),
        forget,
      ),
    );
  }

  plainWords(song) {
    return Object.entries(song.lyrics)
      .map(([label, lines]) => `[${label}]\n${lines.join("\n")}`)
      .join("\n\n");
  }

  async revise(song, input, problem) {
    const change = input.value.trim();
    problem.textContent = "";
    if (!change) {
      problem.textContent = "Say how to change it, e.g. “in G”, “slower”, “make the chorus happier”.";
      input.focus();
      return;
    }
    this.working(true, "Changing the song…");
    let made;
    try {
      made = await api(`songs/${song.id}/revisions`, { method: "POST", body: { change } });
    } catch (error) {
      this.working(false);
      problem.textContent = describe(error);
      return;
    }
    this.working(false);
    await this.loadSongs();
    this.songs.querySelector(`[data-song="${made.id}"] h3`)?.focus?.();
  }

  async forgetSong(song) {
    if (!window.confirm(`Forget the song “${song.title}”?`)) return;
    try {
      await api(`songs/${song.id}`, { method: "DELETE" });
    } catch (error) {
      this.songsStatus.textContent = `Could not forget it. ${describe(error)}`;
      return;
    }
    await this.loadSongs();
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

  async compose(kind = "piece") {
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
    const song = kind === "song";
    this.working(
      true,
      song
        ? "Writing the words with you and setting them to music… this can take a minute."
        : "Listening to the moment and composing… this can take half a minute.",
    );
    let made;
    try {
      made = await api(song ? "songs" : "music", { method: "POST", body: { about } });
    } catch (error) {
      this.working(false);
      this.error.textContent = describe(error);
      return;
    }
    this.working(false);
    this.about.value = "";
    await this.load();
    const where = song ? `#songs-list [data-song="${made.id}"] h3` : `[data-piece="${made.id}"] h3`;
    document.querySelector(where)?.focus?.();
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
