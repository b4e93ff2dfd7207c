// "Your own handwriting" on the letters page: download the sheet, send back a scan or a
// photo of it filled in, and see (or remove) the hands learned from it.
//
// A phone photo is often 5-10 MB; the server takes requests up to about 1 MB, and reads
// a page at 2400 pixels on its long side anyway. So the picture is made that size here,
// as a JPEG, before it is sent: less to upload, and no "too large" for an ordinary photo.

import { api, describe, learnHand } from "./api.js";
import { $, h } from "./dom.js";

const LONG_SIDE = 2400;
const MOST_BYTES = 950_000;

async function shrink(file) {
  let bitmap;
  try {
    bitmap = await createImageBitmap(file);
  } catch {
    return file; // a picture the browser cannot open: the server says what is wrong
  }
  const scale = Math.min(1, LONG_SIDE / Math.max(bitmap.width, bitmap.height));
  const canvas = document.createElement("canvas");
  canvas.width = Math.round(bitmap.width * scale);
  canvas.height = Math.round(bitmap.height * scale);
  canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
  bitmap.close();
  for (const quality of [0.9, 0.8, 0.65, 0.5]) {
    const blob = await new Promise((done) => canvas.toBlob(done, "image/jpeg", quality));
    if (blob && blob.size <= MOST_BYTES) return blob;
  }
  return file;
}

export class OwnHands {
  /** `changed()` is called after a hand is learned or removed (the hand lists refresh). */
  constructor(changed) {
    this.changed = changed;
    this.form = $("#hand-learn");
    this.scan = $("#hand-scan");
    this.name = $("#hand-name");
    this.status = $("#hand-status");
    this.list = $("#hand-list");
    this.form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.learn();
    });
  }

  show(hands) {
    const own = (hands?.hands || []).filter((hand) => hand.own);
    this.list.replaceChildren(
      ...own.map((hand) =>
        h(
          "li",
          { class: "hand-item" },
          h("span", {}, `${hand.name}: ${hand.characters} characters`),
          h("button", { type: "button", class: "link", onclick: () => this.remove(hand.name) }, "Remove"),
        ),
      ),
    );
  }

  async learn() {
    const file = this.scan.files[0];
    const name = this.name.value.trim().toLowerCase() || "mine";
    if (!file) {
      this.status.textContent = "Choose the scan or photo of the filled-in sheet first.";
      this.scan.focus();
      return;
    }
    const button = $("#hand-learn-button");
    button.disabled = true;
    this.status.textContent = "Reading your handwriting…";
    try {
      const learned = await learnHand(name, await shrink(file));
      const blank = learned.empty.length ? ` Left blank (another hand writes these): ${[...new Set(learned.empty)].join(" ")}.` : "";
      const notes = learned.notes.length ? ` ${learned.notes.join(" ")}` : "";
      this.status.textContent =
        `${learned.replaced ? "Relearned" : "Learned"} your hand “${learned.name}”: ${learned.characters} characters.` +
        `${notes}${blank} Choose it under Hand when you open a letter.`;
      this.scan.value = "";
      await this.changed();
    } catch (error) {
      this.status.textContent = describe(error);
    } finally {
      button.disabled = false;
    }
  }

  async remove(name) {
    try {
      await api(`letters/hands/${encodeURIComponent(name)}`, { method: "DELETE" });
      this.status.textContent = `Your hand “${name}” is gone.`;
      await this.changed();
    } catch (error) {
      this.status.textContent = describe(error);
    }
  }
}
