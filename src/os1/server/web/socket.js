// The chat socket: one WebSocket to /ws that comes back by itself when it drops.
//
// The session cookie authenticates it (same origin), so no secret ever sits in page
// script. Reconnects back off exponentially with jitter (0.5 s doubling to 30 s) so a
// restarting server is not stampeded by every open tab at once; a close that means
// "not signed in" (4401) or "not allowed" (4403) is final. A ping every 25 s keeps
// proxies from timing out an idle chat. Binary frames carry voice audio (voice.js).

const FIRST_DELAY_MS = 500;
const MAX_DELAY_MS = 30000;
const PING_MS = 25000;

export class ChatSocket {
  /**
   * @param {object} handlers
   * @param {(event: object) => void} handlers.onEvent  every JSON message from the server
   * @param {(status: {state: string, retryIn?: number}) => void} handlers.onStatus
   * @param {(reason: string) => void} handlers.onRefused  the server will not talk to us
   * @param {(data: ArrayBuffer) => void} [handlers.onBinary]  a binary frame (reply audio)
   */
  constructor({ onEvent, onStatus, onRefused, onBinary = () => {} }) {
    this.onEvent = onEvent;
    this.onBinary = onBinary;
    this.onStatus = onStatus;
    this.onRefused = onRefused;
    this.ws = null;
    this.attempts = 0;
    this.retryTimer = null;
    this.countdown = null;
    this.pingTimer = null;
    this.wanted = false;
    this.lastError = "";
    this.retryNow = this.retryNow.bind(this);
  }

  get open() {
    return this.ws !== null && this.ws.readyState === WebSocket.OPEN;
  }

  connect() {
    this.wanted = true;
    this.clearTimers();
    const url = new URL("ws", document.baseURI);
    url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
    url.hash = "";
    this.onStatus({ state: "connecting" });
    const ws = new WebSocket(url);
    ws.binaryType = "arraybuffer";
    this.ws = ws;
    ws.addEventListener("open", () => {
      if (this.ws !== ws) return;
      this.onStatus({ state: "open" });
      this.pingTimer = setInterval(() => this.send({ type: "ping" }), PING_MS);
    });
    ws.addEventListener("message", (message) => {
      if (this.ws !== ws) return;
      if (typeof message.data !== "string") {
        this.onBinary(message.data);
        return;
      }
      let event;
      try {
        event = JSON.parse(message.data);
      } catch {
        return; // the protocol is JSON only; anything else is not for us
      }
      if (event.type === "hello") this.attempts = 0;
      if (event.type === "error") this.lastError = event.message || "";
      this.onEvent(event);
    });
    ws.addEventListener("close", (closed) => {
      if (this.ws !== ws) return;
      this.ws = null;
      clearInterval(this.pingTimer);
      if (!this.wanted) return;
      if (closed.code === 4401 || closed.code === 4403) {
        this.wanted = false;
        this.onRefused(closed.code === 4401 ? "signed_out" : this.lastError || "forbidden");
        return;
      }
      this.scheduleRetry();
    });
    window.addEventListener("online", this.retryNow);
  }

  scheduleRetry() {
    const base = Math.min(MAX_DELAY_MS, FIRST_DELAY_MS * 2 ** this.attempts);
    const delay = Math.round(base * (0.75 + Math.random() * 0.5));
    this.attempts += 1;
    const due = Date.now() + delay;
    const tell = () => this.onStatus({ state: "waiting", retryIn: Math.max(0, Math.ceil((due - Date.now()) / 1000)) });
    tell();
    this.countdown = setInterval(tell, 1000);
    this.retryTimer = setTimeout(() => this.connect(), delay);
  }

  /** Skip the wait (the "Reconnect now" button, or the network coming back). */
  retryNow() {
    if (this.wanted && this.ws === null) this.connect();
  }

  /** Send one message; false when the socket is not open (nothing is queued). */
  send(message) {
    if (!this.open) return false;
    this.ws.send(JSON.stringify(message));
    return true;
  }

  /** Send one binary frame (microphone audio); false when the socket is not open. */
  sendBinary(buffer) {
    if (!this.open) return false;
    this.ws.send(buffer);
    return true;
  }

  clearTimers() {
    clearTimeout(this.retryTimer);
    clearInterval(this.countdown);
    clearInterval(this.pingTimer);
  }

  /** Close for good (signing out, leaving the page). */
  close() {
    this.wanted = false;
    this.clearTimers();
    window.removeEventListener("online", this.retryNow);
    if (this.ws) {
      const ws = this.ws;
      this.ws = null;
      ws.close(1000, "bye");
    }
    this.onStatus({ state: "closed" });
  }
}
