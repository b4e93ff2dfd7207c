// The microphone's AudioWorklet (loaded by voice.js), on the audio thread: box-filter
// decimation to 16 kHz (fine for speech, and works for any device rate, 44.1 kHz
// included), then blocks of 512 int16 samples (32 ms) posted to the page. A file of its
// own, not a blob: URL, so the page's Content-Security-Policy can stay 'self' only.

const RATE = 16000;
const BLOCK = 512;

class Down16k extends AudioWorkletProcessor {
  constructor() {
    super();
    this.sum = 0;
    this.count = 0;
    this.acc = 0;
    this.filled = 0;
    this.block = new Int16Array(BLOCK);
  }

  process(inputs) {
    const channel = inputs[0] && inputs[0][0];
    if (!channel) return true;
    for (let i = 0; i < channel.length; i++) {
      this.sum += channel[i];
      this.count += 1;
      this.acc += RATE;
      if (this.acc < sampleRate) continue;
      this.acc -= sampleRate;
      const v = Math.max(-1, Math.min(1, this.sum / this.count));
      this.block[this.filled++] = v < 0 ? v * 32768 : v * 32767;
      this.sum = 0;
      this.count = 0;
      if (this.filled === BLOCK) {
        this.port.postMessage(this.block.buffer, [this.block.buffer]);
        this.block = new Int16Array(BLOCK);
        this.filled = 0;
      }
    }
    return true;
  }
}

registerProcessor("os1-down16k", Down16k);
