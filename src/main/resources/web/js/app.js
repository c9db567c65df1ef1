// Entry point: session handling, wiring of the connection, the chat state and the views.

import { createApi, socketUrl, ApiError } from './api.js';
import { Connection } from './connection.js';
import { ChatState } from './chat-state.js';
import { renderLogin } from './login.js';
import { ChatView } from './chat-view.js';

const SESSION_KEY = 'parley.session';
const root = document.getElementById('app');

function loadSession() {
  try {
    const session = JSON.parse(localStorage.getItem(SESSION_KEY) || 'null');
    return session && session.token && session.expiresAt > Date.now() ? session : null;
  } catch {
    return null;
  }
}

function saveSession(session) {
  localStorage.setItem(SESSION_KEY, JSON.stringify(session));
}

function showLogin(message) {
  document.title = 'Parley';
  const api = createApi({ token: null });
  renderLogin(root, {
    message,
    async login(username, password) {
      const session = await api.login(username, password);
      saveSession({ ...session, username });
      startChat(loadSession());
    },
    async register(username, password, displayName) {
      await api.register(username, password, displayName);
      const session = await api.login(username, password);
      saveSession({ ...session, username, displayName });
      startChat(loadSession());
    },
  });
}

function startChat(session) {
  let stopped = false;
  let failedAttempts = 0;
  const api = createApi({ token: () => session.token, onUnauthorized: () => logout('Your session has expired. Please log in again.') });
  const state = new ChatState({
    userId: session.userId,
    send: (frame) => connection.send(frame),
    fetchUpdates: (after) => api.updates(after),
  });
  const view = new ChatView(root, { state, api, session, logout: () => logout(), retryNow: () => connection.retryNow() });

  const connection = new Connection({
    url: () => socketUrl(session.token),
    onOpen: () => {},
    onFrame: (frame) => {
      if (frame.type === 'hello') {
        failedAttempts = 0;
        connection.confirmed();
      }
      state.receive(frame);
    },
    onStatus: (status) => {
      if (status.state !== 'open') state.disconnected();
      if (status.state === 'offline') {
        failedAttempts += 1;
        if (failedAttempts === 3) checkSession();
      }
      view.connectionChanged(status);
    },
  });

  // A socket refused at the handshake looks like a network error from JavaScript: ask REST why.
  async function checkSession() {
    try {
      await api.updates(state.lastSeq, 1);
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) logout('Your session has expired. Please log in again.');
    }
  }

  function logout(message) {
    if (stopped) return;
    stopped = true;
    window.removeEventListener('pagehide', onPageHide);
    window.removeEventListener('pageshow', onPageShow);
    connection.stop();
    view.destroy();
    if (!message) state.forget(); // a deliberate log out leaves nothing behind
    localStorage.removeItem(SESSION_KEY);
    showLogin(message);
  }

  // A page kept in the back/forward cache must not look online: close the socket when hidden.
  const onPageHide = () => connection.stop();
  const onPageShow = (event) => event.persisted && !stopped && connection.start();
  window.addEventListener('pagehide', onPageHide);
  window.addEventListener('pageshow', onPageShow);

  connection.start();
}

window.addEventListener('unhandledrejection', (event) => {
  // Every expected failure is handled where it happens; show the rest instead of failing silently.
  event.preventDefault();
  const toast = document.getElementById('toasts');
  if (toast) toast.textContent = event.reason?.message || String(event.reason);
});

const session = loadSession();
if (session) startChat(session);
else showLogin();
