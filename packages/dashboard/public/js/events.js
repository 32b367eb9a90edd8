// @ts-check
// Live updates. GET api/events is read with fetch and a stream reader, not EventSource, which
// cannot send the Authorization header; the stream is parsed as Server-Sent Events. A dropped
// stream reconnects with backoff; after two failed attempts in a row the page polls every
// autoRefresh seconds (synthetic `tick`s) and retries the stream once a minute.

import { ApiError, client, withAuth } from './api.js';

/** @typedef {'connecting' | 'sse' | 'polling'} LiveMode */

/** Incremental SSE parser: push text chunks, get (event, data) calls. */
export class SseParser {
  /** @param {(type: string, data: string) => void} onEvent */
  constructor(onEvent) {
    this.onEvent = onEvent;
    this.buffer = '';
    this.type = '';
    /** @type {string[]} */
    this.data = [];
  }

  /** @param {string} chunk */
  push(chunk) {
    this.buffer += chunk;
    for (;;) {
      const i = this.buffer.search(/[\r\n]/);
      // A trailing CR may be the first half of a CRLF split across chunks.
      if (i === -1 || (i === this.buffer.length - 1 && this.buffer[i] === '\r')) return;
      const line = this.buffer.slice(0, i);
      this.buffer = this.buffer.slice(i + (this.buffer.startsWith('\r\n', i) ? 2 : 1));
      this.line(line);
    }
  }

  /** @param {string} line */
  line(line) {
    if (line === '') {
      if (this.data.length > 0) this.onEvent(this.type || 'message', this.data.join('\n'));
      this.type = '';
      this.data = [];
    } else if (!line.startsWith(':')) {
      // `field: value`; a line starting with a colon is a comment (keep-alive)
      const colon = line.indexOf(':');
      const name = colon === -1 ? line : line.slice(0, colon);
      const value = colon === -1 ? '' : line.slice(colon + (line[colon + 1] === ' ' ? 2 : 1));
      if (name === 'event') this.type = value;
      else if (name === 'data') this.data.push(value);
    }
  }
}

export class LiveFeed {
  /**
   * @param {{ autoRefresh: number, sampleInterval: number,
   *   onEvent: (type: string, data: any) => void, onMode: (mode: LiveMode) => void }} options
   */
  constructor(options) {
    this.options = options;
    this.stopper = new AbortController();
    /** @type {LiveMode} */
    this.mode = 'connecting';
    /** @type {ReturnType<typeof setInterval> | undefined} */
    this.poller = undefined;
    // Not a byte (not even the 15 s keep-alive comment) for this long: the stream is dead.
    this.silenceMs = Math.max(35_000, options.sampleInterval * 3000);
  }

  start() {
    this.run();
  }

  stop() {
    this.stopper.abort();
    this.stopPolling();
  }

  /** @param {LiveMode} mode */
  setMode(mode) {
    if (mode === this.mode) return;
    this.mode = mode;
    this.options.onMode(mode);
  }

  async run() {
    const signal = this.stopper.signal;
    let failures = 0;
    let delay = 1000;
    while (!signal.aborted) {
      if (await this.connect()) {
        failures = 0;
        delay = 1000;
      } else if (++failures >= 2) {
        this.startPolling();
      }
      if (signal.aborted) return;
      if (this.poller === undefined) this.setMode('connecting');
      const wait = this.poller === undefined ? delay * (0.8 + Math.random() * 0.4) : 60_000;
      await new Promise((resolve) => {
        const timer = setTimeout(resolve, wait);
        signal.addEventListener('abort', () => resolve(clearTimeout(timer)));
      });
      delay = Math.min(delay * 2, 30_000);
    }
  }

  /** One connection; true when the stream delivered anything before it ended. */
  async connect() {
    const attempt = new AbortController();
    const abort = () => attempt.abort();
    this.stopper.signal.addEventListener('abort', abort);
    /** @type {ReturnType<typeof setTimeout> | undefined} */
    let watchdog;
    const arm = () => {
      clearTimeout(watchdog);
      watchdog = setTimeout(abort, this.silenceMs);
    };
    let received = false;
    try {
      arm();
      const response = await fetch('api/events', {
        headers: withAuth({ Accept: 'text/event-stream' }),
        cache: 'no-store',
        credentials: 'same-origin',
        signal: attempt.signal,
      });
      if (response.status === 401) {
        client.onUnauthorized(new ApiError(401, 'unauthorized', 'Sign-in required.', response.headers));
        this.stop();
        return false;
      }
      if (
        !response.ok ||
        !response.body ||
        !response.headers.get('Content-Type')?.startsWith('text/event-stream')
      ) {
        await response.body?.cancel();
        return false;
      }
      if (this.poller === undefined) this.setMode('sse');
      const parser = new SseParser((type, data) => this.dispatch(type, data));
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        arm();
        if (!received) {
          received = true;
          this.stopPolling();
          this.setMode('sse');
        }
        parser.push(value);
      }
    } catch {
      // network error, abort or watchdog: the caller reconnects
    } finally {
      clearTimeout(watchdog);
      this.stopper.signal.removeEventListener('abort', abort);
    }
    return received;
  }

  /** @param {string} type @param {string} text */
  dispatch(type, text) {
    let data;
    try {
      data = text === '' ? {} : JSON.parse(text);
    } catch {
      return; // a malformed event is skipped, never a crash
    }
    this.options.onEvent(type, data);
  }

  startPolling() {
    if (this.poller !== undefined || this.stopper.signal.aborted) return;
    this.setMode('polling');
    const tick = () => this.options.onEvent('tick', { at: Date.now(), polled: true });
    this.poller = setInterval(tick, Math.max(1, this.options.autoRefresh) * 1000);
    tick();
  }

  stopPolling() {
    clearInterval(this.poller);
    this.poller = undefined;
  }
}
