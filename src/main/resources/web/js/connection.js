// One WebSocket to /ws that comes back by itself: exponential backoff with jitter, a heartbeat
// that detects half-open connections, and immediate retries when the browser goes back online.

const BACKOFF_BASE_MS = 1000;
const BACKOFF_MAX_MS = 15_000;
const PING_EVERY_MS = 20_000;
const SILENCE_LIMIT_MS = 50_000;

export class Connection {
  /**
   * @param url        () => string, evaluated on every attempt (the token may change)
   * @param onFrame    (frame) => void for every parsed server frame
   * @param onStatus   ({state, retryAt, attempt}) => void; state: connecting | open | offline
   * @param onOpen     () => void once the socket is open (frames may be sent)
   */
  constructor({ url, onFrame, onStatus, onOpen }) {
    this.url = url;
    this.onFrame = onFrame;
    this.onStatus = onStatus;
    this.onOpen = onOpen;
    this.socket = null;
    this.attempt = 0;
    this.retryTimer = null;
    this.heartbeat = null;
    this.lastHeard = 0;
    this.stopped = true;
    this.state = 'offline';
    this.wentOnline = () => this.retryNow();
    this.wentOffline = () => this.socket?.close();
  }

  start() {
    if (!this.stopped) return;
    this.stopped = false;
    window.addEventListener('online', this.wentOnline);
    window.addEventListener('offline', this.wentOffline);
    this.connect();
  }

  stop() {
    this.stopped = true;
    window.removeEventListener('online', this.wentOnline);
    window.removeEventListener('offline', this.wentOffline);
    clearTimeout(this.retryTimer);
    clearInterval(this.heartbeat);
    const socket = this.socket;
    this.socket = null;
    socket?.close(1000, 'bye');
  }

  get isOpen() {
    return this.socket?.readyState === WebSocket.OPEN;
  }

  /** Writes a frame if the socket is open; false otherwise (the caller keeps it for later). */
  send(frame) {
    if (!this.isOpen) return false;
    this.socket.send(JSON.stringify(frame));
    return true;
  }

  /** Called when the server confirmed the session (hello): the backoff starts over. */
  confirmed() {
    this.attempt = 0;
  }

  retryNow() {
    if (this.stopped || this.isOpen || this.socket) return;
    clearTimeout(this.retryTimer);
    this.connect();
  }

  setState(state, retryAt = null) {
    this.state = state;
    this.onStatus({ state, retryAt, attempt: this.attempt });
  }

  connect() {
    this.setState('connecting');
    let socket;
    try {
      socket = new WebSocket(this.url());
    } catch {
      this.scheduleRetry();
      return;
    }
    this.socket = socket;
    socket.onopen = () => {
      if (socket !== this.socket) return;
      this.lastHeard = Date.now();
      this.setState('open');
      clearInterval(this.heartbeat);
      this.heartbeat = setInterval(() => this.checkPulse(), PING_EVERY_MS);
      this.onOpen();
    };
    socket.onmessage = (event) => {
      if (socket !== this.socket) return;
      this.lastHeard = Date.now();
      let frame;
      try {
        frame = JSON.parse(event.data);
      } catch {
        return; // not a protocol frame: ignore it rather than break the stream
      }
      this.onFrame(frame);
    };
    socket.onclose = () => {
      if (socket !== this.socket) return;
      this.socket = null;
      clearInterval(this.heartbeat);
      if (!this.stopped) this.scheduleRetry();
    };
    socket.onerror = () => {
      // the close event that follows does the work
    };
  }

  checkPulse() {
    if (!this.isOpen) return;
    if (Date.now() - this.lastHeard > SILENCE_LIMIT_MS) {
      this.socket.close(4000, 'silent'); // half-open: nothing heard for too long
      return;
    }
    this.send({ type: 'ping' });
  }

  scheduleRetry() {
    const ceiling = Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** this.attempt);
    const delay = ceiling / 2 + Math.random() * (ceiling / 2);
    this.attempt += 1;
    const retryAt = Date.now() + delay;
    this.setState('offline', retryAt);
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => this.connect(), delay);
  }
}
