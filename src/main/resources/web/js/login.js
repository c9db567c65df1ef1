// Log in / create account screen.

import { h, replaceChildren } from './dom.js';
import { icon } from './icons.js';

const USERNAME = /^[a-z0-9_.-]{3,32}$/;

export function renderLogin(root, { login, register, message }) {
  let mode = 'login';
  const error = h('p.form-error', { role: 'alert', id: 'auth-error' }, message || '');
  const username = h('input#username', {
    name: 'username', autocomplete: 'username', required: true, autocapitalize: 'none', spellcheck: 'false',
    minlength: '3', maxlength: '32', pattern: '[a-z0-9_.\\-]{3,32}', placeholder: 'e.g. alice',
  });
  const password = h('input#password', {
    name: 'password', type: 'password', autocomplete: 'current-password', required: true, minlength: '8', maxlength: '128',
  });
  const displayName = h('input#display-name', { name: 'displayName', autocomplete: 'name', maxlength: '64', placeholder: 'Optional' });
  const nameField = h('div.field', { hidden: true }, h('label', { for: 'display-name' }, 'Display name'), displayName);
  const submit = h('button.primary.wide#auth-submit', { type: 'submit' }, 'Log in');
  const loginTab = h('button.tab#tab-login', { type: 'button', role: 'tab', 'aria-selected': 'true', onclick: () => setMode('login') }, 'Log in');
  const registerTab = h('button.tab#tab-register', { type: 'button', role: 'tab', 'aria-selected': 'false', onclick: () => setMode('register') }, 'Create account');
  const hint = h('p.field-hint', { id: 'username-hint' }, '3–32 characters: lowercase letters, digits, _ . -');

  function setMode(next) {
    mode = next;
    loginTab.setAttribute('aria-selected', String(mode === 'login'));
    registerTab.setAttribute('aria-selected', String(mode === 'register'));
    nameField.hidden = mode === 'login';
    password.autocomplete = mode === 'login' ? 'current-password' : 'new-password';
    submit.textContent = mode === 'login' ? 'Log in' : 'Create account';
    error.textContent = '';
  }

  async function onSubmit(event) {
    event.preventDefault();
    error.textContent = '';
    const name = username.value.trim().toLowerCase();
    if (!USERNAME.test(name)) {
      error.textContent = 'Usernames are 3–32 characters: lowercase letters, digits, _ . -';
      username.focus();
      return;
    }
    if (password.value.length < 8) {
      error.textContent = 'Passwords have at least 8 characters.';
      password.focus();
      return;
    }
    submit.disabled = true;
    submit.textContent = mode === 'login' ? 'Logging in…' : 'Creating account…';
    try {
      if (mode === 'login') await login(name, password.value);
      else await register(name, password.value, displayName.value.trim() || undefined);
    } catch (e) {
      error.textContent = explain(e, mode);
      submit.disabled = false;
      submit.textContent = mode === 'login' ? 'Log in' : 'Create account';
    }
  }

  replaceChildren(root,
    h('main.auth', { 'aria-labelledby': 'auth-title' },
      h('form.auth-card', { onsubmit: onSubmit, novalidate: true },
        h('div.brand', h('span.brand-mark', icon('chat')), h('h1#auth-title', 'Parley')),
        h('p.tagline', 'Private, fast messaging from your own server.'),
        h('div.tabs', { role: 'tablist', 'aria-label': 'Log in or create an account' }, loginTab, registerTab),
        h('div.field', h('label', { for: 'username' }, 'Username'), username, hint),
        h('div.field', h('label', { for: 'password' }, 'Password'), password),
        nameField,
        error,
        submit)));
  username.setAttribute('aria-describedby', 'username-hint');
  username.focus();
}

function explain(e, mode) {
  if (e.status === 401) return 'Wrong username or password.';
  if (e.status === 409) return 'That username is taken. Try another one.';
  if (e.status === 400) return e.message || 'Please check the username and password.';
  if (e.status === 429) return 'Too many attempts. Please wait a moment.';
  if (e.status === 0) return 'The server cannot be reached. Check your connection.';
  return e.message || (mode === 'login' ? 'Could not log in.' : 'Could not create the account.');
}
