// The logged-in screen: chat list, conversation, composer and connection banner.
// It reads ChatState and calls its methods; it holds only view state (selection, filter).

import { h, reconcile, replaceChildren } from './dom.js';
import { icon } from './icons.js';
import { clock, dayLabel, sameDay, listTime, lastSeenText, remaining, disappearLabel } from './format.js';
import { MediaSources, ACCEPTED_TYPES, isVideo } from './media.js';
import { openNewChat, openNewGroup, openGroupInfo, openTimer, openViewer, openProfile } from './dialogs.js';

const PALETTE = ['#e17076', '#7bc862', '#e5ca77', '#65aadd', '#a695e7', '#ee7aae', '#6ec9cb', '#faa774'];

export function avatar(name, { online = false, group = false } = {}) {
  let hash = 0;
  for (const ch of name) hash = (hash * 31 + ch.codePointAt(0)) >>> 0;
  const initials = group ? null : (name.match(/[a-z0-9]/i)?.[0] || '?').toUpperCase();
  return h('span.avatar', { style: { background: PALETTE[hash % PALETTE.length] }, 'aria-hidden': 'true' },
    group ? icon('group') : initials,
    online ? h('span.online-dot', { title: 'online' }) : null);
}

const TICKS = {
  pending: ['clock', 'Sending'],
  sent: ['check', 'Sent'],
  delivered: ['checks', 'Delivered'],
  read: ['checks', 'Read'],
  failed: ['error', 'Not sent'],
};

function ticks(status) {
  const [name, label] = TICKS[status] || TICKS.sent;
  return h('span.ticks', { dataset: { status }, title: label }, icon(name, label));
}

export class ChatView {
  constructor(root, { state, api, session, logout, retryNow }) {
    this.root = root;
    this.state = state;
    this.api = api;
    this.session = session;
    this.logout = logout;
    this.retryNow = retryNow;
    this.media = new MediaSources(api);
    this.selected = null;
    this.filter = '';
    this.connection = { state: 'connecting' };
    this.features = { groups: true, media: true, disappearing: true };
    this.renderQueued = false;
    this.build();
    this.onChange = () => this.schedule();
    this.onNotice = (e) => this.toast(e.detail);
    this.onVisibility = () => this.updateVisibility();
    this.onKey = (e) => this.globalKey(e);
    state.addEventListener('change', this.onChange);
    state.addEventListener('notice', this.onNotice);
    document.addEventListener('visibilitychange', this.onVisibility);
    document.addEventListener('keydown', this.onKey);
    this.ticker = setInterval(() => this.tick(), 1000);
    this.render();
  }

  destroy() {
    clearInterval(this.ticker);
    this.state.removeEventListener('change', this.onChange);
    this.state.removeEventListener('notice', this.onNotice);
    document.removeEventListener('visibilitychange', this.onVisibility);
    document.removeEventListener('keydown', this.onKey);
    this.media.release();
  }

  // ---- layout -----------------------------------------------------------------------------

  build() {
    const me = this.session.userId;
    this.banner = h('div.banner#connection-banner', { role: 'status', 'aria-live': 'polite', hidden: true });
    this.toasts = h('div.toasts#toasts', { role: 'alert', 'aria-live': 'assertive' });
    this.list = h('ul.chat-list#chat-list', { 'aria-label': 'Chats' });
    this.newGroupButton = h('button.icon-button#new-group', { type: 'button', title: 'New group', 'aria-label': 'New group', onclick: () => this.newGroup() }, icon('group'));
    const search = h('input.search#chat-search', {
      type: 'search', placeholder: 'Search chats', 'aria-label': 'Search chats',
      oninput: (e) => { this.filter = e.target.value.trim().toLowerCase(); this.schedule(); },
    });
    this.sidebar = h('aside.sidebar', { 'aria-label': 'Chat list' },
      h('header.sidebar-header',
        avatar(me),
        h('button.title-button.me#profile', { type: 'button', title: 'Profile and privacy', onclick: () => this.showProfile() },
          h('strong.me-name', this.session.displayName || me), h('span.me-id', `@${me}`)),
        h('div.header-actions',
          h('button.icon-button#new-chat', { type: 'button', title: 'New chat', 'aria-label': 'New chat', onclick: () => this.newChat() }, icon('chat')),
          this.newGroupButton,
          h('button.icon-button#logout', { type: 'button', title: 'Log out', 'aria-label': 'Log out', onclick: () => this.logout() }, icon('logout')))),
      h('div.search-box', icon('search'), search),
      this.list,
      this.emptyList = h('div.list-empty', { hidden: true },
        h('p', 'No chats yet.'),
        h('button.primary', { type: 'button', onclick: () => this.newChat() }, 'Start a chat')));

    this.header = h('header.conversation-header');
    this.messages = h('div.messages#messages', { role: 'log', 'aria-live': 'polite', 'aria-label': 'Messages', tabindex: '0' });
    this.composer = this.buildComposer();
    this.pane = h('section.conversation', { 'aria-label': 'Conversation' });
    this.placeholder = h('div.placeholder',
      h('span.brand-mark.big', icon('chat')),
      h('h2', 'Parley'),
      h('p', 'Pick a chat on the left, or start a new one.'),
      h('p.muted', 'Messages are stored on your own server.'));
    this.shell = h('div.shell', { dataset: { view: 'list' } }, this.sidebar, this.pane);
    replaceChildren(this.root, this.banner, this.shell, this.toasts);
  }

  buildComposer() {
    this.fileInput = h('input.visually-hidden#file-input', {
      type: 'file', accept: ACCEPTED_TYPES.join(','), multiple: true, tabindex: '-1',
      onchange: (e) => { this.sendFiles([...e.target.files]); e.target.value = ''; },
    });
    this.attachButton = h('button.icon-button#attach', {
      type: 'button', title: 'Send a photo or video', 'aria-label': 'Send a photo or video',
      onclick: () => this.fileInput.click(),
    }, icon('attach'));
    this.input = h('textarea#composer-input', {
      rows: 1, placeholder: 'Type a message', 'aria-label': 'Message',
      onkeydown: (e) => {
        if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
          e.preventDefault();
          this.sendText();
        }
      },
      oninput: () => {
        this.autoGrow();
        if (this.input.value && this.selected) this.state.userTyped(this.selected);
      },
    });
    this.sendButton = h('button.send-button#send', { type: 'submit', 'aria-label': 'Send', title: 'Send' }, icon('send'));
    this.leftNote = h('p.left-note', { hidden: true }, 'You are no longer a member of this group.');
    return h('form.composer', { onsubmit: (e) => { e.preventDefault(); this.sendText(); } },
      this.fileInput, this.attachButton, this.input, this.sendButton, this.leftNote);
  }

  autoGrow() {
    this.input.style.height = '';
    if (this.input.value && this.input.scrollHeight > this.input.clientHeight) {
      this.input.style.height = `${Math.min(this.input.scrollHeight, 140)}px`;
    }
  }

  // ---- actions ----------------------------------------------------------------------------

  select(conversationId, { focus = true } = {}) {
    const switched = this.selected !== conversationId;
    this.selected = conversationId;
    this.shell.dataset.view = conversationId ? 'conversation' : 'list';
    if (switched) {
      this.input.value = '';
      this.autoGrow();
      this.forceScroll = true;
      this.messages._keyed = null;
      this.messages.replaceChildren();
    }
    this.updateVisibility();
    this.render();
    // after the current task: a closing dialog first hands focus back to its opener
    if (conversationId && focus) setTimeout(() => this.input.focus(), 0);
  }

  back() {
    const previous = this.selected;
    this.select(null);
    this.list.querySelector(`[data-conversation="${CSS.escape(previous || '')}"]`)?.focus();
  }

  updateVisibility() {
    const visible = document.visibilityState === 'visible' && this.selected ? this.selected : null;
    this.state.setVisible(visible);
  }

  sendText() {
    const text = this.input.value.trim();
    if (!text || !this.selected) return;
    this.state.sendText(this.selected, text);
    this.input.value = '';
    this.autoGrow();
    this.forceScroll = true;
    this.input.focus();
  }

  sendFiles(files) {
    const conversationId = this.selected;
    if (!conversationId) return;
    const caption = this.input.value.trim();
    if (files.length && caption) {
      this.input.value = '';
      this.autoGrow();
    }
    files.forEach((file, index) => {
      if (!ACCEPTED_TYPES.includes(file.type)) {
        this.toast(`${file.name}: only JPEG, PNG, WebP, GIF, MP4 and WebM can be sent.`);
        return;
      }
      const handle = this.state.beginMedia(conversationId, {
        previewUrl: URL.createObjectURL(file),
        contentType: file.type,
        caption: index === 0 ? caption : '',
        name: file.name,
        size: file.size,
      });
      this.forceScroll = true;
      const upload = this.api.uploadMedia(file, (fraction) => handle.progress(fraction));
      upload.done.then(
        (media) => handle.uploaded(media),
        (error) => {
          if (error.unsupported) {
            this.features.media = false;
            handle.discard();
            this.toast('This server does not accept photos and videos yet.');
            this.render();
            return;
          }
          const reason = error.status === 413 ? 'File too large' : error.status === 415 ? 'Unsupported file type' : error.message;
          handle.failed(reason);
          this.toast(`${file.name}: ${reason}`);
        });
    });
  }

  newChat() {
    openNewChat({
      me: this.session.userId,
      start: (user) => this.select(this.state.directWith(user)),
    });
  }

  newGroup() {
    openNewGroup({
      me: this.session.userId,
      create: async (name, members) => {
        try {
          const group = await this.api.createGroup(name, members);
          this.select(this.state.rememberGroup(group));
        } catch (error) {
          if (error.unsupported) {
            this.features.groups = false;
            this.render();
            throw new Error('This server does not support groups yet.');
          }
          throw error;
        }
      },
    });
  }

  showInfo() {
    const conversation = this.state.conversations.get(this.selected);
    if (conversation?.kind !== 'group') return;
    openGroupInfo({
      me: this.session.userId,
      conversation,
      api: this.api,
      changed: (group) => {
        if (group) this.state.rememberGroup(group);
        this.render();
      },
    });
  }

  showProfile() {
    const key = `parley.v1.${this.session.userId}.lastSeenPrivacy`;
    openProfile({
      me: this.session.userId,
      displayName: this.session.displayName,
      current: localStorage.getItem(key) || 'everyone',
      save: async (choice) => {
        await this.api.setPrivacy(choice);
        localStorage.setItem(key, choice); // the server has no read-back call: remember what we set
        this.toast(choice === 'nobody' ? 'Your last seen is now hidden.' : 'Everyone can see your last seen.');
      },
    });
  }

  showTimer() {
    const conversation = this.state.conversations.get(this.selected);
    if (!conversation) return;
    openTimer({
      current: conversation.disappearAfterSeconds || 0,
      save: async (seconds) => {
        try {
          await this.api.setDisappearing(conversation.id, seconds);
        } catch (error) {
          if (error.unsupported) {
            this.features.disappearing = false;
            this.render();
            throw new Error('This server does not support disappearing messages yet.');
          }
          if (error.status === 403) throw new Error('Only group admins can change this setting.');
          throw error;
        }
      },
    });
  }

  openMedia(item) {
    this.media.full(item, (src) => {
      const viewer = openViewer({ item, src, video: isVideo(item.body.media) });
      this.media.recover(item, viewer.querySelector('.viewer-media'));
    });
  }

  globalKey(event) {
    if (event.key === 'Escape' && this.selected && !document.querySelector('dialog[open]')) {
      event.preventDefault();
      this.back();
    }
  }

  toast(message) {
    const note = h('div.toast', message);
    this.toasts.append(note);
    setTimeout(() => note.remove(), 5000);
  }

  connectionChanged(status) {
    this.connection = status;
    this.schedule();
  }

  tick() {
    if (this.state.sweepExpired()) return; // the change event re-renders everything
    for (const el of this.root.querySelectorAll('[data-expires-at]')) {
      el.textContent = remaining(Number(el.dataset.expiresAt) - Date.now());
    }
    if (this.connection.state === 'offline') this.renderBanner();
    if (Date.now() - (this.lastFullTick || 0) > 30_000) {
      this.lastFullTick = Date.now(); // "last seen 1 minute ago" and list times move on
      this.renderHeader();
    }
  }

  // ---- rendering --------------------------------------------------------------------------

  schedule() {
    if (this.renderQueued) return;
    this.renderQueued = true;
    requestAnimationFrame(() => {
      this.renderQueued = false;
      this.render();
    });
  }

  render() {
    this.renderBanner();
    this.newGroupButton.hidden = !this.features.groups;
    this.renderList();
    this.renderConversation();
    const unread = this.state.conversationList().reduce((n, c) => n + this.state.unreadCount(c), 0);
    document.title = unread ? `(${unread}) Parley` : 'Parley';
  }

  renderBanner() {
    const { state, retryAt } = this.connection;
    const show = state !== 'open';
    this.banner.hidden = !show;
    this.banner.dataset.state = state;
    if (!show) return;
    const queued = this.state.outbox.length;
    const queuedText = queued ? ` ${queued} message${queued > 1 ? 's' : ''} will be sent when you are back.` : '';
    if (state === 'connecting') {
      replaceChildren(this.banner, h('span.spinner', { 'aria-hidden': 'true' }), `Connecting…${queuedText}`);
      return;
    }
    const seconds = Math.max(0, Math.ceil(((retryAt || Date.now()) - Date.now()) / 1000));
    replaceChildren(this.banner,
      icon('offline'),
      h('span', `You're offline. Reconnecting in ${seconds}s…${queuedText}`),
      h('button.link-button', { type: 'button', onclick: () => this.retryNow() }, 'Retry now'));
  }

  title(conversation) {
    return conversation.kind === 'dm' ? conversation.peer : conversation.name || 'Group';
  }

  preview(conversation) {
    const typing = this.state.typingIn(conversation.id);
    if (typing.length) {
      return h('span.preview.typing', conversation.kind === 'dm' ? 'typing…' : `${typing[0]} is typing…`);
    }
    const last = this.state.lastMessage(conversation);
    if (!last) return h('span.preview', conversation.kind === 'group' ? 'Group created' : 'No messages yet');
    const mine = last.from === this.session.userId;
    const who = conversation.kind === 'group' && !mine ? `${last.from}: ` : '';
    return h('span.preview', mine ? ticks(last.status) : null, `${who}${this.summary(last)}`);
  }

  summary(item) {
    const body = item.body || {};
    if (body.media) return `${isVideo(body.media) ? '🎥 Video' : '📷 Photo'}${body.caption ? ` · ${body.caption}` : ''}`;
    return body.text ?? '';
  }

  renderList() {
    const conversations = this.state.conversationList().filter((c) =>
      !this.filter || this.title(c).toLowerCase().includes(this.filter));
    this.emptyList.hidden = this.state.conversations.size > 0;
    reconcile(this.list, conversations, {
      key: (c) => c.id,
      signature: (c) => {
        const last = this.state.lastMessage(c);
        const presence = c.kind === 'dm' ? this.state.presence.get(c.peer)?.online : false;
        return JSON.stringify([this.title(c), last?.key, last?.status, last?.ts, this.summary(last || {}),
          this.state.unreadCount(c), presence, this.state.typingIn(c.id), c.id === this.selected]);
      },
      render: (c) => this.renderListItem(c),
    });
  }

  renderListItem(conversation) {
    const last = this.state.lastMessage(conversation);
    const unread = this.state.unreadCount(conversation);
    const online = conversation.kind === 'dm' && this.state.presence.get(conversation.peer)?.online;
    const name = this.title(conversation);
    const when = last?.ts || last?.createdAt || conversation.lastActivity;
    return h('li',
      h('button.chat-item', {
        type: 'button',
        dataset: { conversation: conversation.id },
        'aria-current': conversation.id === this.selected ? 'true' : 'false',
        'aria-label': `${name}${unread ? `, ${unread} unread` : ''}${online ? ', online' : ''}`,
        onclick: () => this.select(conversation.id),
      },
      avatar(name, { online, group: conversation.kind === 'group' }),
      h('span.chat-item-main',
        h('span.chat-item-top', h('span.chat-name', name), when ? h('time.chat-time', { class: unread ? 'unread' : '' }, listTime(when)) : null),
        h('span.chat-item-bottom', this.preview(conversation), unread ? h('span.badge', { 'aria-hidden': 'true' }, String(unread)) : null))));
  }

  renderConversation() {
    const conversation = this.selected ? this.state.conversations.get(this.selected) : null;
    if (!conversation) {
      if (this.pane.firstChild !== this.placeholder) replaceChildren(this.pane, this.placeholder);
      return;
    }
    if (this.pane.firstChild !== this.header) replaceChildren(this.pane, this.header, this.messages, this.composer);
    this.renderHeader();
    this.renderMessages(conversation);
    const left = Boolean(conversation.left);
    this.leftNote.hidden = !left;
    this.input.hidden = left;
    this.sendButton.hidden = left;
    this.attachButton.hidden = left || !this.features.media;
  }

  subtitle(conversation) {
    const typing = this.state.typingIn(conversation.id);
    if (conversation.kind === 'dm') {
      if (typing.length) return ['typing…', 'typing'];
      const presence = this.state.presence.get(conversation.peer);
      if (presence?.online) return ['online', 'online'];
      if (presence?.lastSeen) return [lastSeenText(presence.lastSeen), 'last-seen'];
      return ['', 'unknown'];
    }
    if (typing.length) return [`${typing.join(', ')} ${typing.length > 1 ? 'are' : 'is'} typing…`, 'typing'];
    const members = (conversation.members || []).map((m) => (m === this.session.userId ? 'You' : m));
    return [members.join(', '), 'members'];
  }

  renderHeader() {
    const conversation = this.selected ? this.state.conversations.get(this.selected) : null;
    if (!conversation) return;
    const name = this.title(conversation);
    const [subtitle, kind] = this.subtitle(conversation);
    const isGroup = conversation.kind === 'group';
    const online = !isGroup && this.state.presence.get(conversation.peer)?.online;
    const timer = conversation.disappearAfterSeconds || 0;
    const signature = JSON.stringify([conversation.id, name, subtitle, timer, this.features.disappearing, online]);
    if (this.header.dataset.signature === signature) return;
    this.header.dataset.signature = signature;
    const titleBlock = h('div.conversation-title',
      h('h2#conversation-name', name),
      h('p.subtitle#conversation-status', { dataset: { kind } }, subtitle));
    replaceChildren(this.header,
      h('button.icon-button.back#back', { type: 'button', 'aria-label': 'Back to chats', title: 'Back', onclick: () => this.back() }, icon('back')),
      avatar(name, { online, group: isGroup }),
      isGroup
        ? h('button.title-button#group-info-open', { type: 'button', onclick: () => this.showInfo(), 'aria-label': `Group info: ${name}` }, titleBlock)
        : titleBlock,
      h('div.header-actions',
        timer ? h('span.timer-chip#timer-chip', { title: 'Disappearing messages' }, icon('timer'), disappearLabel(timer)) : null,
        this.features.disappearing
          ? h('button.icon-button#timer-button', { type: 'button', title: 'Disappearing messages', 'aria-label': 'Disappearing messages', onclick: () => this.showTimer() }, icon('timer'))
          : null,
        isGroup
          ? h('button.icon-button#group-info', { type: 'button', title: 'Group info', 'aria-label': 'Group info', onclick: () => this.showInfo() }, icon('info'))
          : null));
  }

  renderMessages(conversation) {
    const box = this.messages;
    const nearBottom = box.scrollHeight - box.scrollTop - box.clientHeight < 120;
    const entries = [];
    let previous = null;
    for (const item of conversation.items) {
      const ts = item.ts || item.createdAt;
      if (!previous || !sameDay(previous, ts)) entries.push({ kind: 'day', key: `day:${new Date(ts).toDateString()}`, ts });
      previous = ts;
      entries.push(item);
    }
    if (!entries.length) entries.push({ kind: 'empty', key: 'empty' });
    reconcile(box, entries, {
      key: (e) => e.key,
      signature: (e) => this.itemSignature(conversation, e),
      render: (e) => this.renderEntry(conversation, e),
    });
    if (this.forceScroll || nearBottom) {
      box.scrollTop = box.scrollHeight;
      this.forceScroll = false;
    }
  }

  itemSignature(conversation, entry) {
    if (entry.kind !== 'message') return JSON.stringify([entry.kind, entry.text, entry.ts && dayLabel(entry.ts)]);
    return JSON.stringify([entry.msgId, entry.status, entry.ts, entry.body, entry.upload?.progress, entry.failure,
      entry.expiresAt, entry.undelivered, conversation.kind]);
  }

  renderEntry(conversation, entry) {
    if (entry.kind === 'day') return h('div.day-separator', { role: 'separator' }, h('span', dayLabel(entry.ts)));
    if (entry.kind === 'system') return h('div.system-note', h('span', entry.text));
    if (entry.kind === 'empty') {
      return h('div.system-note.empty-note', h('span', conversation.kind === 'dm'
        ? `This is the beginning of your chat with ${conversation.peer}. Say hi!`
        : 'No messages yet.'));
    }
    return this.renderMessage(conversation, entry);
  }

  renderMessage(conversation, item) {
    const mine = item.from === this.session.userId;
    const body = item.body || {};
    const parts = [];
    if (conversation.kind === 'group' && !mine) parts.push(h('div.msg-author', { style: { color: authorColor(item.from) } }, item.from));
    if (body.media) parts.push(this.renderMedia(item));
    const text = body.media ? body.caption : body.text;
    if (text) parts.push(h('div.msg-text', text));
    const meta = h('div.msg-meta',
      item.expiresAt ? h('span.expiry', { title: 'Disappears in' }, icon('timer'), h('span', { dataset: { expiresAt: String(item.expiresAt) } }, remaining(item.expiresAt - Date.now()))) : null,
      h('time', { datetime: new Date(item.ts || item.createdAt).toISOString() }, clock(item.ts || item.createdAt)),
      mine ? ticks(item.status) : null);
    parts.push(meta);
    if (item.undelivered?.length) {
      parts.push(h('div.undelivered', `Not delivered to ${item.undelivered.join(', ')}`));
    }
    if (item.status === 'failed') {
      parts.push(h('button.retry', { type: 'button', onclick: () => this.state.retry(item) },
        `Not sent${item.failure ? ` (${item.failure})` : ''}. Tap to retry`));
    }
    return h('div.msg-row', { class: mine ? 'out' : 'in' },
      h('div.msg', {
        class: body.media ? 'has-media' : '',
        dataset: { msgId: item.msgId || '', clientId: item.clientId || '', status: item.status || '', from: item.from },
      }, parts));
  }

  renderMedia(item) {
    const media = item.body.media;
    const video = isVideo(media);
    const label = video ? 'Play video' : 'Open photo';
    const frame = h('button.media-thumb', {
      type: 'button', 'aria-label': label, title: label,
      style: media.width && media.height ? { aspectRatio: `${media.width} / ${media.height}` } : {},
      onclick: () => !item.upload && this.openMedia(item),
    });
    if (this.media.hasThumbnail(item)) {
      const image = h('img', { alt: item.body.caption || (video ? 'Video' : 'Photo') });
      this.media.recover(item, image, { thumbnail: true });
      this.media.thumbnail(item, (src) => { image.src = src; });
      frame.append(image);
    } else {
      const still = h('video', { muted: true, preload: 'metadata', playsinline: true, tabindex: '-1' });
      this.media.recover(item, still);
      this.media.full(item, (src) => { still.src = src.startsWith('blob:') ? src : `${src}#t=0.1`; });
      frame.append(still);
    }
    if (video) frame.append(h('span.play-badge', icon('play')));
    if (item.upload) {
      const percent = Math.round(item.upload.progress * 100);
      frame.append(h('span.upload-overlay',
        h('progress.upload-progress', { max: '100', value: String(percent), 'aria-label': 'Upload progress' }),
        h('span.upload-label', `${percent}%`)));
    }
    return frame;
  }
}

function authorColor(name) {
  let hash = 0;
  for (const ch of name) hash = (hash * 31 + ch.codePointAt(0)) >>> 0;
  return ['#c0392b', '#1e8449', '#b9770e', '#2471a3', '#7d3c98', '#c2185b', '#117a65', '#d35400'][hash % 8];
}
