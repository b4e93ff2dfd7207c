// Dictating into a form field: click to start, click again to stop. The browser records
// with MediaRecorder (WebM/Opus in Chromium and Firefox), the server hears it with
// Whisper (POST api/dictation) and the words are added to the field, where they can be
// corrected before anything is sent. Nothing said is kept.

import { dictate, describe } from "./api.js";
import { micProblem } from "./voice.js";

export class Dictation {
  /**
   * @param {HTMLButtonElement} button  toggles recording; its label says what a click does
   * @param {HTMLTextAreaElement} field  where the words go
   * @param {HTMLElement} status  a live region for what is happening
   */
  constructor(button, field, status) {
    this.button = button;
    this.field = field;
    this.status = status;
    this.recorder = null;
    this.label = button.textContent;
    button.addEventListener("click", () => (this.recorder ? this.stop() : this.start()));
  }

  async start() {
    if (!navigator.mediaDevices?.getUserMedia || typeof MediaRecorder === "undefined") {
      this.status.textContent = "This browser cannot record here. Type instead.";
      return;
    }
    let stream;
    try {
      stream = await navigator.mediaDevices.getUserMedia({ audio: { channelCount: 1, echoCancellation: true, noiseSuppression: true } });
    } catch (error) {
      this.status.textContent = micProblem(error);
      return;
    }
    const chunks = [];
    // a low bit rate keeps minutes of speech under the server's request cap (1 MB)
    const recorder = new MediaRecorder(stream, { audioBitsPerSecond: 24000 });
    recorder.addEventListener("dataavailable", (event) => {
      if (event.data.size) chunks.push(event.data);
    });
    recorder.addEventListener("stop", () => {
      for (const track of stream.getTracks()) track.stop();
      this.hear(new Blob(chunks, { type: recorder.mimeType || "audio/webm" }));
    });
    recorder.start();
    this.recorder = recorder;
    this.button.setAttribute("aria-pressed", "true");
    this.button.textContent = "Stop dictating";
    this.status.textContent = "Listening… click Stop dictating when you have said it.";
  }

  stop() {
    const recorder = this.recorder;
    this.recorder = null;
    this.button.setAttribute("aria-pressed", "false");
    this.button.textContent = this.label;
    if (recorder && recorder.state !== "inactive") recorder.stop();
  }

  async hear(recording) {
    this.button.disabled = true;
    this.status.textContent = "Writing down what you said…";
    try {
      const heard = await dictate(recording);
      const before = this.field.value.trimEnd();
      this.field.value = before ? `${before} ${heard.text}` : heard.text;
      this.status.textContent = "Done. Correct anything I misheard, then write it.";
      this.field.focus();
    } catch (error) {
      this.status.textContent = `I could not hear that. ${describe(error)}`;
    } finally {
      this.button.disabled = false;
    }
  }
}
