// The chat view: history, the streamed reply, Stop, queue position, proposal cards.
//
// The server's turn events are rendered as they come: the companion's bubble is created
// on the first text_delta and grows with each one, and turn_finished replaces its text
// with the saved reply (the source of truth). A "say" sent while the server is still
// busy with something we did not start (a greeting, a confirmed action) is re-sent a
// moment later instead of failing, so typing right after opening the page just works.
// A spoken turn (voice.js) shows what the server heard as the person's own bubble.

import { api, describe, uploadFile } from "./api.js";
import { $, clockTime, h, ordinal } from "./dom.js";
import { ChatSocket } from "./socket.js";
import { proposalCard, settleCard, unlockCard } from "./proposals.js";
import { VoiceControl } from "./voice.js";

const RETRY_BUSY_MS = 700;
const RETRY_BUSY_MAX = 40;

export class ChatView {
  /**
   * @param {object} hooks
   * @param {(hello: object) => void} hooks.onHello  the socket said who we are
   * @param {() => void} hooks.onTurnDone  a reply finished (the header may refresh)
   * @param {(reason: string) => void} hooks.onRefused  the socket refused us
   */
  constructor(hooks) {
    this.hooks = hooks;
    this.log = $("#log");
    this.input = $("#message");
    this.sendButton = $("#send");
    this.stopButton = $("#stop");
    this.typing = $("#typing");
    this.typingText = $("#typing-text");
    this.connection = $("#connection");
    this.companion = "os1";
    this.busy = false;
    this.bubble = null;
    this.pending = null; // {text, tries}: a say waiting for the server to be free
    this.cards = new Map();
    this.deciding = null; // the proposal whose confirm/decline was just sent
    this.loaded = false;
    this.socket = new ChatSocket({
      onEvent: (event) => this.onEvent(event),
      onStatus: (status) => this.showConnection(status),
      onRefused: (reason) => hooks.onRefused(reason),
      onBinary: (data) => this.voice.onAudio(data),
    });
    this.voice = new VoiceControl(this);
    this.wire();
  }

  wire() {
    $("#composer").addEventListener("submit", (event) => {
      event.preventDefault();
      this.sendText();
    });
    this.input.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        this.sendText();
      } else if (event.key === "Escape" && this.busy) {
        this.stop();
      }
    });
    this.input.addEventListener("input", () => this.fitInput());
    this.stopButton.addEventListener("click", () => this.stop());
    const picker = $("#attach-file");
    $("#attach").addEventListener("click", () => picker.click());
    picker.addEventListener("change", () => {
      const [file] = picker.files;
      picker.value = "";
      if (file) this.attach(file);
    });
  }

  // A file the person brings: uploaded to their own folder, then named in the message
  // box so they only have to say what to do with it ("/proofread ~/letter.txt").
  async attach(file) {
    const status = $("#attach-status");
    status.textContent = `Bringing ${file.name}…`;
    try {
      const stored = await uploadFile(file);
      status.textContent = `${stored.name} is here as ${stored.path}; say what to do with it.`;
      const before = this.input.value.trimEnd();
      this.input.value = `${before}${before ? " " : ""}${stored.path}`;
      this.fitInput();
      this.input.focus();
    } catch (error) {
      status.textContent = `Could not bring ${file.name}: ${describe(error)}`;
    }
  }

  start() {
    this.log.replaceChildren();
    this.cards.clear();
    this.loaded = false;
    this.setBusy(false);
    this.socket.connect();
  }

  stopAll() {
    this.voice.shutdown();
    this.socket.close();
    this.setBusy(false);
  }

  focus() {
    this.input.focus();
  }

  fitInput() {
    this.input.style.height = "auto";
    this.input.style.height = `${Math.min(this.input.scrollHeight, 200)}px`;
  }

  // ---- sending ----

  sendText() {
    const text = this.input.value.trim();
    if (!text || this.busy) return;
    if (!this.socket.send({ type: "say", text })) {
      this.note("notice", "Not connected right now; your message is still in the box. It will send once we reconnect.");
      return;
    }
    this.input.value = "";
    this.fitInput();
    this.append(this.messageEl("user", text, Date.now() / 1000, false));
    this.scrollDown(true);
    this.pending = { text, tries: 0 };
    this.setBusy(true, "");
  }

  stop() {
    if (!this.busy) return;
    this.socket.send({ type: "stop" });
    this.typingText.textContent = "Stopping…";
  }

  /** Send a choice on a proposal; a string return says why it could not be sent. */
  decide(id, confirm) {
    if (this.busy) return "Wait for the reply to finish, then choose.";
    if (!this.socket.send({ type: confirm ? "confirm" : "decline", proposal_id: id })) {
      return "Not connected; choose again once we reconnect.";
    }
    this.deciding = id;
    return "";
  }

  setBusy(busy, status = "") {
    this.busy = busy;
    this.sendButton.hidden = busy;
    this.stopButton.hidden = !busy;
    this.typing.hidden = !busy;
    this.typingText.textContent = status || `${this.companion} is thinking…`;
    if (!busy) this.bubble = null;
  }

  // ---- receiving ----

  onEvent(event) {
    this.voice.onEvent(event);
    const handler = {
      hello: () => this.onHello(event),
      turn_started: () => {
        this.cardTurn = false;
      },
      transcript: () => this.onHeard(event.text),
      text_delta: () => this.onDelta(event.text),
      turn_finished: () => this.onFinished(event),
      queued: () => {
        this.typingText.textContent = `You're ${ordinal(event.position)} in line… ${this.companion} will answer soon.`;
      },
      notice: () => this.note("notice", event.message),
      error: () => this.onError(event),
      proposal: () => this.addCard(event),
      action: () => this.onAction(event),
    }[event.type];
    if (handler) handler();
  }

  async onHello(hello) {
    this.companion = hello.companion || this.companion;
    this.hooks.onHello(hello);
    if (!this.loaded) {
      this.loaded = true;
      await this.loadHistory();
    }
  }

  async loadHistory() {
    let items;
    try {
      items = await api("history?limit=50");
    } catch (error) {
      this.note("error", `Could not load our conversation. ${describe(error)}`);
      return;
    }
    const fresh = document.createDocumentFragment();
    for (const item of items) {
      if (item.role !== "user" && item.role !== "assistant") continue;
      fresh.append(this.messageEl(item.role, item.text, item.created_at, item.status === "interrupted"));
    }
    this.log.prepend(fresh);
    this.scrollDown(true);
    // A first visit: let the companion introduce itself (a no-op once it has).
    if (items.length === 0) this.socket.send({ type: "greet" });
  }

  /** Something said aloud, as the server heard it: the person's side of a spoken turn. */
  onHeard(text) {
    this.append(this.messageEl("user", text, Date.now() / 1000, false));
    this.scrollDown(true);
    this.setBusy(true);
  }

  onDelta(text) {
    this.pending = null;
    // a proposal's card already says what its text says (the text is for text-only doors)
    if (this.cardTurn) return;
    if (!this.busy) this.setBusy(true);
    this.typing.hidden = true;
    if (!this.bubble) {
      this.bubble = this.messageEl("assistant", "", Date.now() / 1000, false);
      this.bubble.classList.add("streaming");
      this.append(this.bubble);
    }
    $(".text", this.bubble).append(text);
    this.scrollDown();
  }

  onFinished(event) {
    this.pending = null;
    const bubble = this.bubble;
    if (bubble) {
      bubble.classList.remove("streaming");
      if (event.text) $(".text", bubble).textContent = event.text;
      if (event.interrupted) this.markStopped(bubble);
    } else if (event.text && !this.cardTurn) {
      const fresh = this.messageEl("assistant", event.text, Date.now() / 1000, event.interrupted);
      this.append(fresh);
    }
    this.setBusy(false);
    this.hooks.onTurnDone();
  }

  onError(event) {
    if (event.code === "turn_in_progress" && this.pending && this.pending.tries < RETRY_BUSY_MAX) {
      // the server is still finishing something else (a greeting, an action): try again
      const pending = this.pending;
      pending.tries += 1;
      setTimeout(() => {
        if (this.pending === pending) this.socket.send({ type: "say", text: pending.text });
      }, RETRY_BUSY_MS);
      return;
    }
    if (this.deciding !== null && this.cards.has(this.deciding) && !this.pending) {
      // the server would not run the choice just made on a card: say so on the card
      const card = this.cards.get(this.deciding);
      this.deciding = null;
      if (event.code === "turn_in_progress") unlockCard(card, event.message);
      else settleCard(card, { status: "not_done", message: event.message });
      return;
    }
    if (event.code === "turn_in_progress" && !this.pending) {
      this.note("notice", event.message, event.hint);
      return; // something else is still running; our own state has not changed
    }
    this.pending = null;
    this.note("error", event.message, event.hint);
    if (this.bubble) this.bubble.classList.remove("streaming");
    this.setBusy(false);
  }

  addCard(event) {
    const card = proposalCard(event, (id, confirm) => this.decide(id, confirm));
    this.cards.set(event.proposal_id, card);
    this.cardTurn = true;
    this.append(card);
    this.scrollDown(true);
  }

  onAction(event) {
    const card = this.cards.get(event.proposal_id);
    if (this.deciding === event.proposal_id) this.deciding = null;
    if (card) settleCard(card, event);
    else this.note("notice", event.message);
  }

  // ---- rendering ----

  messageEl(role, text, createdAt, stopped) {
    const mine = role === "user";
    const el = h(
      "div",
      { class: `msg ${mine ? "mine" : "theirs"}` },
      h("span", { class: "visually-hidden" }, mine ? "You said:" : `${this.companion} said:`),
      h("div", { class: "text" }, text),
      h("div", { class: "meta" }, h("time", {}, clockTime(createdAt))),
    );
    if (stopped) this.markStopped(el);
    return el;
  }

  markStopped(el) {
    $(".meta", el).append(h("span", { class: "stopped" }, " · stopped"));
  }

  note(kind, message, hint = "") {
    const el = h(
      "div",
      { class: `note ${kind}`, role: kind === "error" ? "alert" : null },
      h("span", {}, message),
      hint ? h("span", { class: "hint" }, ` ${hint}`) : null,
    );
    this.append(el);
    this.scrollDown(true);
  }

  append(el) {
    const near = this.nearBottom();
    this.log.append(el);
    if (near) this.scrollDown(true);
  }

  nearBottom() {
    return this.log.scrollHeight - this.log.scrollTop - this.log.clientHeight < 120;
  }

  scrollDown(force = false) {
    if (force || this.nearBottom()) this.log.scrollTop = this.log.scrollHeight;
  }

  showConnection(status) {
    const box = this.connection;
    box.replaceChildren();
    box.dataset.state = status.state;
    if (status.state === "connecting" && this.loaded) {
      box.append("Reconnecting…");
    } else if (status.state === "waiting") {
      if (this.busy) {
        // the server keeps what was said before the drop; the rest of the reply is gone
        this.note("notice", "The connection dropped; the reply may be cut short.");
        this.pending = null;
        this.setBusy(false);
      }
      box.append(
        `Connection lost. Trying again in ${status.retryIn} s. `,
        h("button", { type: "button", class: "link", onclick: () => this.socket.retryNow() }, "Reconnect now"),
      );
    }
  }
}
